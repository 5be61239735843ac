package dashboard

import (
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// catalogueSection is one kind of entry on the catalogue page: the form
// that adds or edits one, and a table of those there are, each with the
// link that opens it in the form.
type catalogueSection struct {
	ID, Nav, Heading string
	Form             catalogueForm
	Head             []string
	Rows             []catalogueRow
}

// catalogueRow is one entry in its section's table: its key, its name,
// other columns, and the address of its form (empty when it cannot be
// edited: a computed indicator).
type catalogueRow struct {
	Key, Name string
	Cells     []string
	Edit      string
}

func newCatalogueSection(loc Locale, id, nav, heading string, form catalogueForm, head ...string) catalogueSection {
	sec := catalogueSection{ID: id, Nav: loc.T(nav), Heading: loc.T(heading), Form: form}
	for _, h := range head {
		sec.Head = append(sec.Head, loc.T(h))
	}
	return sec
}

// editLink opens an entry in its form.
func editLink(entity, key string) string {
	return "?" + entity + "=" + url.QueryEscape(key) + "#" + entity + "-form"
}

func citySection(loc Locale, csrf string, cat *metrics.Catalogue, edited *metrics.Area) catalogueSection {
	sec := newCatalogueSection(loc, "citys", "catalogue.cities", "catalogue.cities_title", cityForm(loc, csrf, edited),
		"catalogue.field.slug", "catalogue.field.name", "catalogue.country", "catalogue.field.kind", "catalogue.aliases")
	for _, a := range cat.Areas {
		sec.Rows = append(sec.Rows, catalogueRow{Key: a.Slug, Name: a.DisplayName(),
			Cells: []string{a.CountryISO3, loc.T("kind." + a.Kind), strings.Join(a.Aliases, " · ")}, Edit: editLink("city", a.Slug)})
	}
	return sec
}

func pairSection(loc Locale, csrf string, cat *metrics.Catalogue, edited *metrics.Pair) catalogueSection {
	sec := newCatalogueSection(loc, "pairs", "catalogue.pairs", "catalogue.pairs_title", pairForm(loc, csrf, edited),
		"catalogue.field.slug", "catalogue.pair", "catalogue.field.programme")
	for _, p := range cat.Pairs {
		sec.Rows = append(sec.Rows, catalogueRow{Key: p.Slug, Name: p.Title(), Cells: []string{p.Programme}, Edit: editLink("pair", p.Slug)})
	}
	return sec
}

func indicatorSection(loc Locale, csrf string, cat *metrics.Catalogue, edited *metrics.Indicator) catalogueSection {
	sec := newCatalogueSection(loc, "indicators", "catalogue.indicators", "catalogue.indicators", indicatorForm(loc, csrf, edited),
		"catalogue.field.code", "catalogue.field.name", "catalogue.field.theme", "catalogue.field.unit")
	for _, ind := range cat.Indicators {
		r := catalogueRow{Key: ind.Code, Name: ind.NameEN, Cells: []string{loc.Theme(ind.Theme), loc.Unit(ind.Unit)}}
		if !ind.Derived() {
			r.Edit = editLink("indicator", ind.Code)
		}
		sec.Rows = append(sec.Rows, r)
	}
	return sec
}

func sourceSection(loc Locale, csrf string, cat *metrics.Catalogue, edited *metrics.Source) catalogueSection {
	sec := newCatalogueSection(loc, "sources", "catalogue.sources", "catalogue.sources", sourceForm(loc, csrf, edited),
		"catalogue.field.code", "catalogue.field.title", "catalogue.field.vintage")
	for _, src := range cat.Sources {
		sec.Rows = append(sec.Rows, catalogueRow{Key: src.Code, Name: src.Title, Cells: []string{src.Vintage}, Edit: editLink("source", src.Code)})
	}
	return sec
}

// catalogueForm adds an entry of one kind to the catalogue, or edits the
// entry the address names: the template "catalogue-form" draws any of
// them from its fields.
type catalogueForm struct {
	ID     string // the form's anchor: city-form, pair-form, …
	Title  string
	Action string
	Save   string
	CSRF   string
	Fields []formField
}

// formField is one field of a catalogue form, filled with the value of
// the entry being edited.
type formField struct {
	Name, Label, Value string
	// Control is "" for an input, or textarea, select or checkbox.
	Control  string
	Type     string // an input's type, when not text
	Required bool
	// Readonly marks the key of an entry being edited: it is not changed.
	Readonly  bool
	MaxLength int
	Rows      int
	Options   []formOption
	Checked   bool
}

type formOption struct {
	Value, Label string
	Selected     bool
}

// textField is a one-line text field.
func textField(loc Locale, name, label, value string) formField {
	return formField{Name: name, Label: loc.T(label), Value: value}
}

// requiredField marks a field that must be filled.
func requiredField(f formField) formField { f.Required = true; return f }

// textareaField is a field of several lines.
func textareaField(loc Locale, name, label, value string, rows int) formField {
	return formField{Name: name, Label: loc.T(label), Value: value, Control: "textarea", Rows: rows}
}

// selectField is a choice among values, each labelled by labelOf, with
// selected chosen.
func selectField(loc Locale, name, label string, values []string, selected string, labelOf func(string) string) formField {
	f := formField{Name: name, Label: loc.T(label), Control: "select"}
	for _, v := range values {
		f.Options = append(f.Options, formOption{Value: v, Label: labelOf(v), Selected: v == selected})
	}
	return f
}

// keyField is the field that names the entry: read-only once it exists.
func keyField(f formField, editing bool) formField { f.Readonly = editing; return f }

// catalogueRoutes are where each entity's form is sent, below
// /admin/catalogue/.
var catalogueRoutes = map[string]string{"city": "cities", "pair": "pairs", "indicator": "indicators", "source": "sources"}

// newCatalogueForm is the form of an entity (city, pair, indicator,
// source): it adds one, or edits the one titled editTitle when editing.
func newCatalogueForm(loc Locale, csrf, entity, editTitle string, editing bool, fields ...formField) catalogueForm {
	title := loc.T("catalogue.add_" + entity)
	if editing {
		title = loc.T("catalogue.edit", "Name", editTitle)
	}
	return catalogueForm{ID: entity + "-form", Title: title, Action: "/admin/catalogue/" + catalogueRoutes[entity],
		Save: loc.T("catalogue.save_" + entity), CSRF: csrf, Fields: fields}
}

func cityForm(loc Locale, csrf string, edited *metrics.Area) catalogueForm {
	var a metrics.Area
	if edited != nil {
		a = *edited
	}
	coord := func(v sql.NullFloat64) string {
		if !v.Valid {
			return ""
		}
		return fmt.Sprint(v.Float64)
	}
	country := requiredField(textField(loc, "country_iso3", "catalogue.field.country_iso3", a.CountryISO3))
	country.MaxLength = 3
	return newCatalogueForm(loc, csrf, "city", a.Name, edited != nil,
		keyField(textField(loc, "slug", "catalogue.slug_from_name", a.Slug), edited != nil),
		requiredField(textField(loc, "name", "catalogue.field.name", a.Name)),
		textField(loc, "local_name", "catalogue.field.local_name", a.LocalName),
		country,
		selectField(loc, "kind", "catalogue.field.kind", []string{"city", "metropolitan", "agglomeration", "country"}, a.Kind,
			func(k string) string { return loc.T("kind." + k) }),
		textareaField(loc, "aliases", "catalogue.field.aliases", strings.Join(a.Aliases, "\n"), 4),
		textField(loc, "latitude", "catalogue.field.latitude", coord(a.Latitude)),
		textField(loc, "longitude", "catalogue.field.longitude", coord(a.Longitude)),
		textField(loc, "boundary", "catalogue.field.boundary", a.Boundary))
}

func pairForm(loc Locale, csrf string, edited *metrics.Pair) catalogueForm {
	var p metrics.Pair
	if edited != nil {
		p = *edited
	}
	// Each side's cities, by slug.
	var slugs [2]string
	for i, sd := range p.Sides {
		for j, a := range sd.Cities {
			if j > 0 {
				slugs[i] += ", "
			}
			slugs[i] += a.Slug
		}
	}
	return newCatalogueForm(loc, csrf, "pair", p.Title(), edited != nil,
		keyField(textField(loc, "slug", "catalogue.slug_from_sides", p.Slug), edited != nil),
		textField(loc, "programme", "catalogue.field.programme", p.Programme),
		textField(loc, "programme_country", "catalogue.field.programme_country", p.ProgrammeCountry),
		textField(loc, "confidence", "catalogue.field.confidence", p.Confidence),
		requiredField(textField(loc, "side1_label", "catalogue.field.side1_label", p.Sides[0].Label)),
		requiredField(textField(loc, "side1_cities", "catalogue.field.side1_cities", slugs[0])),
		requiredField(textField(loc, "side2_label", "catalogue.field.side2_label", p.Sides[1].Label)),
		requiredField(textField(loc, "side2_cities", "catalogue.field.side2_cities", slugs[1])))
}

func indicatorForm(loc Locale, csrf string, edited *metrics.Indicator) catalogueForm {
	var ind metrics.Indicator
	if edited != nil {
		ind = *edited
	}
	return newCatalogueForm(loc, csrf, "indicator", ind.Code, edited != nil,
		keyField(requiredField(textField(loc, "code", "catalogue.field.code", ind.Code)), edited != nil),
		requiredField(textField(loc, "name_en", "catalogue.field.name_en", ind.NameEN)),
		textField(loc, "name_vi", "catalogue.field.name_vi", ind.NameVI),
		selectField(loc, "theme", "catalogue.field.theme", metrics.Themes, ind.Theme, loc.Theme),
		selectField(loc, "unit", "catalogue.field.unit", metrics.UnitCodes(), ind.Unit, func(u string) string { return u }),
		selectField(loc, "direction", "catalogue.field.direction", []string{"lower_is_better", "higher_is_better", "neutral"}, ind.Direction, loc.Direction),
		textareaField(loc, "definition_en", "catalogue.field.definition_en", ind.DefinitionEN, 3),
		textareaField(loc, "definition_vi", "catalogue.field.definition_vi", ind.DefinitionVI, 3),
		textField(loc, "standards", "catalogue.field.standards", ind.Standards))
}

func sourceForm(loc Locale, csrf string, edited *metrics.Source) catalogueForm {
	var src metrics.Source
	if edited != nil {
		src = *edited
	}
	url := textField(loc, "url", "catalogue.field.url", src.URL)
	url.Type = "url"
	return newCatalogueForm(loc, csrf, "source", src.Code, edited != nil,
		keyField(requiredField(textField(loc, "code", "catalogue.field.code", src.Code)), edited != nil),
		requiredField(textField(loc, "title", "catalogue.field.title", src.Title)),
		textField(loc, "short_title", "catalogue.field.short_title", src.ShortTitle),
		textField(loc, "publisher", "catalogue.field.publisher", src.Publisher),
		url,
		textField(loc, "vintage", "catalogue.field.vintage", src.Vintage),
		textField(loc, "licence", "catalogue.field.licence", src.Licence),
		textareaField(loc, "citation", "catalogue.field.citation", src.Citation, 3),
		formField{Name: "preferred", Label: loc.T("catalogue.preferred"), Value: "1", Control: "checkbox", Checked: src.Preferred})
}
