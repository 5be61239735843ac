package metrics

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/twinmetrics/twinmetrics/locale"
)

// InvalidError lists what is wrong with a catalogue form, by field.
type InvalidError struct{ Fields map[string]locale.Message }

func (e *InvalidError) Error() string {
	var ps []string
	for k, v := range e.Fields {
		ps = append(ps, k+": "+locale.English(v))
	}
	slices.Sort(ps)
	return strings.Join(ps, "; ")
}

// checkCode trims a code of an indicator or a source and records in bad
// when it is not one: lower-case letters, digits and underscores.
func checkCode(code string, bad map[string]locale.Message, msg locale.Key) string {
	code = strings.TrimSpace(code)
	if !codeRe.MatchString(code) {
		bad["code"] = msg.With()
	}
	return code
}

// invalid is the error of one bad field.
func invalid(field string, m locale.Message) *InvalidError {
	return &InvalidError{map[string]locale.Message{field: m}}
}

var (
	slugRule = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	iso3Rule = regexp.MustCompile(`^[A-Z]{3}$`)
)

// CityInput is the catalogue form for an area.
type CityInput struct {
	Slug, Name, LocalName, CountryISO3, Kind, Aliases, Latitude, Longitude, Boundary string
}

// IndicatorInput is the catalogue form for an indicator.
type IndicatorInput struct {
	Code, Theme, Unit, Direction, NameEN, NameVI, DefinitionEN, DefinitionVI, Standards string
}

// SourceInput is the catalogue form for a source.
type SourceInput struct {
	Code, Title, ShortTitle, Publisher, URL, Vintage, Licence, Citation string
	Preferred                                                           bool
}

// PairInput is the catalogue form for a twin pair; the cities of a side
// are slugs separated by commas.
type PairInput struct {
	Slug, Programme, ProgrammeCountry, Confidence string
	Labels                                        [2]string
	Cities                                        [2]string
}

// logCatalogueChange writes who changed which catalogue entry, and how,
// to the catalogue's change log.
func logCatalogueChange(ctx context.Context, tx *sqlx.Tx, who, entity, key, action, detail string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO catalogue_changes (at, user_email, entity, entity_key, action, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		Timestamp(time.Now()), who, entity, key, action, detail)
	return err
}

func (s *Store) editCatalogue(ctx context.Context, who, entity, key, detail string, fn func(tx *sqlx.Tx) (string, error)) error {
	tx, err := s.db.BeginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	action, err := fn(tx)
	if err != nil {
		return err
	}
	if err := logCatalogueChange(ctx, tx, who, entity, key, action, detail); err != nil {
		return err
	}
	// A catalogue edit can change any page (a name, a unit, a pair).
	if _, err := RecordGlobalChange(ctx, tx); err != nil {
		return err
	}
	return s.Commit(ctx, tx)
}

func optFloat(s string, lo, hi float64) (any, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < lo || f > hi {
		return nil, false
	}
	return f, true
}

// SaveCity adds an area or edits the one with the slug, with its aliases.
func (s *Store) SaveCity(ctx context.Context, in CityInput, who string) error {
	bad := map[string]locale.Message{}
	in.Slug, in.Name = strings.TrimSpace(in.Slug), strings.TrimSpace(in.Name)
	in.CountryISO3 = strings.ToUpper(strings.TrimSpace(in.CountryISO3))
	if in.Slug == "" {
		in.Slug = Slugify(in.Name)
	}
	if !slugRule.MatchString(in.Slug) {
		bad["slug"] = catSlugCity.With()
	}
	if in.Name == "" || len(in.Name) > 200 {
		bad["name"] = catName.With()
	}
	if !iso3Rule.MatchString(in.CountryISO3) {
		bad["country_iso3"] = catISO3.With()
	}
	switch in.Kind {
	case KindCity, KindMetropolitan, KindAgglomeration, KindCountry:
	default:
		bad["kind"] = catKind.With()
	}
	lat, ok := optFloat(in.Latitude, -90, 90)
	if !ok {
		bad["latitude"] = catLatitude.With()
	}
	lon, ok := optFloat(in.Longitude, -180, 180)
	if !ok {
		bad["longitude"] = catLongitude.With()
	}
	refuseBidi(bad, map[string]string{"slug": in.Slug, "name": in.Name, "local_name": in.LocalName, "aliases": in.Aliases, "boundary": in.Boundary})
	var aliases []string
	for _, a := range strings.FieldsFunc(in.Aliases, func(r rune) bool { return r == '\n' || r == '|' }) {
		if a = strings.TrimSpace(a); a != "" && len(a) <= 200 {
			aliases = append(aliases, a)
		}
	}
	if len(bad) > 0 {
		return &InvalidError{bad}
	}
	return s.editCatalogue(ctx, who, "city", in.Slug, in.Name, func(tx *sqlx.Tx) (string, error) {
		// An alias must not already name another area.
		for _, a := range aliases {
			var other string
			err := tx.GetContext(ctx, &other, `SELECT ar.slug FROM area_aliases al JOIN areas ar ON ar.id = al.area_id WHERE al.folded = ? AND ar.slug <> ? LIMIT 1`, Fold(a), in.Slug)
			if err == nil {
				return "", invalid("aliases", catAliasTaken.With(a, other))
			}
		}
		var id int64
		err := tx.GetContext(ctx, &id, `INSERT INTO areas (slug, name, local_name, country_iso3, kind, latitude, longitude, boundary)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (slug) DO UPDATE SET name = excluded.name, local_name = excluded.local_name, country_iso3 = excluded.country_iso3,
				kind = excluded.kind, latitude = excluded.latitude, longitude = excluded.longitude, boundary = excluded.boundary
			RETURNING id`, in.Slug, in.Name, strings.TrimSpace(in.LocalName), in.CountryISO3, in.Kind, lat, lon, strings.TrimSpace(in.Boundary))
		if err != nil {
			return "", err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM area_aliases WHERE area_id = ?`, id); err != nil {
			return "", err
		}
		for _, a := range aliases {
			if _, err := tx.ExecContext(ctx, `INSERT INTO area_aliases (area_id, alias, folded) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, id, a, Fold(a)); err != nil {
				return "", err
			}
		}
		return "saved", nil
	})
}

