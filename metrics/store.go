package metrics

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"

	"github.com/jmoiron/sqlx"
)

// Store is the domain's entry point: it reads the catalogue and the
// observations, and writes through the single writer connection.
type Store struct {
	db *DB
	q  *queries
	// pw bounds the argon2 computations running at once.
	pw *passwordGate

	// The catalogue changes only with its own version (bumped by seeds
	// and catalogue edits, not by new values), so it is loaded once per
	// version and shared, read-only.
	catMu      sync.Mutex
	cat        *Catalogue
	catVersion int64

	// ver holds the versions in memory on PostgreSQL (versions.go);
	// nil on SQLite, where each read asks the database.
	ver *versions
}

// NewStore prepares every read query; a broken query fails here.
func NewStore(ctx context.Context, db *DB) (*Store, error) {
	q, err := prepareQueries(ctx, db.R, db.Dialect)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, q: q, pw: newPasswordGate(MaxPasswordHashes)}
	if db.Dialect == Postgres {
		s.ver = newVersions(db.R)
		if err := s.ver.start(ctx); err != nil {
			q.Close()
			return nil, err
		}
	}
	return s, nil
}

// Close stops the version listener and releases the prepared
// statements (the DB is closed by its owner).
func (s *Store) Close() {
	if s.ver != nil {
		s.ver.close()
	}
	s.q.Close()
}

// DB returns the underlying database.
func (s *Store) DB() *DB { return s.db }

// Catalogue is everything but the observations: areas, pairs,
// indicators, sources and flags, indexed for the pages.
type Catalogue struct {
	Areas      []*Area
	Pairs      []*Pair
	Indicators []*Indicator
	Sources    []*Source
	Flags      []*Flag

	areaByID     map[int64]*Area
	areaBySlug   map[string]*Area
	children     map[int64][]*Area
	countryByISO map[string]*Area
	pairBySlug   map[string]*Pair
	indByID      map[int64]*Indicator
	indByCode    map[string]*Indicator
	contextFor   map[int64][]*Indicator
	srcByID      map[int64]*Source
	flagByCode   map[string]*Flag
	refLines     map[int64][]ReferenceLine
	containedIn  map[int64][]*Area
	contains     map[int64][]*Area
}

// Catalogue returns the catalogue of the current data version. Callers
// must not change it: it is shared between requests.
func (s *Store) Catalogue(ctx context.Context) (*Catalogue, error) {
	v, err := s.catalogueVersion(ctx)
	if err != nil {
		return nil, err
	}
	s.catMu.Lock()
	if s.cat != nil && s.catVersion == v {
		c := s.cat
		s.catMu.Unlock()
		return c, nil
	}
	s.catMu.Unlock()
	c, err := s.loadCatalogue(ctx)
	if err != nil {
		return nil, err
	}
	s.catMu.Lock()
	s.cat, s.catVersion = c, v
	s.catMu.Unlock()
	return c, nil
}

