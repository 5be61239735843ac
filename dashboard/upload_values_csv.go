package dashboard

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// csvCell keeps a spreadsheet from reading a text cell as a formula.
func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// downloadUploadValues streams, as CSV, every value an upload brought
// with the value it replaced and whether it is still current: the
// record staff keep or send back to the city.
func (s *Server) downloadUploadValues(c echo.Context) error {
	id, err := s.uploadID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	if _, err := s.store.Upload(ctx, id); err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="upload-`+strconv.FormatInt(id, 10)+`-values.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	_ = w.Write([]string{"city", "indicator", "year", "value", "unit", "source", "replaced_value", "where_in_file", "state"})
	for off := 0; ; off += 1000 {
		cs, _, err := s.store.UploadChanges(ctx, id, off, 1000)
		if err != nil {
			s.log.Error("upload values CSV", "upload", id, "err", err)
			return nil // the header is sent; the truncated file shows it failed
		}
		for _, ch := range cs {
			state := "current"
			if ch.RetiredBy.Valid {
				state = "withdrawn by rollback"
				if ch.RetiredBy.Int64 != id {
					state = "replaced by upload " + strconv.FormatInt(ch.RetiredBy.Int64, 10)
				}
			}
			year, value, old := "", "", ""
			if ch.Year.Valid {
				year = strconv.FormatInt(ch.Year.Int64, 10)
			}
			if ch.Value.Valid {
				value = metrics.FormatPlain(ch.Value.Float64)
			}
			if ch.OldValue.Valid {
				old = metrics.FormatPlain(ch.OldValue.Float64)
			}
			_ = w.Write([]string{csvCell(ch.AreaSlug), ch.Indicator, year, value, metrics.UnitLabel(ch.Unit), csvCell(ch.Source), old, csvCell(ch.Locator), state})
		}
		w.Flush()
		if len(cs) < 1000 {
			return w.Error()
		}
	}
}
