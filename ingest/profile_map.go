package ingest

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// Skips counts the values a profile read but left out, and why. None
// of them is an error: an area the catalogue does not know is simply
// not ours to import.
type Skips struct {
	NotInCatalogue int            `json:"not_in_catalogue"`
	NotMapped      int            `json:"indicator_not_mapped"`
	NoValue        int            `json:"no_value"`
	Filtered       map[string]int `json:"filtered,omitempty"`
	// Areas lists the names not in the catalogue, most values first.
	Areas []SkippedArea `json:"areas,omitempty"`
	// Proposals are names close to a catalogue area of the same
	// country, for an admin to accept as aliases.
	Proposals []AliasProposal `json:"alias_proposals,omitempty"`
	// NotMappedCodes lists indicator codes as printed that the profile's
	// crosswalk does not name.
	NotMappedCodes []string `json:"not_mapped_codes,omitempty"`
}

// Total is the number of values skipped for any reason.
func (s *Skips) Total() int {
	if s == nil {
		return 0
	}
	n := s.NotInCatalogue + s.NotMapped
	for _, v := range s.Filtered {
		n += v
	}
	return n
}

// SkippedArea is a place the catalogue does not know.
type SkippedArea struct {
	Name      string `json:"name"`
	Country   string `json:"country,omitempty"`
	Values    int    `json:"values"`
	FirstLine int    `json:"first_line"`
}

// AliasProposal proposes Name (as printed) as an alias of the area Slug.
type AliasProposal struct {
	Name     string `json:"name"`
	Country  string `json:"country,omitempty"`
	Slug     string `json:"area"`
	AreaName string `json:"area_name"`
	Values   int    `json:"values"`
}

// maxSkippedAreas bounds the list kept in a preview (the WHO file has
// about 6,700 places; all fit).
const maxSkippedAreas = 20000

// slot is one value a row can hold: a measure, a year column, or the
// value column of a long layout.
type slot struct {
	col       int
	colName   string
	indicator string // constant; empty: from the indicator column
	unit      string
	scale     float64
	year      int // fixed (wide_by_year); 0: from yearSpec
	yearSpec  *YearSpec
	yearCol   int
	yearName  string
	flags     *flagRules
	note      *noteTmpl
}

type flagRules struct {
	adjacent bool
	col      int
	cmap     map[string]string
	rules    []resolvedRule
}

type resolvedRule struct {
	FlagRule
	col int
}

type noteTmpl struct {
	parts []notePart
}

type notePart struct {
	text  string
	col   int // -1: text only
	label string
}

type filterRes struct {
	col  int
	spec FilterSpec
	re   *regexp.Regexp
	drop map[string]bool
	keep map[string]bool
}

type areaKey struct{ name, country string }

// foldedArea is a catalogue area with its names folded once, for
// proposals.
type foldedArea struct {
	a        *metrics.Area
	names    []string
	stripped []string
	runes    []int // each name's length in runes
}

type areaPick struct {
	slug    string
	printed string
	skip    bool // not in the catalogue
	drop    bool // the profile's codes map it to ""
	country string
}

// profileMapper turns the rows of a file read with a profile into the
// template's fields, for the same check as a template upload.
type profileMapper struct {
	p     *Profile
	ck    *checker
	cat   *metrics.Catalogue
	h     profileHeader
	slots []slot

	areaCols   []int
	areaNames  []string
	countryCol int
	orgCol     int
	indCol     int
	indName    string
	unitCol    int
	unitName   string
	srcCol     int
	srcName    string
	convRe     *regexp.Regexp
	notAValue  map[string]bool
	filters    []filterRes
	codes      map[string]string
	countries  map[string]string // folded country name or code → ISO3
	isoHasArea map[string]bool

	// cellText is the indicator as the sheet's indicator cell names it.
	cellText string

	folded []foldedArea

	areaCache map[areaKey]areaPick
	skipped   map[areaKey]*SkippedArea
	notMapped map[string]bool
	skips     Skips
}

var tmplHeader = func() header {
	h := header{idx: map[string]int{}, names: templateColumns, comma: ','}
	for i, c := range templateColumns {
		h.idx[c] = i
	}
	return h
}()

