package dashboard

import "github.com/twinmetrics/twinmetrics/metrics"

// The Okabe–Ito palette, told apart with the common colour-vision
// deficiencies, split between the two sides of a pair: the programme
// country's cities take blues and greens, their European partners
// oranges and purples (docs/RULES.md, rule 9). charts.js carries the
// whole palette for charts that set no colours.
var (
	sideColours = [2][]string{
		{"#0072B2", "#009E73", "#56B4E9", "#999999"},
		{"#E69F00", "#D55E00", "#CC79A7", "#000000"},
	}
	// otherColours are for areas in no pair, and for series that are
	// not areas (a city's pollutants).
	otherColours = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000"}
	// referenceColour draws guideline and limit lines.
	referenceColour = "#6b6b6b"
	// medianColour draws the programme median, which is no city.
	medianColour = "#000000"
)

// palette is the whole Okabe–Ito list in charts.js's order.
var palette = []string{"#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"}

// colourOf gives an area the one colour it has on every chart of every
// page: a city its place in the first pair that names it (side and
// position), a linked area its city's, a country the colour of its
// first programme city, so that its dashed context line matches.
// Areas in no pair share the neutral list by id.
func colourOf(cat *metrics.Catalogue, a *metrics.Area) string {
	if a == nil {
		return otherColours[0]
	}
	if a.IsMedian() {
		return medianColour
	}
	city := a
	if a.ParentID.Valid {
		if p := cat.AreaByID(a.ParentID.Int64); p != nil {
			city = p
		}
	}
	for _, p := range cat.Pairs {
		for si := range p.Sides {
			for i, c := range p.Sides[si].Cities {
				match := c.ID == city.ID || (a.Kind == metrics.KindCountry && c.CountryISO3 == a.CountryISO3)
				if match {
					cs := sideColours[si]
					return cs[i%len(cs)]
				}
			}
		}
	}
	return otherColours[int(a.ID)%len(otherColours)]
}
