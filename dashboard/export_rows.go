package dashboard

import (
	"strconv"
	"strings"
	"time"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// guardFormula keeps text from becoming a live formula when a CSV file
// is opened in a spreadsheet: text that begins with = + - @, a tab or a
// carriage return gets a leading apostrophe. Text that already begins
// with an apostrophe gets one more, so that removing one leading
// apostrophe from a field that begins with one always restores the
// stored text.
//
// A plain decimal number ("-34.9", "1e-3") is left alone: a spreadsheet
// reads it as the number it is, and the data package types it so.
func guardFormula(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r', '\'':
		if !plainNumber(s) {
			return "'" + s
		}
	}
	return s
}

// plainNumber reports whether s is a signed decimal number with an
// optional fraction and exponent, and nothing else.
func plainNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - j
	}
	if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '-' || s[i] == '+') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// exportRow is one observation resolved against the catalogue: the text
// of every column, unguarded. Withheld values are blank.
type exportRow struct {
	ID             int64
	Source         *metrics.Source // nil for a derived value
	City           *metrics.Area
	Indicator      *metrics.Indicator
	Year           string
	Value          string
	ValueAsGiven   string
	UnitAsGiven    string
	SourceCode     string
	SourceTitle    string
	SourceLicence  string
	SourceCitation string
	Flags          string
	FlagMeanings   string
	Note           string
	Numerator      string
	Denominator    string
	Withheld       bool
	src            *metrics.ExportRow // the typed numbers, for XLSX
	version        string
}

// exportContext resolves rows against one catalogue and remembers which
// sources a download used, for its provenance.
type exportContext struct {
	cat      *metrics.Catalogue
	stamp    metrics.Stamp
	version  string
	meanings map[string]string
	used     map[int64]bool
	withheld map[int64]int // source id → values withheld
	rows     int
}

func newExportContext(cat *metrics.Catalogue, st metrics.Stamp) *exportContext {
	return &exportContext{
		cat: cat, stamp: st, version: strconv.FormatInt(st.Version, 10),
		meanings: map[string]string{}, used: map[int64]bool{}, withheld: map[int64]int{},
	}
}

// flagMeanings spells out the flag codes of a value: "estimated: The
// producer marks …". Cached per distinct combination.
func (x *exportContext) flagMeanings(flags string) string {
	if flags == "" {
		return ""
	}
	if m, ok := x.meanings[flags]; ok {
		return m
	}
	var parts []string
	for _, f := range strings.Fields(flags) {
		if fl := x.cat.Flag(f); fl != nil {
			parts = append(parts, f+": "+fl.NameEN+". "+fl.DescriptionEN)
		} else {
			parts = append(parts, f)
		}
	}
	m := strings.Join(parts, " | ")
	x.meanings[flags] = m
	return m
}

// resolve fills out from r. It reports false for a row whose area or
// indicator the catalogue does not know (a concurrent change).
func (x *exportContext) resolve(r *metrics.ExportRow, out *exportRow) bool {
	city, ind := x.cat.AreaByID(r.AreaID), x.cat.IndicatorByID(r.IndicatorID)
	if city == nil || ind == nil {
		return false
	}
	*out = exportRow{ID: r.ID, City: city, Indicator: ind, Flags: r.Flags, FlagMeanings: x.flagMeanings(r.Flags), src: r, version: x.version}
	x.rows++
	if r.Year.Valid {
		out.Year = strconv.FormatInt(r.Year.Int64, 10)
	}
	if r.SourceID.Valid {
		x.used[r.SourceID.Int64] = true
		if src := x.cat.Source(r.SourceID.Int64); src != nil {
			out.Source = src
			out.SourceCode, out.SourceTitle, out.SourceLicence, out.SourceCitation = src.Code, src.Title, src.Licence, src.Citation
		}
	}
	if r.Derived() {
		out.Numerator = strconv.FormatInt(r.NumeratorID.Int64, 10)
		out.Denominator = strconv.FormatInt(r.DenominatorID.Int64, 10)
		var titles, licences, cites []string
		for _, id := range []int64{r.NumeratorSourceID.Int64, r.DenominatorSourceID.Int64} {
			x.used[id] = true
			if src := x.cat.Source(id); src != nil {
				titles = append(titles, src.Code)
				licences = append(licences, src.Code+": "+src.Licence)
				cites = append(cites, src.Citation)
			}
		}
		out.SourceTitle = "Computed by twinmetrics from observations " + out.Numerator + " and " + out.Denominator + " (" + strings.Join(titles, " / ") + ")"
		out.SourceLicence = strings.Join(licences, "; ")
		out.SourceCitation = strings.Join(cites, " ")
	}
	if src := x.cat.WithheldBy(r); src != nil {
		out.Withheld = true
		x.withheld[src.ID]++
		out.Note = "Value withheld: " + src.RedistributionNote
		return true
	}
	if r.Value.Valid {
		out.Value = metrics.FormatPlain(r.Value.Float64)
	}
	out.ValueAsGiven, out.UnitAsGiven, out.Note = r.ValueAsGiven, r.UnitAsGiven, r.Note
	return true
}