// newProfileMapper resolves a profile's columns against the file's
// header and its codes against the catalogue. A column the profile
// needs that the file lacks, or a code the catalogue does not have, is
// a file error naming the key.
func newProfileMapper(p *Profile, ps *profileSource, ck *checker, cat *metrics.Catalogue) (*profileMapper, *FileError) {
	h := ps.header
	m := &profileMapper{p: p, ck: ck, cat: cat, h: h, countryCol: -1, orgCol: -1, indCol: -1, unitCol: -1, srcCol: -1,
		notAValue: map[string]bool{}, codes: map[string]string{}, countries: map[string]string{}, isoHasArea: map[string]bool{},
		areaCache: map[areaKey]areaPick{}, skipped: map[areaKey]*SkippedArea{}, notMapped: map[string]bool{}, skips: Skips{Filtered: map[string]int{}}}
	if ferr := m.checkCatalogue(); ferr != nil {
		return nil, ferr
	}
	m.cellText = ps.indicatorText
	ck.keepRepeats = p.Repeats == "keep"
	if p.Indicator != nil && p.Indicator.Cell != "" && m.cellText == "" {
		return nil, fileErr("profile_cell", fileProfileCell.With(p.Indicator.Cell, ps.sheet, p.Name), fileHintProfileUpload.With())
	}
	if ferr := m.findColumns(); ferr != nil {
		return nil, ferr
	}
	base, ferr := m.baseSlot()
	if ferr != nil {
		return nil, ferr
	}
	if ferr := m.addSlots(base); ferr != nil {
		return nil, ferr
	}
	m.readCountries()
	return m, nil
}

// need is the index of the column c names in the header, -1 when the
// profile names none; key is the profile's key that names it, for the
// error when the file lacks it.
func (m *profileMapper) need(c Column, key string) (int, *FileError) {
	if c == nil {
		return -1, nil
	}
	i, ok := m.h.find(c)
	if !ok {
		names := strings.Join(quoteAll(c), " or ")
		return -1, fileErr("profile_column", fileProfileColumn.With(names, m.p.Name, key), fileHintProfileUpload.With())
	}
	return i, nil
}

// findColumns finds the columns of the area, indicator, unit, source and
// filters in the header, and reads the value markers.
func (m *profileMapper) findColumns() *FileError {
	p, h := m.p, m.h
	var ferr *FileError
	for k, c := range p.Area.Columns {
		i, fe := m.need(c, fmt.Sprintf("area.columns[%d]", k))
		if fe != nil {
			return fe
		}
		m.areaCols = append(m.areaCols, i)
		m.areaNames = append(m.areaNames, h.names[i])
	}
	if m.orgCol, ferr = m.need(p.Area.OrganisationColumn, "area.organisation_column"); ferr != nil {
		return ferr
	}
	if m.countryCol, ferr = m.need(p.Area.CountryColumn, "area.country_column"); ferr != nil {
		return ferr
	}
	for k, v := range p.Area.Codes {
		m.codes[strings.TrimSpace(k)] = v
	}
	if p.Indicator != nil && p.Indicator.Column != nil {
		if m.indCol, ferr = m.need(p.Indicator.Column, "indicator.column"); ferr != nil {
			return ferr
		}
		m.indName = h.names[m.indCol]
	}
	if p.Unit != nil && p.Unit.Column != nil {
		if i, ok := h.find(p.Unit.Column); ok {
			m.unitCol, m.unitName = i, h.names[i]
		} else if !p.Unit.FromIndicator {
			return m.missing(p.Unit.Column, "unit.column")
		}
	}
	if p.Source.Column != nil {
		if m.srcCol, ferr = m.need(p.Source.Column, "source.column"); ferr != nil {
			return ferr
		}
		m.srcName = h.names[m.srcCol]
	}
	if p.Value.ConvertedMarker != "" {
		m.convRe = regexp.MustCompile(p.Value.ConvertedMarker)
	}
	for _, s := range p.Value.NotAValue {
		m.notAValue[strings.TrimSpace(s)] = true
	}
	for k, f := range p.Filters {
		fr := filterRes{spec: f, drop: map[string]bool{}, keep: map[string]bool{}}
		if fr.col, ferr = m.need(f.Column, fmt.Sprintf("filters[%d].column", k)); ferr != nil {
			return ferr
		}
		for _, d := range f.Drop {
			fr.drop[strings.ToLower(strings.TrimSpace(d))] = true
		}
		for _, d := range f.Keep {
			fr.keep[strings.ToLower(strings.TrimSpace(d))] = true
		}
		if f.DropMatching != "" {
			fr.re = regexp.MustCompile(f.DropMatching)
		}
		m.filters = append(m.filters, fr)
	}
	return nil
}

