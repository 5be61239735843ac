package dashboard

import (
	"bufio"
	"io"
	"net/http"
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

// csvWriter writes observations as CSV, in the columns exportColumns
// lists. A run of columns that depends on the area, the indicator, the
// source or the flags alone is encoded once per download for each of
// them and reused, so a row costs little more than its own numbers and
// note.
type csvWriter struct {
	x     *exportContext
	w     *bufio.Writer
	flush func()
	buf   []byte
	runs  []*csvRun
	row   exportRow
	n     int
}

// csvRun is a run of neighbouring columns of one group, with the text it
// encoded, by the area, indicator or source id, or by the flags.
type csvRun struct {
	group  colGroup
	cols   []exportColumn
	first  bool // the record's first column: no comma before it
	byID   map[int64][]byte
	byText map[string][]byte
}

func newCSVWriter(x *exportContext, w io.Writer) *csvWriter {
	cw := &csvWriter{x: x, w: bufio.NewWriterSize(w, 64<<10)}
	if f, ok := w.(http.Flusher); ok {
		cw.flush = f.Flush
	}
	for i, c := range exportColumns {
		if n := len(cw.runs); n > 0 && cw.runs[n-1].group == c.group && c.group != byRow {
			cw.runs[n-1].cols = append(cw.runs[n-1].cols, c)
			continue
		}
		cw.runs = append(cw.runs, &csvRun{group: c.group, cols: []exportColumn{c}, first: i == 0, byID: map[int64][]byte{}, byText: map[string][]byte{}})
	}
	return cw
}

func (cw *csvWriter) header() error {
	_, err := cw.w.Write(appendCSVRecord(nil, exportColumnNames()))
	return err
}

// encode appends the run's columns of row: numbers as they are, text
// quoted and guarded.
func (run *csvRun) encode(b []byte, row *exportRow) []byte {
	for i, c := range run.cols {
		if !run.first || i > 0 {
			b = append(b, ',')
		}
		if c.typ == "string" {
			b = appendCSVField(b, c.text(row))
		} else {
			b = append(b, c.text(row)...)
		}
	}
	return b
}

// append appends the run's columns of row, encoded once per key.
func (run *csvRun) append(b []byte, row *exportRow) []byte {
	var id int64
	switch run.group {
	case byRow:
		return run.encode(b, row)
	case byFlags:
		enc, ok := run.byText[row.Flags]
		if !ok {
			enc = run.encode(nil, row)
			run.byText[row.Flags] = enc
		}
		return append(b, enc...)
	case byArea:
		id = row.City.ID
	case byIndicator:
		id = row.Indicator.ID
	case bySource:
		if row.Source == nil {
			return run.encode(b, row) // a computed value: its own sources
		}
		id = row.Source.ID
	}
	enc, ok := run.byID[id]
	if !ok {
		enc = run.encode(nil, row)
		run.byID[id] = enc
	}
	return append(b, enc...)
}

func (cw *csvWriter) write(r *metrics.ExportRow) error {
	row := &cw.row
	if !cw.x.resolve(r, row) {
		return nil
	}
	b := cw.buf[:0]
	for _, run := range cw.runs {
		b = run.append(b, row)
	}
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
