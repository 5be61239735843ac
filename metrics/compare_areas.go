package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
)

// MedianSlug names the programme median as the second area of a
// comparison of any two areas.
const MedianSlug = "programme-median"

// MedianKind is the kind of the programme median's pseudo-area.
const MedianKind = "median"

// MedianAreaID is the id of the programme median's pseudo-area: no
// stored area has it.
const MedianAreaID int64 = -1

// MinMedianCities is how many programme cities must report an indicator
// in a year for their median to be shown: fewer say little about the
// programme as a whole.
const MinMedianCities = 5

// ErrSameArea is returned when both areas of a comparison are the same.
var ErrSameArea = errors.New("the same area twice")

// medianArea is the pseudo-area the programme median is drawn as.
func medianArea() Area {
	return Area{ID: MedianAreaID, Slug: MedianSlug, Name: "Programme median", Kind: MedianKind}
}

// IsMedian reports whether the area is the programme median.
func (a Area) IsMedian() bool { return a.Kind == MedianKind }

// ChosenPair is the pair of two areas the reader chose: any city or
// linked area of the catalogue (countries are context, not sides), or
// the programme median as the second.
func (c *Catalogue) ChosenPair(a, b string) (*Pair, error) {
	if a == b {
		return nil, ErrSameArea
	}
	p := &Pair{Slug: a + "-" + b, Chosen: true}
	for i, slug := range []string{a, b} {
		var area Area
		if slug == MedianSlug && i == 1 {
			area = medianArea()
		} else {
			ar, err := c.Area(slug)
			if err != nil {
				return nil, err
			}
			if ar.Kind == KindCountry {
				return nil, fmt.Errorf("area %q is a country: %w", slug, ErrNotFound)
			}
			area = *ar
		}
		p.Sides[i] = Side{Label: area.Name, Country: area.CountryISO3, Cities: []Area{area}}
	}
	return p, nil
}

// CompareAreas builds the comparison of two areas chosen by the reader,
// the same as a programme pair's.
func (s *Store) CompareAreas(ctx context.Context, c *Catalogue, a, b string) (*Comparison, error) {
	p, err := c.ChosenPair(a, b)
	if err != nil {
		return nil, err
	}
	var extra []Observation
	if b == MedianSlug {
		ids := ProgrammeCityIDs(c)
		obs, err := s.ObservationsForAreas(ctx, ids)
		if err != nil {
			return nil, err
		}
		extra = ProgrammeMedians(c, NewDataset(obs), ids)
	}
	cmp, err := s.compare(ctx, c, p, extra...)
	if err != nil {
		return nil, err
	}
	if b == MedianSlug {
		cmp.AreaIDs = append(cmp.AreaIDs, ProgrammeCityIDs(c)...)
		// A median has no one source, boundary or method of its own: of
		// the warnings only a difference in years says something.
		for i := range cmp.Rows {
			var keep []Warning
			for _, w := range cmp.Rows[i].Warnings {
				if w.Kind == WarnYears {
					keep = append(keep, w)
				}
			}
			cmp.Rows[i].Warnings = keep
		}
	}
	return cmp, nil
}

// ProgrammeCityIDs lists every city of the programme pairs once.
func ProgrammeCityIDs(c *Catalogue) []int64 {
	var ids []int64
	seen := map[int64]bool{}
	for _, p := range c.Pairs {
		for _, city := range p.Cities() {
			if !seen[city.ID] {
				seen[city.ID] = true
				ids = append(ids, city.ID)
			}
		}
	}
	return ids
}

// ProgrammeMedians are, for each indicator and year, the median of the
// values the programme's cities report for themselves (their headline
// value of that year, no projections, no linked areas), where at least
// MinMedianCities report it. Totals get none: a median of sizes is no
// yardstick for a city (docs/RULES.md, rule 8).
func ProgrammeMedians(c *Catalogue, d *Dataset, cityIDs []int64) []Observation {
	var out []Observation
	for _, ind := range c.Indicators {
		if ind.ContextOfID.Valid || ind.SizeDependent {
			continue
		}
		byYear := map[int][]float64{}
		for _, id := range cityIDs {
			for _, pt := range d.Series(id, ind.ID) {
				if !pt.Projection() {
					byYear[pt.Year] = append(byYear[pt.Year], pt.Value)
				}
			}
		}
		var years []int
		for y, vs := range byYear {
			if len(vs) >= MinMedianCities {
				years = append(years, y)
			}
		}
		sort.Ints(years)
		for _, y := range years {
			vs := byYear[y]
			out = append(out, Observation{AreaID: MedianAreaID, IndicatorID: ind.ID,
				Year: sql.NullInt64{Int64: int64(y), Valid: true}, Value: sql.NullFloat64{Float64: Median(vs), Valid: true},
				MedianOf: len(vs)})
		}
	}
	return out
}

// Median is the middle value, or the mean of the two middle values.
func Median(vs []float64) float64 {
	s := append([]float64(nil), vs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
