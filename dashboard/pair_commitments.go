package dashboard

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// commitmentsView is the climate commitments of the areas a page is
// about: each city's targets as their sources printed them, the
// progress arithmetic where it can be done, and for a pair the honest
// comparison of the two sides' headline targets.
type commitmentsView struct {
	Cities  []cityCommitments
	Compare string // "Milan: −45 % by 2030 against 2005, in a policy document; Hanoi: … — different base years"
	// National are the countries' targets, for context.
	National []areaTargets

	byArea map[int64][]metrics.Target
}

// paperSources are the ids of the sources of what a printout keeps of
// the commitments: each city's net-zero line and the headline targets
// the sides are compared on.
func (v *commitmentsView) paperSources() []int64 {
	if v == nil {
		return nil
	}
	var out []int64
	for _, cc := range v.Cities {
		if cc.area == nil {
			continue
		}
		ts := v.byArea[cc.area.ID]
		for _, t := range ts {
			if t.Kind == metrics.TargetNetZero || t.Kind == metrics.TargetCarbonNeutrality {
				out = append(out, t.SourceID)
			}
		}
		if h := headlineTarget(ts); h != nil {
			out = append(out, h.SourceID)
		}
	}
	return out
}

// charts are the progress charts of the view's cities.
func (v *commitmentsView) charts() []*Chart {
	if v == nil {
		return nil
	}
	var out []*Chart
	for _, c := range v.Cities {
		if c.Chart != nil {
			out = append(out, c.Chart)
		}
	}
	return out
}

type cityCommitments struct {
	City     string
	Slug     string
	NetZero  string // "Net zero by 2050, in a policy document (Net Zero Tracker 2022)" or the reason there is none
	Own      areaTargets
	Larger   []areaTargets // targets of linked or containing areas, never the city's own
	Progress []progressView
	None     bool // no target and no statement in any source we hold
	// Chart draws the inventory against each target's straight path.
	Chart *Chart

	area *metrics.Area
}

type areaTargets struct {
	Area    string
	Slug    string
	Targets []targetView
}

type targetView struct {
	Text      string // the target in words
	Role      string
	Status    string
	Statement bool // "No target", as stated
	Source    string
	SourceID  string // the source code, for the link to /about
	Where     string // the URL where the source read it
	Notes     []string
}

type progressView struct {
	Target   string
	Text     string // the arithmetic, or which piece is missing
	Computed bool
	Ahead    bool
	Basis    string // where the base and the inventory come from

	p metrics.Progress
}

// commitmentsFor builds the commitments of the given cities (one or
// both sides of a pair), with their countries' targets as context.
func commitmentsFor(ctx context.Context, store *metrics.Store, loc Locale, cat *metrics.Catalogue, cities []*metrics.Area, data *metrics.Dataset) (*commitmentsView, []int64, error) {
	ids := []int64{}
	seen := map[int64]bool{}
	add := func(a *metrics.Area) {
		if a != nil && !seen[a.ID] {
			seen[a.ID] = true
			ids = append(ids, a.ID)
		}
	}
	var countries []*metrics.Area
	for _, c := range cities {
		add(c)
		for _, ch := range cat.Children(c.ID) {
			add(ch)
		}
		for _, big := range cat.ContainedIn(c.ID) {
			add(big)
		}
		if ctry := cat.Country(c.CountryISO3); ctry != nil && !seen[ctry.ID] {
			add(ctry)
			countries = append(countries, ctry)
		}
	}
	ts, err := store.TargetsFor(ctx, ids...)
	if err != nil {
		return nil, nil, err
	}
	byArea := map[int64][]metrics.Target{}
	for _, t := range ts {
		byArea[t.AreaID] = append(byArea[t.AreaID], t)
	}
	v := &commitmentsView{byArea: byArea}
	for _, c := range cities {
		cc := cityCommitments{City: loc.AreaName(c), Slug: c.Slug, area: c}
		own := byArea[c.ID]
		metrics.SortTargets(own)
		cc.Own = areaTargetsView(loc, cat, c, own)
		cc.NetZero = netZeroText(loc, cat, own)
		var larger []*metrics.Area
		larger = append(larger, cat.Children(c.ID)...)
		for _, big := range cat.ContainedIn(c.ID) {
			if !containsArea(larger, big) {
				larger = append(larger, big)
			}
		}
		cc.Larger = targetedAreas(loc, cat, byArea, larger)
		cc.None = len(own) == 0 && len(cc.Larger) == 0
		if data != nil {
			var obs []metrics.Observation
			for _, ind := range metrics.InventoryIndicators {
				if i, err := cat.Indicator(ind); err == nil {
					for _, pt := range data.Series(c.ID, i.ID) {
						obs = append(obs, pt.Obs)
					}
				}
			}
			// One line per distinct target (sources repeat one another),
			// computed from the copy that prints its base if any does.
			at := map[string]int{}
			for _, t := range own {
				if t.Kind != metrics.TargetAbsolute {
					continue
				}
				key := fmt.Sprint(t.BaseYear, t.TargetYear, t.Percent, t.CoversWholeInventory())
				pv := progressText(loc, cat, c, t, obs)
				if i, ok := at[key]; ok {
					if pv.Computed && !cc.Progress[i].Computed {
						cc.Progress[i] = pv
					}
					continue
				}
				at[key] = len(cc.Progress)
				cc.Progress = append(cc.Progress, pv)
			}
			ch, err := progressChart(loc, cat, c, data, cc.Progress)
			if err != nil {
				return nil, nil, err
			}
			cc.Chart = ch
		}
		v.Cities = append(v.Cities, cc)
	}
	v.National = targetedAreas(loc, cat, byArea, countries)
	return v, ids, nil
}

