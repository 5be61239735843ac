package dashboard

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
)

// missing is how ECharts is told that a value does not exist: the line
// breaks there. It is never drawn as zero.
const missing = "-"

// Chart is a chart ready for a template: its option JSON (escaped by
// html/template inside a JSON script element, never written raw), and a
// table with the same numbers for readers who cannot see the chart.
type Chart struct {
	ID      string
	Title   string
	Summary string
	Option  json.RawMessage
	Table   Table
	// Notes are the chart's footnote: the flags it shows, where a line
	// breaks for a change of source, the reference lines' sources.
	Notes []string
	// Embed is the <iframe> that shows the chart on another site, for
	// the charts that have an embed address.
	Embed string
	// DataCSV downloads the values the chart draws.
	DataCSV string
	// Credit is the footer of the chart's slide image (charts.js draws
	// it under the chart): its sources with their licences, the years
	// and the flags it shows, the data version and the page's address,
	// one line each. Set by creditCharts.
	Credit string
	// What the credit is made of, gathered while the chart is built
	// from the same points it draws.
	sources    []int64
	refSources []string
	years      []int
	flags      []string
	// Link is the address of the chart on its page, with the page's
	// view and data version.
	Link string
	// Key marks a chart a printout of its page keeps (markKeyCharts);
	// the others stay on the screen.
	Key bool
}

// Table is a chart's table alternative.
type Table struct {
	Caption string
	Head    []string
	Rows    []TableRow
}

// TableRow is one row of a table alternative.
type TableRow struct {
	Label string
	Cells []Cell
}

// Cell is a value in a table alternative; Missing cells say so.
type Cell struct {
	Text    string
	Missing bool
	Note    string
}

// series is one line or one set of bars.
type series struct {
	Name   string
	Values map[int]float64 // by year (line) or by category index (bar)
	Notes  map[int]string
	// Flags are the names of the flags of a point, drawn hollow with
	// the flags in the tooltip.
	Flags map[int][]string
	// Breaks marks the years where the source changes: the line stops
	// before them.
	Breaks  map[int]bool
	Context bool // a national context line, drawn dashed
	Dashed  bool // a projection, drawn dashed
	// Alternate is another release of a database, drawn dotted with
	// triangles beside the release the headline rule shows.
	Alternate bool
	Colour    string // fixed per area; empty: the palette's order
	// Sources are the ids of the sources of the values drawn, in the
	// order met.
	Sources []int64
	// Footnotes explain the series' flags and line breaks under the chart.
	Footnotes []string
	// Marks, when set, are the only years drawn with a point (a target's
	// straight path: its base and its target); the rest is a plain line.
	Marks map[int]bool
}

// refLine is a horizontal line a series is read against.
type refLine struct {
	Label  string // in the footnote: "WHO interim target 1"
	Short  string // beside the line: "WHO IT1"
	Value  float64
	Limit  bool // an EU limit value, drawn apart from the WHO levels
	Source string
}

// encode validates a go-echarts chart and encodes its option once.
func encode(c interface {
	Validate()
	JSON() map[string]interface{}
}) (json.RawMessage, error) {
	c.Validate()
	b, err := json.Marshal(c.JSON())
	if err != nil {
		return nil, fmt.Errorf("encode chart: %w", err)
	}
	return b, nil
}

// baseOpts are what every chart shares. No toolbox: the slide images
// are downloaded with the buttons under the chart (charts.js), which
// draw the whole legend and the credit the toolbox's picture lacked.
func baseOpts(title, subtitle string) []charts.GlobalOpts {
	return []charts.GlobalOpts{
		charts.WithTitleOpts(opts.Title{Title: title, Subtitle: subtitle, Left: "left",
			TitleStyle: &opts.TextStyle{FontSize: 14}}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Type: "scroll", Bottom: "0"}),
		charts.WithAriaOpts(&opts.Aria{Enabled: opts.Bool(true)}),
		charts.WithColorsOpts(opts.Colors(palette)),
		charts.WithAnimation(false),
	}
}

