package dashboard

import (
	"net/url"
	"strings"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// downloadLinks offer the data behind a page in every format.
type downloadLinks struct {
	What  string // "the data behind this page", in the reader's language
	Query url.Values
	Links []downloadLink
	API   string
}

type downloadLink struct {
	Format, Name, URL string
}

// newDownloadLinks offers the selection q; what is the message key that
// says what it holds. A format's name is translated where a
// "download.format.<code>" message exists ("Data package (ZIP)"); names
// such as CSV and JSON are the same in every language.
func newDownloadLinks(loc Locale, what string, q url.Values) *downloadLinks {
	d := &downloadLinks{What: loc.T(what), Query: q, API: "/api/v1/observations?" + q.Encode()}
	for _, f := range downloadFormats {
		name := f.Name
		if t, ok := loc.lookup("download.format." + f.Code); ok {
			name = t
		}
		d.Links = append(d.Links, downloadLink{Format: f.Code, Name: name, URL: "/data/download?" + withFormat(q, f.Code).Encode()})
	}
	return d
}

// at pins the links to a data version: each download holds the values
// of that version.
func (d *downloadLinks) at(version int64) {
	q := withVersionParam(d.Query, version)
	d.Query = q
	d.API = "/api/v1/observations?" + q.Encode()
	for i := range d.Links {
		d.Links[i].URL = "/data/download?" + withFormat(q, d.Links[i].Format).Encode()
	}
}

// pairDownload is what a pair page shows: every value of the pair's
// cities, their linked areas and their countries (the context lines).
func pairDownload(loc Locale, slug string) *downloadLinks {
	return newDownloadLinks(loc, "download.what_pair", url.Values{"pair": {slug}, "shown": {"1"}})
}

// cityDownload is what a city page shows: the area's values and those of
// the areas linked to it.
func cityDownload(loc Locale, a *metrics.Area, linked []*metrics.Area) *downloadLinks {
	slugs := []string{a.Slug}
	for _, l := range linked {
		slugs = append(slugs, l.Slug)
	}
	return newDownloadLinks(loc, "download.what_city", url.Values{"city": {strings.Join(slugs, ",")}, "shown": {"1"}})
}

// indicatorDownload is what an indicator page shows: every area's values.
func indicatorDownload(loc Locale, code string) *downloadLinks {
	return newDownloadLinks(loc, "download.what_indicator", url.Values{"indicator": {code}, "shown": {"1"}})
}