// baseSlot is what every value column shares unless its measure says
// otherwise: unit, scale, flags, note, indicator and year.
func (m *profileMapper) baseSlot() (slot, *FileError) {
	p, h := m.p, m.h
	unit := ""
	if p.Unit != nil {
		unit = p.Unit.Constant
	}
	scale := p.Value.Scale
	if scale == 0 {
		scale = 1
	}
	flags, ferr := m.resolveFlags(p.Flags, "flags")
	if ferr != nil {
		return slot{}, ferr
	}
	note, ferr := m.resolveNote(p.Note, "note")
	if ferr != nil {
		return slot{}, ferr
	}
	base := slot{unit: unit, scale: scale, yearSpec: p.Year, yearCol: -1, flags: flags, note: note}
	if p.Indicator != nil {
		base.indicator = p.Indicator.Constant
	}
	if p.Year != nil && p.Year.Column != nil {
		if base.yearCol, ferr = m.need(p.Year.Column, "year.column"); ferr != nil {
			return slot{}, ferr
		}
		base.yearName = h.names[base.yearCol]
	}
	return base, nil
}

// addSlots adds the value columns of the layout, each with what it
// reads: one in a long layout, one a year column in a wide_by_year
// layout, one a measure otherwise.
func (m *profileMapper) addSlots(base slot) *FileError {
	p, h := m.p, m.h
	var ferr *FileError
	switch p.Layout.Kind {
	case LayoutLong:
		s := base
		if s.col, ferr = m.need(p.Value.Column, "value.column"); ferr != nil {
			return ferr
		}
		s.colName = h.names[s.col]
		m.slots = append(m.slots, s)
	case LayoutWideByYear:
		re := regexp.MustCompile(p.Layout.YearColumns)
		for i, n := range h.names {
			sm := re.FindStringSubmatch(strings.TrimSpace(n))
			if sm == nil {
				continue
			}
			ys := sm[0]
			if len(sm) > 1 {
				ys = sm[1]
			}
			y, err := strconv.Atoi(ys)
			if err != nil || y < 1900 || y > 2100 {
				continue
			}
			s := base
			s.col, s.colName, s.year = i, n, y
			m.slots = append(m.slots, s)
		}
		if len(m.slots) == 0 {
			return fileErr("profile_column", fileProfileNoYearColumns.With(p.Name), fileHintProfileUpload.With())
		}
	default:
		var absent []string
		for k, ms := range p.Measures {
			key := fmt.Sprintf("measures[%d]", k)
			s := base
			if _, ok := h.find(ms.Column); !ok && ms.Optional {
				continue
			}
			if s.col, ferr = m.need(ms.Column, key+".column"); ferr != nil {
				return ferr
			}
			s.colName, s.indicator = h.names[s.col], ms.Indicator
			if ms.Unit != "" {
				s.unit = ms.Unit
			}
			if ms.Scale != 0 {
				s.scale = ms.Scale
			}
			if ms.Year != nil {
				s.yearSpec, s.yearCol, s.yearName = ms.Year, -1, ""
				if ms.Year.Column != nil {
					if s.yearCol, ferr = m.need(ms.Year.Column, key+".year.column"); ferr != nil {
						return ferr
					}
					s.yearName = h.names[s.yearCol]
				}
			}
			if ms.Flags != nil {
				if s.flags, ferr = m.resolveFlags(ms.Flags, key+".flags"); ferr != nil {
					return ferr
				}
			}
			if ms.Note != nil {
				if s.note, ferr = m.resolveNote(ms.Note, key+".note"); ferr != nil {
					return ferr
				}
			}
			m.slots = append(m.slots, s)
		}
		if len(m.slots) == 0 {
			known := map[string]bool{}
			for _, ms := range p.Measures {
				known[normHeader(ms.Column[0])] = true
			}
			for _, c := range p.Recognise.Columns {
				known[normHeader(c)] = true
			}
			for _, n := range h.names {
				if n != "" && !known[normHeader(n)] {
					absent = append(absent, strconv.Quote(n))
				}
			}
			return fileErr("profile_no_measure", fileProfileNoMeasure.With(p.Name, strings.Join(limitList(absent, 8), ", ")), fileHintProfileNoMeasure.With())
		}
	}
	return nil
}