func (s *Store) loadCatalogue(ctx context.Context) (*Catalogue, error) {
	c := &Catalogue{}
	for _, load := range []func(context.Context, *Store) error{c.loadAreas, c.loadPairs, c.loadIndicators, c.loadSources, c.loadFlags, c.loadContains} {
		if err := load(ctx, s); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// loadAreas reads the areas with their aliases, indexed by id, slug,
// parent and country.
func (c *Catalogue) loadAreas(ctx context.Context, s *Store) error {
	areas, err := selectAll[Area](ctx, s.q.ListAreas, "list areas")
	if err != nil {
		return err
	}
	aliases, err := selectAll[struct {
		AreaID int64  `db:"area_id"`
		Alias  string `db:"alias"`
		Folded string `db:"folded"`
	}](ctx, s.q.ListAliases, "list aliases")
	if err != nil {
		return err
	}
	c.areaByID = make(map[int64]*Area, len(areas))
	c.areaBySlug = make(map[string]*Area, len(areas))
	c.children = make(map[int64][]*Area)
	c.countryByISO = make(map[string]*Area)
	for i := range areas {
		a := &areas[i]
		c.Areas = append(c.Areas, a)
		c.areaByID[a.ID] = a
		c.areaBySlug[a.Slug] = a
		if a.Kind == KindCountry {
			c.countryByISO[a.CountryISO3] = a
		}
	}
	for _, al := range aliases {
		if a := c.areaByID[al.AreaID]; a != nil {
			a.Aliases = append(a.Aliases, al.Alias)
		}
	}
	for _, a := range c.Areas {
		if a.ParentID.Valid {
			c.children[a.ParentID.Int64] = append(c.children[a.ParentID.Int64], a)
		}
	}
	return nil
}

// loadPairs reads the twin pairs with their sides' labels and cities;
// the areas are loaded first.
func (c *Catalogue) loadPairs(ctx context.Context, s *Store) error {
	pairs, err := selectAll[Pair](ctx, s.q.ListPairs, "list pairs")
	if err != nil {
		return err
	}
	sides, err := selectAll[struct {
		PairID  int64  `db:"pair_id"`
		Side    int    `db:"side"`
		Label   string `db:"label"`
		Country string `db:"country"`
	}](ctx, s.q.ListPairSides, "list pair sides")
	if err != nil {
		return err
	}
	members, err := selectAll[struct {
		PairID int64 `db:"pair_id"`
		Side   int   `db:"side"`
		AreaID int64 `db:"area_id"`
	}](ctx, s.q.ListPairMembers, "list pair members")
	if err != nil {
		return err
	}
	byID := make(map[int64]*Pair, len(pairs))
	c.pairBySlug = make(map[string]*Pair, len(pairs))
	for i := range pairs {
		p := &pairs[i]
		c.Pairs = append(c.Pairs, p)
		byID[p.ID] = p
		c.pairBySlug[p.Slug] = p
	}
	for _, sd := range sides {
		if p := byID[sd.PairID]; p != nil && (sd.Side == 1 || sd.Side == 2) {
			p.Sides[sd.Side-1].Label = sd.Label
			p.Sides[sd.Side-1].Country = sd.Country
		}
	}
	for _, m := range members {
		p, a := byID[m.PairID], c.areaByID[m.AreaID]
		if p != nil && a != nil && (m.Side == 1 || m.Side == 2) {
			p.Sides[m.Side-1].Cities = append(p.Sides[m.Side-1].Cities, *a)
		}
	}
	return nil
}

// loadIndicators reads the indicators, indexed by id and code, and the
// context indicators of each.
func (c *Catalogue) loadIndicators(ctx context.Context, s *Store) error {
	inds, err := selectAll[Indicator](ctx, s.q.ListIndicators, "list indicators")
	if err != nil {
		return err
	}
	c.indByID = make(map[int64]*Indicator, len(inds))
	c.indByCode = make(map[string]*Indicator, len(inds))
	c.contextFor = make(map[int64][]*Indicator)
	for i := range inds {
		ind := &inds[i]
		c.Indicators = append(c.Indicators, ind)
		c.indByID[ind.ID] = ind
		c.indByCode[ind.Code] = ind
		if ind.ContextOfID.Valid {
			c.contextFor[ind.ContextOfID.Int64] = append(c.contextFor[ind.ContextOfID.Int64], ind)
		}
	}
	lines, err := selectAll[ReferenceLine](ctx, s.q.ListReferenceLines, "list reference lines")
	if err != nil {
		return err
	}
	c.refLines = make(map[int64][]ReferenceLine)
	for _, l := range lines {
		c.refLines[l.IndicatorID] = append(c.refLines[l.IndicatorID], l)
	}
	return nil
}

func (c *Catalogue) loadSources(ctx context.Context, s *Store) error {
	srcs, err := selectAll[Source](ctx, s.q.ListSources, "list sources")
	if err != nil {
		return err
	}
	c.srcByID = make(map[int64]*Source, len(srcs))
	for i := range srcs {
		c.Sources = append(c.Sources, &srcs[i])
		c.srcByID[srcs[i].ID] = &srcs[i]
	}
	return nil
}

func (c *Catalogue) loadFlags(ctx context.Context, s *Store) error {
	flags, err := selectAll[Flag](ctx, s.q.ListFlags, "list flags")
	if err != nil {
		return err
	}
	c.flagByCode = make(map[string]*Flag, len(flags))
	for i := range flags {
		c.Flags = append(c.Flags, &flags[i])
		c.flagByCode[flags[i].Code] = &flags[i]
	}
	return nil
}

// selectAll runs a prepared listing and reads every row it gives; what
// names the listing in an error ("list areas").
func selectAll[T any](ctx context.Context, q *sqlx.Stmt, what string, args ...any) ([]T, error) {
	var out []T
	if err := q.SelectContext(ctx, &out, args...); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// find is the entry of one of the catalogue's maps, or ErrNotFound
// naming what was asked for.
func find[T any](m map[string]*T, what, key string) (*T, error) {
	if x := m[key]; x != nil {
		return x, nil
	}
	return nil, fmt.Errorf("%s %q: %w", what, key, ErrNotFound)
}

// Area finds an area by slug.
func (c *Catalogue) Area(slug string) (*Area, error) { return find(c.areaBySlug, "area", slug) }

// AreaByID finds an area by id (nil if unknown).
func (c *Catalogue) AreaByID(id int64) *Area { return c.areaByID[id] }

// Children lists the areas linked to a city (its metropolitan area,
// agglomeration, greater city).
func (c *Catalogue) Children(id int64) []*Area { return c.children[id] }

// Country is the country area of an ISO3 code (nil if there is none).
func (c *Catalogue) Country(iso3 string) *Area { return c.countryByISO[iso3] }

// Pair finds a pair by slug.
func (c *Catalogue) Pair(slug string) (*Pair, error) { return find(c.pairBySlug, "pair", slug) }

// PairsOf lists the pairs a city belongs to.
func (c *Catalogue) PairsOf(areaID int64) []*Pair {
	var out []*Pair
	for _, p := range c.Pairs {
		for _, sd := range p.Sides {
			for _, a := range sd.Cities {
				if a.ID == areaID {
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// Indicator finds an indicator by code.
func (c *Catalogue) Indicator(code string) (*Indicator, error) {
	return find(c.indByCode, "indicator", code)
}

// IndicatorByID finds an indicator by id (nil if unknown).
func (c *Catalogue) IndicatorByID(id int64) *Indicator { return c.indByID[id] }

// ContextFor lists the national series drawn beside an indicator.
func (c *Catalogue) ContextFor(id int64) []*Indicator { return c.contextFor[id] }

// ReferenceLines are the guideline and limit values of an indicator.
func (c *Catalogue) ReferenceLines(indicatorID int64) []ReferenceLine { return c.refLines[indicatorID] }

// PerCapita is the rate to compare instead of a total, or nil.
func (c *Catalogue) PerCapita(ind *Indicator) *Indicator {
	if !ind.PerCapitaID.Valid {
		return nil
	}
	return c.indByID[ind.PerCapitaID.Int64]
}

// Source finds a source by id (nil if unknown).
func (c *Catalogue) Source(id int64) *Source { return c.srcByID[id] }

// Flag finds a flag by code (nil if unknown).
func (c *Catalogue) Flag(code string) *Flag { return c.flagByCode[code] }

// ThemeIndicators lists a theme's indicators in their order.
func (c *Catalogue) ThemeIndicators(theme string) []*Indicator {
	var out []*Indicator
	for _, i := range c.Indicators {
		if i.Theme == theme {
			out = append(out, i)
		}
	}
	return out
}

func idsJSON(ids []int64) string {
	b, _ := json.Marshal(ids)
	return string(b)
}

// ObservationsForAreas loads the current observations of some areas.
func (s *Store) ObservationsForAreas(ctx context.Context, ids []int64) ([]Observation, error) {
	if v := PinnedVersion(ctx); v != 0 {
		return s.pinnedObservations(ctx, v, ids, nil)
	}
	return selectAll[Observation](ctx, s.q.ListObservationsForAreas, "list observations", idsJSON(ids))
}

// ObservationsForIndicators loads the current observations of some indicators.
func (s *Store) ObservationsForIndicators(ctx context.Context, ids []int64) ([]Observation, error) {
	if v := PinnedVersion(ctx); v != 0 {
		return s.pinnedObservations(ctx, v, nil, ids)
	}
	return selectAll[Observation](ctx, s.q.ListObservationsForIndicators, "list observations", idsJSON(ids))
}

// ObservationsFor loads the current observations of some areas and
// some indicators.
func (s *Store) ObservationsFor(ctx context.Context, areas, indicators []int64) ([]Observation, error) {
	if v := PinnedVersion(ctx); v != 0 {
		return s.pinnedObservations(ctx, v, areas, indicators)
	}
	return selectAll[Observation](ctx, s.q.ListObservationsForAreasIndicators, "list observations",
		sql.Named("areas", idsJSON(areas)), sql.Named("indicators", idsJSON(indicators)))
}

// IndicatorAreaCounts says how many areas have any current value of
// each indicator (by indicator id).
func (s *Store) IndicatorAreaCounts(ctx context.Context) (map[int64]int, error) {
	var rows []struct {
		Indicator int64 `db:"indicator_id"`
		Areas     int   `db:"areas"`
	}
	if err := s.q.CountIndicatorAreas.SelectContext(ctx, &rows); err != nil {
		return nil, fmt.Errorf("count indicator areas: %w", err)
	}
	out := make(map[int64]int, len(rows))
	for _, r := range rows {
		out[r.Indicator] = r.Areas
	}
	return out, nil
}

// RankAreas lists one page of the areas that have a latest measured
// value of an indicator, in the order of that value (highest first if
// asked), and how many there are in all. areas limits the ranking to
// some areas (nil: every area).
func (s *Store) RankAreas(ctx context.Context, indicator int64, highestFirst bool, areas []int64, offset, limit int) ([]int64, int, error) {
	if v := PinnedVersion(ctx); v != 0 {
		return s.pinnedRank(ctx, v, indicator, highestFirst, areas, offset, limit)
	}
	var total int
	arg := listArg(areas)
	if err := s.q.CountRankedAreas.GetContext(ctx, &total, sql.Named("indicator", indicator), sql.Named("areas", arg)); err != nil {
		return nil, 0, fmt.Errorf("count ranking: %w", err)
	}
	st := s.q.RankAreasAscending
	if highestFirst {
		st = s.q.RankAreasDescending
	}
	var ids []int64
	if err := st.SelectContext(ctx, &ids, sql.Named("indicator", indicator), sql.Named("areas", arg),
		sql.Named("limit", limit), sql.Named("offset", offset)); err != nil {
		return nil, 0, fmt.Errorf("rank areas: %w", err)
	}
	return ids, total, nil
}

// CountObservations counts current stored (not derived) observations.
func (s *Store) CountObservations(ctx context.Context) (int, error) {
	var n int
	if v := PinnedVersion(ctx); v != 0 {
		err := s.db.R.GetContext(ctx, &n, `SELECT COUNT(*) FROM `+pinnedFrom("o.numerator_id IS NULL")+` AS o`, sql.Named("v", v))
		return n, err
	}
	err := s.q.CountObservations.GetContext(ctx, &n)
	return n, err
}

// DataVersion is a number bumped by every change to the data.
func (s *Store) DataVersion(ctx context.Context) (int64, error) {
	if s.ver != nil {
		return s.ver.data.Load(), nil
	}
	var v string
	if err := s.q.DataVersion.GetContext(ctx, &v); err != nil {
		return 0, err
	}
	return strconv.ParseInt(v, 10, 64)
}
