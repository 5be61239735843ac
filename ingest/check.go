package ingest

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/twinmetrics/twinmetrics/locale"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// Problem is one thing wrong (or, as a warning, unlikely) in a row: the
// column, the value as given, what is wrong and how to fix it.
type Problem struct {
	Column  string         `json:"column"`
	Value   string         `json:"value,omitempty"`
	Message locale.Message `json:"message"`
	Hint    locale.Message `json:"hint"`
	Warning bool           `json:"warning,omitempty"`
}

// problem is a problem that rejects the row.
func problem(column, value string, msg, hint locale.Message) *Problem {
	return &Problem{Column: column, Value: value, Message: msg, Hint: hint}
}

// warning is a problem staff confirm before publishing.
func warning(column, value string, msg, hint locale.Message) *Problem {
	return &Problem{Column: column, Value: value, Message: msg, Hint: hint, Warning: true}
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
	// The stored values are read per area and indicator, as rows name
	// them (readExisting).
	loaded  map[[2]int64]bool
	load    func(area, ind int64) error
	loadErr error
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
		if slices.Contains(ck.areaIdx[f], a) {
			return
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

// readExisting makes the check read the stored values of each area and
// indicator the file names, the first time a row names them, for the
// diff and the plausibility warnings: its memory follows the file, not
// the database. The first error stops the check (see loadErr).
func (ck *checker) readExisting(ctx context.Context, s *metrics.Store) {
	ck.existing = map[obsKey][]existingObs{}
	ck.medians = map[[2]int64]float64{}
	ck.loaded = map[[2]int64]bool{}
	ck.load = func(area, ind int64) error {
		vs, err := s.CurrentValuesOf(ctx, area, ind)
		if err != nil {
			return err
		}
		vals := make([]float64, 0, len(vs))
		for _, v := range vs {
			k := obsKey{area: v.AreaID, ind: v.IndicatorID, src: v.SourceID, year: v.Year}
			ck.existing[k] = append(ck.existing[k], existingObs{ID: v.ID, Value: v.Value, Flags: v.Flags, Note: v.Note})
			vals = append(vals, v.Value)
		}
		if len(vals) > 0 {
			sort.Float64s(vals)
			ck.medians[[2]int64{area, ind}] = vals[len(vals)/2]
		}
		return nil
	}
}

// ensureExisting reads the stored values of one area and indicator if
// no earlier row did.
func (ck *checker) ensureExisting(area, ind int64) {
	k := [2]int64{area, ind}
	if ck.loaded[k] || ck.load == nil || ck.loadErr != nil {
		return
	}
	ck.loaded[k] = true
	ck.loadErr = ck.load(area, ind)
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

// suggest is the hint plain, or, when there are suggestions, the hint
// that offers them.
func suggest(plain, withSuggestions locale.Key, near []string) locale.Message {
	if len(near) == 0 {
		return plain.With()
	}
	return withSuggestions.With(strings.Join(near, ", "))
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
		res.prob = problem("city", "", probCityEmpty.With(), hintCityEmpty.With())
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
		res.prob = problem("city", s, probCityAmbiguous.With(s, strings.Join(names, ", ")), hintCityAmbiguous.With())
	default:
		near := nearest(s, ck.areaNames)
		res.prob = problem("city", s, probUnknownCity.With(clip(s)), suggest(hintUnknownCity, hintUnknownCitySuggest, near))
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
		res.prob = problem("indicator", "", probIndicatorEmpty.With(), hintIndicatorEmpty.With())
	case i == nil:
		near := nearest(s, ck.indNames)
		res.prob = problem("indicator", s, probUnknownIndicator.With(clip(s)), suggest(hintUnknownIndicator, hintUnknownIndicatorSuggest, near))
	case i.Derived():
		num, den := ck.cat.IndicatorByID(i.NumeratorID.Int64), ck.cat.IndicatorByID(i.DenominatorID.Int64)
		hint := hintIndicatorDerived.With()
		if num != nil && den != nil {
			hint = hintIndicatorDerivedComponents.With(num.Code, den.Code)
		}
		res.prob = problem("indicator", s, probIndicatorDerived.With(i.Code), hint)
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
		res.prob = problem("flags", s, probUnknownFlag.With(strings.Join(bad, ", ")), hintUnknownFlag.With(strings.Join(codes, ", ")))
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
		return 0, problem("value", "", probValueEmpty.With(), hintValueEmpty.With())
	}
	if ck.comma == ';' && strings.Count(v, ",") == 1 && !strings.Contains(v, ".") {
		v = strings.Replace(v, ",", ".", 1)
	} else if ck.comma != ';' && strings.Count(v, ",") == 1 && !strings.Contains(v, ".") && numberRe.MatchString(strings.Replace(v, ",", ".", 1)) && !thousandsRe.MatchString(v) {
		return 0, problem("value", s, probDecimalComma.With(s), hintDecimalComma.With(strings.Replace(v, ",", ".", 1)))
	}
	if numberRe.MatchString(v) {
		f, err := strconv.ParseFloat(v, 64)
		if err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f, nil
		}
	}
	hint := hintNotANumber
	switch {
	case thousandsRe.MatchString(v):
		hint = hintNotANumberThousands
	case strings.HasSuffix(v, "%"):
		hint = hintNotANumberPercent
	}
	return 0, problem("value", s, probNotANumber.With(clip(s)), hint.With())
}

func (ck *checker) parseYear(s string) (int, *Problem) {
	v := strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(v, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1e6 {
		y := int(f)
		if y >= 1900 && y <= 2100 {
			return y, nil
		}
		p := problem("year", s, probYearRange.With(v), hintYear.With())
		if yearTypoRe.MatchString(v) {
			for i := 0; i < len(v); i++ {
				c := v[:i] + v[i+1:]
				if y, _ := strconv.Atoi(c); y >= 1900 && y <= 2100 {
					p.Hint = hintYearTypo.With(y)
					break
				}
			}
		}
		return 0, p
	}
	if v == "" {
		return 0, problem("year", "", probYearEmpty.With(), hintYear.With())
	}
	return 0, problem("year", s, probNotAYear.With(clip(s)), hintNotAYear.With())
}

func checkText(col, s string, maxRunes int) *Problem {
	if n := len([]rune(s)); n > maxRunes {
		return problem(col, clip(s), probTooLong.With(col, n, maxRunes), hintTooLong.With())
	}
	// Bidirectional overrides and isolates are format characters, not
	// controls, but as invisible and more harmful: they make a note
	// display as something it is not.
	if r, ok := metrics.BidiControl(s); ok {
		return problem(col, clip(s), probControlChar.With(col, fmt.Sprintf("U+%04X", r)), hintControlChar.With())
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return problem(col, clip(s), probControlChar.With(col, fmt.Sprintf("U+%04X", r)), hintControlChar.With())
		}
	}
	return nil
}

// row checks one data row: each field, then the value against the
// rules of its indicator, then the row against the rows before it and
// the stored values.
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
	add(extraFields(h, fields))
	area, p := ck.city(get("city"))
	add(p)
	ind, p := ck.indicator(get("indicator"))
	add(p)
	year, p := ck.parseYear(get("year"))
	add(p)
	value, vp := ck.parseValue(get("value"))
	add(vp)
	value, converted, p := ck.convert(r.UnitAsGiven, ind, value, vp == nil)
	add(p)
	r.Value = value
	add(ck.rowSource(&r, line, get))
	flags, p := ck.flags(get("flags"))
	add(p)
	if converted {
		flags = strings.TrimSpace(joinSet(setOf(flags + " converted")))
	}
	r.Flags = flags
	r.Note = get("note")
	add(checkText("note", r.Note, maxNoteRunes))
	if r.Note != "" && strings.ContainsRune("=+-@", rune(r.Note[0])) {
		add(problem("note", clip(r.Note), probNoteFormula.With(string(r.Note[0])), hintNoteFormula.With()))
	}
	if ind != nil && vp == nil {
		add(valueRule(ind, value, r.ValueAsGiven))
	}
	if year > ck.thisYear+1 && !strings.Contains(" "+r.Flags+" ", " projection ") {
		add(warning("year", get("year"), probFutureYear.With(year), hintFutureYear.With()))
	}
	if area != nil {
		r.AreaID = area.ID
	}
	if ind != nil {
		r.IndicatorID = ind.ID
	}
	r.Year = year
	r.Problems = probs
	ck.compare(&r, area, ind)
	return r
}

