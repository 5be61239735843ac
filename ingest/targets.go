package ingest

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/twinmetrics/twinmetrics/metrics"
	"github.com/xuri/excelize/v2"
)

// TargetRow is one target read from a publisher's file, before its area
// is known: the names the file gives the actor, and the target as
// printed.
type TargetRow struct {
	Names      []string // actor names to try, most specific first
	Country    string   // ISO3 where the file gives it
	ActorType  string   // "City", "Region", "Country" (Net Zero Tracker)
	SourceCode string
	Target     metrics.Target
}

// TargetProfile names a publisher layout of targets that ReadTargets
// recognises from its header.
type TargetProfile string

// The target layouts read as published.
const (
	ProfileNetZeroTracker TargetProfile = "net_zero_tracker"
	ProfileCDPTargets2016 TargetProfile = "cdp_targets_2016"
	ProfileCDPTargets2017 TargetProfile = "cdp_targets_2017"
	ProfileCDPTargets2021 TargetProfile = "cdp_targets_2021"
)

// ErrNotTargets says the file is none of the target layouts.
var ErrNotTargets = errors.New("not a known targets layout")

// ReadTargets reads a targets file in one of the publishers' layouts:
// the Net Zero Tracker snapshot (XLSX) or CDP's emissions-reduction
// targets of 2016, 2017 or 2021 (CSV). Every row is returned, "No
// target" rows included; rows that state nothing are left out.
func ReadTargets(name string, b []byte) (TargetProfile, []TargetRow, error) {
	if bytes.HasPrefix(b, []byte("PK")) {
		f, err := excelize.OpenReader(bytes.NewReader(b))
		if err != nil {
			return "", nil, err
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return "", nil, ErrNotTargets
		}
		rows, err := f.GetRows(sheets[0])
		if err != nil {
			return "", nil, err
		}
		if len(rows) == 0 || !hasColumns(rows[0], "id_code", "end_target", "interim_target", "end_target_status") {
			return "", nil, ErrNotTargets
		}
		out, err := readNetZeroTracker(sheets[0], rows)
		return ProfileNetZeroTracker, out, err
	}
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\ufeff"))))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return "", nil, fmt.Errorf("%s: header: %w", name, err)
	}
	for i := range header {
		// The 2017 export has a zero-width space before "Intensity unit".
		header[i] = strings.TrimSpace(strings.ReplaceAll(header[i], "\u200b", ""))
	}
	var recs [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", name, err)
		}
		recs = append(recs, rec)
	}
	switch {
	case hasColumns(header, "Type.of.target", "Base.year", "Percentage.of.target.achieved.so.far"):
		out, err := readCDP(header, recs, ProfileCDPTargets2021, cdp2021)
		return ProfileCDPTargets2021, out, err
	case hasColumns(header, "Type of target", "Baseline year", "Intensity unit (emissions per)"):
		out, err := readCDP(header, recs, ProfileCDPTargets2017, cdp2017)
		return ProfileCDPTargets2017, out, err
	case hasColumns(header, "Organisation", "Baseline year", "Percentage reduction target", "Target boundary"):
		out, err := readCDP(header, recs, ProfileCDPTargets2016, cdp2016)
		return ProfileCDPTargets2016, out, err
	}
	return "", nil, ErrNotTargets
}

func hasColumns(header []string, cols ...string) bool {
	have := make(map[string]bool, len(header))
	for _, h := range header {
		have[strings.TrimSpace(h)] = true
	}
	for _, c := range cols {
		if !have[c] {
			return false
		}
	}
	return true
}

// printed is a cell as the file printed it; "NA" (the processed 2021
// copy's blank) and "Not Specified" are blanks.
func printed(s string) string {
	s = strings.TrimSpace(s)
	if s == "NA" || strings.EqualFold(s, "Not Specified") {
		return ""
	}
	return s
}

func number(s string) sql.NullFloat64 {
	s = strings.ReplaceAll(printed(s), ",", "")
	if s == "" {
		return sql.NullFloat64{}
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: v, Valid: true}
}

