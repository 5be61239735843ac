package dashboard

import (
	"bufio"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// csvFlushRows is how many rows go out between flushes to the client:
// the client sees progress and the server holds one buffer, whatever
// the size of the download.
const csvFlushRows = 2000

// appendCSVField appends one RFC 4180 field, guarded against formulas,
// quoted when it holds a comma, a quote or a line break.
func appendCSVField(dst []byte, s string) []byte {
	s = guardFormula(s)
	if !strings.ContainsAny(s, ",\"\r\n") {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' {
			dst = append(dst, '"')
		}
		dst = append(dst, s[i])
	}
	return append(dst, '"')
}

// appendCSVRecord appends a whole record with its CRLF.
func appendCSVRecord(dst []byte, fields []string) []byte {
	for i, f := range fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendCSVField(dst, f)
	}
	return append(dst, '\r', '\n')
}

// csvWriter writes observations as CSV. The catalogue's text (a city's
// columns, an indicator's, a source's) is encoded once per download and
// reused, so a row costs little more than its own numbers and note.
type csvWriter struct {
	x       *exportContext
	w       *bufio.Writer
	flush   func()
	buf     []byte
	areas   map[int64][]byte
	inds    map[int64][2][]byte
	srcs    map[int64][]byte
	flags   map[string][]byte
	trailer []byte
	row     exportRow
	n       int
}

func newCSVWriter(x *exportContext, w io.Writer) *csvWriter {
	cw := &csvWriter{
		x: x, w: bufio.NewWriterSize(w, 64<<10),
		areas: map[int64][]byte{}, inds: map[int64][2][]byte{}, srcs: map[int64][]byte{}, flags: map[string][]byte{},
	}
	if f, ok := w.(http.Flusher); ok {
		cw.flush = f.Flush
	}
	cw.trailer = appendCSVField([]byte{','}, x.version)
	return cw
}

func (cw *csvWriter) header() error {
	_, err := cw.w.Write(appendCSVRecord(nil, exportColumns))
	return err
}

func (cw *csvWriter) write(r *metrics.ExportRow) error {
	row := &cw.row
	if !cw.x.resolve(r, row) {
		return nil
	}
	b := strconv.AppendInt(cw.buf[:0], row.ID, 10)
	a, ok := cw.areas[row.City.ID]
	if !ok {
		for _, f := range []string{row.City.Slug, row.City.Name, row.City.CountryISO3, row.City.Kind} {
			a = appendCSVField(append(a, ','), f)
		}
		cw.areas[row.City.ID] = a
	}
	b = append(b, a...)
	ind, ok := cw.inds[row.Indicator.ID]
	if !ok {
		for _, f := range []string{row.Indicator.Code, row.Indicator.NameEN, row.Indicator.Theme} {
			ind[0] = appendCSVField(append(ind[0], ','), f)
		}
		ind[1] = appendCSVField(append(ind[1], ','), row.Indicator.UnitLabel())
		cw.inds[row.Indicator.ID] = ind
	}
	b = append(b, ind[0]...)
	b = append(append(b, ','), row.Year...)
	b = append(append(b, ','), row.Value...)
	b = append(b, ind[1]...)
	b = appendCSVField(append(b, ','), row.ValueAsGiven)
	b = appendCSVField(append(b, ','), row.UnitAsGiven)
	if row.Source != nil {
		s, ok := cw.srcs[row.Source.ID]
		if !ok {
			for _, f := range []string{row.SourceCode, row.SourceTitle, row.SourceLicence, row.SourceCitation} {
				s = appendCSVField(append(s, ','), f)
			}
			cw.srcs[row.Source.ID] = s
		}
		b = append(b, s...)
	} else {
		for _, f := range []string{row.SourceCode, row.SourceTitle, row.SourceLicence, row.SourceCitation} {
			b = appendCSVField(append(b, ','), f)
		}
	}
	fl, ok := cw.flags[row.Flags]
	if !ok {
		fl = appendCSVField(append(fl, ','), row.Flags)
		fl = appendCSVField(append(fl, ','), row.FlagMeanings)
		cw.flags[row.Flags] = fl
	}
	b = append(b, fl...)
	b = appendCSVField(append(b, ','), row.Note)
	b = append(append(b, ','), row.Numerator...)
	b = append(append(b, ','), row.Denominator...)
	b = append(b, ',')
	b = strconv.AppendBool(b, row.Withheld)
	b = append(b, cw.trailer...)
	b = append(append(b, ','), row.SourceKind...)
	b = append(b, '\r', '\n')
	cw.buf = b
	if _, err := cw.w.Write(b); err != nil {
		return err
	}
	cw.n++
	if cw.n%csvFlushRows == 0 && cw.flush != nil {
		if err := cw.w.Flush(); err != nil {
			return err
		}
		cw.flush()
	}
	return nil
}

func (cw *csvWriter) close() error { return cw.w.Flush() }