// extraFields is the problem of a row longer than the header, unless
// what is beyond it is empty.
func extraFields(h header, fields []string) *Problem {
	if len(fields) <= len(h.names) || blankRow(fields[len(h.names):]) {
		return nil
	}
	hint := hintExtraFields
	if h.comma == ',' {
		hint = hintExtraFieldsComma
	}
	return problem(columnLetter(len(h.names)), "", probExtraFields.With(len(fields), len(h.names)), hint.With())
}

// convert checks the unit as given, which must be the indicator's or
// convertible to it, and converts a valid value to the indicator's unit.
func (ck *checker) convert(ug string, ind *metrics.Indicator, value float64, valid bool) (float64, bool, *Problem) {
	if ug == "" {
		return value, false, problem("unit", "", probUnitEmpty.With(), hintUnitEmpty.With())
	}
	u, ok := ck.unit(ug)
	if !ok {
		hint := hintUnknownUnit.With()
		if ind != nil {
			hint = hintUnknownUnitAccepted.With(acceptedUnits(ind.Unit))
		}
		return value, false, problem("unit", ug, probUnknownUnit.With(clip(ug)), hint)
	}
	if ind == nil {
		return value, false, nil
	}
	want, _ := metrics.LookupUnit(ind.Unit)
	if want == nil || want.Dimension != u.Dimension {
		return value, false, problem("unit", ug, probUnitMismatch.With(u.Label, metrics.UnitLabel(ind.Unit), ind.Code), hintUnitMismatch.With(acceptedUnits(ind.Unit)))
	}
	if !valid || u == want {
		return value, false, nil
	}
	return value * u.ToBase / want.ToBase, true, nil
}

