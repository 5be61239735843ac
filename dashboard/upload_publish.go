package dashboard

import (
	"context"
	"errors"
	"github.com/twinmetrics/twinmetrics/ingest"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

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
	var re *ingest.RefusedError
	if errors.As(err, &re) {
		p, perr := s.uploads.Pending(key)
		if perr != nil {
			return perr
		}
		return s.renderPreview(c, p, s.locale(c).Say(re.Message), http.StatusConflict)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/uploads/"+strconv.FormatInt(id, 10)+"?done=published")
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
	if err == nil {
		s.tel.Uploads.WithLabelValues("published").Inc()
	}
	return id, err
}

// rollback undoes a published upload and counts it for /metrics.
func (s *Server) rollback(ctx context.Context, id int64, u metrics.User) error {
	err := s.uploads.Rollback(ctx, id, u)
	if err == nil {
		s.tel.Uploads.WithLabelValues("rolled_back").Inc()
	}
	return err
}
