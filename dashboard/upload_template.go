package dashboard

import (
	"bytes"
	"github.com/twinmetrics/twinmetrics/ingest"
	"net/http"

	"github.com/labstack/echo/v4"
)

// downloadTemplateCSV sends the upload template's header line.
func (s *Server) downloadTemplateCSV(c echo.Context) error {
	var buf bytes.Buffer
	if err := ingest.WriteTemplateCSV(&buf); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="twinmetrics-upload-template.csv"`)
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

// downloadTemplateXLSX sends the template workbook with its instructions
// and the lists of valid codes.
func (s *Server) downloadTemplateXLSX(c echo.Context) error {
	cat, err := s.store.Catalogue(c.Request().Context())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := ingest.WriteTemplateXLSX(&buf, cat, s.locale(c).Say); err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="twinmetrics-upload-template.xlsx"`)
	return c.Blob(http.StatusOK, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", buf.Bytes())
}
