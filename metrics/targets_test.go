package metrics_test

import (
	"context"
	"database/sql"
	"math"
	"testing"

	"github.com/twinmetrics/twinmetrics/metrics"
)

func ni(v int64) sql.NullInt64     { return sql.NullInt64{Int64: v, Valid: true} }
func nf(v float64) sql.NullFloat64 { return sql.NullFloat64{Float64: v, Valid: true} }

// milanTarget is Milan's target as CDP's 2021 report prints it: −45 %
// by 2030 against 2005, base 7,418,000 t, city-wide, all sources.
func milanTarget() metrics.Target {
	return metrics.Target{Kind: metrics.TargetAbsolute, Sector: "All emissions sources included in city inventory",
		BaseYear: ni(2005), BaseValue: nf(7418000), BaseValueAsPrinted: "7418000", TargetYear: ni(2030), Percent: nf(45),
		ReportYear: 2021}
}

const (
	indBasic = 1
	indTotal = 2
	srcC40   = 10
	srcCM    = 11
)

func codeOf(id int64) string {
	return map[int64]string{indBasic: "ghg_gpc_basic", indTotal: "ghg_total_reported", 3: "population"}[id]
}

func kindOf(id int64) string {
	if id == srcCM {
		return metrics.SourceModelled
	}
	return metrics.SourceReported
}

func inv(ind int64, year int64, v float64, src int64, flags string) metrics.Observation {
	return metrics.Observation{IndicatorID: ind, Year: ni(year), Value: nf(v), SourceID: ni(src), Flags: flags}
}

// TestProgressMilanAgainst2030Target checks the arithmetic on the real
// figures: C40's 2020 GPC BASIC inventory of Milan, 4,291,834 t, against
// the 2005 base of 7,418,000 t CDP prints with the target.
func TestProgressMilanAgainst2030Target(t *testing.T) {
	obs := []metrics.Observation{
		inv(indBasic, 2013, 6023147, srcC40, ""),
		inv(indBasic, 2019, 4743520, srcC40, ""),
		inv(indBasic, 2020, 4291834, srcC40, ""),
		inv(indTotal, 2013, 5976779, srcC40, "CO2_only"),
		inv(indBasic, 2021, 9e9, srcCM, ""), // modelled: never the inventory
	}
	p := metrics.ProgressAgainst(milanTarget(), obs, codeOf, kindOf)
	if !p.Computed() {
		t.Fatalf("missing %q", p.Missing)
	}
	if p.Year != 2020 || p.Value != 4291834 || p.BaseYear != 2005 || p.BaseValue != 7418000 || !p.BaseFromTarget {
		t.Fatalf("progress %+v", p)
	}
	// 42 % below 2005; the straight path to −45 % by 2030 needs −27 %
	// by 2020: ahead.
	if math.Round(p.Below) != 42 || math.Abs(p.Below-42.1436) > 0.001 {
		t.Errorf("below = %.4f, want 42.14", p.Below)
	}
	if p.Needed != 27 {
		t.Errorf("needed = %v, want 27", p.Needed)
	}
	if !p.Ahead {
		t.Error("Milan is ahead of the straight path")
	}
	if got := p.PathAt(2020); math.Abs(got-7418000*0.73) > 0.01 {
		t.Errorf("path at 2020 = %v", got)
	}
	if got := p.TargetLevel(); math.Abs(got-4079900) > 0.01 {
		t.Errorf("target level = %v, want 4,079,900 t as CDP prints", got)
	}
}

// TestProgressSaysWhichPieceIsMissing: each refusal names what lacks.
func TestProgressSaysWhichPieceIsMissing(t *testing.T) {
	obs := []metrics.Observation{inv(indBasic, 2017, 5266149, srcC40, "")}

	// The tracker prints Milan's target without a base value, and no
	// 2005 inventory is stored: the base-year value is missing.
	nzt := milanTarget()
	nzt.BaseValue, nzt.BaseValueAsPrinted, nzt.Sector = sql.NullFloat64{}, "", ""
	if p := metrics.ProgressAgainst(nzt, obs, codeOf, kindOf); p.Missing != metrics.MissingBaseValue {
		t.Errorf("no base value: missing %q", p.Missing)
	}
	// With a 2005 inventory of the same indicator and kind, it computes.
	with := append(obs, inv(indBasic, 2005, 7418000, srcC40, ""))
	if p := metrics.ProgressAgainst(nzt, with, codeOf, kindOf); !p.Computed() || p.BaseFromTarget || p.BaseObs == nil {
		t.Errorf("base from inventory: %+v", p)
	}
	// Milan's 2016 report prints the base as 7418 (kt, apparently): not
	// the inventory's unit, so no arithmetic.
	k := milanTarget()
	k.BaseValue, k.TargetYear, k.Percent = nf(7418), ni(2020), nf(20)
	if p := metrics.ProgressAgainst(k, obs, codeOf, kindOf); p.Missing != metrics.MissingScale {
		t.Errorf("7418: missing %q", p.Missing)
	}
	// Net zero is not a reduction from a base.
	nz := metrics.Target{Kind: metrics.TargetNetZero, TargetYear: ni(2050)}
	if p := metrics.ProgressAgainst(nz, obs, codeOf, kindOf); p.Missing != metrics.MissingNotReduction {
		t.Errorf("net zero: missing %q", p.Missing)
	}
	// A sector target is not measured against the whole inventory.
	sec := milanTarget()
	sec.Sector = "Transport"
	if p := metrics.ProgressAgainst(sec, obs, codeOf, kindOf); p.Missing != metrics.MissingSector {
		t.Errorf("sector: missing %q", p.Missing)
	}
	// Hanoi: −15 % by 2030 against 2020, and its only inventory is of
	// 2015 (before the base): no inventory to place.
	hanoi := metrics.Target{Kind: metrics.TargetAbsolute, BaseYear: ni(2020), TargetYear: ni(2030), Percent: nf(15)}
	if p := metrics.ProgressAgainst(hanoi, []metrics.Observation{inv(indBasic, 2015, 17936602, srcC40, "")}, codeOf, kindOf); p.Missing != metrics.MissingInventory {
		t.Errorf("Hanoi: missing %q", p.Missing)
	}
	// Only a modelled value after the base: the method differs.
	if p := metrics.ProgressAgainst(milanTarget(), []metrics.Observation{inv(indBasic, 2020, 4e6, srcCM, "")}, codeOf, kindOf); p.Missing != metrics.MissingMethodMismatch {
		t.Errorf("modelled only: missing %q", p.Missing)
	}
}