func containsArea(as []*metrics.Area, a *metrics.Area) bool {
	for _, x := range as {
		if x.ID == a.ID {
			return true
		}
	}
	return false
}

// targetedAreas are the views of those of areas that have targets, each
// area's targets sorted.
func targetedAreas(loc Locale, cat *metrics.Catalogue, byArea map[int64][]metrics.Target, areas []*metrics.Area) []areaTargets {
	var out []areaTargets
	for _, a := range areas {
		if ts := byArea[a.ID]; len(ts) > 0 {
			metrics.SortTargets(ts)
			out = append(out, areaTargetsView(loc, cat, a, ts))
		}
	}
	return out
}

func areaTargetsView(loc Locale, cat *metrics.Catalogue, a *metrics.Area, ts []metrics.Target) areaTargets {
	at := areaTargets{Area: loc.AreaName(a), Slug: a.Slug}
	for _, t := range ts {
		at.Targets = append(at.Targets, targetViewOf(loc, cat, t))
	}
	return at
}

func pct(loc Locale, v float64) string { return loc.Num(v) }

// targetText words a target: "−45 % by 2030 against 2005".
func targetText(loc Locale, cat *metrics.Catalogue, t metrics.Target) string {
	year := ""
	if t.TargetYear.Valid {
		year = strconv.FormatInt(t.TargetYear.Int64, 10)
	}
	base := ""
	if t.BaseYear.Valid {
		base = strconv.FormatInt(t.BaseYear.Int64, 10)
	}
	src := cat.Source(t.SourceID)
	switch t.Kind {
	case metrics.TargetNone:
		if src != nil && strings.HasPrefix(src.Code, "net_zero_tracker") {
			return loc.T("target.no_target_tracker", "Year", t.ReportYear)
		}
		return loc.T("target.no_target_reported", "Year", t.ReportYear)
	case metrics.TargetNetZero:
		return loc.T("target.net_zero", "Year", year)
	case metrics.TargetCarbonNeutrality:
		return loc.T("target.carbon_neutrality", "Year", year, "Printed", t.KindAsPrinted)
	case metrics.TargetFixedLevel:
		return loc.T("target.fixed_level", "Year", year, "Level", t.LevelAsPrinted)
	case metrics.TargetOther:
		return loc.T("target.other", "Year", year)
	case metrics.TargetBAU:
		if !t.Percent.Valid {
			return loc.T("target.bau_no_percent", "Year", year)
		}
		return loc.T("target.bau", "Percent", pct(loc, t.Percent.Float64), "Year", year)
	case metrics.TargetIntensity:
		return loc.T("target.intensity", "Percent", pct(loc, t.Percent.Float64), "Year", year, "Base", base, "Unit", t.IntensityUnit)
	}
	switch {
	case t.Percent.Valid && base != "" && year != "":
		return loc.T("target.reduction", "Percent", pct(loc, t.Percent.Float64), "Year", year, "Base", base)
	case t.Percent.Valid && year != "":
		return loc.T("target.reduction_no_base", "Percent", pct(loc, t.Percent.Float64), "Year", year)
	case t.Percent.Valid:
		return loc.T("target.reduction_no_year", "Percent", pct(loc, t.Percent.Float64), "Base", base)
	}
	return loc.T("target.other", "Year", year)
}