// year reads a year, also from "Other: 2022" and from dates such as
// "2022-05-28 08:07:58".
func year(s string) sql.NullInt64 {
	s = printed(s)
	s = strings.TrimSpace(strings.TrimPrefix(s, "Other:"))
	if len(s) >= 4 {
		if v, err := strconv.Atoi(s[:4]); err == nil && v >= 1900 && v <= 2100 && (len(s) == 4 || s[4] == '-' || s[4] == '.') {
			return sql.NullInt64{Int64: int64(v), Valid: true}
		}
	}
	return sql.NullInt64{}
}

// targetKind maps a publisher's words to a kind.
func targetKind(s string) string {
	l := strings.ToLower(printed(s))
	switch {
	case l == "":
		return ""
	case strings.Contains(l, "no target"):
		return metrics.TargetNone
	case strings.Contains(l, "intensity"):
		return metrics.TargetIntensity
	case strings.Contains(l, "business as usual") || strings.Contains(l, "bau"):
		return metrics.TargetBAU
	case strings.Contains(l, "fixed level"):
		return metrics.TargetFixedLevel
	case strings.Contains(l, "net zero"):
		return metrics.TargetNetZero
	case strings.Contains(l, "neutral") || strings.Contains(l, "zero carbon"):
		return metrics.TargetCarbonNeutrality
	case strings.Contains(l, "absolute") || strings.Contains(l, "emissions reduction"):
		return metrics.TargetAbsolute
	}
	return metrics.TargetOther
}

func targetStatus(s string) string {
	l := strings.ToLower(printed(s))
	switch {
	case strings.Contains(l, "law"):
		return "law"
	case strings.Contains(l, "policy"):
		return "policy"
	case strings.Contains(l, "pledge") || strings.Contains(l, "declaration"):
		return "pledge"
	case strings.Contains(l, "proposed") || strings.Contains(l, "discussion"):
		return "proposed"
	}
	return ""
}

// readNetZeroTracker reads the tracker's snapshot: one row per actor
// with an end target and an interim target side by side, each becoming
// a target of its own. "No target" is kept as the tracker's dated
// statement (its last_updated); a row with every target field empty
// (Seville) states nothing and is left out.
func readNetZeroTracker(sheet string, rows [][]string) ([]TargetRow, error) {
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.TrimSpace(h)] = i
	}
	get := func(r []string, name string) string {
		if i, ok := col[name]; ok && i < len(r) {
			return r[i]
		}
		return ""
	}
	var out []TargetRow
	for li, r := range rows[1:] {
		line := li + 2
		actor := get(r, "actor_type")
		if actor != "City" && actor != "Region" && actor != "Country" {
			continue // companies are not areas
		}
		updated := year(get(r, "last_updated"))
		if !updated.Valid {
			continue
		}
		name := printed(get(r, "name"))
		names := []string{name}
		if open, close := strings.Index(name, "("), strings.LastIndex(name, ")"); open > 0 && close > open {
			names = append(names, strings.TrimSpace(name[open+1:close]), strings.TrimSpace(name[:open]))
		}
		base := metrics.Target{
			Gases:        printed(get(r, "gasses_coverage")),
			ReportYear:   int(updated.Int64),
			Organisation: name,
			SourceURL:    printed(get(r, "source_url")),
			Note:         "last updated " + printed(get(r, "last_updated")) + " in the snapshot of 2022-12-20",
		}
		for _, part := range []string{"end_target", "interim_target"} {
			kindText := printed(get(r, part))
			kind := targetKind(kindText)
			if kind == "" {
				continue
			}
			t := base
			t.Kind, t.KindAsPrinted = kind, kindText
			t.Role = map[string]string{"end_target": "end", "interim_target": "interim"}[part]
			t.Locator = fmt.Sprintf("%s row %d, id_code %s, %s", sheet, line, get(r, "id_code"), part)
			if kind != metrics.TargetNone {
				t.Percent = number(get(r, part+"_percentage_reduction"))
				t.BaseYear = year(get(r, part+"_baseline_year"))
				t.BaseValueAsPrinted = printed(get(r, part+"_baseline_emissions"))
				t.BaseValue = number(t.BaseValueAsPrinted)
				t.LevelAsPrinted = printed(get(r, part+"_target_emissions"))
				t.Level = number(t.LevelAsPrinted)
				t.BAUValue = number(get(r, part+"_bau_emissions"))
				t.IntensityUnit = printed(get(r, part+"_intensity_unit"))
				t.TargetYear = year(get(r, part+"_year"))
				// The tracker prints one status per actor, for its
				// targets as a whole.
				t.StatusAsPrinted = printed(get(r, "end_target_status"))
				t.Status = targetStatus(t.StatusAsPrinted)
				t.StatusYear = year(get(r, "status_date"))
				if t.Kind == metrics.TargetOther && !t.Percent.Valid && !t.Level.Valid {
					t.Note += "; the tracker gives no figure for this target"
				}
			}
			out = append(out, TargetRow{Names: names, Country: printed(get(r, "country")), ActorType: actor,
				SourceCode: "net_zero_tracker_2022", Target: t})
		}
	}
	return out, nil
}

