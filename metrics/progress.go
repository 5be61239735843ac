package metrics

import (
	"math"
	"strings"
)

// InventoryIndicators are the whole-inventory emission totals a
// reduction target is measured against, the most comparable first.
var InventoryIndicators = []string{"ghg_gpc_basic", "ghg_total_reported"}

// Why progress against a target cannot be computed.
const (
	MissingNotReduction   = "not_reduction"     // not a reduction from a base year (net zero, BAU, fixed level, intensity)
	MissingSector         = "sector"            // the target covers one sector, the inventories the whole area
	MissingYears          = "years"             // no base year or no target year printed
	MissingPercent        = "percent"           // no percentage printed
	MissingInventory      = "inventory"         // no inventory of the area after the base year, up to the target year
	MissingBaseValue      = "base_value"        // no base-year value of the same boundary and method
	MissingScale          = "scale"             // the base value as printed is not in the inventory's unit
	MissingMethodMismatch = "method"            // the only inventories are CO2-only or not the area's own
	MissingBaseAfterYear  = "base_after_target" // base year not before the target year
)

// Progress places an area's latest inventory against the straight path
// from a target's base to its target: "2020 inventory 4.29 Mt is 42 %
// below 2005; the straight path to −45 % by 2030 needs −27 % by 2020:
// ahead". It is computed only when the base-year value is of the same
// boundary and method as the inventory; otherwise Missing says which
// piece is absent.
type Progress struct {
	Target Target

	Missing string // one of the Missing… codes; "" when computed

	// The base: its year and value, and whether the value is the one the
	// target printed (BaseFromTarget) or an inventory of the base year.
	BaseYear       int
	BaseValue      float64
	BaseFromTarget bool
	BaseObs        *Observation

	// The inventory placed against the path.
	Inventory Observation
	Indicator string // its indicator code
	Year      int
	Value     float64

	// Below is how far the inventory is below the base, in percent
	// (negative: above); Needed is the reduction the straight path asks
	// for by the inventory's year, in percent.
	Below  float64
	Needed float64
	Ahead  bool
}

// Computed reports whether the arithmetic could be done.
func (p Progress) Computed() bool { return p.Missing == "" }

// ProgressAgainst computes the progress of one area against one target
// from the area's own observations (never those of a linked or larger
// area: a boundary other than the target's is not the same boundary).
// sourceKind gives a source's kind by id.
func ProgressAgainst(t Target, obs []Observation, indCode func(int64) string, sourceKind func(int64) string) Progress {
	p := Progress{Target: t}
	switch {
	case t.Kind != TargetAbsolute:
		p.Missing = MissingNotReduction
		return p
	case !t.CoversWholeInventory():
		p.Missing = MissingSector
		return p
	case !t.BaseYear.Valid || !t.TargetYear.Valid:
		p.Missing = MissingYears
		return p
	case !t.Percent.Valid:
		p.Missing = MissingPercent
		return p
	case t.BaseYear.Int64 >= t.TargetYear.Int64:
		p.Missing = MissingBaseAfterYear
		return p
	}
	p.BaseYear = int(t.BaseYear.Int64)
	co2Target := strings.Contains(strings.ToLower(t.Gases), "carbon dioxide only")

	// Candidate inventories: the area's own whole-inventory totals, not
	// modelled, not CO2-only unless the target is, with a year after the
	// base and up to the target year.
	var cands []Observation
	methodOnly := false
	for _, code := range InventoryIndicators {
		for _, o := range obs {
			if indCode(o.IndicatorID) != code || !o.Year.Valid || !o.Value.Valid || !o.SourceID.Valid {
				continue
			}
			y := int(o.Year.Int64)
			if y <= p.BaseYear || int64(y) > t.TargetYear.Int64 {
				continue
			}
			if sourceKind(o.SourceID.Int64) == SourceModelled || (o.HasFlag("CO2_only") && !co2Target) {
				methodOnly = true
				continue
			}
			cands = append(cands, o)
		}
	}
	if len(cands) == 0 {
		p.Missing = MissingInventory
		if methodOnly {
			p.Missing = MissingMethodMismatch
		}
		return p
	}
	// The latest year; between indicators of one year, the list's order.
	best := cands[0]
	for _, o := range cands[1:] {
		if o.Year.Int64 > best.Year.Int64 {
			best = o
		}
	}
	p.Inventory, p.Indicator = best, indCode(best.IndicatorID)
	p.Year, p.Value = int(best.Year.Int64), best.Value.Float64

	// The base value: as the target printed it, else an inventory of the
	// base year of the same indicator and kind of source.
	if t.BaseValue.Valid && t.BaseValue.Float64 > 0 {
		p.BaseValue, p.BaseFromTarget = t.BaseValue.Float64, true
	} else {
		for i, o := range obs {
			if indCode(o.IndicatorID) == p.Indicator && o.Year.Valid && int(o.Year.Int64) == p.BaseYear && o.Value.Valid &&
				o.SourceID.Valid && sourceKind(o.SourceID.Int64) == sourceKind(best.SourceID.Int64) && o.HasFlag("CO2_only") == best.HasFlag("CO2_only") {
				p.BaseValue, p.BaseObs = o.Value.Float64, &obs[i]
				break
			}
		}
		if p.BaseObs == nil {
			p.Missing = MissingBaseValue
			return p
		}
	}
	// A base printed in another unit (Milan's 2016 report prints 7418
	// where later ones print 7,418,000 t) is not the same measure.
	if r := p.Value / p.BaseValue; r > 5 || r < 0.2 {
		p.Missing = MissingScale
		return p
	}
	p.Below = (p.BaseValue - p.Value) / p.BaseValue * 100
	p.Needed = t.Percent.Float64 * float64(p.Year-p.BaseYear) / float64(t.TargetYear.Int64-t.BaseYear.Int64)
	p.Ahead = p.Below >= p.Needed
	return p
}

// PathAt is the level the straight path from the base to the target
// asks for in year y (for drawing the path on the GHG chart).
func (p Progress) PathAt(y int) float64 {
	t := p.Target
	frac := float64(y-p.BaseYear) / float64(t.TargetYear.Int64-int64(p.BaseYear))
	return p.BaseValue * (1 - t.Percent.Float64/100*frac)
}

// TargetLevel is the emissions the target asks for in its target year.
func (p Progress) TargetLevel() float64 {
	return p.BaseValue * (1 - p.Target.Percent.Float64/100)
}

// RoundPercent rounds a percentage to whole numbers the way the
// sentence prints it.
func RoundPercent(v float64) float64 { return math.Round(v) }