func statusText(loc Locale, t metrics.Target) string {
	if t.IsStatement() {
		return ""
	}
	if t.Status == "" {
		return loc.T("target.status.none")
	}
	return loc.T("target.status." + t.Status)
}

func targetViewOf(loc Locale, cat *metrics.Catalogue, t metrics.Target) targetView {
	tv := targetView{Text: targetText(loc, cat, t), Status: statusText(loc, t), Statement: t.IsStatement(), Where: safeURL(t.SourceURL)}
	if t.Role != "" {
		tv.Role = loc.T("target.role." + t.Role)
	}
	if src := cat.Source(t.SourceID); src != nil {
		tv.Source = loc.T("target.read_in", "Source", sourceShort(src), "Year", t.ReportYear)
		tv.SourceID = src.Code
	}
	if t.Sector != "" && !t.CoversWholeInventory() {
		tv.Notes = append(tv.Notes, loc.T("target.sector", "Sector", t.Sector))
	}
	if t.Gases != "" {
		tv.Notes = append(tv.Notes, loc.T("target.gases", "Gases", t.Gases))
	}
	if t.BaseValueAsPrinted != "" {
		tv.Notes = append(tv.Notes, loc.T("target.base_value", "Value", t.BaseValueAsPrinted))
	}
	if t.AchievedPercent.Valid {
		tv.Notes = append(tv.Notes, loc.T("target.achieved_reported", "Percent", pct(loc, t.AchievedPercent.Float64), "Year", t.ReportYear))
	}
	if t.Kind == metrics.TargetCarbonNeutrality && t.KindAsPrinted != "" {
		tv.Notes = append(tv.Notes, loc.T("target.as_printed", "Printed", t.KindAsPrinted))
	}
	return tv
}

func sourceShort(s *metrics.Source) string {
	if s.ShortTitle != "" {
		return s.ShortTitle
	}
	return s.Title
}

// safeURL keeps only web addresses; anything else (javascript: …) from
// an upload is dropped.
func safeURL(u string) string {
	l := strings.ToLower(strings.TrimSpace(u))
	if strings.HasPrefix(l, "https://") || strings.HasPrefix(l, "http://") {
		return strings.TrimSpace(u)
	}
	return ""
}

// netZeroText says the city's net-zero (or neutrality) year with its
// status and source, or that none is recorded.
func netZeroText(loc Locale, cat *metrics.Catalogue, ts []metrics.Target) string {
	var parts []string
	for _, t := range ts {
		if t.Kind != metrics.TargetNetZero && t.Kind != metrics.TargetCarbonNeutrality {
			continue
		}
		src := ""
		if s := cat.Source(t.SourceID); s != nil {
			src = sourceShort(s)
		}
		parts = append(parts, loc.T("commit.net_zero_line", "Target", targetText(loc, cat, t), "Status", statusText(loc, t), "Source", src))
	}
	if len(parts) == 0 {
		return loc.T("commit.no_net_zero")
	}
	return strings.Join(parts, "; ")
}