// usedSources are the sources a download's values came from, in the
// catalogue's order.
func (x *exportContext) usedSources() []*metrics.Source {
	var out []*metrics.Source
	for _, s := range x.cat.Sources {
		if x.used[s.ID] {
			out = append(out, s)
		}
	}
	return out
}

// provenance is what every download says about itself.
type provenance struct {
	Title          string           `json:"title"`
	DatasetVersion string           `json:"dataset_version"`
	LastModified   string           `json:"last_modified,omitempty"`
	Selection      string           `json:"selection"`
	URL            string           `json:"url"`
	Citation       string           `json:"citation"`
	Rows           int              `json:"rows"`
	Notes          []string         `json:"notes"`
	Sources        []sourceDoc      `json:"sources"`
	Flags          []flagDoc        `json:"flags"`
	Withheld       []withheldSource `json:"withheld"`
}

type withheldSource struct {
	Source string `json:"source"`
	Values int    `json:"values"`
	Reason string `json:"reason"`
}

// Notes every download carries.
const (
	noteWithheld = "Values of sources whose terms do not permit redistribution are listed with their source but without the value (withheld = true); the note says why and where to get them."
	noteDerived  = "Per-capita values are computed by twinmetrics from two stored observations of the same area (numerator_id, denominator_id); their source columns name both components' sources. They are rounded to the precision of their inputs: as many significant digits as the less precise component has (at least 3)."
	noteFormula  = "In CSV files, text that begins with =, +, -, @, a tab, a carriage return or an apostrophe starts with one extra apostrophe so that spreadsheets do not run it as a formula (plain numbers such as -34.9 are left as they are); remove one leading apostrophe to get the stored text."
	noteChoice   = "Every stored value is included, also where one area has several values for one indicator and year (two sources or vintages); the pages show one of them by the headline rule described at /about."
)

func (x *exportContext) provenance(selection, url string) provenance {
	p := provenance{
		Title:          "twinmetrics: sustainable-urban indicators of twinned cities",
		DatasetVersion: x.version,
		Selection:      selection,
		URL:            url,
		Rows:           x.rows,
		Notes:          []string{noteWithheld, noteDerived, noteFormula, noteChoice},
		Withheld:       []withheldSource{},
	}
	changed := ""
	if !x.stamp.Changed.IsZero() {
		p.LastModified = x.stamp.Changed.Format(time.RFC3339)
		changed = ", last changed " + x.stamp.Changed.Format("2006-01-02")
	}
	p.Citation = "twinmetrics, sustainable-urban indicators of twinned cities, data version " + x.version + changed + ", " + url +
		". Cite each source of the values you use as given in sources."
	for _, s := range x.usedSources() {
		p.Sources = append(p.Sources, newSourceDoc(s))
		if n := x.withheld[s.ID]; n > 0 {
			p.Withheld = append(p.Withheld, withheldSource{Source: s.Code, Values: n, Reason: s.RedistributionNote})
		}
	}
	if p.Sources == nil {
		p.Sources = []sourceDoc{}
	}
	for _, f := range x.cat.Flags {
		p.Flags = append(p.Flags, newFlagDoc(f))
	}
	return p
}