// lineChart draws one indicator over the years on a time axis to scale
// (docs/RULES.md, rule 9): a value axis of whole years, each point at
// its year, a gap where an annual series misses a year or its source
// changes, flagged points hollow, national context and projections
// dashed, reference lines labelled.
func lineChart(loc Locale, id, title, subtitle, unit string, years []int, ss []series, refs []refLine, extra ...charts.GlobalOpts) (*Chart, error) {
	line := charts.NewLine()
	lo, hi := years[0], years[len(years)-1]
	if lo == hi {
		lo, hi = lo-1, hi+1 // one year: a dot in the middle, not a trend
	}
	yAxis := opts.YAxis{Name: unit, Type: "value", Scale: opts.Bool(false)}
	if top := maxRef(refs); top > maxValue(ss) {
		yAxis.Max = top * 1.1 // keep the reference lines in sight
	}
	g := append(baseOpts(title, subtitle),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithGridOpts(opts.Grid{Top: "70", Bottom: "60", Left: "60", Right: "30", ContainLabel: opts.Bool(true)}),
		charts.WithYAxisOpts(yAxis),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Min: lo, Max: hi, MinInterval: 1,
			AxisLabel: &opts.AxisLabel{Formatter: "{value}"}}),
	)
	line.SetGlobalOptions(append(g, extra...)...)
	tbl := Table{Caption: title + " (" + unit + ")", Head: []string{loc.T("chart.year")}}
	var notes []string
	seen := map[string]bool{}
	note := func(n string) {
		if n != "" && !seen[n] {
			seen[n] = true
			notes = append(notes, n)
		}
	}
	for _, s := range ss {
		tbl.Head = append(tbl.Head, s.Name)
		line.AddSeries(s.Name, lineData(s), lineStyle(s)...)
		for _, n := range s.Footnotes {
			note(n)
		}
	}
	if len(refs) > 0 {
		// WHO levels labelled on the right, limit values on the left,
		// each group a legend entry of its own.
		var who, limits []refLine
		for _, r := range refs {
			if r.Limit {
				limits = append(limits, r)
			} else {
				who = append(who, r)
			}
		}
		if len(who) > 0 {
			line.AddSeries(loc.T("chart.reference_who"), nil, referenceOpts(who, "insideEndTop", "dotted")...)
		}
		if len(limits) > 0 {
			line.AddSeries(loc.T("chart.reference_limits"), nil, referenceOpts(limits, "insideStartTop", "dashed")...)
		}
		// One note per source: the lines it sets, then the source.
		var sources []string
		lines := map[string][]string{}
		for _, r := range refs {
			if _, ok := lines[r.Source]; !ok {
				sources = append(sources, r.Source)
			}
			lines[r.Source] = append(lines[r.Source], r.Short+" = "+r.Label+", "+loc.Num(r.Value)+" "+unit)
		}
		for _, src := range sources {
			note(loc.T("chart.note_reference", "Lines", strings.Join(lines[src], "; "), "Source", src))
		}
	}
	for _, y := range years {
		tbl.addRow(loc, strconv.Itoa(y), ss, y)
	}
	opt, err := encode(line)
	if err != nil {
		return nil, err
	}
	ch := &Chart{ID: id, Title: title, Summary: latestSummary(loc, unit, ss), Option: opt, Table: tbl, Notes: notes}
	ch.gather(ss, years)
	for _, r := range refs {
		if !slices.Contains(ch.refSources, r.Source) {
			ch.refSources = append(ch.refSources, r.Source)
		}
	}
	return ch, nil
}

// gather keeps what the chart's credit names: the sources of the
// series' values, the years drawn and the names of the flags shown.
func (ch *Chart) gather(ss []series, years []int) {
	ch.years = years
	for _, s := range ss {
		for _, id := range s.Sources {
			if !slices.Contains(ch.sources, id) {
				ch.sources = append(ch.sources, id)
			}
		}
		for _, y := range sortedYears(s) {
			for _, f := range s.Flags[y] {
				if !slices.Contains(ch.flags, f) {
					ch.flags = append(ch.flags, f)
				}
			}
		}
	}
}

// lineData places each value at its year. A gap item ("-" at a year)
// breaks the line where an annual series lacks a year, and just before
// a year whose source differs from the one before it.
func lineData(s series) []opts.LineData {
	ys := sortedYears(s)
	step := 0
	for i := 1; i < len(ys); i++ {
		if d := ys[i] - ys[i-1]; step == 0 || d < step {
			step = d
		}
	}
	var data []opts.LineData
	for i, y := range ys {
		if i > 0 {
			prev := ys[i-1]
			switch {
			case s.Breaks[y]:
				data = append(data, opts.LineData{Value: []any{float64(prev+y) / 2, missing}})
			case y-prev > step:
				for g := prev + 1; g < y; g++ {
					data = append(data, opts.LineData{Value: []any{g, missing}})
				}
			}
		}
		d := opts.LineData{Value: []any{y, s.Values[y]}}
		if s.Marks[y] {
			d.Symbol, d.SymbolSize = "circle", 7
		}
		if fl := s.Flags[y]; len(fl) > 0 {
			d.Symbol, d.SymbolSize, d.Name = "emptyCircle", 10, strings.Join(fl, ", ")
		}
		data = append(data, d)
	}
	return data
}

