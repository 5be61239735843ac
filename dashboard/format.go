package dashboard

import (
	"math"
	"strconv"
	"strings"
)

// numberSeps are the thousands and decimal separators of a language.
var numberSeps = map[string][2]string{
	"en": {",", "."},
	"vi": {".", ","},
	"it": {".", ","},
	"sk": {"\u00a0", ","},
}

// FormatNumber writes v for readers of lang: at most two decimals,
// trailing zeros dropped, thousands grouped ("8,053,663", "52.09"; in
// Vietnamese "8.053.663", "52,09"). Values under 0.01 keep three
// significant digits so that they do not read as zero.
func FormatNumber(v float64, lang string) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	seps, ok := numberSeps[lang]
	if !ok {
		seps = numberSeps["en"]
	}
	var s string
	if a := math.Abs(v); a != 0 && a < 0.01 {
		s = strconv.FormatFloat(v, 'g', 3, 64)
		if strings.ContainsAny(s, "e") {
			return s
		}
	} else {
		s = strconv.FormatFloat(v, 'f', 2, 64)
		if strings.Contains(s, ".") {
			s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		}
	}
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	if neg && s != "0" {
		b.WriteString("−")
	}
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(seps[0])
		}
		b.WriteRune(r)
	}
	if hasFrac {
		b.WriteString(seps[1])
		b.WriteString(frac)
	}
	return b.String()
}

// FormatRatio writes a ratio as "2.5×".
func FormatRatio(r float64, lang string) string {
	var s string
	switch a := math.Abs(r); {
	case a >= 10:
		s = FormatNumber(math.Round(r), lang)
	case a >= 1:
		s = FormatNumber(math.Round(r*10)/10, lang)
	default:
		s = FormatNumber(math.Round(r*100)/100, lang)
	}
	return s + "×"
}
