package metrics

import (
	"fmt"
	"strconv"
	"strings"
)

// Unit is a canonical unit of measure. Values are stored in their
// indicator's canonical unit; a value given in another unit of the same
// dimension is converted on the way in, and the unit as given is kept.
type Unit struct {
	Code  string
	Label string // as shown to readers
	// LabelVI is the label on Vietnamese pages, where it is not a symbol
	// (empty: Label).
	LabelVI   string
	Dimension string
	// ToBase multiplies a value in this unit to get the dimension's base
	// unit (energy: GJ, mass of CO2e: t).
	ToBase  float64
	Aliases []string
}

// units is the closed list of units an indicator can be measured in.
var units = []Unit{
	{Code: "ug_m3", Label: "µg/m³", Dimension: "concentration", ToBase: 1, Aliases: []string{"µg/m3", "ug/m3", "μg/m3", "μg/m³", "microgram per cubic metre"}},
	{Code: "persons", Label: "persons", LabelVI: "người", Dimension: "people", ToBase: 1, Aliases: []string{"person", "people", "inhabitants"}},
	{Code: "km2", Label: "km²", Dimension: "area", ToBase: 1, Aliases: []string{"km2", "sq km", "square kilometres"}},
	{Code: "t_co2e", Label: "t CO2e", Dimension: "co2e", ToBase: 1, Aliases: []string{"tco2e", "t co2e", "tonnes co2e", "metric tonnes co2e", "t"}},
	{Code: "kt_co2e", Label: "kt CO2e", Dimension: "co2e", ToBase: 1e3, Aliases: []string{"ktco2e", "kt co2e", "kt"}},
	{Code: "mt_co2e", Label: "Mt CO2e", Dimension: "co2e", ToBase: 1e6, Aliases: []string{"mtco2e", "mt co2e", "mt"}},
	{Code: "t_co2", Label: "t CO2", Dimension: "co2", ToBase: 1, Aliases: []string{"tco2", "t co2", "tonnes co2"}},
	{Code: "gj", Label: "GJ", Dimension: "energy", ToBase: 1},
	{Code: "tj", Label: "TJ", Dimension: "energy", ToBase: 1e3},
	{Code: "kwh", Label: "kWh", Dimension: "energy", ToBase: 0.0036},
	{Code: "mwh", Label: "MWh", Dimension: "energy", ToBase: 3.6},
	{Code: "gwh", Label: "GWh", Dimension: "energy", ToBase: 3600},
	{Code: "twh", Label: "TWh", Dimension: "energy", ToBase: 3.6e6},
	// tonnes of oil equivalent, 1 toe = 41.868 GJ (the IEA and Eurostat convention)
	{Code: "ktoe", Label: "ktoe", Dimension: "energy", ToBase: 41.868e3, Aliases: []string{"thousand tonnes of oil equivalent"}},
	{Code: "mtoe", Label: "Mtoe", Dimension: "energy", ToBase: 41.868e6, Aliases: []string{"million tonnes of oil equivalent"}},
	{Code: "percent", Label: "%", Dimension: "share", ToBase: 1, Aliases: []string{"%", "per cent", "percent", "pct"}},
	{Code: "m2_per_person", Label: "m² per person", LabelVI: "m²/người", Dimension: "area per person", ToBase: 1, Aliases: []string{"m2 per person", "m2 per inhabitant", "m² per inhabitant", "m2/person", "m2 per capita"}},
	{Code: "cars_per_1000", Label: "cars per 1,000 inhabitants", LabelVI: "ô tô trên 1.000 dân", Dimension: "cars per 1000", ToBase: 1, Aliases: []string{"cars per 1000 inhabitants", "cars per 1000 population"}},
	{Code: "cars", Label: "cars", LabelVI: "ô tô", Dimension: "cars", ToBase: 1},
	{Code: "deaths", Label: "deaths", LabelVI: "ca tử vong", Dimension: "deaths", ToBase: 1},
	{Code: "deaths_per_10000", Label: "deaths per 10,000 inhabitants", LabelVI: "ca tử vong trên 10.000 dân", Dimension: "deaths per 10000", ToBase: 1, Aliases: []string{"deaths per 10000 inhabitants"}},
	{Code: "km", Label: "km", Dimension: "length", ToBase: 1},
	{Code: "eur", Label: "EUR", Dimension: "money", ToBase: 1, Aliases: []string{"€", "euro"}},
	{Code: "minutes", Label: "minutes", LabelVI: "phút", Dimension: "time", ToBase: 1, Aliases: []string{"min"}},
	{Code: "kwh_per_person", Label: "kWh per person", LabelVI: "kWh/người", Dimension: "energy per person", ToBase: 0.0036, Aliases: []string{"kwh per capita", "kwh/person"}},
	{Code: "t_co2_per_person", Label: "t CO2 per person", LabelVI: "t CO2/người", Dimension: "co2 per person", ToBase: 1, Aliases: []string{"tco2 per person", "tco2 per capita"}},
	{Code: "t_co2e_per_person", Label: "t CO2e per person", LabelVI: "t CO2e/người", Dimension: "co2e per person", ToBase: 1, Aliases: []string{"tco2e per person", "tco2e per capita"}},
	{Code: "gj_per_person", Label: "GJ per person", LabelVI: "GJ/người", Dimension: "energy per person", ToBase: 1, Aliases: []string{"gj per capita", "gj/person"}},
	{Code: "gj_per_m2", Label: "GJ/m²", Dimension: "energy per area", ToBase: 1, Aliases: []string{"gj/m2", "gj per m2"}},
	{Code: "kwh_per_km", Label: "kWh per km", Dimension: "energy per length", ToBase: 1, Aliases: []string{"kwh/km"}},
}

