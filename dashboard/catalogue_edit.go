package dashboard

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

type cataloguePage struct {
	Saved   string
	Entity  string
	Invalid map[string]string
	// Sections are cities, pairs, indicators and sources, each with its
	// form filled with the entry being edited, if any (from ?city=,
	// ?pair=, ?indicator=, ?source=).
	Sections []catalogueSection
}

func (s *Server) renderCatalogue(c echo.Context, code int, d *cataloguePage) error {
	cat, err := s.store.Catalogue(c.Request().Context())
	if err != nil {
		return err
	}
	v := s.view(c, "catalogue")
	// An entry the address does not name leaves its form empty, to add
	// one.
	q := c.QueryParam
	city, _ := cat.Area(q("city"))
	pair, _ := cat.Pair(q("pair"))
	ind, _ := cat.Indicator(q("indicator"))
	var src *metrics.Source
	for _, s := range cat.Sources {
		if s.Code == q("source") {
			src = s
		}
	}
	d.Sections = []catalogueSection{citySection(v.Loc, v.CSRF, cat, city), pairSection(v.Loc, v.CSRF, cat, pair),
		indicatorSection(v.Loc, v.CSRF, cat, ind), sourceSection(v.Loc, v.CSRF, cat, src)}
	v.Title = v.Loc.T("catalogue.title")
	v.Data = d
	return s.render(c, code, "catalogue", v)
}

// showCatalogue lists cities with their aliases, pairs, indicators and
// sources, each with a form to edit it and one to add a new one.
func (s *Server) showCatalogue(c echo.Context) error {
	saved := c.QueryParam("saved")
	if !slices.Contains([]string{"city", "pair", "indicator", "source"}, saved) {
		saved = ""
	}
	return s.renderCatalogue(c, http.StatusOK, &cataloguePage{Saved: saved})
}

func (s *Server) afterSave(c echo.Context, entity string, err error) error {
	var inv *metrics.InvalidError
	if errors.As(err, &inv) {
		return s.renderCatalogue(c, http.StatusUnprocessableEntity, &cataloguePage{Entity: entity, Invalid: s.locale(c).invalidFields(inv.Fields)})
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/catalogue?saved="+entity+"#"+entity+"s")
}

// saveEntry saves, as the signed-in user, the entry of entity that its
// form filled in, and answers with the catalogue or its problems.
func saveEntry[T any](s *Server, c echo.Context, entity string, save func(context.Context, T, string) error, in T) error {
	return s.afterSave(c, entity, save(c.Request().Context(), in, currentUser(c).Email))
}

// saveCity adds or edits a city and its aliases.
func (s *Server) saveCity(c echo.Context) error {
	f := c.FormValue
	return saveEntry(s, c, "city", s.store.SaveCity, metrics.CityInput{
		Slug: f("slug"), Name: f("name"), LocalName: f("local_name"), CountryISO3: f("country_iso3"), Kind: f("kind"),
		Aliases: f("aliases"), Latitude: f("latitude"), Longitude: f("longitude"), Boundary: f("boundary"),
	})
}

// savePair adds or edits a twin pair.
func (s *Server) savePair(c echo.Context) error {
	f := c.FormValue
	return saveEntry(s, c, "pair", s.store.SavePair, metrics.PairInput{
		Slug: f("slug"), Programme: f("programme"), ProgrammeCountry: f("programme_country"), Confidence: f("confidence"),
		Labels: [2]string{f("side1_label"), f("side2_label")}, Cities: [2]string{f("side1_cities"), f("side2_cities")},
	})
}

// saveIndicator adds or edits an indicator.
func (s *Server) saveIndicator(c echo.Context) error {
	f := c.FormValue
	return saveEntry(s, c, "indicator", s.store.SaveIndicator, metrics.IndicatorInput{
		Code: f("code"), Theme: f("theme"), Unit: f("unit"), Direction: f("direction"), NameEN: f("name_en"),
		NameVI: f("name_vi"), DefinitionEN: f("definition_en"), DefinitionVI: f("definition_vi"), Standards: f("standards"),
	})
}

// saveSource adds or edits a source.
func (s *Server) saveSource(c echo.Context) error {
	f := c.FormValue
	return saveEntry(s, c, "source", s.store.SaveSource, metrics.SourceInput{
		Code: f("code"), Title: f("title"), ShortTitle: f("short_title"), Publisher: f("publisher"), URL: f("url"),
		Vintage: f("vintage"), Licence: f("licence"), Citation: f("citation"), Preferred: f("preferred") == "1",
	})
}
