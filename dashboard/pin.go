package dashboard

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/locale"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// Citable links: ?v=N on any page, chart or download shows the values
// as they were at data version N (metrics/history.go); every page links
// to itself with its view and its version.

// pinState is what the address asked of the data version.
type pinState struct {
	// Asked is v as the address gave it.
	Asked string
	// Version is the version shown: Asked when it is kept, else the
	// current one.
	Version int64
	Current int64
	First   int64
	Kept    bool
}

// Older reports whether the page shows an earlier version than the
// current one.
func (p *pinState) Older() bool { return p != nil && p.Kept && p.Version < p.Current }

const pinKey = "pin"

// What changed after a pinned version, by the kind of change. Those of
// an upload name it (Upload, File); the others say what kind of change
// it was.
var pinChangeKinds = map[string]locale.Key{
	"published":   locale.Define("pin.change.published", "Version", "At", "Upload", "File"),
	"rolled_back": locale.Define("pin.change.rolled_back", "Version", "At", "Upload", "File"),
	"catalogue":   locale.Define("pin.change.catalogue", "Version", "At"),
	"values":      locale.Define("pin.change.values", "Version", "At"),
}

// pinTargetsKey marks a request whose page shows commitments (targets).
const pinTargetsKey = "pin.targets"

// showsTargets records, from inside a handler, that its page shows
// commitments: pinned to a version before the commitments were kept,
// its notice says which version they are shown at.
func showsTargets(c echo.Context) { c.Set(pinTargetsKey, true) }

// maxPinChanges is how many changes a pinned page lists, the earliest
// first; it counts the rest.
const maxPinChanges = 20

// pinnedCacheControl lets a browser keep a pinned answer, without
// asking again: its values never change; the list of what has changed
// since grows, so a day rather than for ever.
const pinnedCacheControl = "public, max-age=86400"

// pinVersion reads ?v= and, for a kept version older than the current
// one, has every read of the request show the values of that version.
func (s *Server) pinVersion(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		raw := c.QueryParam("v")
		if raw == "" {
			return next(c)
		}
		req := c.Request()
		ctx := req.Context()
		p := &pinState{Asked: raw}
		n, perr := strconv.ParseInt(raw, 10, 64)
		first, cur, err := s.store.Pin(ctx, n)
		if err != nil && !errors.Is(err, metrics.ErrNotKept) {
			return err
		}
		p.First, p.Current, p.Version = first, cur, cur
		if perr == nil && err == nil {
			p.Kept, p.Version = true, n
			if n < cur {
				c.SetRequest(req.WithContext(metrics.AsOf(ctx, n)))
			}
			c.Response().Header().Set("Cache-Control", pinnedCacheControl)
		}
		c.Set(pinKey, p)
		return next(c)
	}
}

// pinProblem refuses, for a download or the API, a version that cannot
// be shown: a file or a program cannot read a notice.
func pinProblem(c echo.Context) *Problem {
	if p := pinOf(c); p != nil && !p.Kept {
		return badParam("v", reasonVersionKept.With(p.Asked, p.First, p.Current))
	}
	return nil
}

// dataParams is the query of a data answer that can be pinned (the
// API's observations and targets, the downloads): it refuses a
// parameter the endpoint does not know (allowed, and format and v)
// and a version that cannot be shown.
func dataParams(c echo.Context, allowed ...[]string) (url.Values, *Problem) {
	q := c.QueryParams()
	if p := checkParams(q, append(allowed, []string{"format", "v"})...); p != nil {
		return nil, p
	}
	if p := pinProblem(c); p != nil {
		return nil, p
	}
	return q, nil
}

// pinOf is the request's pin; nil when the address asks for none.
func pinOf(c echo.Context) *pinState {
	p, _ := c.Get(pinKey).(*pinState)
	return p
}

// shownVersion is the data version the request's answer shows.
func (s *Server) shownVersion(c echo.Context) (int64, error) {
	if p := pinOf(c); p != nil {
		return p.Version, nil
	}
	return s.store.DataVersion(c.Request().Context())
}

// citedVersion is the data version a page's printout and slide credits
// name, and the address they give for the page: the version it shows,
// and on a pinned page the pinned link, so that a figure quoted from an
// older version cites that version.
func (s *Server) citedVersion(c echo.Context, v *View) (int64, string, error) {
	if p := pinOf(c); p != nil {
		return p.Version, s.pinnedLink(c, v.Loc, p.Version), nil
	}
	dv, err := s.store.DataVersion(c.Request().Context())
	return dv, v.Origin + v.Loc.Href(v.Path), err
}

// withVersionParam is a copy of q with v set to version.
func withVersionParam(q url.Values, version int64) url.Values {
	out := url.Values{}
	for k, vs := range q {
		out[k] = vs
	}
	out.Set("v", strconv.FormatInt(version, 10))
	return out
}

// withVersion is an address (path and query, no language prefix) with
// v set to version.
func withVersion(path string, q url.Values, version int64) string {
	return path + "?" + withVersionParam(q, version).Encode()
}

