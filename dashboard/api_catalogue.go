package dashboard

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// openAPIDocument is the API's OpenAPI 3.1 description.
//
//go:embed openapi.json
var openAPIDocument []byte

// apiMeta says which state of the data an answer shows.
type apiMeta struct {
	DataVersion  string  `json:"data_version"`
	LastModified string  `json:"last_modified,omitempty"`
	Count        int     `json:"count"`
	Limit        int     `json:"limit,omitempty"`
	NextCursor   *string `json:"next_cursor,omitempty"`
	// Total is how many items all pages hold (paged catalogue lists).
	Total   *int   `json:"total,omitempty"`
	Licence string `json:"licence_note"`
}

type apiList[T any] struct {
	Data  []T               `json:"data"`
	Meta  apiMeta           `json:"meta"`
	Links map[string]string `json:"links"`
}

const apiLicenceNote = "Each value is under its source's licence: see /api/v1/sources for licences, citations and redistribution. " + noteWithheld

func newMeta(st metrics.Stamp, n int) apiMeta {
	m := apiMeta{DataVersion: itoa64(st.Version), Count: n, Licence: apiLicenceNote}
	if !st.Changed.IsZero() {
		m.LastModified = st.Changed.Format(time.RFC3339)
	}
	return m
}

// writeJSONBody encodes v into a buffer first, so an encoding error never
// sends half a document.
func writeJSONBody(c echo.Context, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	c.Response().Header().Set("X-Content-Type-Options", "nosniff")
	return c.Blob(http.StatusOK, "application/json", buf.Bytes())
}

// catalogueList serves one of the catalogue lists: it takes no
// parameters but those allowed, and answers 304 to a client that holds
// this version.
func (s *Server) catalogueList(c echo.Context, build func(cat *metrics.Catalogue, st metrics.Stamp) any, allowed ...string) error {
	if p := checkParams(c.QueryParams(), allowed); p != nil {
		return p
	}
	ctx := c.Request().Context()
	st, err := s.store.Stamp(ctx)
	if err != nil {
		return err
	}
	dataHeaders(c, st)
	cat, err := s.store.Catalogue(ctx)
	if err != nil {
		return err
	}
	return writeJSONBody(c, build(cat, st))
}

// dataHeaders says how fresh an answer made from the data is: the
// response cache turns these into validators and 304s.
func dataHeaders(c echo.Context, st metrics.Stamp) {
	h := c.Response().Header()
	if !st.Changed.IsZero() {
		h.Set("Last-Modified", st.Changed.UTC().Format(http.TimeFormat))
	}
	h.Set("Cache-Control", "public, no-cache")
}

func listOf[T any](st metrics.Stamp, self string, data []T) apiList[T] {
	if data == nil {
		data = []T{}
	}
	return apiList[T]{Data: data, Meta: newMeta(st, len(data)), Links: map[string]string{"self": self}}
}

// listDocs answers a catalogue list: one document per item, built by doc.
func listDocs[T, D any](s *Server, c echo.Context, self string, items func(*metrics.Catalogue) []T, doc func(*metrics.Catalogue, T) D) error {
	return s.catalogueList(c, func(cat *metrics.Catalogue, st metrics.Stamp) any {
		var out []D
		for _, it := range items(cat) {
			out = append(out, doc(cat, it))
		}
		return listOf(st, self, out)
	})
}

// Pages of /api/v1/cities: a national deployment holds thousands of
// areas, so the list comes limit areas at a time, the programme's areas
// first. The seed's areas fit on the first page.
const (
	defaultCityLimit = 200
	maxCityLimit     = 1000
)

// listCitiesAPI lists every area: cities, and the metropolitan areas,
// agglomerations and countries values may also describe; the
// programme's areas first, then the others in catalogue order, one page
// at a time.
func (s *Server) listCitiesAPI(c echo.Context) error {
	q := c.QueryParams()
	limit, offset, p := pageParams(q, defaultCityLimit, maxCityLimit, decodeOffset)
	if p != nil {
		return p
	}
	return s.catalogueList(c, func(cat *metrics.Catalogue, st metrics.Stamp) any {
		areas := programmeFirst(cat)
		start := int(min(offset, int64(len(areas))))
		self := "/api/v1/cities"
		if len(q) > 0 {
			self += "?" + q.Encode()
		}
		out := listOf(st, self, []cityDoc(nil))
		for _, a := range areas[start:min(start+limit, len(areas))] {
			out.Data = append(out.Data, newCityDoc(cat, a))
		}
		total := len(areas)
		out.Meta.Count, out.Meta.Limit, out.Meta.Total = len(out.Data), limit, &total
		if end := start + len(out.Data); end < total {
			next := encodeOffset(int64(end))
			out.Meta.NextCursor = &next
			out.Links["next"] = "/api/v1/cities?" + withParam(url.Values{}, "limit", strconv.Itoa(limit), "cursor", next).Encode()
			c.Response().Header().Set("Link", "<"+out.Links["next"]+`>; rel="next"`)
		}
		return out
	}, "limit", "cursor")
}

// programmeFirst lists every area, those of the programme's pairs
// first (in pair order), then the others in catalogue order.
func programmeFirst(cat *metrics.Catalogue) []*metrics.Area {
	out := programmeAreas(cat)
	seen := make(map[int64]bool, len(out))
	for _, a := range out {
		seen[a.ID] = true
	}
	for _, a := range cat.Areas {
		if !seen[a.ID] {
			out = append(out, a)
		}
	}
	return out
}

// listPairsAPI lists the twin pairs with their sides.
func (s *Server) listPairsAPI(c echo.Context) error {
	return listDocs(s, c, "/api/v1/pairs", func(cat *metrics.Catalogue) []*metrics.Pair { return cat.Pairs },
		func(_ *metrics.Catalogue, p *metrics.Pair) pairDoc { return newPairDoc(p) })
}

// listIndicatorsAPI lists the indicators with their metadata.
func (s *Server) listIndicatorsAPI(c echo.Context) error {
	return listDocs(s, c, "/api/v1/indicators", func(cat *metrics.Catalogue) []*metrics.Indicator { return cat.Indicators }, newIndicatorDoc)
}

// listSourcesAPI lists every source with its licence, citation and
// whether its values may be redistributed.
func (s *Server) listSourcesAPI(c echo.Context) error {
	return listDocs(s, c, "/api/v1/sources", func(cat *metrics.Catalogue) []*metrics.Source { return cat.Sources },
		func(_ *metrics.Catalogue, src *metrics.Source) sourceDoc { return newSourceDoc(src) })
}

// listFlagsAPI lists the flags and what they mean.
func (s *Server) listFlagsAPI(c echo.Context) error {
	return listDocs(s, c, "/api/v1/flags", func(cat *metrics.Catalogue) []*metrics.Flag { return cat.Flags },
		func(_ *metrics.Catalogue, f *metrics.Flag) flagDoc { return newFlagDoc(f) })
}

// showOpenAPI serves the OpenAPI document.
func (s *Server) showOpenAPI(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, no-cache")
	return c.Blob(http.StatusOK, "application/json", s.openapi)
}

// showAPIIndex points at the API's parts and its description.
func (s *Server) showAPIIndex(c echo.Context) error {
	return writeJSONBody(c, map[string]any{
		"openapi": "/api/v1/openapi.json",
		"docs":    "/data#api",
		"endpoints": []string{"/api/v1/cities", "/api/v1/pairs", "/api/v1/indicators", "/api/v1/sources",
			"/api/v1/flags", "/api/v1/observations", "/api/v1/targets"},
	})
}

func itoa64(v int64) string { return strconv.FormatInt(v, 10) }
