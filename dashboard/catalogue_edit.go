package dashboard

import (
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

// saveCity adds or edits a city and its aliases.
func (s *Server) saveCity(c echo.Context) error {
	err := s.store.SaveCity(c.Request().Context(), metrics.CityInput{
		Slug: c.FormValue("slug"), Name: c.FormValue("name"), LocalName: c.FormValue("local_name"),
		CountryISO3: c.FormValue("country_iso3"), Kind: c.FormValue("kind"), Aliases: c.FormValue("aliases"),
		Latitude: c.FormValue("latitude"), Longitude: c.FormValue("longitude"), Boundary: c.FormValue("boundary"),
	}, currentUser(c).Email)
	return s.afterSave(c, "city", err)
}

// savePair adds or edits a twin pair.
func (s *Server) savePair(c echo.Context) error {
	err := s.store.SavePair(c.Request().Context(), metrics.PairInput{
		Slug: c.FormValue("slug"), Programme: c.FormValue("programme"), ProgrammeCountry: c.FormValue("programme_country"),
		Confidence: c.FormValue("confidence"),
		Labels:     [2]string{c.FormValue("side1_label"), c.FormValue("side2_label")},
		Cities:     [2]string{c.FormValue("side1_cities"), c.FormValue("side2_cities")},
	}, currentUser(c).Email)
	return s.afterSave(c, "pair", err)
}

// saveIndicator adds or edits an indicator.
func (s *Server) saveIndicator(c echo.Context) error {
	err := s.store.SaveIndicator(c.Request().Context(), metrics.IndicatorInput{
		Code: c.FormValue("code"), Theme: c.FormValue("theme"), Unit: c.FormValue("unit"), Direction: c.FormValue("direction"),
		NameEN: c.FormValue("name_en"), NameVI: c.FormValue("name_vi"), DefinitionEN: c.FormValue("definition_en"), Standards: c.FormValue("standards"),
	}, currentUser(c).Email)
	return s.afterSave(c, "indicator", err)
}

// saveSource adds or edits a source.
func (s *Server) saveSource(c echo.Context) error {
	err := s.store.SaveSource(c.Request().Context(), metrics.SourceInput{
		Code: c.FormValue("code"), Title: c.FormValue("title"), ShortTitle: c.FormValue("short_title"), Publisher: c.FormValue("publisher"),
		URL: c.FormValue("url"), Vintage: c.FormValue("vintage"), Licence: c.FormValue("licence"), Citation: c.FormValue("citation"),
		Preferred: c.FormValue("preferred") == "1",
	}, currentUser(c).Email)
	return s.afterSave(c, "source", err)
}