var unitIndex = func() map[string]*Unit {
	m := make(map[string]*Unit)
	for i := range units {
		u := &units[i]
		for _, k := range append([]string{u.Code, u.Label}, u.Aliases...) {
			m[foldUnit(k)] = u
		}
	}
	return m
}()

func foldUnit(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.ReplaceAll(s, "³", "3")
	s = strings.ReplaceAll(s, "²", "2")
	s = strings.ReplaceAll(s, "μ", "µ")
	s = strings.ReplaceAll(s, "₂", "2")
	return strings.Join(strings.Fields(s), " ")
}

// LookupUnit finds a unit by code, label or alias, ignoring case.
func LookupUnit(s string) (*Unit, bool) {
	u, ok := unitIndex[foldUnit(s)]
	return u, ok
}

// UnitLabel is the reader-facing label of a unit code, in English (the
// API, downloads and staff pages); pages say it in the reader's language
// (LabelVI).
func UnitLabel(code string) string {
	if u, ok := LookupUnit(code); ok {
		return u.Label
	}
	return code
}

// Convert converts v from the unit named given to the canonical unit
// code want. An empty given unit means the value is already canonical.
func Convert(v float64, given, want string) (float64, error) {
	to, ok := LookupUnit(want)
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", want)
	}
	if strings.TrimSpace(given) == "" {
		return v, nil
	}
	from, ok := LookupUnit(given)
	if !ok {
		return 0, fmt.Errorf("unknown unit %q", given)
	}
	if from.Dimension != to.Dimension {
		return 0, fmt.Errorf("%s cannot be converted to %s", from.Label, to.Label)
	}
	if from == to {
		return v, nil
	}
	return v * from.ToBase / to.ToBase, nil
}

// UnitCodes lists the codes of every unit an indicator can have.
func UnitCodes() []string {
	out := make([]string, len(units))
	for i, u := range units {
		out[i] = u.Code
	}
	return out
}

// UnitsLike lists the labels of every unit of the same dimension as the
// unit code, in catalogue order: what an upload may give for it.
func UnitsLike(code string) []string {
	want, ok := LookupUnit(code)
	if !ok {
		return nil
	}
	var ls []string
	for _, u := range units {
		if u.Dimension == want.Dimension {
			ls = append(ls, u.Label)
		}
	}
	return ls
}

// Units lists every unit an indicator can be measured in, in catalogue
// order. The slice is a copy.
func Units() []Unit { return append([]Unit(nil), units...) }

// FormatPlain writes a number so that parsing it gives the same float64
// back, without an exponent (which spreadsheets might misread) or
// trailing zeros: 1234567.8, 0.0001.
func FormatPlain(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