// cdpColumns names the columns of one year's CDP layout.
type cdpColumns struct {
	org, city, reportYear, kind, sector, boundary, cityBoundary, baseYear, baseValue, percent, targetYear,
	level, bau, intensity, achieved, yearSet string
	source string
}

var (
	cdp2016 = cdpColumns{org: "Organisation", city: "City Short Name", reportYear: "Reporting Year", sector: "Sector",
		boundary: "Target boundary", baseYear: "Baseline year", baseValue: "Baseline emissions (metric tonnes CO2e)",
		percent: "Percentage reduction target", targetYear: "Target date", source: "cdp_targets_2016"}
	cdp2017 = cdpColumns{org: "Organisation", city: "City", reportYear: "Reporting year", kind: "Type of target", sector: "Sector",
		baseYear: "Baseline year", baseValue: "Baseline emissions (metric tonnes CO2e)", percent: "Percentage reduction target",
		targetYear: "Target date", bau: "Estimated business as usual absolute emissions in target year (metric tonnes CO2e)",
		intensity: "Intensity unit (emissions per)", source: "cdp_targets_2017"}
	cdp2021 = cdpColumns{org: "Organization", city: "City", reportYear: "Year.Reported.to.CDP", kind: "Type.of.target",
		sector: "Sector", boundary: "Target.boundary.relative.to.city.boundary", cityBoundary: "City.boundary",
		baseYear: "Base.year", baseValue: "Base.year.emissions..metric.tonnes.CO2e.", percent: "Percentage.reduction.target",
		targetYear: "Target.year", level: "Target.year.absolute.emissions..metric.tonnes.CO2e.",
		bau:       "Estimated.business.as.usual.absolute.emissions.in.target.year..metric.tonnes.CO2e.",
		intensity: "Intensity.unit..Emissions.per.", achieved: "Percentage.of.target.achieved.so.far",
		yearSet: "Year.target.was.set", source: "cdp_targets_2021"}
)

