package metrics

import (
	"database/sql"
	"iter"
	"slices"
	"strings"
)

// Area kinds.
const (
	KindCity          = "city"
	KindMetropolitan  = "metropolitan"
	KindAgglomeration = "agglomeration"
	KindCountry       = "country"
)

// Directions say which way an indicator improves.
const (
	LowerIsBetter  = "lower_is_better"
	HigherIsBetter = "higher_is_better"
	Neutral        = "neutral"
)

// Themes in the order the pages list them: energy and low-carbon first.
var Themes = []string{"energy", "climate", "air", "transport", "waste", "green_space", "context"}

// Area is a city or another territory a figure can be about.
type Area struct {
	ID          int64           `db:"id"`
	Slug        string          `db:"slug"`
	Name        string          `db:"name"`
	LocalName   string          `db:"local_name"`
	CountryISO3 string          `db:"country_iso3"`
	Kind        string          `db:"kind"`
	ParentID    sql.NullInt64   `db:"parent_id"`
	Latitude    sql.NullFloat64 `db:"latitude"`
	Longitude   sql.NullFloat64 `db:"longitude"`
	Boundary    string          `db:"boundary"`
	Aliases     []string        `db:"-"`
}

// DisplayName is the name with the local one beside it when they differ.
func (a Area) DisplayName() string {
	if a.LocalName != "" && a.LocalName != a.Name {
		return a.Name + " (" + a.LocalName + ")"
	}
	return a.Name
}

// Pair is a twin pair: two sides of one or more cities each.
type Pair struct {
	ID               int64   `db:"id"`
	Slug             string  `db:"slug"`
	Programme        string  `db:"programme"`
	ProgrammeCountry string  `db:"programme_country"`
	Confidence       string  `db:"confidence"`
	Evidence         string  `db:"evidence"`
	SortOrder        int     `db:"sort_order"`
	Sides            [2]Side `db:"-"`
	// Chosen is set for two areas the reader chose to compare: not a
	// programme pair, with no programme, confidence or evidence.
	Chosen bool `db:"-"`
}

// Cities iterates over the cities of both sides in pair order, with the
// side (0 or 1) each belongs to.
func (p *Pair) Cities() iter.Seq2[int, *Area] {
	return func(yield func(int, *Area) bool) {
		for si := range p.Sides {
			for i := range p.Sides[si].Cities {
				if !yield(si, &p.Sides[si].Cities[i]) {
					return
				}
			}
		}
	}
}

// Title names the pair by its sides: "Hanoi – Milan".
func (p Pair) Title() string { return p.Sides[0].Label + " – " + p.Sides[1].Label }

// Side is one side of a pair.
type Side struct {
	Label   string
	Country string
	Cities  []Area
}

// Indicator is a measured or derived quantity with a stable code.
type Indicator struct {
	ID            int64           `db:"id"`
	Code          string          `db:"code"`
	Theme         string          `db:"theme"`
	Unit          string          `db:"unit"`
	Direction     string          `db:"direction"`
	NameEN        string          `db:"name_en"`
	NameVI        string          `db:"name_vi"`
	DefinitionEN  string          `db:"definition_en"`
	DefinitionVI  string          `db:"definition_vi"`
	Standards     string          `db:"standards"`
	NumeratorID   sql.NullInt64   `db:"numerator_id"`
	DenominatorID sql.NullInt64   `db:"denominator_id"`
	Factor        sql.NullFloat64 `db:"factor"`
	ContextOfID   sql.NullInt64   `db:"context_of_id"`
	SortOrder     int             `db:"sort_order"`
	// SizeDependent marks a total that grows with the area (emissions,
	// energy, cars, road deaths): no area is "better" on it than a larger
	// or smaller one (docs/RULES.md, rule 8).
	SizeDependent bool `db:"size_dependent"`
	// PerCapitaID is the rate to compare instead of a total, if any.
	PerCapitaID sql.NullInt64 `db:"per_capita_id"`
}

// ReferenceLine is a value a series is read against: a WHO guideline
// level or interim target, an EU limit value; stored with its source.
type ReferenceLine struct {
	IndicatorID int64   `db:"indicator_id"`
	Code        string  `db:"code"`
	Kind        string  `db:"kind"` // guideline, interim_target, limit_value
	Value       float64 `db:"value"`
	LabelEN     string  `db:"label_en"`
	LabelVI     string  `db:"label_vi"`
	ShortLabel  string  `db:"short_label"`
	Source      string  `db:"source"`
	SourceURL   string  `db:"source_url"`
}

