package dashboard

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/metrics"
)

func publishOptions(c echo.Context) ingest.PublishOptions {
	yes := func(k string) bool {
		v := c.FormValue(k)
		return v == "1" || v == "true" || v == "on"
	}
	return ingest.PublishOptions{AllowRejected: yes("allow_rejected"), ConfirmWarnings: yes("confirm_warnings")}
}

// publishUpload publishes a checked upload, all rows in one transaction.
func (s *Server) publishUpload(c echo.Context) error {
	key := c.Param("id")
	id, err := s.publish(c.Request().Context(), key, *currentUser(c), publishOptions(c))
	return s.uploadDone(c, id, "published", err, func(msg string) error {
		p, err := s.uploads.Pending(key)
		if err != nil {
			return err
		}
		return s.renderPreview(c, p, msg, http.StatusConflict)
	})
}

// uploadDone answers a publication or a rollback asked from a staff
// page: the upload's record, saying what was done; or, when the upload
// was refused, the page it was asked from again with the reason (again).
func (s *Server) uploadDone(c echo.Context, id int64, done string, err error, again func(reason string) error) error {
	var re *ingest.RefusedError
	if errors.As(err, &re) {
		return again(s.locale(c).Say(re.Message))
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/uploads/"+strconv.FormatInt(id, 10)+"?done="+done)
}

// discardUpload drops a pending upload that will not be published.
func (s *Server) discardUpload(c echo.Context) error {
	if err := s.uploads.Discard(c.Param("id"), *currentUser(c)); err != nil {
		if errors.Is(err, metrics.ErrNotFound) {
			return err
		}
		return echo.NewHTTPError(http.StatusConflict, err)
	}
	return c.Redirect(http.StatusSeeOther, "/admin/uploads")
}

// recheckUpload checks a pending upload again against the current data,
// after another upload was published.
func (s *Server) recheckUpload(c echo.Context) error {
	if err := s.uploads.Recheck(c.Param("id"), *currentUser(c)); err != nil {
		if errors.Is(err, ingest.ErrState) {
			return echo.NewHTTPError(http.StatusConflict, err)
		}
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/uploads/"+c.Param("id"))
}

// publish publishes a checked upload and counts it for /metrics.
func (s *Server) publish(ctx context.Context, key string, u metrics.User, opt ingest.PublishOptions) (int64, error) {
	id, err := s.uploads.Publish(ctx, key, u, opt)
	return id, s.countUpload("published", err)
}

// rollback undoes a published upload and counts it for /metrics.
func (s *Server) rollback(ctx context.Context, id int64, u metrics.User) error {
	return s.countUpload("rolled_back", s.uploads.Rollback(ctx, id, u))
}

// countUpload counts, for /metrics, a publication or a rollback that
// went through (err nil), and passes err on.
func (s *Server) countUpload(outcome string, err error) error {
	if err == nil {
		s.tel.Uploads.WithLabelValues(outcome).Inc()
	}
	return err
}
