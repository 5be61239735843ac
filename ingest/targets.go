package ingest

import (
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/twinmetrics/twinmetrics/metrics"
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
	// Line and Sheet place the row in the file; Problems, when there
	// are any, reject it: its target is not published.
	Line     int
	Sheet    string
	Problems []Problem
}

// TargetProfile names a publisher layout of targets that ReadTargets
// recognises from its header.
type TargetProfile string

// The target layouts read as published.
const (
	ProfileNetZeroTracker TargetProfile = "net-zero-tracker-2022"
	ProfileCDPTargets2016 TargetProfile = "cdp-targets-2016"
	ProfileCDPTargets2017 TargetProfile = "cdp-targets-2017"
	ProfileCDPTargets2021 TargetProfile = "cdp-targets-2021"
)

// ErrNotTargets says the file is none of the target layouts.
var ErrNotTargets = errors.New("not a known targets layout")

// ReadTargets reads a targets file in one of the publishers' layouts
// with the shipped profiles of output "targets" (data/profiles): the
// Net Zero Tracker snapshot (XLSX) or CDP's emissions-reduction targets
// of 2016, 2017 or 2021 (CSV). Every row is returned, "No target" rows
// included; rows that state nothing are left out.
func ReadTargets(name string, b []byte) (TargetProfile, []TargetRow, error) {
	return readTargetsProfiles(name, b)
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

// targetKinds are the words that name each kind, in the order they are
// tried: the first kind whose words the text contains is its kind
// ("net zero carbon" is net zero).
var targetKinds = []struct {
	kind  string
	words []string
}{
	{metrics.TargetNone, []string{"no target"}},
	{metrics.TargetIntensity, []string{"intensity"}},
	{metrics.TargetBAU, []string{"business as usual", "bau"}},
	{metrics.TargetFixedLevel, []string{"fixed level"}},
	{metrics.TargetNetZero, []string{"net zero"}},
	{metrics.TargetCarbonNeutrality, []string{"neutral", "zero carbon"}},
	{metrics.TargetAbsolute, []string{"absolute", "emissions reduction"}},
}

// targetKind maps a publisher's words to a kind.
func targetKind(s string) string {
	l := strings.ToLower(printed(s))
	if l == "" {
		return ""
	}
	for _, k := range targetKinds {
		if slices.ContainsFunc(k.words, func(w string) bool { return strings.Contains(l, w) }) {
			return k.kind
		}
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
