package dashboard

import (
	"github.com/twinmetrics/twinmetrics/metrics"
)

// The API's JSON documents. Field names are the API's contract and are
// described in openapi.json; keep the two in step.

type cityDoc struct {
	Code      string   `json:"code"`
	Name      string   `json:"name"`
	LocalName string   `json:"local_name"`
	Aliases   []string `json:"aliases"`
	Country   string   `json:"country"`
	Kind      string   `json:"kind"`
	Parent    *string  `json:"parent"`
	Latitude  *float64 `json:"latitude"`
	Longitude *float64 `json:"longitude"`
	Boundary  string   `json:"boundary"`
	URL       string   `json:"url"`
}

func newCityDoc(cat *metrics.Catalogue, a *metrics.Area) cityDoc {
	d := cityDoc{Code: a.Slug, Name: a.Name, LocalName: a.LocalName, Aliases: a.Aliases, Country: a.CountryISO3,
		Kind: a.Kind, Boundary: a.Boundary, URL: "/cities/" + a.Slug}
	if d.Aliases == nil {
		d.Aliases = []string{}
	}
	if a.ParentID.Valid {
		if p := cat.AreaByID(a.ParentID.Int64); p != nil {
			d.Parent = &p.Slug
		}
	}
	if a.Latitude.Valid && a.Longitude.Valid {
		lat, lon := a.Latitude.Float64, a.Longitude.Float64
		d.Latitude, d.Longitude = &lat, &lon
	}
	return d
}

type pairSideDoc struct {
	Side    int      `json:"side"`
	Label   string   `json:"label"`
	Country string   `json:"country"`
	Cities  []string `json:"cities"`
}

type pairDoc struct {
	Code             string        `json:"code"`
	Title            string        `json:"title"`
	Programme        string        `json:"programme"`
	ProgrammeCountry string        `json:"programme_country"`
	Confidence       string        `json:"confidence"`
	Evidence         string        `json:"evidence"`
	Sides            []pairSideDoc `json:"sides"`
	URL              string        `json:"url"`
}

func newPairDoc(p *metrics.Pair) pairDoc {
	d := pairDoc{Code: p.Slug, Title: p.Title(), Programme: p.Programme, ProgrammeCountry: p.ProgrammeCountry,
		Confidence: p.Confidence, Evidence: p.Evidence, URL: "/pairs/" + p.Slug}
	for i, sd := range p.Sides {
		s := pairSideDoc{Side: i + 1, Label: sd.Label, Country: sd.Country, Cities: []string{}}
		for _, c := range sd.Cities {
			s.Cities = append(s.Cities, c.Slug)
		}
		d.Sides = append(d.Sides, s)
	}
	return d
}

type indicatorDoc struct {
	Code         string   `json:"code"`
	Theme        string   `json:"theme"`
	Unit         string   `json:"unit"`
	UnitLabel    string   `json:"unit_label"`
	Direction    string   `json:"direction"`
	NameEN       string   `json:"name_en"`
	NameVI       string   `json:"name_vi"`
	DefinitionEN string   `json:"definition_en"`
	DefinitionVI string   `json:"definition_vi"`
	Standards    []string `json:"standards"`
	Derived      bool     `json:"derived"`
	Numerator    *string  `json:"numerator"`
	Denominator  *string  `json:"denominator"`
	Factor       *float64 `json:"factor"`
	ContextOf    *string  `json:"context_of"`
	// SizeDependent marks a total, compared between areas only per
	// capita (PerCapita names that rate, if any).
	SizeDependent bool    `json:"size_dependent"`
	PerCapita     *string `json:"per_capita"`
	URL           string  `json:"url"`
}

func newIndicatorDoc(cat *metrics.Catalogue, i *metrics.Indicator) indicatorDoc {
	d := indicatorDoc{Code: i.Code, Theme: i.Theme, Unit: i.Unit, UnitLabel: i.UnitLabel(), Direction: i.Direction,
		NameEN: i.NameEN, NameVI: i.NameVI, DefinitionEN: i.DefinitionEN, DefinitionVI: i.DefinitionVI,
		Standards: i.StandardList(), Derived: i.Derived(), SizeDependent: i.SizeDependent, URL: "/indicators/" + i.Code}
	if pc := cat.PerCapita(i); pc != nil {
		d.PerCapita = &pc.Code
	}
	if d.Standards == nil {
		d.Standards = []string{}
	}
	code := func(id int64) *string {
		if o := cat.IndicatorByID(id); o != nil {
			return &o.Code
		}
		return nil
	}
	if i.Derived() {
		d.Numerator, d.Denominator = code(i.NumeratorID.Int64), code(i.DenominatorID.Int64)
		f := 1.0
		if i.Factor.Valid {
			f = i.Factor.Float64
		}
		d.Factor = &f
	}
	if i.ContextOfID.Valid {
		d.ContextOf = code(i.ContextOfID.Int64)
	}
	return d
}