// Derived reports whether the indicator is computed from two others.
func (i Indicator) Derived() bool { return i.NumeratorID.Valid }

// UnitLabel is the unit as readers see it.
func (i Indicator) UnitLabel() string { return UnitLabel(i.Unit) }

// StandardList splits the standard references.
func (i Indicator) StandardList() []string { return splitList(i.Standards) }

// Source is a dataset or publication that values come from.
type Source struct {
	ID           int64  `db:"id"`
	Code         string `db:"code"`
	Title        string `db:"title"`
	ShortTitle   string `db:"short_title"`
	Publisher    string `db:"publisher"`
	URL          string `db:"url"`
	Vintage      string `db:"vintage"`
	Licence      string `db:"licence"`
	LicenceURL   string `db:"licence_url"`
	Terms        string `db:"terms"`
	Citation     string `db:"citation"`
	SelfReported bool   `db:"self_reported"`
	Preferred    bool   `db:"preferred"`
	// Redistribution is permitted, not_permitted or unknown; the note
	// says why.
	Redistribution     string `db:"redistribution"`
	RedistributionNote string `db:"redistribution_note"`
	// Kind is reported (by the city), official (statistics) or
	// modelled (one method for every city).
	Kind string `db:"kind"`
}

// Modelled reports whether the source's values are modelled estimates.
func (s Source) Modelled() bool { return s.Kind == SourceModelled }

// Withheld reports whether the source's values are left out of
// downloads and the API because its terms reserve the rights.
func (s Source) Withheld() bool { return s.Redistribution == RedistributionNotPermitted }

// Flag is one word of the closed vocabulary shown next to values.
type Flag struct {
	Code          string `db:"code"`
	NameEN        string `db:"name_en"`
	NameVI        string `db:"name_vi"`
	DescriptionEN string `db:"description_en"`
	DescriptionVI string `db:"description_vi"`
}

// Observation is one stored value with its provenance. For a derived
// value, Source is empty and Numerator/Denominator name its components.
type Observation struct {
	ID            int64           `db:"id"`
	AreaID        int64           `db:"area_id"`
	IndicatorID   int64           `db:"indicator_id"`
	Year          sql.NullInt64   `db:"year"`
	Value         sql.NullFloat64 `db:"value"`
	ValueAsGiven  string          `db:"value_as_given"`
	UnitAsGiven   string          `db:"unit_as_given"`
	SourceID      sql.NullInt64   `db:"source_id"`
	Flags         string          `db:"flags"`
	FlagsAsGiven  string          `db:"flags_as_given"`
	Note          string          `db:"note"`
	Locator       string          `db:"locator"`
	SourceURL     string          `db:"source_url"`
	UploadID      sql.NullInt64   `db:"upload_id"`
	NumeratorID   sql.NullInt64   `db:"numerator_id"`
	DenominatorID sql.NullInt64   `db:"denominator_id"`

	// Joined for display.
	SourceCode    sql.NullString `db:"source_code"`
	SourceTitle   sql.NullString `db:"source_title"`
	SourceVintage sql.NullString `db:"source_vintage"`
	SourcePref    sql.NullBool   `db:"source_preferred"`
	SourceKind    sql.NullString `db:"source_kind"`

	// Hidden is set, on a value read at a pinned version, when the
	// headline rule passed over it at that version; the current pages
	// read it unset and let the rule choose.
	Hidden bool `db:"hidden"`

	// MedianOf is, for a programme median, how many cities' values it
	// is the median of; zero for a stored value.
	MedianOf int `db:"-"`
}

// Modelled reports whether the value is a modelled estimate (its
// source, or its numerator's, is of kind modelled).
func (o Observation) Modelled() bool { return o.SourceKind.String == SourceModelled }

// FlagList splits the stored flag codes.
func (o Observation) FlagList() []string { return strings.Fields(o.Flags) }

// HasFlag reports whether the observation carries flag code f.
func (o Observation) HasFlag(f string) bool { return slices.Contains(o.FlagList(), f) }

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, "|") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
