package metrics

import (
	"math"
	"strconv"
)

// Derived values (per-capita figures) are rounded to the precision of
// their inputs: as many significant digits as the less precise of the
// numerator and the denominator carries (digits as the stored value
// prints, trailing zeros of a whole number not counted), never fewer
// than MinDerivedDigits. 4,850,000 t CO2e (3 digits) over 8,053,663
// people is 0.602 t per person, not 0.6022102887916232. The README
// ("Licences and downloads") and every download's notes state the rule.
const MinDerivedDigits = 3

// significantDigits counts the significant digits of v as its shortest
// decimal form prints them (4850000 → 3, 8053663 → 7, 0.25 → 2).
func significantDigits(v float64) int {
	if v == 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 1
	}
	s := strconv.FormatFloat(math.Abs(v), 'e', -1, 64) // "4.85e+06"
	n := 0
	for _, r := range s {
		if r == 'e' {
			break
		}
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// roundSignificant rounds v to digits significant digits, through its
// decimal form, so the stored float prints as that many digits.
func roundSignificant(v float64, digits int) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', digits, 64), 64)
	if err != nil {
		return v
	}
	return r
}

// derivedValue is num / den × factor, rounded to the inputs' precision.
func derivedValue(num, den, factor float64) float64 {
	digits := max(min(significantDigits(num), significantDigits(den)), MinDerivedDigits)
	return roundSignificant(num/den*factor, min(digits, 15))
}