// progressText words the progress arithmetic of one target, or which
// piece is missing.
func progressText(loc Locale, cat *metrics.Catalogue, city *metrics.Area, t metrics.Target, obs []metrics.Observation) progressView {
	indCode := func(id int64) string {
		if i := cat.IndicatorByID(id); i != nil {
			return i.Code
		}
		return ""
	}
	kind := func(id int64) string {
		if s := cat.Source(id); s != nil {
			return s.Kind
		}
		return ""
	}
	p := metrics.ProgressAgainst(t, obs, indCode, kind)
	pv := progressView{Target: targetText(loc, cat, t), Computed: p.Computed(), Ahead: p.Ahead, p: p}
	base, target := "", ""
	if t.BaseYear.Valid {
		base = strconv.FormatInt(t.BaseYear.Int64, 10)
	}
	if t.TargetYear.Valid {
		target = strconv.FormatInt(t.TargetYear.Int64, 10)
	}
	if !p.Computed() {
		pv.Text = loc.T("progress.missing."+p.Missing, "City", loc.AreaName(city), "Base", base, "Target", target,
			"Printed", t.BaseValueAsPrinted, "Sector", t.Sector)
		return pv
	}
	verdict := loc.T("progress.behind")
	if p.Ahead {
		verdict = loc.T("progress.ahead")
	}
	args := []any{"Year", p.Year, "Value", megatonnes(loc, p.Value), "Base", base, "Target", target,
		"Percent", pct(loc, t.Percent.Float64), "Needed", loc.Num(metrics.RoundPercent(p.Needed)), "Verdict", verdict}
	if p.Below >= 0 {
		pv.Text = loc.T("progress.below", append(args, "Below", loc.Num(metrics.RoundPercent(p.Below)))...)
	} else {
		pv.Text = loc.T("progress.above", append(args, "Above", loc.Num(metrics.RoundPercent(-p.Below)))...)
	}
	invSrc := p.Inventory.SourceTitle.String
	if invSrc == "" {
		if s := cat.Source(p.Inventory.SourceID.Int64); s != nil {
			invSrc = sourceShort(s)
		}
	}
	indName := p.Indicator
	if i, err := cat.Indicator(p.Indicator); err == nil {
		indName = loc.IndicatorName(i)
	}
	if p.BaseFromTarget {
		pv.Basis = loc.T("progress.basis_target", "BaseValue", megatonnes(loc, p.BaseValue), "Base", base,
			"Indicator", indName, "Source", invSrc)
	} else {
		pv.Basis = loc.T("progress.basis_inventory", "BaseValue", megatonnes(loc, p.BaseValue), "Base", base,
			"Indicator", indName, "Source", invSrc)
	}
	return pv
}

// megatonnes writes tonnes of CO2e as megatonnes with two decimals:
// "4.29 Mt".
func megatonnes(loc Locale, t float64) string {
	return loc.Num(float64(int64(t/10000+0.5))/100) + " Mt"
}

// compareSides words the honest comparison of the two sides' headline
// reduction targets: each with its status, then what differs.
func compareSides(loc Locale, cat *metrics.Catalogue, p *metrics.Pair, ts map[int64][]metrics.Target) string {
	var sides [2][]*metrics.Area
	for i := range p.Sides {
		for j := range p.Sides[i].Cities {
			sides[i] = append(sides[i], &p.Sides[i].Cities[j])
		}
	}
	var heads [2]*metrics.Target
	var names [2]string
	for i, sd := range sides {
		if len(sd) != 1 {
			return ""
		}
		names[i] = loc.AreaName(sd[0])
		heads[i] = headlineTarget(ts[sd[0].ID])
	}
	if heads[0] == nil && heads[1] == nil {
		return ""
	}
	var parts []string
	for i, h := range heads {
		if h == nil {
			parts = append(parts, loc.T("commit.side_none", "City", names[i]))
			continue
		}
		parts = append(parts, loc.T("commit.side", "City", names[i], "Target", targetText(loc, cat, *h), "Status", statusText(loc, *h)))
	}
	s := strings.Join(parts, "; ")
	if heads[0] == nil || heads[1] == nil {
		return s
	}
	return s + " — " + headlineDiffs(loc, heads[0], heads[1])
}

// headlineDiffs says what differs between two sides' headline targets:
// "different base years, read in different sources".
func headlineDiffs(loc Locale, a, b *metrics.Target) string {
	var diffs []string
	if a.BaseYear != b.BaseYear {
		diffs = append(diffs, loc.T("commit.diff.base_years"))
	}
	if a.TargetYear != b.TargetYear {
		diffs = append(diffs, loc.T("commit.diff.target_years"))
	}
	if a.Kind != b.Kind {
		diffs = append(diffs, loc.T("commit.diff.kinds"))
	}
	if a.SourceID != b.SourceID {
		diffs = append(diffs, loc.T("commit.diff.sources"))
	}
	if len(diffs) == 0 {
		return loc.T("commit.diff.none")
	}
	return strings.Join(diffs, ", ")
}

// headlineTarget is the target a comparison leads with: a reduction of
// the whole inventory by a year, the tracker's (it states a status)
// before a city's own report, the nearest target year first.
func headlineTarget(ts []metrics.Target) *metrics.Target {
	var best *metrics.Target
	score := func(t *metrics.Target) int {
		s := 0
		if t.Status != "" {
			s += 4
		}
		if t.BaseValue.Valid {
			s += 2
		}
		return s + t.ReportYear - 2000
	}
	for i := range ts {
		t := &ts[i]
		if t.Kind != metrics.TargetAbsolute || !t.Percent.Valid || !t.TargetYear.Valid || !t.CoversWholeInventory() || t.TargetYear.Int64 < 2025 {
			continue
		}
		if best == nil || t.TargetYear.Int64 < best.TargetYear.Int64 ||
			(t.TargetYear.Int64 == best.TargetYear.Int64 && score(t) > score(best)) {
			best = t
		}
	}
	return best
}

