package dashboard

import (
	"net/url"
	"strings"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// downloadLinks offer the data behind a page in every format.
type downloadLinks struct {
	What  string // "the data behind this page"
	Query url.Values
	Links []downloadLink
	API   string
}

type downloadLink struct {
	Format, Name, URL string
}

func newDownloadLinks(what string, q url.Values) *downloadLinks {
	d := &downloadLinks{What: what, Query: q, API: "/api/v1/observations?" + q.Encode()}
	for _, f := range downloadFormats {
		d.Links = append(d.Links, downloadLink{Format: f.Code, Name: f.Name, URL: "/data/download?" + withFormat(q, f.Code).Encode()})
	}
	return d
}

// pairDownload is what a pair page shows: every value of the pair's
// cities, their linked areas and their countries (the context lines).
func pairDownload(slug string) *downloadLinks {
	return newDownloadLinks("every value of this pair's cities, their linked areas and countries", url.Values{"pair": {slug}})
}

// cityDownload is what a city page shows: the area's values and those of
// the areas linked to it.
func cityDownload(a *metrics.Area, linked []*metrics.Area) *downloadLinks {
	slugs := []string{a.Slug}
	for _, l := range linked {
		slugs = append(slugs, l.Slug)
	}
	return newDownloadLinks("every value of this area and the areas linked to it", url.Values{"city": {strings.Join(slugs, ",")}})
}

// indicatorDownload is what an indicator page shows: every area's values.
func indicatorDownload(code string) *downloadLinks {
	return newDownloadLinks("every area's values of this indicator", url.Values{"indicator": {code}})
}