func lineStyle(s series) []charts.SeriesOpts {
	ls := opts.LineStyle{Width: 2.5, Color: s.Colour}
	symbol := "circle"
	switch {
	case s.Alternate:
		ls.Type, ls.Width, symbol = "dotted", 1.5, "triangle"
	case s.Context || s.Dashed:
		ls.Type, ls.Width = "dashed", 1.5
	}
	if s.Marks != nil {
		symbol = "none" // points only at the marked years (lineData)
	}
	return []charts.SeriesOpts{
		charts.WithLineChartOpts(opts.LineChart{ConnectNulls: opts.Bool(false), ShowSymbol: opts.Bool(true), Symbol: symbol, SymbolSize: 7}),
		charts.WithLineStyleOpts(ls),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: s.Colour}),
	}
}

// referenceOpts draws the reference lines as the mark lines of a series
// of their own, so that the legend can hide them.
func referenceOpts(refs []refLine, position, lineType string) []charts.SeriesOpts {
	var items []opts.MarkLineNameYAxisItem
	for _, r := range refs {
		items = append(items, opts.MarkLineNameYAxisItem{Name: r.Short, YAxis: r.Value})
	}
	return []charts.SeriesOpts{
		charts.WithItemStyleOpts(opts.ItemStyle{Color: referenceColour}),
		charts.WithMarkLineNameYAxisItemOpts(items...),
		charts.WithMarkLineStyleOpts(opts.MarkLineStyle{
			Symbol:    []string{"none", "none"},
			Label:     &opts.Label{Show: opts.Bool(true), Position: position, Formatter: "{b} {c}", FontSize: 10},
			LineStyle: &opts.LineStyle{Type: lineType, Color: referenceColour, Width: 1},
		}),
	}
}

func sortedYears(s series) []int {
	ys := make([]int, 0, len(s.Values))
	for y := range s.Values {
		ys = append(ys, y)
	}
	sort.Ints(ys)
	return ys
}

func maxValue(ss []series) float64 {
	m := 0.0
	for _, s := range ss {
		for _, v := range s.Values {
			m = max(m, v)
		}
	}
	return m
}

func maxRef(refs []refLine) float64 {
	m := 0.0
	for _, r := range refs {
		m = max(m, r.Value)
	}
	return m
}

func cellFor(loc Locale, s series, k int) Cell {
	v, ok := s.Values[k]
	if !ok {
		return Cell{Text: loc.T("value.no_data"), Missing: true}
	}
	return Cell{Text: loc.Num(v), Note: s.Notes[k]}
}

// addRow adds the row labelled label: each series' cell at k (a year,
// or a category's index).
func (t *Table) addRow(loc Locale, label string, ss []series, k int) {
	row := TableRow{Label: label}
	for _, s := range ss {
		row.Cells = append(row.Cells, cellFor(loc, s, k))
	}
	t.Rows = append(t.Rows, row)
}