// TestSeededTargets checks the targets the seed ships, as a reader of
// the pages would: Milan, Hanoi, Ho Chi Minh City, and the Seoul/Suwon
// merge rule.
func TestSeededTargets(t *testing.T) {
	_, s := seeded(t)
	ctx := context.Background()
	cat, err := s.Catalogue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	area := func(slug string) *metrics.Area {
		a, err := cat.Area(slug)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	src := map[int64]string{}
	for _, so := range cat.Sources {
		src[so.ID] = so.Code
	}
	milan, _ := s.TargetsFor(ctx, area("milan").ID)
	var cdp45, nzt45 bool
	for _, tg := range milan {
		if tg.Percent.Float64 == 45 && tg.TargetYear.Int64 == 2030 && tg.BaseYear.Int64 == 2005 {
			switch src[tg.SourceID] {
			case "cdp_targets_2021":
				cdp45 = tg.BaseValue.Float64 == 7418000 && tg.AchievedPercent.Float64 == 41.5
			case "net_zero_tracker_2022":
				nzt45 = tg.Status == "policy" && tg.Role == "interim"
			}
		}
	}
	if !cdp45 || !nzt45 {
		t.Errorf("Milan's −45 %% by 2030 against 2005 must be kept from both sources (CDP %v, tracker %v)", cdp45, nzt45)
	}
	hanoi, _ := s.TargetsFor(ctx, area("hanoi").ID)
	metrics.SortTargets(hanoi)
	if len(hanoi) != 3 || hanoi[0].Summary() != "Net zero by 2050" || hanoi[0].Status != "policy" ||
		hanoi[1].Summary() != "−15 % by 2030 against 2020" || hanoi[2].Summary() != "No target (reported 2021)" {
		var got []string
		for _, h := range hanoi {
			got = append(got, h.Summary())
		}
		t.Errorf("Hanoi targets: %q", got)
	}
	hcmc, _ := s.TargetsFor(ctx, area("ho-chi-minh-city").ID)
	var pledge, none bool
	for _, tg := range hcmc {
		pledge = pledge || (tg.Kind == metrics.TargetNetZero && tg.TargetYear.Int64 == 2050 && tg.Status == "pledge")
		none = none || (tg.IsStatement() && tg.ReportYear == 2021 && src[tg.SourceID] == "cdp_targets_2021")
	}
	if !pledge || !none {
		t.Errorf("Ho Chi Minh City: net zero 2050 pledge %v, No target reported to CDP in 2021 %v", pledge, none)
	}

	// The Seoul/Suwon rule: Carbon Monitor's "Seoul" is a larger area
	// linked to Seoul, that contains Suwon, and is never Suwon.
	fua := area("seoul-fua-carbon-monitor")
	if fua.Kind == metrics.KindCity || !fua.ParentID.Valid || fua.ParentID.Int64 != area("seoul").ID || !cat.Merged(fua.ID) {
		t.Errorf("Seoul FUA: %+v merged=%v", fua, cat.Merged(fua.ID))
	}
	in := cat.ContainedIn(area("suwon").ID)
	if len(in) != 1 || in[0].Slug != "seoul-fua-carbon-monitor" {
		t.Errorf("Suwon is contained in %v", in)
	}
	for _, ch := range cat.Children(area("suwon").ID) {
		if ch.ID == fua.ID {
			t.Error("the Seoul FUA must not be linked to Suwon as its own area")
		}
	}
	if ghs := area("milan-monza-ghs"); cat.Merged(ghs.ID) || ghs.ParentID.Int64 != area("milan").ID {
		t.Errorf("Milan; Monza is a larger area of Milan only: %+v", ghs)
	}
	// Source kinds.
	kinds := map[string]string{}
	for _, so := range cat.Sources {
		kinds[so.Code] = so.Kind
	}
	if kinds["cdp_citywide_2021"] != "reported" || kinds["eurostat_urb_ctran"] != "official" || kinds["net_zero_tracker_2022"] != "reported" {
		t.Errorf("source kinds: %v", kinds)
	}
}
