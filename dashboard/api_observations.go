package dashboard

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// Observations pages: limit rows each (at most maxLimit), sorted by id.
const (
	defaultLimit = 1000
	maxLimit     = 10000
)

// The cursor is the last id of the previous page (observations) or the
// position of the next page's first item (areas), made opaque so that
// clients pass it back rather than build it.
func encodeCursor(id int64) string { return encodeMark("after:", id) }

func decodeCursor(s string) (int64, bool) { return decodeMark("after:", s) }

func encodeOffset(n int64) string { return encodeMark("from:", n) }

func decodeOffset(s string) (int64, bool) { return decodeMark("from:", s) }

func encodeMark(prefix string, n int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(prefix + strconv.FormatInt(n, 10)))
}

func decodeMark(prefix, s string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	v, ok := strings.CutPrefix(string(b), prefix)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil && n >= 0
}

// pageParams reads a page's limit (def unless given, at most max) and
// cursor, which decode turns into its position.
func pageParams(q url.Values, def, max int, decode func(string) (int64, bool)) (int, int64, *Problem) {
	limit := def
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > max {
			return 0, 0, badParam("limit", reasonLimit.With(max, v))
		}
		limit = n
	}
	var pos int64
	if v := q.Get("cursor"); v != "" {
		n, ok := decode(v)
		if !ok {
			return 0, 0, badParam("cursor", reasonCursor.With())
		}
		pos = n
	}
	return limit, pos, nil
}

// wantsCSV reads format=csv|json, else the Accept header, weighing its
// q-values: CSV when text/csv weighs more than application/json.
func wantsCSV(c echo.Context) (bool, *Problem) {
	switch f := c.QueryParam("format"); f {
	case "csv":
		return true, nil
	case "json":
		return false, nil
	case "":
		accept := c.Request().Header.Get("Accept")
		return acceptQuality(accept, "text/csv") > acceptQuality(accept, "application/json"), nil
	default:
		return false, badParam("format", reasonFormatAPI.With(f))
	}
}

// acceptQuality is the weight an Accept header gives a media type: its
// own entry, else type/*, else */* (RFC 9110 §12.5.1). No header
// accepts everything.
func acceptQuality(accept, mediaType string) float64 {
	if strings.TrimSpace(accept) == "" {
		return 1
	}
	typ, _, _ := strings.Cut(mediaType, "/")
	best, spec := 0.0, -1
	for _, part := range strings.Split(accept, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		s := -1
		switch name {
		case mediaType:
			s = 2
		case typ + "/*":
			s = 1
		case "*/*":
			s = 0
		}
		if s < spec || s < 0 {
			continue
		}
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		best, spec = q, s
	}
	return best
}

// listObservationsAPI answers /api/v1/observations: the filtered
// observations in id order, one page at a time, as JSON or CSV.
func (s *Server) listObservationsAPI(c echo.Context) error {
	q, p := dataParams(c, selectionParams, []string{"limit", "cursor"})
	if p != nil {
		return p
	}
	asCSV, p := wantsCSV(c)
	if p != nil {
		return p
	}
	paged := !asCSV || q.Has("limit") || q.Has("cursor")
	limit, after, p := pageParams(q, defaultLimit, maxLimit, decodeCursor)
	if p != nil {
		return p
	}
	ctx := c.Request().Context()
	d, err := s.prepareDownload(ctx, q)
	if err != nil {
		return err
	}
	dataHeaders(c, d.stamp)
	base := "/api/v1/observations?"
	page := d.query
	if asCSV {
		page = withFormat(d.query, "csv")
	}
	if p := pinOf(c); p != nil && p.Kept {
		// The next pages read the same version.
		page = withVersionParam(page, p.Version)
	}
	if !paged {
		c.Response().Header().Set("Content-Type", "text/csv; charset=utf-8; header=present")
		c.Response().Header().Set("Content-Disposition", `attachment; filename="`+d.fileName("csv")+`"`)
		return s.writeCSV(c, d)
	}
	// One row more than the page shows whether there is a next page.
	x := newExportContext(d.cat, d.stamp)
	var rows []metrics.ExportRow
	err = s.store.EachObservation(ctx, d.sel, after, limit+1, func(r *metrics.ExportRow) error {
		rows = append(rows, *r)
		return nil
	})
	if err != nil {
		return err
	}
	var next *string
	if len(rows) > limit {
		rows = rows[:limit]
		cur := encodeCursor(rows[len(rows)-1].ID)
		next = &cur
	}
	links := map[string]string{"self": base + withParam(page, "limit", strconv.Itoa(limit), "cursor", q.Get("cursor")).Encode()}
	if next != nil {
		links["next"] = base + withParam(page, "limit", strconv.Itoa(limit), "cursor", *next).Encode()
		c.Response().Header().Set("Link", "<"+links["next"]+`>; rel="next"`)
	}
	if asCSV {
		c.Response().Header().Set("Content-Type", "text/csv; charset=utf-8; header=present")
		cw := newCSVWriter(x, c.Response())
		c.Response().WriteHeader(http.StatusOK)
		if err := cw.header(); err != nil {
			return err
		}
		for i := range rows {
			if err := cw.write(&rows[i]); err != nil {
				return err
			}
		}
		return cw.close()
	}
	out := apiList[observationDoc]{Data: []observationDoc{}, Links: links}
	var row exportRow
	for i := range rows {
		if x.resolve(&rows[i], &row) {
			out.Data = append(out.Data, x.observationDoc(&rows[i], &row))
		}
	}
	out.Meta = newMeta(d.stamp, len(out.Data))
	out.Meta.Limit, out.Meta.NextCursor = limit, next
	return writeJSONBody(c, out)
}

// withParam copies q and sets pairs of name, value (an empty value
// removes the name).
func withParam(q url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range q {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = []string{kv[i+1]}
		}
	}
	return out
}