// barChart compares areas across categories (indicators at a year).
func barChart(loc Locale, id, title, subtitle, unit string, categories []string, ss []series) (*Chart, error) {
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(baseOpts(title, subtitle),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithGridOpts(opts.Grid{Top: "70", Bottom: "60", Left: "60", Right: "30", ContainLabel: opts.Bool(true)}),
		charts.WithYAxisOpts(opts.YAxis{Name: unit, Type: "value"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", AxisLabel: &opts.AxisLabel{Interval: "0"}}),
	)...)
	bar.SetXAxis(categories)
	tbl := Table{Caption: title + " (" + unit + ")", Head: append([]string{""}, names(ss)...)}
	for _, s := range ss {
		data := make([]opts.BarData, len(categories))
		for i := range categories {
			if v, ok := s.Values[i]; ok {
				data[i] = opts.BarData{Value: v}
			} else {
				data[i] = opts.BarData{Value: missing}
			}
		}
		bar.AddSeries(s.Name, data, charts.WithItemStyleOpts(opts.ItemStyle{Color: s.Colour}))
	}
	return categoryChart(loc, bar, id, title, unit, categories, ss, tbl)
}

// categoryChart finishes a chart of series over categories (a bar or a
// radar chart): a table row per category and the summary.
func categoryChart(loc Locale, c interface {
	Validate()
	JSON() map[string]any
}, id, title, unit string, categories []string, ss []series, tbl Table) (*Chart, error) {
	for i, cat := range categories {
		tbl.addRow(loc, cat, ss, i)
	}
	opt, err := encode(c)
	if err != nil {
		return nil, err
	}
	ch := &Chart{ID: id, Title: title, Summary: categorySummary(loc, unit, categories, ss), Option: opt, Table: tbl}
	ch.gather(ss, nil)
	return ch, nil
}

// rankChart is a horizontal bar chart of one value per area, best first.
func rankChart(loc Locale, id, title, subtitle, unit string, labels []string, values []float64) (*Chart, error) {
	bar := charts.NewBar()
	bar.SetGlobalOptions(append(baseOpts(title, subtitle),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(false)}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithGridOpts(opts.Grid{Top: "60", Bottom: "20", Left: "10", Right: "40", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Name: unit, Type: "value"}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true), AxisLabel: &opts.AxisLabel{Interval: "0"}}),
	)...)
	bar.SetXAxis(labels).XYReversal()
	data := make([]opts.BarData, len(values))
	tbl := Table{Caption: title + " (" + unit + ")", Head: []string{loc.T("chart.area"), unit}}
	for i, v := range values {
		data[i] = opts.BarData{Value: v}
		tbl.Rows = append(tbl.Rows, TableRow{Label: labels[i], Cells: []Cell{{Text: loc.Num(v)}}})
	}
	bar.AddSeries(unit, data)
	opt, err := encode(bar)
	if err != nil {
		return nil, err
	}
	var sum string
	if n := len(values); n > 0 {
		sum = loc.T("summary.rank", "First", labels[0], "FirstValue", loc.Num(values[0]), "Last", labels[n-1], "LastValue", loc.Num(values[n-1]), "Unit", unit, "Count", n)
	}
	return &Chart{ID: id, Title: title, Summary: sum, Option: opt, Table: tbl}, nil
}

// radarChart is the normalised overview: each axis an indicator, each
// value a share (0–100) of the larger of the compared values.
func radarChart(loc Locale, id, title, subtitle string, axes []string, ss []series) (*Chart, error) {
	radar := charts.NewRadar()
	ind := make([]*opts.Indicator, len(axes))
	for i, a := range axes {
		ind[i] = &opts.Indicator{Name: a, Max: 100, Min: 0}
	}
	radar.SetGlobalOptions(append(baseOpts(title, subtitle),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithRadarComponentOpts(opts.RadarComponent{Indicator: ind, Shape: "polygon", SplitNumber: 4, Center: []string{"50%", "55%"}}),
	)...)
	tbl := Table{Caption: title, Head: append([]string{loc.T("chart.indicator")}, names(ss)...)}
	for _, s := range ss {
		vals := make([]float64, len(axes))
		for i := range axes {
			vals[i] = s.Values[i]
		}
		radar.AddSeries(s.Name, []opts.RadarData{{Name: s.Name, Value: vals}},
			charts.WithAreaStyleOpts(opts.AreaStyle{Opacity: opts.Float(0.15)}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: s.Colour}),
			charts.WithLineStyleOpts(opts.LineStyle{Color: s.Colour}))
	}
	return categoryChart(loc, radar, id, title, "%", axes, ss, tbl)
}

func names(ss []series) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s.Name
	}
	return out
}

// latestSummary states each series' latest value in words, for charts
// that compare no two cities directly (a city's pollutants, every area
// over time): "Latest values: Hanoi 52.09 (2019); Milan 20.87 (2019)."
func latestSummary(loc Locale, unit string, ss []series) string {
	var parts []string
	for _, s := range ss {
		best := -1
		for y := range s.Values {
			if y > best {
				best = y
			}
		}
		if best >= 0 {
			parts = append(parts, loc.T("summary.item_year", "Name", s.Name, "Value", loc.Num(s.Values[best]), "Year", best))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return loc.T("summary.latest", "Unit", unit, "List", strings.Join(parts, "; "))
}

// categorySummary states a bar chart's values category by category.
func categorySummary(loc Locale, unit string, cats []string, ss []series) string {
	var parts []string
	for i, c := range cats {
		var vals []string
		for _, s := range ss {
			if v, ok := s.Values[i]; ok {
				vals = append(vals, s.Name+" "+loc.Num(v))
			}
		}
		if len(vals) > 0 {
			parts = append(parts, c+": "+strings.Join(vals, ", "))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return loc.T("summary.categories", "Unit", unit, "List", strings.Join(parts, "; "))
}

// yearsOf lists, sorted, every year any series has.
func yearsOf(ss []series) []int {
	set := map[int]bool{}
	for _, s := range ss {
		for y := range s.Values {
			set[y] = true
		}
	}
	ys := make([]int, 0, len(set))
	for y := range set {
		ys = append(ys, y)
	}
	sort.Ints(ys)
	return ys
}