// readCountries reads the ISO3 codes and the names of country areas.
func (m *profileMapper) readCountries() {
	for _, a := range m.cat.Areas {
		if a.CountryISO3 == "" {
			continue
		}
		m.isoHasArea[a.CountryISO3] = true
		m.countries[metrics.Fold(a.CountryISO3)] = a.CountryISO3
		if a.Kind == metrics.KindCountry {
			for _, n := range append([]string{a.Slug, a.Name, a.LocalName}, a.Aliases...) {
				if f := metrics.Fold(n); f != "" {
					m.countries[f] = a.CountryISO3
				}
			}
		}
	}
}

// carry keeps what an earlier sheet's mapper counted and cached.
func (m *profileMapper) carry(from *profileMapper) {
	m.skips, m.skipped, m.notMapped, m.areaCache = from.skips, from.skipped, from.notMapped, from.areaCache
}

func quoteAll(c Column) []string {
	out := make([]string, len(c))
	for i, n := range c {
		out[i] = strconv.Quote(n)
	}
	return out
}

func (m *profileMapper) resolveFlags(f *FlagSpec, key string) (*flagRules, *FileError) {
	if f == nil {
		return nil, nil
	}
	fr := &flagRules{col: -1, cmap: f.Map, adjacent: f.Adjacent}
	if f.Column != nil {
		i, ok := m.h.find(f.Column)
		if !ok {
			return nil, m.missing(f.Column, key+".column")
		}
		fr.col = i
	}
	for k, r := range f.Rules {
		rr := resolvedRule{FlagRule: r, col: -1}
		if r.Column != nil {
			i, ok := m.h.find(r.Column)
			if !ok {
				return nil, m.missing(r.Column, fmt.Sprintf("%s.rules[%d].column", key, k))
			}
			rr.col = i
		}
		fr.rules = append(fr.rules, rr)
	}
	return fr, nil
}

func (m *profileMapper) missing(c Column, key string) *FileError {
	names := strings.Join(quoteAll(c), " or ")
	return fileErr("profile_column", fileProfileColumn.With(names, m.p.Name, key), fileHintProfileUpload.With())
}

var placeholderRe = regexp.MustCompile(`\{([^{}]+)\}`)

func (m *profileMapper) resolveNote(n *NoteSpec, key string) (*noteTmpl, *FileError) {
	if n == nil {
		return nil, nil
	}
	t := &noteTmpl{}
	if n.Template != "" {
		last := 0
		for _, loc := range placeholderRe.FindAllStringSubmatchIndex(n.Template, -1) {
			t.parts = append(t.parts, notePart{text: n.Template[last:loc[0]], col: -1})
			name := n.Template[loc[2]:loc[3]]
			i, ok := m.h.find(Column{name})
			if !ok {
				return nil, m.missing(Column{name}, key+".template")
			}
			t.parts = append(t.parts, notePart{col: i})
			last = loc[1]
		}
		t.parts = append(t.parts, notePart{text: n.Template[last:], col: -1})
		return t, nil
	}
	for k, c := range n.Columns {
		i, ok := m.h.find(c)
		if !ok {
			return nil, m.missing(c, fmt.Sprintf("%s.columns[%d]", key, k))
		}
		sep := "; "
		if k == 0 {
			sep = ""
		}
		t.parts = append(t.parts, notePart{text: sep, col: i, label: m.h.names[i]})
	}
	return t, nil
}