// SaveIndicator adds or edits an indicator. Its unit must be one the
// app can convert; derived indicators are defined in the seed.
func (s *Store) SaveIndicator(ctx context.Context, in IndicatorInput, who string) error {
	bad := map[string]locale.Message{}
	in.Code = checkCode(in.Code, bad, catIndicatorCode)
	if !slices.Contains(Themes, in.Theme) {
		bad["theme"] = catOneOf.With(strings.Join(Themes, ", "))
	}
	u, ok := LookupUnit(in.Unit)
	if !ok {
		bad["unit"] = catUnit.With()
	}
	switch in.Direction {
	case LowerIsBetter, HigherIsBetter, Neutral:
	default:
		bad["direction"] = catDirection.With()
	}
	if strings.TrimSpace(in.NameEN) == "" {
		bad["name_en"] = catRequired.With()
	}
	refuseBidi(bad, map[string]string{"name_en": in.NameEN, "name_vi": in.NameVI, "definition_en": in.DefinitionEN, "definition_vi": in.DefinitionVI, "standards": in.Standards})
	if len(bad) > 0 {
		return &InvalidError{bad}
	}
	return s.editCatalogue(ctx, who, "indicator", in.Code, in.NameEN, func(tx *sqlx.Tx) (string, error) {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM observations o JOIN indicators i ON i.id = o.indicator_id WHERE i.code = ? AND i.unit <> ?`, in.Code, u.Code); err != nil {
			return "", err
		}
		if n > 0 {
			return "", invalid("unit", catUnitFixed.With())
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO indicators (code, theme, unit, direction, name_en, name_vi, definition_en, definition_vi, standards, sort_order)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1000)
			ON CONFLICT (code) DO UPDATE SET theme = excluded.theme, unit = excluded.unit, direction = excluded.direction,
				name_en = excluded.name_en, name_vi = excluded.name_vi, definition_en = excluded.definition_en, definition_vi = excluded.definition_vi, standards = excluded.standards`,
			in.Code, in.Theme, u.Code, in.Direction, strings.TrimSpace(in.NameEN), strings.TrimSpace(in.NameVI), strings.TrimSpace(in.DefinitionEN), strings.TrimSpace(in.DefinitionVI), strings.TrimSpace(in.Standards))
		return "saved", err
	})
}

