package dashboard

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/locale"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// downloadFormats are the formats of /data/download, in the order the
// pages offer them.
var downloadFormats = []struct{ Code, Name, Ext, Type string }{
	{"csv", "CSV", "csv", "text/csv; charset=utf-8; header=present"},
	{"xlsx", "Excel (XLSX)", "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
	{"json", "JSON", "json", "application/json"},
	{"datapackage", "Data package (ZIP)", "zip", "application/zip"},
}

// download is one download request, resolved: the selection, the
// catalogue and the data version it was made from.
type download struct {
	cat   *metrics.Catalogue
	stamp metrics.Stamp
	sel   metrics.Selection
	query url.Values // the canonical filter parameters
	url   string     // where the same download can be fetched again
	count int        // how many values it holds (counted for XLSX only)
}

// prepareDownload reads the filters of a request and resolves them.
func (s *Server) prepareDownload(ctx context.Context, q url.Values) (*download, error) {
	cat, err := s.store.Catalogue(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.store.Stamp(ctx)
	if err != nil {
		return nil, err
	}
	sel, p := parseSelection(cat, q)
	if p != nil {
		return nil, p
	}
	return &download{cat: cat, stamp: st, sel: sel, query: selectionQuery(q)}, nil
}

// fileName names a download after the data version and its filters.
var unsafeName = regexp.MustCompile(`[^a-z0-9_.-]+`)

func (d *download) fileName(ext string) string {
	name := "twinmetrics-v" + strconv.FormatInt(d.stamp.Version, 10)
	for _, n := range selectionParams {
		if v := d.query.Get(n); v != "" {
			name += "_" + n + "-" + v
		}
	}
	name = unsafeName.ReplaceAllString(strings.ToLower(name), "-")
	if len(name) > 120 {
		name = name[:120]
	}
	return name + "." + ext
}

// downloadData serves /data/download: the selection in one format.
func (s *Server) downloadData(c echo.Context) error {
	q, p := dataParams(c, selectionParams)
	if p != nil {
		return p
	}
	format := q.Get("format")
	if format == "" {
		format = "csv"
	}
	fi := -1
	for i, f := range downloadFormats {
		if f.Code == format {
			fi = i
		}
	}
	if fi < 0 {
		return badParam("format", reasonFormatDownload.With(format))
	}
	ctx := c.Request().Context()
	d, err := s.prepareDownload(ctx, q)
	if err != nil {
		return err
	}
	// Where the same values can be fetched again: at this data version.
	d.url = s.baseURL + "/data/download?" + withVersionParam(withFormat(d.query, format), d.stamp.Version).Encode()
	dataHeaders(c, d.stamp)
	f := downloadFormats[fi]
	if format == "xlsx" {
		n, err := s.store.CountSelection(ctx, d.sel)
		if err != nil {
			return err
		}
		d.count = n
		if n > maxXLSXRows {
			return &Problem{Type: problemTooLarge, Title: locale.English(titleTooLarge.With()), Status: http.StatusRequestEntityTooLarge,
				Detail: locale.English(detailTooLarge.With(n, maxXLSXRows))}
		}
	}
	hdr := c.Response().Header()
	hdr.Set("Content-Type", f.Type)
	hdr.Set("Content-Disposition", `attachment; filename="`+d.fileName(f.Ext)+`"`)
	hdr.Set("X-Content-Type-Options", "nosniff")
	switch format {
	case "csv":
		return s.writeCSV(c, d)
	case "json":
		return s.writeJSON(c, d)
	case "xlsx":
		return s.writeXLSX(c, d)
	default:
		return s.writeDataPackage(c, d)
	}
}

func withFormat(q url.Values, format string) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = v
	}
	out.Set("format", format)
	return out
}

// writeCSV streams the selection as CSV straight from the database
// cursor, flushing every few thousand rows.
func (s *Server) writeCSV(c echo.Context, d *download) error {
	return s.streamCSV(c.Request().Context(), c.Response(), d, 0, 0, func() { c.Response().WriteHeader(http.StatusOK) })
}

func (s *Server) streamCSV(ctx context.Context, w io.Writer, d *download, after int64, limit int, start func()) error {
	x := newExportContext(d.cat, d.stamp)
	cw := newCSVWriter(x, w)
	if start != nil {
		start()
	}
	if err := cw.header(); err != nil {
		return err
	}
	if err := s.store.EachObservation(ctx, d.sel, after, limit, cw.write); err != nil {
		return err
	}
	return cw.close()
}

// writeJSON streams the selection as one JSON document: the
// observations first (they are written as they are read), then the
// sources they came from, the flags and the provenance.
func (s *Server) writeJSON(c echo.Context, d *download) error {
	w := c.Response()
	w.WriteHeader(http.StatusOK)
	x := newExportContext(d.cat, d.stamp)
	bw := bufio.NewWriterSize(w, 64<<10)
	flusher := w
	if _, err := io.WriteString(bw, `{"observations":[`); err != nil {
		return err
	}
	enc := json.NewEncoder(bw)
	var row exportRow
	n := 0
	err := s.store.EachObservation(c.Request().Context(), d.sel, 0, 0, func(r *metrics.ExportRow) error {
		if !x.resolve(r, &row) {
			return nil
		}
		if n > 0 {
			if err := bw.WriteByte(','); err != nil {
				return err
			}
		}
		n++
		if n%csvFlushRows == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
			flusher.Flush()
		}
		return enc.Encode(x.observationDoc(r, &row))
	})
	if err != nil {
		return err
	}
	prov := x.provenance(d.query.Encode(), d.url)
	if _, err := io.WriteString(bw, `],"sources":`); err != nil {
		return err
	}
	if err := enc.Encode(prov.Sources); err != nil {
		return err
	}
	if _, err := io.WriteString(bw, `,"flags":`); err != nil {
		return err
	}
	if err := enc.Encode(prov.Flags); err != nil {
		return err
	}
	if _, err := io.WriteString(bw, `,"provenance":`); err != nil {
		return err
	}
	if err := enc.Encode(prov); err != nil {
		return err
	}
	if _, err := io.WriteString(bw, "}\n"); err != nil {
		return err
	}
	return bw.Flush()
}