type sourceDoc struct {
	Code               string `json:"code"`
	Title              string `json:"title"`
	ShortTitle         string `json:"short_title"`
	Publisher          string `json:"publisher"`
	URL                string `json:"url"`
	Vintage            string `json:"vintage"`
	Licence            string `json:"licence"`
	LicenceURL         string `json:"licence_url"`
	Terms              string `json:"terms"`
	Citation           string `json:"citation"`
	SelfReported       bool   `json:"self_reported"`
	Preferred          bool   `json:"preferred"`
	Redistribution     string `json:"redistribution"`
	RedistributionNote string `json:"redistribution_note"`
	// Kind is reported, official or modelled.
	Kind string `json:"kind"`
}

func newSourceDoc(s *metrics.Source) sourceDoc {
	return sourceDoc{Code: s.Code, Title: s.Title, ShortTitle: s.ShortTitle, Publisher: s.Publisher, URL: s.URL,
		Vintage: s.Vintage, Licence: s.Licence, LicenceURL: s.LicenceURL, Terms: s.Terms, Citation: s.Citation,
		SelfReported: s.SelfReported, Preferred: s.Preferred, Redistribution: s.Redistribution, RedistributionNote: s.RedistributionNote, Kind: s.Kind}
}

type flagDoc struct {
	Code          string `json:"code"`
	NameEN        string `json:"name_en"`
	NameVI        string `json:"name_vi"`
	DescriptionEN string `json:"description_en"`
	DescriptionVI string `json:"description_vi"`
}

func newFlagDoc(f *metrics.Flag) flagDoc {
	return flagDoc{Code: f.Code, NameEN: f.NameEN, NameVI: f.NameVI, DescriptionEN: f.DescriptionEN, DescriptionVI: f.DescriptionVI}
}

// observationDoc is one observation in the API and the JSON download.
// Value is null when the source printed text (value_as_given), and when
// the value is withheld.
type observationDoc struct {
	ID            int64        `json:"id"`
	City          string       `json:"city"`
	CityName      string       `json:"city_name"`
	Country       string       `json:"country"`
	AreaKind      string       `json:"area_kind"`
	Indicator     string       `json:"indicator"`
	IndicatorName string       `json:"indicator_name"`
	Theme         string       `json:"theme"`
	Year          *int64       `json:"year"`
	Value         *float64     `json:"value"`
	Unit          string       `json:"unit"`
	UnitLabel     string       `json:"unit_label"`
	ValueAsGiven  string       `json:"value_as_given"`
	UnitAsGiven   string       `json:"unit_as_given"`
	Source        *string      `json:"source"`
	Computed      *computedDoc `json:"computed"`
	Flags         []string     `json:"flags"`
	Note          string       `json:"note"`
	Withheld      bool         `json:"withheld"`
	// SourceKind is the kind of the value's source (for a computed
	// value, its numerator's): reported, official or modelled; Modelled
	// says the value is a modelled estimate.
	SourceKind string `json:"source_kind"`
	Modelled   bool   `json:"modelled"`
}

// computedDoc names a derived value's components.
type computedDoc struct {
	Numerator         int64  `json:"numerator"`
	Denominator       int64  `json:"denominator"`
	NumeratorSource   string `json:"numerator_source"`
	DenominatorSource string `json:"denominator_source"`
}

func (x *exportContext) observationDoc(r *metrics.ExportRow, row *exportRow) observationDoc {
	d := observationDoc{ID: row.ID, City: row.City.Slug, CityName: row.City.Name, Country: row.City.CountryISO3,
		AreaKind: row.City.Kind, Indicator: row.Indicator.Code, IndicatorName: row.Indicator.NameEN, Theme: row.Indicator.Theme,
		Unit: row.Indicator.Unit, UnitLabel: row.Indicator.UnitLabel(), ValueAsGiven: row.ValueAsGiven, UnitAsGiven: row.UnitAsGiven,
		Flags: metrics.Observation{Flags: row.Flags}.FlagList(), Note: row.Note, Withheld: row.Withheld,
		SourceKind: row.SourceKind, Modelled: row.SourceKind == metrics.SourceModelled}
	if d.Flags == nil {
		d.Flags = []string{}
	}
	d.Year = metrics.IntOrNil(r.Year)
	if r.Value.Valid && !row.Withheld {
		v := r.Value.Float64
		d.Value = &v
	}
	if row.Source != nil {
		d.Source = &row.Source.Code
	}
	if r.Derived() {
		c := &computedDoc{Numerator: r.NumeratorID.Int64, Denominator: r.DenominatorID.Int64}
		if s := x.cat.Source(r.NumeratorSourceID.Int64); s != nil {
			c.NumeratorSource = s.Code
		}
		if s := x.cat.Source(r.DenominatorSourceID.Int64); s != nil {
			c.DenominatorSource = s.Code
		}
		d.Computed = c
	}
	return d
}