// readCDP reads one year's CDP emissions-reduction targets. The 2016
// layout prints no type of target: its rows are a baseline and a
// percentage reduction, read as absolute targets. A fixed-level target
// prints its level in the target-year emissions column.
func readCDP(header []string, recs [][]string, p TargetProfile, c cdpColumns) ([]TargetRow, error) {
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	get := func(r []string, name string) string {
		if i, ok := col[name]; ok && name != "" && i < len(r) {
			return r[i]
		}
		return ""
	}
	var out []TargetRow
	for li, r := range recs {
		line := li + 2
		ry := year(get(r, c.reportYear))
		if !ry.Valid {
			continue
		}
		kindText := printed(get(r, c.kind))
		kind := targetKind(kindText)
		if c.kind == "" {
			kind = metrics.TargetAbsolute
		}
		t := metrics.Target{
			Kind: kind, KindAsPrinted: kindText,
			Sector:       printed(get(r, c.sector)),
			Boundary:     strings.TrimSpace(strings.Join(nonEmpty(printed(get(r, c.cityBoundary)), printed(get(r, c.boundary))), "; ")),
			ReportYear:   int(ry.Int64),
			Organisation: printed(get(r, c.org)),
			Locator:      fmt.Sprintf("line %d, %s=%s", line, c.org, printed(get(r, c.org))),
		}
		if kind == "" {
			continue // a row that states no target and no figure
		}
		if kind != metrics.TargetNone {
			t.BaseYear = year(get(r, c.baseYear))
			t.BaseValueAsPrinted = printed(get(r, c.baseValue))
			t.BaseValue = number(t.BaseValueAsPrinted)
			t.Percent = number(get(r, c.percent))
			t.TargetYear = year(get(r, c.targetYear))
			t.LevelAsPrinted = printed(get(r, c.level))
			t.Level = number(t.LevelAsPrinted)
			t.BAUValue = number(get(r, c.bau))
			t.IntensityUnit = printed(get(r, c.intensity))
			t.AchievedPercent = number(get(r, c.achieved))
			t.YearSet = year(get(r, c.yearSet))
			if !t.BaseYear.Valid && !t.Percent.Valid && !t.TargetYear.Valid && !t.Level.Valid {
				continue // a type of target with nothing else printed
			}
		}
		names := nonEmpty(t.Organisation, printed(get(r, c.city)))
		// CDP accounts are cities (Comune di Milano) or metropolitan
		// governments (Città Metropolitana di Milano, Greater
		// Manchester), matched on the organisation first.
		out = append(out, TargetRow{Names: names, SourceCode: c.source, Target: t})
	}
	return out, nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// TargetResolver finds the area a target row is about.
type TargetResolver struct {
	cat   *metrics.Catalogue
	index map[string][]*metrics.Area
}

// NewTargetResolver indexes the catalogue's names and aliases.
func NewTargetResolver(cat *metrics.Catalogue) *TargetResolver {
	return &TargetResolver{cat: cat, index: aliasIndex(cat)}
}

// Area finds the area of a target row: a country row by its ISO3 code,
// otherwise the first of its names that is exactly one area's name or
// alias (folded), of the row's country when the file gives one. Names
// that are no area of ours resolve to nil.
func (res *TargetResolver) Area(tr TargetRow) *metrics.Area {
	if tr.ActorType == "Country" {
		return res.cat.Country(tr.Country)
	}
	for _, n := range tr.Names {
		var match []*metrics.Area
		for _, a := range res.index[metrics.Fold(n)] {
			if a.Kind == metrics.KindCountry || (tr.Country != "" && a.CountryISO3 != tr.Country) {
				continue
			}
			// A city row is a city, never the agglomeration that shares
			// its name; a region row is never a city.
			if (tr.ActorType == "City" && a.Kind != metrics.KindCity) || (tr.ActorType == "Region" && a.Kind == metrics.KindCity) {
				continue
			}
			match = append(match, a)
		}
		if len(match) == 1 {
			return match[0]
		}
		// A city government's name that is also its agglomeration's
		// (CDP's "Canberra") is the city.
		var cities []*metrics.Area
		for _, a := range match {
			if a.Kind == metrics.KindCity {
				cities = append(cities, a)
			}
		}
		if len(cities) == 1 && tr.ActorType == "" {
			return cities[0]
		}
	}
	return nil
}

func aliasIndex(cat *metrics.Catalogue) map[string][]*metrics.Area {
	idx := map[string][]*metrics.Area{}
	for _, a := range cat.Areas {
		seen := map[string]bool{}
		for _, n := range append([]string{a.Name, a.LocalName, a.Slug}, a.Aliases...) {
			f := metrics.Fold(n)
			if f == "" || seen[f] {
				continue
			}
			seen[f] = true
			idx[f] = append(idx[f], a)
		}
	}
	return idx
}
