package ingest

import (
	"context"
	"fmt"
	"github.com/twinmetrics/twinmetrics/metrics"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// Problem is one thing wrong (or, as a warning, unlikely) in a row: the
// column, the value as given, what is wrong and how to fix it.
type Problem struct {
	Column  string `json:"column"`
	Value   string `json:"value,omitempty"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
	Warning bool   `json:"warning,omitempty"`
	// Code names the message (and, unless HintCode does, the hint) for
	// translation; Args fill its placeholders. Message and Hint are the
	// English text.
	Code     string            `json:"code,omitempty"`
	HintCode string            `json:"hint_code,omitempty"`
	Args     map[string]string `json:"args,omitempty"`
}

// coded gives a problem its message code, hint code (empty: the same)
// and named arguments, as pairs of name and value.
func (p Problem) coded(code, hintCode string, kv ...string) *Problem {
	p.Code, p.HintCode = code, hintCode
	if p.HintCode == "" {
		p.HintCode = code
	}
	if len(kv) > 1 {
		p.Args = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			p.Args[kv[i]] = kv[i+1]
		}
	}
	return &p
}

type obsKey struct {
	area, ind, src int64
	year           int
}

type existingObs struct {
	ID    int64
	Value float64
	Flags string
	Note  string
}

// checkedRow is a row after validation, as staged for the preview.
type checkedRow struct {
	Line         int
	Status       string
	Warn         bool
	AreaID       int64
	IndicatorID  int64
	Year         int
	Value        float64
	ValueAsGiven string
	UnitAsGiven  string
	SourceID     int64
	NewSource    string
	Flags        string
	Note         string
	OldIDs       string
	OldIDList    []int64
	OldValue     *float64
	City         string
	Indicator    string
	Source       string
	Problems     []Problem
	// Column is the file column the value came from (profiles).
	Column string
	// Changes say, for a changed row, which fields differ from the
	// stored value and how.
	Changes []FieldChange
}

// FieldChange is one field of a changed row: from the stored value to
// the file's.
type FieldChange struct {
	Field string `json:"field"` // value, flags or note
	From  string `json:"from"`
	To    string `json:"to"`
}

// diffText shortens two long texts to where they differ, keeping a
// little context, so that a preview shows the change and not 80
// identical characters.
func diffText(a, b string) (string, string) {
	ra, rb := []rune(a), []rune(b)
	if len(ra) <= 80 && len(rb) <= 80 {
		return a, b
	}
	i := 0
	for i < len(ra) && i < len(rb) && ra[i] == rb[i] {
		i++
	}
	start := max(0, i-20)
	cut := func(r []rune) string {
		s := string(r[start:])
		if start > 0 {
			s = "…" + s
		}
		return clip(s)
	}
	return cut(ra), cut(rb)
}

// diffObs lists the fields in which a row differs from a stored value.
func diffObs(o existingObs, value float64, flags, note string) []FieldChange {
	var out []FieldChange
	if !sameValue(o.Value, value) {
		out = append(out, FieldChange{Field: "value", From: FormatPlain(o.Value), To: FormatPlain(value)})
	}
	if o.Flags != flags {
		out = append(out, FieldChange{Field: "flags", From: o.Flags, To: flags})
	}
	if o.Note != note {
		from, to := diffText(o.Note, note)
		out = append(out, FieldChange{Field: "note", From: from, To: to})
	}
	return out
}

// Row statuses in the preview.
const (
	RowNew       = "new"
	RowChanged   = "changed"
	RowUnchanged = "unchanged"
	RowRejected  = "rejected"
)

type nameRef struct {
	folded string
	label  string
	key    string
}

type unitRes struct {
	unit *metrics.Unit
	ok   bool
}

// checker validates rows against the catalogue and the stored values.
type checker struct {
	cat       *metrics.Catalogue
	comma     rune
	areaIdx   map[string][]*metrics.Area
	areaNames []nameRef
	indIdx    map[string]*metrics.Indicator
	indNames  []nameRef
	srcIdx    map[string]*metrics.Source
	flagIdx   map[string]string
	existing  map[obsKey][]existingObs
	medians   map[[2]int64]float64
	// seen maps each accepted row's key to its line, to find
	// duplicates: packed into 12 bytes an entry, it is the only thing
	// the check keeps per row.
	seen       map[uint64]int32
	seenWide   map[obsKey]int32
	newSources map[string]*NewSource
	nextNewSrc int64
	thisYear   int

	// Caches: a file repeats the same few cities, indicators and units
	// on every row.
	cityCache map[string]cityRes
	indCache  map[string]indRes
	srcCache  map[string]*metrics.Source
	unitCache map[string]unitRes
	flagCache map[string]flagRes
}

type cityRes struct {
	area *metrics.Area
	prob *Problem
}
type indRes struct {
	ind  *metrics.Indicator
	prob *Problem
}
type flagRes struct {
	codes string
	prob  *Problem
}

// NewSource is a source described in an upload's source_* columns,
// created when the upload is published.
type NewSource struct {
	Code      string `json:"code"`
	Title     string `json:"title"`
	Publisher string `json:"publisher"`
	URL       string `json:"url"`
	Vintage   string `json:"vintage"`
	Licence   string `json:"licence"`
	Line      int    `json:"line"`
	tempID    int64
}

func newChecker(cat *metrics.Catalogue, comma rune, thisYear int) *checker {
	ck := &checker{
		cat: cat, comma: comma, thisYear: thisYear,
		areaIdx: map[string][]*metrics.Area{}, indIdx: map[string]*metrics.Indicator{}, srcIdx: map[string]*metrics.Source{}, flagIdx: map[string]string{},
		seen: map[uint64]int32{}, seenWide: map[obsKey]int32{}, newSources: map[string]*NewSource{}, nextNewSrc: -1,
		cityCache: map[string]cityRes{}, indCache: map[string]indRes{}, srcCache: map[string]*metrics.Source{},
		unitCache: map[string]unitRes{}, flagCache: map[string]flagRes{},
	}
	addArea := func(s string, a *metrics.Area) {
		f := metrics.Fold(s)
		if f == "" {
			return
		}
		for _, x := range ck.areaIdx[f] {
			if x == a {
				return
			}
		}
		ck.areaIdx[f] = append(ck.areaIdx[f], a)
		ck.areaNames = append(ck.areaNames, nameRef{folded: f, label: a.Name, key: a.Slug})
	}
	for _, a := range cat.Areas {
		addArea(a.Slug, a)
		addArea(a.Name, a)
		addArea(a.LocalName, a)
		for _, al := range a.Aliases {
			addArea(al, a)
		}
	}
	for _, i := range cat.Indicators {
		for _, s := range []string{i.Code, i.NameEN, i.NameVI} {
			if f := metrics.Fold(s); f != "" {
				ck.indIdx[f] = i
				ck.indNames = append(ck.indNames, nameRef{folded: f, label: i.NameEN, key: i.Code})
			}
		}
	}
	for _, s := range cat.Sources {
		ck.srcIdx[strings.ToLower(s.Code)] = s
		for _, t := range []string{s.Title, s.ShortTitle} {
			if f := metrics.Fold(t); f != "" {
				ck.srcIdx["title:"+f] = s
			}
		}
	}
	for _, f := range cat.Flags {
		ck.flagIdx[metrics.Fold(f.Code)] = f.Code
		ck.flagIdx[metrics.Fold(f.NameEN)] = f.Code
		if f.NameVI != "" {
			ck.flagIdx[metrics.Fold(f.NameVI)] = f.Code
		}
	}
	return ck
}

// loadExisting reads the current stored values, for the diff and for the
// plausibility warnings.
func (ck *checker) loadExisting(ctx context.Context, s *metrics.Store) error {
	ck.existing = map[obsKey][]existingObs{}
	vals := map[[2]int64][]float64{}
	err := s.EachCurrentValue(ctx, func(v metrics.CurrentValue) {
		k := obsKey{area: v.AreaID, ind: v.IndicatorID, src: v.SourceID, year: v.Year}
		ck.existing[k] = append(ck.existing[k], existingObs{ID: v.ID, Value: v.Value, Flags: v.Flags, Note: v.Note})
		vals[[2]int64{k.area, k.ind}] = append(vals[[2]int64{k.area, k.ind}], v.Value)
	})
	if err != nil {
		return err
	}
	ck.medians = make(map[[2]int64]float64, len(vals))
	for k, v := range vals {
		sort.Float64s(v)
		ck.medians[k] = v[len(v)/2]
	}
	return nil
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// nearest lists up to three known names closest to q, as "Label (key)".
func nearest(q string, names []nameRef) []string {
	f := metrics.Fold(q)
	if f == "" || len(f) > 200 {
		return nil
	}
	type cand struct {
		d          int
		label, key string
	}
	best := map[string]cand{}
	for _, n := range names {
		d := levenshtein(f, n.folded)
		if len(f) >= 4 && (strings.Contains(n.folded, f) || strings.Contains(f, n.folded) && len(n.folded) >= 4) {
			d = min(d, 1)
		}
		if c, ok := best[n.key]; !ok || d < c.d {
			best[n.key] = cand{d, n.label, n.key}
		}
	}
	var cs []cand
	limit := max(2, len([]rune(f))/3)
	for _, c := range best {
		if c.d <= limit {
			cs = append(cs, c)
		}
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].d != cs[j].d {
			return cs[i].d < cs[j].d
		}
		return cs[i].key < cs[j].key
	})
	var out []string
	for i := 0; i < len(cs) && i < 3; i++ {
		if cs[i].label == cs[i].key {
			out = append(out, cs[i].key)
		} else {
			out = append(out, fmt.Sprintf("%s (%s)", cs[i].label, cs[i].key))
		}
	}
	return out
}

func didYouMean(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return "Did you mean " + strings.Join(s, " or ") + "? "
}

// suggestHint is the hint code that also offers suggestions, if any.
func suggestHint(code string, s []string) string {
	if len(s) == 0 {
		return code
	}
	return code + "_suggest"
}

func (ck *checker) city(s string) (*metrics.Area, *Problem) {
	if r, ok := ck.cityCache[s]; ok {
		return r.area, r.prob
	}
	var res cityRes
	as := ck.areaIdx[metrics.Fold(s)]
	if a, err := ck.cat.Area(strings.TrimSpace(s)); err == nil {
		as = []*metrics.Area{a} // a slug is exact
	}
	switch {
	case s == "":
		res.prob = Problem{Column: "city", Message: "The city is empty.", Hint: "Write the city's name or slug, as in the template's list of cities."}.coded("city_empty", "")
	case len(as) == 1:
		res.area = as[0]
	case len(as) > 1 && preferCity(as) != nil:
		// "Hà Nội" names the city and, as a local name, its
		// agglomeration: the city is meant.
		res.area = preferCity(as)
	case len(as) > 1:
		var names []string
		for _, a := range as {
			names = append(names, fmt.Sprintf("%s (%s)", a.Name, a.Slug))
		}
		res.prob = Problem{Column: "city", Value: s, Message: fmt.Sprintf("%q could be %s.", s, strings.Join(names, " or ")), Hint: "Write the slug of the one you mean."}.coded("city_ambiguous", "", "Value", s, "Candidates", strings.Join(names, ", "))
	default:
		near := nearest(s, ck.areaNames)
		res.prob = Problem{Column: "city", Value: s, Message: fmt.Sprintf("The city %q is not in the catalogue.", clip(s)),
			Hint: didYouMean(near) + "Use a name, alias or slug from the template's city list; an admin can add a new city or alias in the catalogue (uploads never create cities)."}.coded("unknown_city", suggestHint("unknown_city", near), "Value", clip(s), "Suggestions", strings.Join(near, ", "))
	}
	ck.cityCache[s] = res
	return res.area, res.prob
}

// preferCity picks the one city among areas that share a name, if
// there is exactly one.
func preferCity(as []*metrics.Area) *metrics.Area {
	var city *metrics.Area
	for _, a := range as {
		if a.Kind == metrics.KindCity {
			if city != nil {
				return nil
			}
			city = a
		}
	}
	return city
}

func (ck *checker) indicator(s string) (*metrics.Indicator, *Problem) {
	if r, ok := ck.indCache[s]; ok {
		return r.ind, r.prob
	}
	var res indRes
	i := ck.indIdx[metrics.Fold(s)]
	switch {
	case s == "":
		res.prob = Problem{Column: "indicator", Message: "The indicator is empty.", Hint: "Write an indicator code from the template's list, such as pm25_annual_mean."}.coded("indicator_empty", "")
	case i == nil:
		near := nearest(s, ck.indNames)
		res.prob = Problem{Column: "indicator", Value: s, Message: fmt.Sprintf("The indicator %q is not in the catalogue.", clip(s)),
			Hint: didYouMean(near) + "Use a code from the template's indicator list."}.coded("unknown_indicator", suggestHint("unknown_indicator", near), "Value", clip(s), "Suggestions", strings.Join(near, ", "))
	case i.Derived():
		num, den := ck.cat.IndicatorByID(i.NumeratorID.Int64), ck.cat.IndicatorByID(i.DenominatorID.Int64)
		hint, hintCode, numCode, denCode := "Upload its components instead.", "indicator_derived", "", ""
		if num != nil && den != nil {
			hint = fmt.Sprintf("Upload %s and %s instead; the per-capita value is computed from them.", num.Code, den.Code)
			hintCode, numCode, denCode = "indicator_derived_components", num.Code, den.Code
		}
		res.prob = Problem{Column: "indicator", Value: s, Message: fmt.Sprintf("%s is computed, not uploaded.", i.Code), Hint: hint}.coded("indicator_derived", hintCode, "Indicator", i.Code, "Numerator", numCode, "Denominator", denCode)
	default:
		res.ind = i
	}
	ck.indCache[s] = res
	return res.ind, res.prob
}

func (ck *checker) unit(s string) (*metrics.Unit, bool) {
	if r, ok := ck.unitCache[s]; ok {
		return r.unit, r.ok
	}
	u, ok := metrics.LookupUnit(s)
	ck.unitCache[s] = unitRes{u, ok}
	return u, ok
}

func (ck *checker) flags(s string) (string, *Problem) {
	if r, ok := ck.flagCache[s]; ok {
		return r.codes, r.prob
	}
	var res flagRes
	set := map[string]bool{}
	var bad []string
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '|' || r == ',' }) {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		if code, ok := ck.flagIdx[metrics.Fold(tok)]; ok {
			set[code] = true
		} else {
			bad = append(bad, fmt.Sprintf("%q", clip(tok)))
		}
	}
	if len(bad) > 0 {
		var codes []string
		for _, f := range ck.cat.Flags {
			codes = append(codes, f.Code)
		}
		res.prob = Problem{Column: "flags", Value: s, Message: fmt.Sprintf("Unknown flag %s.", strings.Join(bad, ", ")),
			Hint: "Use flags from the list, separated by semicolons: " + strings.Join(codes, ", ") + "."}.coded("unknown_flag", "", "Flags", strings.Join(bad, ", "), "Codes", strings.Join(codes, ", "))
	}
	res.codes = joinSet(set)
	ck.flagCache[s] = res
	return res.codes, res.prob
}

func joinSet(set map[string]bool) string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

var (
	numberRe     = regexp.MustCompile(`^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$`)
	thousandsRe  = regexp.MustCompile(`^[+-]?[0-9]{1,3}([ ,.\x{00A0}\x{202F}'][0-9]{3})+([.,][0-9]+)?$`)
	yearTypoRe   = regexp.MustCompile(`^[0-9]{5}$`)
	maxNoteRunes = 2000
)

func clip(s string) string {
	r := []rune(s)
	if len(r) > 80 {
		return string(r[:80]) + "…"
	}
	return s
}

// parseValue reads a number as written in the file.
func (ck *checker) parseValue(s string) (float64, *Problem) {
	v := strings.TrimSpace(s)
	if v == "" {
		return 0, Problem{Column: "value", Message: "The value is empty.", Hint: "Leave out a row that has no value: missing is shown as missing, never as zero."}.coded("value_empty", "")
	}
	if ck.comma == ';' && strings.Count(v, ",") == 1 && !strings.Contains(v, ".") {
		v = strings.Replace(v, ",", ".", 1)
	} else if ck.comma != ';' && strings.Count(v, ",") == 1 && !strings.Contains(v, ".") && numberRe.MatchString(strings.Replace(v, ",", ".", 1)) && !thousandsRe.MatchString(v) {
		return 0, Problem{Column: "value", Value: s, Message: fmt.Sprintf("%q has a decimal comma, but the file is separated by commas.", s),
			Hint: fmt.Sprintf("Write %s with a decimal point, or save the file separated by semicolons.", strings.Replace(v, ",", ".", 1))}.coded("decimal_comma", "", "Value", s, "Fixed", strings.Replace(v, ",", ".", 1))
	}
	if numberRe.MatchString(v) {
		f, err := strconv.ParseFloat(v, 64)
		if err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f, nil
		}
	}
	p := Problem{Column: "value", Value: s, Message: fmt.Sprintf("%q is not a number.", clip(s)),
		Hint: "Write the number alone, with a decimal point (a decimal comma in semicolon files), no thousands separators, units or words. Leave out a row that has no value."}.coded("not_a_number", "", "Value", clip(s))
	switch {
	case thousandsRe.MatchString(v):
		p.Hint, p.HintCode = "Write the number without thousands separators, e.g. 1234567.8.", "not_a_number_thousands"
	case strings.HasSuffix(v, "%"):
		p.Hint, p.HintCode = "Write the number without the % sign and put % in the unit column.", "not_a_number_percent"
	}
	return 0, p
}

func (ck *checker) parseYear(s string) (int, *Problem) {
	v := strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(v, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1e6 {
		y := int(f)
		if y >= 1900 && y <= 2100 {
			return y, nil
		}
		p := Problem{Column: "year", Value: s, Message: fmt.Sprintf("The year %s is outside 1900–2100.", v), Hint: "Write the four-digit year the value refers to."}.coded("year_range", "year", "Year", v)
		if yearTypoRe.MatchString(v) {
			for i := 0; i < len(v); i++ {
				c := v[:i] + v[i+1:]
				if y, _ := strconv.Atoi(c); y >= 1900 && y <= 2100 {
					p.Hint, p.HintCode = fmt.Sprintf("Did you mean %d? Write the four-digit year the value refers to.", y), "year_typo"
					p.Args["Suggestion"] = strconv.Itoa(y)
					break
				}
			}
		}
		return 0, p
	}
	if v == "" {
		return 0, Problem{Column: "year", Message: "The year is empty.", Hint: "Write the four-digit year the value refers to."}.coded("year_empty", "year")
	}
	return 0, Problem{Column: "year", Value: s, Message: fmt.Sprintf("%q is not a year.", clip(s)), Hint: "Write one four-digit year (for a fiscal or survey period, the year it ends) and say more in the note."}.coded("not_a_year", "", "Value", clip(s))
}

func checkText(col, s string, maxRunes int) *Problem {
	if n := len([]rune(s)); n > maxRunes {
		return Problem{Column: col, Value: clip(s), Message: fmt.Sprintf("The %s is %d characters long; at most %d are allowed.", col, n, maxRunes), Hint: "Shorten it."}.coded("too_long", "", "Column", col, "Length", strconv.Itoa(n), "Max", strconv.Itoa(maxRunes))
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return Problem{Column: col, Value: clip(s), Message: fmt.Sprintf("The %s holds an invisible control character (U+%04X).", col, r), Hint: "Retype the text without it."}.coded("control_char", "", "Column", col, "Char", fmt.Sprintf("U+%04X", r))
		}
	}
	return nil
}

// row checks one data row.
func (ck *checker) row(line int, h header, fields []string) checkedRow {
	r := checkedRow{Line: line}
	get := func(c string) string { return h.get(fields, c) }
	r.City, r.Indicator, r.Source = clip(get("city")), clip(get("indicator")), clip(get("source"))
	r.ValueAsGiven, r.UnitAsGiven = get("value"), get("unit")
	var probs []Problem
	add := func(p *Problem) {
		if p != nil {
			probs = append(probs, *p)
		}
	}
	if extra := len(fields) - len(h.names); extra > 0 {
		nonEmpty := false
		for _, f := range fields[len(h.names):] {
			nonEmpty = nonEmpty || strings.TrimSpace(f) != ""
		}
		if nonEmpty {
			hint, hintCode := "Wrap values that contain the delimiter in double quotes.", "extra_fields"
			if h.comma == ',' {
				hint, hintCode = "A decimal comma (12,5) in a comma-separated file splits the value in two: write 12.5, or quote the value, or save the file separated by semicolons.", "extra_fields_comma"
			}
			add(Problem{Column: columnLetter(len(h.names)), Message: fmt.Sprintf("The row has %d fields but the header has %d.", len(fields), len(h.names)), Hint: hint}.coded("extra_fields", hintCode, "Fields", strconv.Itoa(len(fields)), "Header", strconv.Itoa(len(h.names))))
		}
	}
	area, p := ck.city(get("city"))
	add(p)
	ind, p := ck.indicator(get("indicator"))
	add(p)
	year, p := ck.parseYear(get("year"))
	add(p)
	value, vp := ck.parseValue(get("value"))
	add(vp)

	// Unit: required, and convertible to the indicator's unit.
	ug := get("unit")
	var conv bool
	if ug == "" {
		add(Problem{Column: "unit", Message: "The unit is empty.", Hint: "Write the unit the value is in, such as the indicator's unit from the template."}.coded("unit_empty", ""))
	} else if u, ok := ck.unit(ug); !ok {
		hint, hintCode, accepted := "Use a unit from the template's unit list.", "unknown_unit", ""
		if ind != nil {
			accepted = acceptedUnits(ind.Unit)
			hint, hintCode = "Use "+accepted+".", "unknown_unit_accepted"
		}
		add(Problem{Column: "unit", Value: ug, Message: fmt.Sprintf("The unit %q is unknown.", clip(ug)), Hint: hint}.coded("unknown_unit", hintCode, "Value", clip(ug), "Units", accepted))
	} else if ind != nil {
		want, _ := metrics.LookupUnit(ind.Unit)
		if want == nil || want.Dimension != u.Dimension {
			add(Problem{Column: "unit", Value: ug, Message: fmt.Sprintf("%s cannot be converted to %s, the unit of %s.", u.Label, metrics.UnitLabel(ind.Unit), ind.Code),
				Hint: "Use " + acceptedUnits(ind.Unit) + ", or check the indicator."}.coded("unit_mismatch", "", "Unit", u.Label, "Target", metrics.UnitLabel(ind.Unit), "Indicator", ind.Code, "Units", acceptedUnits(ind.Unit)))
		} else if vp == nil {
			if u != want {
				value = value * u.ToBase / want.ToBase
				conv = true
			}
		}
	}
	r.Value = value

	// Source: a code or title the catalogue knows, or a new one described
	// in the row's source columns.
	sg := get("source")
	src := ck.source(sg)
	switch {
	case sg == "":
		add(Problem{Column: "source", Message: "The source is empty.", Hint: "Write a source code from the template's list, or describe a new source in source_title (and source_publisher, source_url, source_vintage, source_licence)."}.coded("source_empty", ""))
	case src != nil:
		r.SourceID = src.ID
	case get("source_title") == "" && ck.newSources[sg] != nil:
		r.NewSource, r.SourceID = sg, ck.newSources[sg].tempID
	case get("source_title") != "":
		if !metrics.ValidCode(sg) {
			add(Problem{Column: "source", Value: sg, Message: fmt.Sprintf("%q is not usable as the code of a new source.", clip(sg)),
				Hint: "A new source needs a code of lower-case letters, digits and underscores (such as hcmc_doe_2024), with its title in source_title."}.coded("source_code", "", "Value", clip(sg)))
		} else if ns, err := ck.newSource(line, sg, get); err != nil {
			add(err)
		} else {
			r.NewSource, r.SourceID = ns.Code, ns.tempID
		}
	default:
		add(Problem{Column: "source", Value: sg, Message: fmt.Sprintf("The source %q is not in the catalogue.", clip(sg)),
			Hint: "Use a source code from the template's list (or its title), or describe a new source in the source_title column and the other source_ columns."}.coded("unknown_source", "", "Value", clip(sg)))
	}

	flags, p := ck.flags(get("flags"))
	add(p)
	if conv {
		flags = strings.TrimSpace(joinSet(setOf(flags + " converted")))
	}
	r.Flags = flags
	note := get("note")
	add(checkText("note", note, maxNoteRunes))
	if note != "" && strings.ContainsRune("=+-@", rune(note[0])) {
		add(Problem{Column: "note", Value: clip(note), Message: "The note starts with " + string(note[0]) + ", so a spreadsheet would run it as a formula.",
			Hint: "Start the note with a letter or digit (or put an apostrophe before it)."}.coded("note_formula", "", "Char", string(note[0])))
	}
	r.Note = note

	// Rules on the value itself, once it is known in the canonical unit.
	if ind != nil && vp == nil {
		cu, _ := metrics.LookupUnit(ind.Unit)
		switch {
		case cu != nil && cu.Dimension == "share" && (value < 0 || value > 100):
			add(Problem{Column: "value", Value: r.ValueAsGiven, Message: fmt.Sprintf("%s is a percentage; %s is outside 0–100.", ind.Code, FormatPlain(value)), Hint: "Write the share as a percentage between 0 and 100 (50 for one half, not 0.5 × 100 = 5000)."}.coded("share_range", "", "Indicator", ind.Code, "Value", FormatPlain(value)))
		case value < 0 && cu != nil && cu.Dimension != "co2e" && cu.Dimension != "co2":
			add(Problem{Column: "value", Value: r.ValueAsGiven, Message: fmt.Sprintf("%s cannot be negative.", ind.Code), Hint: "Check the sign and the unit."}.coded("negative", "", "Indicator", ind.Code))
		case value < 0:
			add(Problem{Column: "value", Value: r.ValueAsGiven, Warning: true, Message: "A negative emission total (net removals).", Hint: "Confirm that the source reports net negative emissions."}.coded("negative_emissions", ""))
		}
	}
	if year > ck.thisYear+1 && !strings.Contains(" "+r.Flags+" ", " projection ") {
		add(Problem{Column: "year", Value: get("year"), Warning: true, Message: fmt.Sprintf("%d is in the future but the row is not flagged projection.", year), Hint: "Add the projection flag, or check the year."}.coded("future_year", "", "Year", strconv.Itoa(year)))
	}

	errs := 0
	for _, p := range probs {
		if !p.Warning {
			errs++
		}
	}
	if area != nil {
		r.AreaID = area.ID
	}
	if ind != nil {
		r.IndicatorID = ind.ID
	}
	r.Year = year
	if errs == 0 {
		k := obsKey{area: area.ID, ind: ind.ID, year: year, src: r.SourceID}
		if prev, dup := ck.lookSeen(k, line); dup {
			probs = append(probs, *Problem{Column: "city, indicator, year, source", Message: fmt.Sprintf("Line %d already gives a value for %s, %s, %d from this source.", prev, area.Name, ind.Code, year),
				Hint: "Keep one of the two rows; a second value for the same year needs another source."}.coded("duplicate", "", "Line", strconv.Itoa(prev), "City", area.Name, "Indicator", ind.Code, "Year", strconv.Itoa(year)))
			errs++
		}
		if med, ok := ck.medians[[2]int64{area.ID, ind.ID}]; ok && med > 0 && value > 0 && (value >= 10*med || value <= med/10) {
			probs = append(probs, *Problem{Column: "value", Value: r.ValueAsGiven, Warning: true,
				Message: fmt.Sprintf("%s is more than ten times %s the stored values of %s for %s (around %s %s).", FormatPlain(value), map[bool]string{true: "above", false: "below"}[value > med], ind.Code, area.Name, FormatPlain(med), metrics.UnitLabel(ind.Unit)),
				Hint:    "Check the unit (kWh or MWh? t or kt?) and the decimal point; confirm it if it is right."}.coded(map[bool]string{true: "far_above", false: "far_below"}[value > med], "far_off",
				"Value", FormatPlain(value), "Indicator", ind.Code, "City", area.Name, "Median", FormatPlain(med), "Unit", metrics.UnitLabel(ind.Unit)))
		}
		if errs == 0 {
			r.Status = RowNew
			if olds := ck.existing[k]; len(olds) > 0 {
				ov := olds[0].Value
				r.OldValue = &ov
				if len(olds) == 1 && sameValue(olds[0].Value, value) && olds[0].Flags == r.Flags && olds[0].Note == r.Note {
					r.Status = RowUnchanged
				} else {
					r.Status = RowChanged
					r.Changes = diffObs(olds[0], value, r.Flags, r.Note)
					ids := make([]string, len(olds))
					r.OldIDList = make([]int64, len(olds))
					for i, o := range olds {
						ids[i] = strconv.FormatInt(o.ID, 10)
						r.OldIDList[i] = o.ID
					}
					r.OldIDs = strings.Join(ids, " ")
				}
			}
		}
	}
	if errs > 0 {
		r.Status = RowRejected
	}
	for _, p := range probs {
		r.Warn = r.Warn || p.Warning
	}
	r.Problems = probs
	return r
}

// lookSeen finds an earlier line with the same key, or records this one.
func (ck *checker) lookSeen(k obsKey, line int) (int, bool) {
	src := k.src + 1<<15 // new sources have negative ids
	if k.area < 1<<24 && k.ind < 1<<16 && k.year >= 1900 && k.year < 1900+256 && src >= 0 && src < 1<<16 {
		packed := uint64(k.area)<<40 | uint64(k.ind)<<24 | uint64(k.year-1900)<<16 | uint64(src)
		if prev, ok := ck.seen[packed]; ok {
			return int(prev), true
		}
		ck.seen[packed] = int32(line)
		return 0, false
	}
	if prev, ok := ck.seenWide[k]; ok {
		return int(prev), true
	}
	ck.seenWide[k] = int32(line)
	return 0, false
}

func setOf(s string) map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Fields(s) {
		m[f] = true
	}
	return m
}

func sameValue(a, b float64) bool {
	return a == b || math.Abs(a-b) <= 1e-9*math.Max(math.Abs(a), math.Abs(b))
}

// FormatPlain writes a number without exponent or trailing zeros.
func FormatPlain(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func (ck *checker) source(s string) *metrics.Source {
	if src, ok := ck.srcCache[s]; ok {
		return src
	}
	src := ck.srcIdx[strings.ToLower(strings.TrimSpace(s))]
	if src == nil {
		src = ck.srcIdx["title:"+metrics.Fold(s)]
	}
	ck.srcCache[s] = src
	return src
}

func (ck *checker) newSource(line int, code string, get func(string) string) (*NewSource, *Problem) {
	ns := &NewSource{Code: code, Title: get("source_title"), Publisher: get("source_publisher"), URL: get("source_url"),
		Vintage: get("source_vintage"), Licence: get("source_licence"), Line: line}
	for _, f := range []struct{ col, v string }{{"source_title", ns.Title}, {"source_publisher", ns.Publisher}, {"source_url", ns.URL}, {"source_vintage", ns.Vintage}, {"source_licence", ns.Licence}} {
		if p := checkText(f.col, f.v, 500); p != nil {
			return nil, p
		}
	}
	if ns.URL != "" && !strings.HasPrefix(ns.URL, "https://") && !strings.HasPrefix(ns.URL, "http://") {
		return nil, Problem{Column: "source_url", Value: clip(ns.URL), Message: "The source address must start with https:// or http://.", Hint: "Paste the full address of the dataset or publication."}.coded("source_url", "")
	}
	if prev, ok := ck.newSources[code]; ok {
		if prev.Title != ns.Title || prev.Publisher != ns.Publisher || prev.URL != ns.URL || prev.Vintage != ns.Vintage || prev.Licence != ns.Licence {
			return nil, Problem{Column: "source_title", Value: clip(ns.Title), Message: fmt.Sprintf("Line %d describes the new source %s differently.", prev.Line, code), Hint: "Describe a new source the same way on every row, or leave its source_ columns empty after the first row."}.coded("source_differs", "", "Line", strconv.Itoa(prev.Line), "Code", code)
		}
		return prev, nil
	}
	ns.tempID = ck.nextNewSrc
	ck.nextNewSrc--
	ck.newSources[code] = ns
	return ns, nil
}

func acceptedUnits(code string) string {
	ls := metrics.UnitsLike(code)
	if ls == nil {
		return code
	}
	return strings.Join(ls, ", ")
}
