package dashboard

import (
	"strconv"
	"strings"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// The catalogue tables that travel with the data in the workbook and the
// data package: what the codes in the observations mean.

var cityColumns = []string{"code", "name", "local_name", "aliases", "country", "kind", "parent_code", "latitude", "longitude", "boundary"}

func cityRecords(cat *metrics.Catalogue) [][]string {
	var out [][]string
	for _, a := range cat.Areas {
		parent, lat, lon := "", "", ""
		if a.ParentID.Valid {
			if p := cat.AreaByID(a.ParentID.Int64); p != nil {
				parent = p.Slug
			}
		}
		if a.Latitude.Valid && a.Longitude.Valid {
			lat, lon = metrics.FormatPlain(a.Latitude.Float64), metrics.FormatPlain(a.Longitude.Float64)
		}
		out = append(out, []string{a.Slug, a.Name, a.LocalName, strings.Join(a.Aliases, "|"), a.CountryISO3, a.Kind, parent, lat, lon, a.Boundary})
	}
	return out
}

var indicatorColumns = []string{"code", "theme", "unit", "unit_label", "direction", "name_en", "name_vi", "definition_en", "standards", "numerator_code", "denominator_code", "factor", "context_of"}

func indicatorRecords(cat *metrics.Catalogue) [][]string {
	var out [][]string
	for _, i := range cat.Indicators {
		d := newIndicatorDoc(cat, i)
		str := func(p *string) string {
			if p == nil {
				return ""
			}
			return *p
		}
		factor := ""
		if d.Factor != nil {
			factor = metrics.FormatPlain(*d.Factor)
		}
		out = append(out, []string{i.Code, i.Theme, i.Unit, i.UnitLabel(), i.Direction, i.NameEN, i.NameVI, i.DefinitionEN,
			strings.Join(d.Standards, "|"), str(d.Numerator), str(d.Denominator), factor, str(d.ContextOf)})
	}
	return out
}

var sourceColumns = []string{"code", "title", "publisher", "url", "vintage", "licence", "licence_url", "terms", "citation", "self_reported", "redistribution", "redistribution_note"}

func sourceRecords(srcs []sourceDoc) [][]string {
	var out [][]string
	for _, s := range srcs {
		out = append(out, []string{s.Code, s.Title, s.Publisher, s.URL, s.Vintage, s.Licence, s.LicenceURL, s.Terms, s.Citation,
			strconv.FormatBool(s.SelfReported), s.Redistribution, s.RedistributionNote})
	}
	return out
}

var flagColumns = []string{"code", "name_en", "name_vi", "description_en"}

func flagRecords(cat *metrics.Catalogue) [][]string {
	var out [][]string
	for _, f := range cat.Flags {
		out = append(out, []string{f.Code, f.NameEN, f.NameVI, f.DescriptionEN})
	}
	return out
}