// modelledName marks a chart series whose every value is a modelled
// estimate, so that the legend says so.
func modelledName(loc Locale, name string, pts []metrics.Point) string {
	if len(pts) == 0 {
		return name
	}
	for _, p := range pts {
		if !p.Obs.Modelled() {
			return name
		}
	}
	return name + " (" + loc.T("value.modelled") + ")"
}

// kindWarningText words the warning that a reported value is set
// against a modelled one, or two modelled datasets against each other.
func kindWarningText(loc Locale, w metrics.Warning) string {
	if w.Kind == metrics.WarnModelledDatasets {
		return loc.T("warn.modelled_datasets", "A", sourceName(w.A.Point.Obs), "B", sourceName(w.B.Point.Obs))
	}
	m, r := w.A, w.B
	if !m.Point.Obs.Modelled() {
		m, r = w.B, w.A
	}
	return loc.T("warn.kinds", "Modelled", loc.AreaName(m.City), "Reported", loc.AreaName(r.City))
}

// HasCharts reports whether any city's commitments carry a chart.
func (v *commitmentsView) HasCharts() bool {
	if v == nil {
		return false
	}
	for _, c := range v.Cities {
		if c.Chart != nil {
			return true
		}
	}
	return false
}

// progressChart draws a city's inventory of the indicator the progress
// was computed on, and for each target it could be placed against, the
// straight path from the base to the target, ending in the target's
// point at its target year. Years run without gaps, so time is to scale.
func progressChart(loc Locale, cat *metrics.Catalogue, city *metrics.Area, data *metrics.Dataset, ps []progressView) (*Chart, error) {
	var done []metrics.Progress
	for _, pv := range ps {
		if pv.Computed {
			done = append(done, pv.p)
		}
	}
	if len(done) == 0 {
		return nil, nil
	}
	ind, err := cat.Indicator(done[0].Indicator)
	if err != nil {
		return nil, nil
	}
	inv := series{Name: loc.AreaName(city) + " · " + loc.IndicatorName(ind), Values: map[int]float64{}, Notes: map[int]string{}}
	for _, pt := range data.Series(city.ID, ind.ID) {
		inv.Values[pt.Year] = pt.Value
		inv.Notes[pt.Year] = sourceName(pt.Obs)
		if id := pt.Obs.SourceID; id.Valid && !slices.Contains(inv.Sources, id.Int64) {
			inv.Sources = append(inv.Sources, id.Int64)
		}
	}
	ss := []series{inv}
	lo, hi := 0, 0
	for y := range inv.Values {
		if lo == 0 || y < lo {
			lo = y
		}
		if y > hi {
			hi = y
		}
	}
	for _, p := range done {
		if p.Indicator != ind.Code {
			continue
		}
		ty := int(p.Target.TargetYear.Int64)
		// The path is a line; only its base and its target are points.
		s := series{Name: loc.T("commit.path", "Target", targetText(loc, cat, p.Target)), Values: map[int]float64{}, Notes: map[int]string{}, Context: true,
			Marks: map[int]bool{p.BaseYear: true, ty: true}}
		for y := p.BaseYear; y <= ty; y++ {
			s.Values[y] = math.Round(p.PathAt(y))
		}
		s.Notes[p.BaseYear] = loc.T("commit.path_base")
		s.Notes[ty] = loc.T("commit.path_target")
		ss = append(ss, s)
		if p.BaseYear < lo {
			lo = p.BaseYear
		}
		if ty > hi {
			hi = ty
		}
	}
	var years []int
	for y := lo; y <= hi; y++ {
		years = append(years, y)
	}
	unit := loc.Unit(ind.Unit)
	// The paths' names are long: the legend wraps onto as many lines as
	// it needs (charts.js makes room for them) rather than paging.
	return lineChart(loc, chartID("targets", city.Slug), loc.T("commit.chart_title", "City", loc.AreaName(city)), unit, unit, years, ss, nil,
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Type: "plain", Bottom: "0"}))
}