// SaveSource adds or edits a source.
func (s *Store) SaveSource(ctx context.Context, in SourceInput, who string) error {
	bad := map[string]locale.Message{}
	in.Code = checkCode(in.Code, bad, catSourceCode)
	if strings.TrimSpace(in.Title) == "" {
		bad["title"] = catRequired.With()
	}
	if in.URL != "" && !strings.HasPrefix(in.URL, "https://") && !strings.HasPrefix(in.URL, "http://") {
		bad["url"] = catURL.With()
	}
	refuseBidi(bad, map[string]string{"title": in.Title, "short_title": in.ShortTitle, "publisher": in.Publisher, "url": in.URL,
		"vintage": in.Vintage, "licence": in.Licence, "citation": in.Citation})
	if len(bad) > 0 {
		return &InvalidError{bad}
	}
	return s.editCatalogue(ctx, who, "source", in.Code, in.Title, func(tx *sqlx.Tx) (string, error) {
		before, err := readRanking(ctx, tx)
		if err != nil {
			return "", err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO sources (code, title, short_title, publisher, url, vintage, licence, citation, preferred)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (code) DO UPDATE SET title = excluded.title, short_title = excluded.short_title, publisher = excluded.publisher,
				url = excluded.url, vintage = excluded.vintage, licence = excluded.licence, citation = excluded.citation, preferred = excluded.preferred`,
			in.Code, strings.TrimSpace(in.Title), strings.TrimSpace(in.ShortTitle), strings.TrimSpace(in.Publisher), in.URL,
			strings.TrimSpace(in.Vintage), strings.TrimSpace(in.Licence), strings.TrimSpace(in.Citation), in.Preferred)
		if err != nil {
			return "", err
		}
		// A new preference or vintage can change which value each cell of
		// this source shows, and which population a per capita value uses.
		after, err := readRanking(ctx, tx)
		if err != nil {
			return "", err
		}
		cells := Cells{}
		for id, rank := range after.sources {
			if old, ok := before.sources[id]; ok && old != rank {
				if err := SourceCells(ctx, tx, id, cells); err != nil {
					return "", err
				}
			}
		}
		_, err = RefreshCells(ctx, tx, cells)
		return "saved", err
	})
}

// SavePair adds or edits a twin pair and its two sides.
func (s *Store) SavePair(ctx context.Context, in PairInput, who string) error {
	bad := map[string]locale.Message{}
	var slugs [2][]string
	for i := range 2 {
		in.Labels[i] = strings.TrimSpace(in.Labels[i])
		if in.Labels[i] == "" {
			bad[fmt.Sprintf("side%d_label", i+1)] = catRequired.With()
		}
		for _, c := range strings.Split(in.Cities[i], ",") {
			if c = strings.TrimSpace(c); c != "" {
				slugs[i] = append(slugs[i], c)
			}
		}
		if len(slugs[i]) == 0 {
			bad[fmt.Sprintf("side%d_cities", i+1)] = catCitySlugs.With()
		}
	}
	if in.Slug == "" && len(bad) == 0 {
		in.Slug = Slugify(in.Labels[0]) + "-" + Slugify(in.Labels[1])
	}
	if !slugRule.MatchString(in.Slug) {
		bad["slug"] = catSlug.With()
	}
	if strings.TrimSpace(in.Programme) == "" {
		in.Programme = "World Cities 2017–2018"
	}
	if in.Confidence == "" {
		in.Confidence = "high"
	}
	refuseBidi(bad, map[string]string{"side1_label": in.Labels[0], "side2_label": in.Labels[1], "programme": in.Programme,
		"programme_country": in.ProgrammeCountry})
	if len(bad) > 0 {
		return &InvalidError{bad}
	}
	return s.editCatalogue(ctx, who, "pair", in.Slug, in.Labels[0]+" – "+in.Labels[1], func(tx *sqlx.Tx) (string, error) {
		var pid int64
		if err := tx.GetContext(ctx, &pid, `INSERT INTO pairs (slug, programme, programme_country, confidence, sort_order)
			VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(sort_order), 0) + 1 FROM pairs))
			ON CONFLICT (slug) DO UPDATE SET programme = excluded.programme, programme_country = excluded.programme_country, confidence = excluded.confidence
			RETURNING id`, in.Slug, in.Programme, strings.TrimSpace(in.ProgrammeCountry), in.Confidence); err != nil {
			return "", err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM pair_members WHERE pair_id = ?`, pid); err != nil {
			return "", err
		}
		for i := range 2 {
			if _, err := tx.ExecContext(ctx, `INSERT INTO pair_sides (pair_id, side, label) VALUES (?, ?, ?)
				ON CONFLICT (pair_id, side) DO UPDATE SET label = excluded.label`, pid, i+1, in.Labels[i]); err != nil {
				return "", err
			}
			for pos, slug := range slugs[i] {
				var aid int64
				if err := tx.GetContext(ctx, &aid, `SELECT id FROM areas WHERE slug = ?`, slug); err != nil {
					return "", invalid(fmt.Sprintf("side%d_cities", i+1), catNoCity.With(slug))
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO pair_members (pair_id, side, area_id, position) VALUES (?, ?, ?, ?)`, pid, i+1, aid, pos); err != nil {
					return "", invalid(fmt.Sprintf("side%d_cities", i+1), catListedTwice.With(slug))
				}
			}
		}
		return "saved", nil
	})
}

var codeRe = regexp.MustCompile(`^[a-z][a-z0-9_]{1,63}$`)

// ValidCode reports whether s is a well-formed catalogue code: a lower-case
// letter, then 1 to 63 lower-case letters, digits or underscores.
func ValidCode(s string) bool { return codeRe.MatchString(s) }