// rowSource finds the row's source: a code or title the catalogue
// knows, or a new one described in the row's source columns.
func (ck *checker) rowSource(r *checkedRow, line int, get func(string) string) *Problem {
	sg := get("source")
	src := ck.source(sg)
	switch {
	case sg == "":
		return problem("source", "", probSourceEmpty.With(), hintSourceEmpty.With())
	case src != nil:
		r.SourceID = src.ID
	case get("source_title") == "" && ck.newSources[sg] != nil:
		r.NewSource, r.SourceID = sg, ck.newSources[sg].tempID
	case get("source_title") != "":
		if !metrics.ValidCode(sg) {
			return problem("source", sg, probSourceCode.With(clip(sg)), hintSourceCode.With())
		}
		ns, p := ck.newSource(line, sg, get)
		if p != nil {
			return p
		}
		r.NewSource, r.SourceID = ns.Code, ns.tempID
	default:
		return problem("source", sg, probUnknownSource.With(clip(sg)), hintUnknownSource.With())
	}
	return nil
}

// valueRule checks a value, in the indicator's unit, against what the
// indicator can be.
func valueRule(ind *metrics.Indicator, value float64, asGiven string) *Problem {
	cu, _ := metrics.LookupUnit(ind.Unit)
	switch {
	case cu != nil && cu.Dimension == "share" && (value < 0 || value > 100):
		return problem("value", asGiven, probShareRange.With(ind.Code, metrics.FormatPlain(value)), hintShareRange.With())
	case value < 0 && cu != nil && cu.Dimension != "co2e" && cu.Dimension != "co2":
		return problem("value", asGiven, probNegative.With(ind.Code), hintNegative.With())
	case value < 0:
		return warning("value", asGiven, probNegativeEmissions.With(), hintNegativeEmissions.With())
	}
	return nil
}

// compare sets a row's status: rejected for any problem or a repeat of
// an earlier row; else new, changed or unchanged against the stored
// values, with a warning for a value far from them.
func (ck *checker) compare(r *checkedRow, area *metrics.Area, ind *metrics.Indicator) {
	defer func() {
		for _, p := range r.Problems {
			r.Warn = r.Warn || p.Warning
		}
	}()
	for _, p := range r.Problems {
		if !p.Warning {
			r.Status = RowRejected
			return
		}
	}
	k := obsKey{area: area.ID, ind: ind.ID, year: r.Year, src: r.SourceID}
	ck.ensureExisting(area.ID, ind.ID)
	if prev, dup := ck.lookSeen(k, r.Line); dup {
		r.Problems = append(r.Problems, *problem("city, indicator, year, source", "", probDuplicate.With(prev, area.Name, ind.Code, r.Year), hintDuplicate.With()))
		r.Status = RowRejected
	}
	if med, ok := ck.medians[[2]int64{area.ID, ind.ID}]; ok && med > 0 && r.Value > 0 && (r.Value >= 10*med || r.Value <= med/10) {
		far := probFarBelow
		if r.Value > med {
			far = probFarAbove
		}
		r.Problems = append(r.Problems, *warning("value", r.ValueAsGiven, far.With(metrics.FormatPlain(r.Value), ind.Code, area.Name, metrics.FormatPlain(med), metrics.UnitLabel(ind.Unit)), hintFarOff.With()))
	}
	if r.Status == RowRejected {
		return
	}
	r.Status = RowNew
	olds := ck.existing[k]
	if len(olds) == 0 {
		return
	}
	ov := olds[0].Value
	r.OldValue = &ov
	if len(olds) == 1 && sameValue(olds[0].Value, r.Value) && olds[0].Flags == r.Flags && olds[0].Note == r.Note {
		r.Status = RowUnchanged
		return
	}
	r.Status = RowChanged
	ids := make([]string, len(olds))
	r.OldIDList = make([]int64, len(olds))
	for i, o := range olds {
		ids[i] = strconv.FormatInt(o.ID, 10)
		r.OldIDList[i] = o.ID
	}
	r.OldIDs = strings.Join(ids, " ")
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
		return nil, problem("source_url", clip(ns.URL), probSourceURL.With(), hintSourceURL.With())
	}
	if prev, ok := ck.newSources[code]; ok {
		if prev.Title != ns.Title || prev.Publisher != ns.Publisher || prev.URL != ns.URL || prev.Vintage != ns.Vintage || prev.Licence != ns.Licence {
			return nil, problem("source_title", clip(ns.Title), probSourceDiffers.With(prev.Line, code), hintSourceDiffers.With())
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