// pinnedLink is the absolute address of this view (the request's page,
// language and query) at the version it shows.
func (s *Server) pinnedLink(c echo.Context, loc Locale, version int64) string {
	req := c.Request()
	return s.baseURL + loc.Href(withVersion(req.URL.Path, req.URL.Query(), version))
}

// pageCharts are the charts a page draws.
func pageCharts(data any) []*Chart {
	var out []*Chart
	switch p := data.(type) {
	case *pairPage:
		out = append(out, p.Overview)
		out = append(out, p.Charts...)
		if p.Commitments != nil {
			for _, cc := range p.Commitments.Cities {
				out = append(out, cc.Chart)
			}
		}
	case *cityPage:
		out = p.Charts
	case *indicatorPage:
		out = p.Charts
	}
	return out
}

// pinCharts gives each chart of a page the link to it at the version
// the page shows, and has its data download read that version when the
// address pins one.
func pinCharts(p *pinState, pv *pinView, charts []*Chart) {
	for _, ch := range charts {
		if ch == nil {
			continue
		}
		ch.Link = pv.Link + "#fig-" + ch.ID
		if p != nil && p.Kept && ch.DataCSV != "" {
			ch.DataCSV += "&v=" + strconv.FormatInt(p.Version, 10)
		}
	}
}

// pinView is what the layout says of the version a page shows.
type pinView struct {
	// Link is this view's address, pinned to the version shown.
	Link    string
	Version int64
	// Current is the current version and CurrentLink the same view at
	// it, for a page showing an older version or an unkept one.
	Current     int64
	CurrentLink string
	Older       bool
	// NotKept: the address asked for a version that cannot be shown
	// (before versions were kept, or not yet made); Asked is what it
	// asked, First the first version kept.
	NotKept bool
	Asked   string
	First   int64
	// Changes since the version shown, for the figures on the page.
	Changes []string
	// TargetsFrom is, on an older page that shows commitments, the
	// version they are shown at when it is later than Version: the
	// first version whose commitments were kept.
	TargetsFrom int64
}

// pinView builds the layout's version block: the link to this view,
// and for an older or unkept version the notice, with what changed since
// for the areas and indicators the page was built from (deps).
func (s *Server) pinView(c echo.Context, loc Locale) *pinView {
	p := pinOf(c)
	var pv pinView
	if p == nil {
		v, err := s.store.DataVersion(c.Request().Context())
		if err != nil {
			return nil
		}
		pv.Version, pv.Current = v, v
	} else {
		pv.Version, pv.Current, pv.Older = p.Version, p.Current, p.Older()
		pv.NotKept, pv.Asked, pv.First = !p.Kept, p.Asked, p.First
	}
	req := c.Request()
	pv.Link = s.pinnedLink(c, loc, pv.Version)
	q := req.URL.Query()
	q.Del("v")
	pv.CurrentLink = loc.Href(req.URL.Path)
	if len(q) > 0 {
		pv.CurrentLink += "?" + q.Encode()
	}
	if pv.Older {
		pv.Changes = s.changesSince(c, loc, pv.Version)
		if shown, _ := c.Get(pinTargetsKey).(bool); shown {
			if v, err := s.store.TargetsVersion(c.Request().Context()); err != nil {
				c.Logger().Error(err)
			} else if v > pv.Version {
				pv.TargetsFrom = v
			}
		}
	}
	return &pv
}

// changesSince describes the versions after since that touched what the
// page was built from.
func (s *Server) changesSince(c echo.Context, loc Locale, since int64) []string {
	ctx := c.Request().Context()
	d := recordedDeps(c)
	vcs, err := s.store.VersionsSince(ctx, since, d.touchedBy)
	if err != nil {
		c.Logger().Error(err)
		return nil
	}
	cat, err := s.store.Catalogue(ctx)
	if err != nil {
		c.Logger().Error(err)
		return nil
	}
	var out []string
	more := 0
	if len(vcs) > maxPinChanges {
		vcs, more = vcs[:maxPinChanges], len(vcs)-maxPinChanges
	}
	for _, vc := range vcs {
		at := vc.At
		if len(at) >= 16 {
			at = strings.Replace(at[:16], "T", " ", 1) + " UTC"
		}
		kind, ok := pinChangeKinds[vc.Kind]
		if !ok {
			kind = pinChangeKinds["values"]
		}
		line := loc.Say(kind.With(vc.Version, at, vc.UploadID, vc.FileName))
		if !vc.Everything {
			var what []string
			for _, id := range vc.Indicators {
				if d.all || d.indicators[id] {
					if ind := cat.IndicatorByID(id); ind != nil {
						what = append(what, loc.IndicatorName(ind))
					}
				}
			}
			for _, id := range vc.Areas {
				if d.all || d.areas[id] {
					if a := cat.AreaByID(id); a != nil {
						what = append(what, loc.AreaName(a))
					}
				}
			}
			if len(what) > 0 {
				line += " " + loc.Say(pinChangeTouched.With(strings.Join(what, ", ")))
			}
		} else {
			line += " " + loc.Say(pinChangeEverything.With())
		}
		out = append(out, line)
	}
	if more > 0 {
		out = append(out, loc.Say(pinChangesMore.With(more)))
	}
	return out
}