// checkCatalogue refuses a profile whose codes the catalogue lacks: a
// mistake in the profile, not in the file.
func (m *profileMapper) checkCatalogue() *FileError {
	var bad []string
	ind := func(code, key string) {
		if code == "" {
			return
		}
		i := m.ck.indIdx[metrics.Fold(code)]
		if i == nil || i.Code != code {
			bad = append(bad, fmt.Sprintf("%s: no indicator %q", key, code))
		}
	}
	unit := func(code, key string) {
		if code == "" {
			return
		}
		if _, ok := metrics.LookupUnit(code); !ok {
			bad = append(bad, fmt.Sprintf("%s: no unit %q", key, code))
		}
	}
	src := func(code, key string) {
		if code == "" {
			return
		}
		if m.ck.srcIdx[strings.ToLower(code)] == nil {
			bad = append(bad, fmt.Sprintf("%s: no source %q", key, code))
		}
	}
	flag := func(code, key string) {
		if code == "" {
			return
		}
		if _, ok := m.ck.flagIdx[metrics.Fold(code)]; !ok {
			bad = append(bad, fmt.Sprintf("%s: no flag %q", key, code))
		}
	}
	flags := func(f *FlagSpec, key string) {
		if f == nil {
			return
		}
		for k, v := range f.Map {
			flag(v, fmt.Sprintf("%s.map[%q]", key, k))
		}
		for i, r := range f.Rules {
			flag(r.Flag, fmt.Sprintf("%s.rules[%d].flag", key, i))
		}
	}
	p := m.p
	if p.Indicator != nil {
		ind(p.Indicator.Constant, "indicator.constant")
		for k, v := range p.Indicator.Map {
			ind(v, fmt.Sprintf("indicator.map[%q]", k))
		}
	}
	if p.Unit != nil {
		unit(p.Unit.Constant, "unit.constant")
		for k, v := range p.Unit.Map {
			unit(v, fmt.Sprintf("unit.map[%q]", k))
		}
	}
	src(p.Source.Code, "source.code")
	for k, v := range p.Source.Map {
		src(v, fmt.Sprintf("source.map[%q]", k))
	}
	flags(p.Flags, "flags")
	flag(p.Value.ConvertedFlag, "value.converted_flag")
	for i, ms := range p.Measures {
		key := fmt.Sprintf("measures[%d]", i)
		ind(ms.Indicator, key+".indicator")
		unit(ms.Unit, key+".unit")
		flags(ms.Flags, key+".flags")
	}
	for k, v := range p.Area.Codes {
		if v == "" {
			continue
		}
		if _, err := m.cat.Area(v); err != nil {
			bad = append(bad, fmt.Sprintf("area.codes[%q]: no area %q", k, v))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	sort.Strings(bad)
	return fileErr("profile_catalogue", fileProfileCatalogue.With(p.Name, strings.Join(limitList(bad, 8), "; ")), fileHintProfileCatalogue.With())
}

func cell(fields []string, i int) string {
	if i < 0 || i >= len(fields) {
		return ""
	}
	return strings.TrimSpace(fields[i])
}

// area finds the catalogue area a row is about.
func (m *profileMapper) area(fields []string) areaPick {
	country := cell(fields, m.countryCol)
	// The organisation fixes the boundary ("Città Metropolitana di
	// Milano" and "Comune di Milano" both say City "Milano"): it is
	// tried first.
	var names []string
	if m.orgCol >= 0 {
		names = append(names, cell(fields, m.orgCol))
	}
	for _, i := range m.areaCols {
		names = append(names, cell(fields, i))
	}
	k := areaKey{strings.Join(names, "\x00"), country}
	if a, ok := m.areaCache[k]; ok {
		return a
	}
	iso := ""
	if country != "" {
		iso = m.countries[metrics.Fold(country)]
		if iso == "" {
			iso = "?" // a country the catalogue has no area in
		}
	}
	pick := areaPick{skip: true, country: country}
	for _, n := range names {
		if n == "" {
			continue
		}
		if pick.printed == "" {
			pick.printed = n
		}
		if slug, ok := m.codes[n]; ok {
			if slug == "" {
				pick = areaPick{drop: true, printed: n, country: country}
				break
			}
			pick = areaPick{slug: slug, printed: n, country: country}
			break
		}
		var cands []*metrics.Area
		for _, a := range m.ck.areaIdx[metrics.Fold(n)] {
			if iso != "" && a.CountryISO3 != iso {
				continue
			}
			if !m.kindOK(a) {
				continue
			}
			cands = append(cands, a)
		}
		var a *metrics.Area
		switch {
		case len(cands) == 1:
			a = cands[0]
		case len(cands) > 1:
			a = preferCity(cands)
		}
		if a != nil {
			pick = areaPick{slug: a.Slug, printed: n, country: country}
			break
		}
	}
	m.areaCache[k] = pick
	return pick
}

func (m *profileMapper) kindOK(a *metrics.Area) bool {
	if len(m.p.Area.Kind) == 0 {
		return true
	}
	for _, k := range m.p.Area.Kind {
		if a.Kind == k {
			return true
		}
	}
	return false
}

var genericWords = map[string]bool{"city": true, "of": true, "the": true, "municipality": true, "comune": true, "di": true, "kota": true,
	"mesto": true, "gemeente": true, "stadt": true, "miasto": true, "grad": true, "ayuntamiento": true, "de": true, "ajuntament": true,
	"council": true, "government": true, "si": true, "municipal": true, "capital": true, "town": true, "local": true}

func stripGeneric(f string) string {
	var out []string
	for _, w := range strings.Fields(f) {
		if !genericWords[w] {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}

// propose finds a catalogue area of the same country whose name is close
// to a skipped name.
func (m *profileMapper) propose(sa *SkippedArea) *AliasProposal {
	iso := ""
	if sa.Country != "" {
		iso = m.countries[metrics.Fold(sa.Country)]
		if iso == "" || !m.isoHasArea[iso] {
			return nil
		}
	}
	f := metrics.Fold(sa.Name)
	sf := stripGeneric(f)
	if len(f) < 4 {
		return nil
	}
	if m.folded == nil {
		for _, a := range m.cat.Areas {
			if a.Kind == metrics.KindCountry || !m.kindOK(a) {
				continue
			}
			fa := foldedArea{a: a}
			for _, n := range append([]string{a.Name, a.LocalName, a.Slug}, a.Aliases...) {
				if an := metrics.Fold(n); an != "" {
					fa.names = append(fa.names, an)
					fa.stripped = append(fa.stripped, stripGeneric(an))
					fa.runes = append(fa.runes, utf8.RuneCountInString(an))
				}
			}
			m.folded = append(m.folded, fa)
		}
	}
	var best *metrics.Area
	bestD := 99
	fr := utf8.RuneCountInString(f)
	for _, fa := range m.folded {
		a := fa.a
		if iso != "" && a.CountryISO3 != iso {
			continue
		}
		for k, an := range fa.names {
			d := 99
			switch {
			case sf != "" && sf == fa.stripped[k]:
				d = 0
			case fr >= 5 && fr-fa.runes[k] <= 2 && fa.runes[k]-fr <= 2:
				// one slip ("Suweon"), or two in a long name that starts
				// the same way (names whose lengths differ by more than two
				// are further apart than that, and are not compared)
				d = levenshtein(f, an)
				if d > 2 || d == 2 && (fr < 10 || []rune(f)[0] != []rune(an)[0]) {
					d = 99
				}
			}
			if d < bestD || d == bestD && best != nil && a.Kind == metrics.KindCity && best.Kind != metrics.KindCity {
				best, bestD = a, d
			}
		}
	}
	if best == nil {
		return nil
	}
	return &AliasProposal{Name: sa.Name, Country: sa.Country, Slug: best.Slug, AreaName: best.Name, Values: sa.Values}
}

// mapRow maps one data row of the file to zero or more checked rows:
// one for each value slot with a value, in the template's columns, then
// checked as a row of the template is.
func (m *profileMapper) mapRow(line int, fields []string, emit func(checkedRow) error) error {
	if m.filteredOut(fields) {
		return nil
	}
	var area areaPick
	areaDone := false
	for i := range m.slots {
		s := &m.slots[i]
		raw := cell(fields, s.col)
		if raw == "" || m.notAValue[raw] {
			m.skips.NoValue++
			continue
		}
		if !areaDone {
			area, areaDone = m.area(fields), true
		}
		if m.skipArea(area, line) {
			continue
		}
		indText, ind, ok := m.indicator(s, fields)
		if !ok {
			continue
		}
		yearText := m.year(s, fields)
		valText, conv := m.value(s, raw)
		unit, unitShown := m.unit(s, fields, ind)
		year, _ := strconv.Atoi(yearText)
		flags := m.flags(s.flags, fields, year, s.col)
		if conv {
			flags = append(flags, m.p.Value.ConvertedFlag)
		}
		note := ""
		if s.note != nil {
			note = s.note.render(fields)
		}
		tf := []string{area.slug, ind, yearText, valText, unit, m.source(fields), strings.Join(flags, ";"), note, "", "", "", "", ""}
		r := m.ck.row(line, tmplHeader, tf)
		r.Column = s.colName
		r.ValueAsGiven, r.UnitAsGiven, r.City = raw, unitShown, clip(area.printed)
		if indText != ind {
			r.Indicator = clip(indText)
		}
		m.nameProblems(&r, s, raw, valText)
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

// filteredOut reports whether the profile's filters drop the row, and
// counts it under the filter's reason.
func (m *profileMapper) filteredOut(fields []string) bool {
	for _, f := range m.filters {
		v := cell(fields, f.col)
		lv := strings.ToLower(v)
		if f.drop[lv] || f.re != nil && f.re.MatchString(v) || len(f.keep) > 0 && !f.keep[lv] {
			m.skips.Filtered[f.spec.Reason]++
			return true
		}
	}
	return false
}

// skipArea reports whether a value of the row's area is left out: an
// area the profile does not import, or one not in the catalogue (listed,
// with its first line, for staff to add or alias).
func (m *profileMapper) skipArea(area areaPick, line int) bool {
	if area.drop {
		m.skips.Filtered["area_not_imported"]++
		return true
	}
	if !area.skip {
		return false
	}
	m.skips.NotInCatalogue++
	k := areaKey{area.printed, area.country}
	sa := m.skipped[k]
	if sa == nil {
		if len(m.skipped) >= maxSkippedAreas {
			return true
		}
		sa = &SkippedArea{Name: clip(area.printed), Country: clip(area.country), FirstLine: line}
		m.skipped[k] = sa
	}
	sa.Values++
	return true
}

// indicator is the indicator of a slot's value: as the file prints it,
// and its code. A printed name the profile does not map leaves the value
// out (ok false), counted and listed.
func (m *profileMapper) indicator(s *slot, fields []string) (printed, code string, ok bool) {
	printed, code = s.indicator, s.indicator
	if code != "" || m.indCol < 0 && m.cellText == "" {
		return printed, code, true
	}
	printed = m.cellText
	if m.indCol >= 0 {
		printed = cell(fields, m.indCol)
	}
	code = m.p.Indicator.Map[printed]
	if code == "" {
		m.skips.NotMapped++
		if len(m.notMapped) < 200 && !m.notMapped[printed] {
			m.notMapped[printed] = true
		}
		return printed, code, false
	}
	return printed, code, true
}

// year is the year of a slot's value as the template's year column
// holds it: the slot's own, the profile's constant, or the year column's
// cell read as the profile says.
func (m *profileMapper) year(s *slot, fields []string) string {
	switch {
	case s.year != 0:
		return strconv.Itoa(s.year)
	case s.yearSpec == nil:
		return ""
	case s.yearSpec.Constant != 0:
		return strconv.Itoa(s.yearSpec.Constant)
	}
	text := cell(fields, s.yearCol)
	if y, ok := parseYearAs(text, s.yearSpec); ok {
		return strconv.Itoa(y)
	}
	return text
}

// value is a slot's value as the template's value column holds it: a
// converted value's number (conv true), a decimal comma read where the
// profile says so, and the slot's scale applied to a number.
func (m *profileMapper) value(s *slot, raw string) (text string, conv bool) {
	text = raw
	if m.convRe != nil {
		if sm := m.convRe.FindStringSubmatch(raw); sm != nil {
			text, conv = sm[1], true
		}
	}
	if m.p.Value.DecimalComma && strings.Count(text, ",") == 1 && !strings.Contains(text, ".") {
		text = strings.Replace(text, ",", ".", 1)
	}
	if numberRe.MatchString(text) {
		if v, err := strconv.ParseFloat(text, 64); err == nil && !math.IsInf(v, 0) {
			if s.scale != 1 {
				v *= s.scale
			}
			v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
			text = metrics.FormatPlain(v)
		}
	}
	return text, conv
}

// unit is the unit of a slot's value (mapped from the file's unit
// column, or the indicator's where the profile says so) and the unit as
// the file printed it.
func (m *profileMapper) unit(s *slot, fields []string, ind string) (unit, shown string) {
	unit, shown = s.unit, s.unit
	if unit == "" && m.unitCol >= 0 {
		shown = cell(fields, m.unitCol)
		unit = shown
		if u, ok := m.p.Unit.Map[shown]; ok {
			unit = u
		}
	}
	if unit == "" && m.p.Unit != nil && m.p.Unit.FromIndicator {
		if i := m.ck.indIdx[metrics.Fold(ind)]; i != nil {
			unit, shown = i.Unit, i.Unit
		}
	}
	return unit, shown
}

// source is the source code of the row: the profile's, or its source
// column's cell as the profile maps it.
func (m *profileMapper) source(fields []string) string {
	if m.srcCol < 0 {
		return m.p.Source.Code
	}
	st := cell(fields, m.srcCol)
	if src := m.p.Source.Map[st]; src != "" {
		return src
	}
	return st
}

// nameProblems names the file's columns in a mapped row's problems, not
// the template's, and shows the value as the file printed it.
func (m *profileMapper) nameProblems(r *checkedRow, s *slot, raw, valText string) {
	names := map[string]string{"city": m.areaLabel(), "indicator": m.indName, "year": s.yearName, "value": s.colName, "unit": m.unitName, "source": m.srcName}
	for j := range r.Problems {
		pr := &r.Problems[j]
		if n := names[pr.Column]; n != "" {
			if pr.Column == "value" && pr.Value == valText {
				pr.Value = raw
			}
			pr.Column = n
		}
	}
}

func (m *profileMapper) areaLabel() string {
	if m.orgCol >= 0 {
		return m.h.names[m.orgCol]
	}
	if len(m.areaNames) > 0 {
		return m.areaNames[0]
	}
	return ""
}

func (m *profileMapper) flags(fr *flagRules, fields []string, year, valueCol int) []string {
	if fr == nil {
		return nil
	}
	var out []string
	col := fr.col
	if fr.adjacent {
		col = valueCol + 1
	}
	if col >= 0 {
		for _, tok := range strings.FieldsFunc(cell(fields, col), func(r rune) bool { return r == ' ' || r == ',' || r == ';' }) {
			if f := fr.cmap[tok]; f != "" {
				out = append(out, f)
			}
		}
	}
	for _, r := range fr.rules {
		switch {
		case r.Always:
			out = append(out, r.Flag)
		case r.YearAfter != 0:
			if year > r.YearAfter {
				out = append(out, r.Flag)
			}
		case r.col >= 0:
			v := cell(fields, r.col)
			hit := false
			for _, e := range r.Equals {
				if strings.EqualFold(strings.TrimSpace(e), v) {
					hit = true
				}
			}
			if r.Below != nil {
				if f, err := strconv.ParseFloat(v, 64); err == nil && f < *r.Below {
					hit = true
				}
			}
			if hit {
				out = append(out, r.Flag)
			}
		}
	}
	return out
}

func (t *noteTmpl) render(fields []string) string {
	var b strings.Builder
	for _, p := range t.parts {
		b.WriteString(p.text)
		if p.col >= 0 {
			v := cell(fields, p.col)
			if p.label != "" {
				if v == "" {
					continue
				}
				b.WriteString(p.label + ": ")
			}
			b.WriteString(v)
		}
	}
	return strings.TrimSpace(b.String())
}

// finish sorts what was skipped and proposes aliases.
func (m *profileMapper) finish() *Skips {
	s := m.skips
	for _, sa := range m.skipped {
		s.Areas = append(s.Areas, *sa)
	}
	sort.Slice(s.Areas, func(i, j int) bool {
		if s.Areas[i].Values != s.Areas[j].Values {
			return s.Areas[i].Values > s.Areas[j].Values
		}
		return s.Areas[i].FirstLine < s.Areas[j].FirstLine
	})
	for i := range s.Areas {
		if p := m.propose(&s.Areas[i]); p != nil {
			s.Proposals = append(s.Proposals, *p)
		}
	}
	for c := range m.notMapped {
		s.NotMappedCodes = append(s.NotMappedCodes, clip(c))
	}
	sort.Strings(s.NotMappedCodes)
	if len(s.Filtered) == 0 {
		s.Filtered = nil
	}
	return &s
}
