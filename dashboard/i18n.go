package dashboard

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"golang.org/x/text/language"

	"github.com/twinmetrics/twinmetrics/locale"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// Languages the interface speaks, English first (the fallback).
var Languages = locale.Languages

// languageNames are each language's name in itself, for the switch.
var languageNames = map[string]string{"en": "English", "vi": "Tiếng Việt", "it": "Italiano", "sk": "Slovenčina"}

// localCountry says whose cities are named in their own language:
// a Vietnamese reader sees Hà Nội, an Italian reader Milano.
var localCountry = map[string]string{"vi": "VNM", "it": "ITA", "sk": "SVK"}

// Locale is one reader's language: its messages, names and numbers.
type Locale struct {
	Lang string
	tr   *locale.Catalogue
}

// T translates a message, filling {{.Name}} placeholders from pairs of
// arguments: T("pair.gap", "Ratio", "2.5×"). A message missing from a
// language falls back to English; one missing from English shows its key.
func (l Locale) T(id string, kv ...any) string {
	s, _ := l.lookup(id, kv...)
	return s
}

// lookup is T that also says whether the catalogue has the message.
func (l Locale) lookup(id string, kv ...any) (string, bool) {
	var data map[string]any
	if len(kv) > 0 {
		data = make(map[string]any, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			data[fmt.Sprint(kv[i])] = kv[i+1]
		}
	}
	return l.tr.Lookup(l.Lang, id, data)
}

// Say renders a message in the reader's language.
func (l Locale) Say(m locale.Message) string { return l.tr.Say(l.Lang, m) }

// Num formats a number for the reader.
func (l Locale) Num(v float64) string { return FormatNumber(v, l.Lang) }

// Ordinal writes a place in a ranking the reader's way: "25th" in
// English, "thứ 25" in Vietnamese, "25º" in Italian, "25." in Slovak.
func (l Locale) Ordinal(n int) string {
	switch l.Lang {
	case "vi":
		return "thứ " + strconv.Itoa(n)
	case "it":
		return strconv.Itoa(n) + "º"
	case "sk":
		return strconv.Itoa(n) + "."
	}
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return strconv.Itoa(n) + suffix
}

// Ratio formats a ratio for the reader.
func (l Locale) Ratio(v float64) string { return FormatRatio(v, l.Lang) }

// Href prefixes an address with the language, so a shared link keeps it.
func (l Locale) Href(path string) string { return "/" + l.Lang + path }

// AreaName is the name readers of this language know the area by.
func (l Locale) AreaName(a *metrics.Area) string {
	if a.IsMedian() {
		return l.T("compare.median")
	}
	if a.LocalName != "" && localCountry[l.Lang] == a.CountryISO3 {
		return a.LocalName
	}
	return a.Name
}

// catalogueText picks the catalogue's Vietnamese text for Vietnamese
// readers where there is one; the catalogue is English otherwise.
func (l Locale) catalogueText(en, vi string) string {
	if l.Lang == "vi" && vi != "" {
		return vi
	}
	return en
}

// Unit is a unit's label in the reader's language: a symbol (µg/m³,
// t CO2e) is the same in both, a word (persons, cars) is not.
func (l Locale) Unit(code string) string {
	u, ok := metrics.LookupUnit(code)
	if !ok {
		return code
	}
	return l.catalogueText(u.Label, u.LabelVI)
}

// IndicatorName is the indicator's name in the reader's language.
func (l Locale) IndicatorName(i *metrics.Indicator) string {
	return l.catalogueText(i.NameEN, i.NameVI)
}

// IndicatorDefinition is the indicator's definition in the reader's language.
func (l Locale) IndicatorDefinition(i *metrics.Indicator) string {
	return l.catalogueText(i.DefinitionEN, i.DefinitionVI)
}

// FlagName is a flag of the vocabulary in the reader's language.
func (l Locale) FlagName(f *metrics.Flag) string { return l.catalogueText(f.NameEN, f.NameVI) }

// FlagDescription is the flag's meaning in the reader's language.
func (l Locale) FlagDescription(f *metrics.Flag) string {
	return l.catalogueText(f.DescriptionEN, f.DescriptionVI)
}

// Confidence words how sure a pairing is ("high", "medium (inferred)").
func (l Locale) Confidence(c string) string {
	if s, ok := l.lookup("confidence." + metrics.Slugify(c)); ok {
		return s
	}
	return c
}

// Country names a programme country ("South Africa") in the reader's
// language.
func (l Locale) Country(name string) string {
	if s, ok := l.lookup("country." + metrics.Slugify(name)); ok {
		return s
	}
	return name
}

// Theme is a theme's name.
func (l Locale) Theme(theme string) string { return l.T("theme." + theme) }

// Direction says which way is better.
func (l Locale) Direction(d string) string { return l.T("direction." + d) }

// PairTitle names a pair by its sides in the reader's language.
func (l Locale) PairTitle(p *metrics.Pair) string {
	return l.SideLabel(p.Sides[0]) + " – " + l.SideLabel(p.Sides[1])
}

// SideLabel names a side: its city's local name where the language
// calls for it, else the side's label ("Scottish Cities Alliance").
func (l Locale) SideLabel(s metrics.Side) string {
	if len(s.Cities) == 1 {
		return l.AreaName(&s.Cities[0])
	}
	return s.Label
}

const langKey = "lang"

func validLang(l string) bool { return slices.Contains(Languages, l) }

// chooseLanguage runs before routing: a leading /vi/ (or /en/, /it/,
// /sk/) in the address chooses the language, is remembered in a cookie
// and stripped; without one, the cookie decides, then Accept-Language.
func (s *Server) chooseLanguage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		p := req.URL.Path
		lang := ""
		for _, l := range Languages {
			if p == "/"+l || strings.HasPrefix(p, "/"+l+"/") {
				lang = l
				req.URL.Path = strings.TrimPrefix(p, "/"+l)
				if req.URL.Path == "" {
					req.URL.Path = "/"
				}
				req.URL.RawPath = ""
				c.SetCookie(&http.Cookie{Name: langKey, Value: l, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
					HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: req.TLS != nil})
				break
			}
		}
		if lang == "" && !languageFree(req.URL.Path) {
			// The answer depends on the cookie and Accept-Language.
			c.Response().Header().Add("Vary", "Accept-Language, Cookie")
		}
		if lang == "" {
			if ck, err := req.Cookie(langKey); err == nil && validLang(ck.Value) {
				lang = ck.Value
			}
		}
		if lang == "" {
			lang = "en"
			if al := req.Header.Get("Accept-Language"); al != "" {
				tags, _, err := language.ParseAcceptLanguage(al)
				if err == nil && len(tags) > 0 {
					_, i, conf := s.tr.Matcher.Match(tags...)
					if conf != language.No {
						lang = Languages[i]
					}
				}
			}
		}
		c.Set(langKey, lang)
		return next(c)
	}
}

// languageFree reports whether the answers at a path are the same in
// every language (API, downloads, assets, machine endpoints): no Vary on
// the reader's language for them, so shared caches may keep them.
func languageFree(path string) bool {
	for _, p := range []string{"/api/", "/assets/"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return path == "/api/v1" || path == "/data/download" || path == "/healthz" || path == "/metrics"
}

func (s *Server) locale(c echo.Context) Locale {
	l, _ := c.Get(langKey).(string)
	if !validLang(l) {
		l = "en"
	}
	return Locale{Lang: l, tr: s.tr}
}
