package metrics

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// The seed files, in the order they are hashed.
var seedFiles = []string{
	"flags.csv", "sources.csv", "indicators.csv", "areas.csv",
	"programme_pairs.csv", "indicator_values_seed.csv", "redistribution.csv",
	"reference_lines.csv", "area_contains.csv", "targets.csv",
}

// SeedResult says what a seed run did.
type SeedResult struct {
	Skipped      bool // the same seed was already applied
	UploadID     int64
	Observations int
	Derived      int
	Targets      int
}

// seedFile is a seed CSV file read whole: its rows keyed by the header,
// and the line each starts on, for errors that name them.
type seedFile struct {
	name  string
	rows  []map[string]string
	lines []int
}

// at names row i: the file and its line.
func (f *seedFile) at(i int) string { return fmt.Sprintf("%s line %d", f.name, f.lines[i]) }

// errorf says what is wrong with row i, after the file and line.
func (f *seedFile) errorf(i int, format string, args ...any) error {
	return fmt.Errorf("%s: %w", f.at(i), fmt.Errorf(format, args...))
}

// wrap is err about row i, after the file and line.
func (f *seedFile) wrap(i int, err error) error { return fmt.Errorf("%s: %w", f.at(i), err) }

// order reads row i's sort_order: empty is 0, anything else a whole
// number.
func (f *seedFile) order(i int) (int, error) {
	s := f.rows[i]["sort_order"]
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, f.errorf(i, "column sort_order: %q is not a whole number", s)
	}
	return n, nil
}

// readCSV reads a whole CSV file into header-keyed rows, with the line
// number of each row for error messages.
func readCSV(fsys fs.FS, name string) (*seedFile, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1 // a column added later may be absent from older rows
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	in := &seedFile{name: name}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		m := make(map[string]string, len(header))
		for i, h := range header {
			if i < len(rec) {
				m[h] = strings.TrimSpace(rec[i])
			}
		}
		in.rows = append(in.rows, m)
		in.lines = append(in.lines, line)
	}
	return in, nil
}

// replaceRows reads a seed file whose rows replace every row of table.
func (sd *seeder) replaceRows(ctx context.Context, file, table string) (*seedFile, error) {
	in, err := readCSV(sd.fsys, file)
	if err != nil {
		return nil, err
	}
	if _, err := sd.tx.ExecContext(ctx, "DELETE FROM "+table); err != nil {
		return nil, err
	}
	return in, nil
}

func seedHash(fsys fs.FS) (string, error) {
	h := sha256.New()
	for _, n := range seedFiles {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return "", fmt.Errorf("seed file %s: %w", n, err)
		}
		fmt.Fprintf(h, "%s %d\n", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

var slugRe = regexp.MustCompile(`[^a-z0-9]+`)

// Slugify makes a URL slug: "Ho Chi Minh City" → "ho-chi-minh-city",
// "Košice" → "kosice".
func Slugify(s string) string {
	return strings.Trim(slugRe.ReplaceAllString(Fold(s), "-"), "-")
}

// Seed loads the seed files into the database in one transaction. It is
// idempotent: a seed already applied (same files, same hash) changes
// nothing. A changed seed updates the catalogue and replaces the
// observations of earlier seeds, which stay stored as retired.
func (s *Store) Seed(ctx context.Context, fsys fs.FS) (SeedResult, error) {
	return s.SeedWith(ctx, fsys, SeedOptions{})
}

// SeedOptions change what a seed loads.
type SeedOptions struct {
	// FromRawFiles lists marks of the seed's found_via column: rows that
	// were read from a raw publisher file with one of these marks are
	// left out, because they are imported from that file itself, through
	// its import profile (package ingest).
	FromRawFiles []string
}

// SeedWith is Seed with options.
func (s *Store) SeedWith(ctx context.Context, fsys fs.FS, opt SeedOptions) (SeedResult, error) {
	var res SeedResult
	hash, err := seedHash(fsys)
	if err != nil {
		return res, err
	}
	if len(opt.FromRawFiles) > 0 {
		h := sha256.Sum256([]byte(hash + "\x00" + strings.Join(opt.FromRawFiles, "\x00")))
		hash = hex.EncodeToString(h[:])
	}
	var n int
	if err := s.db.W.GetContext(ctx, &n, `SELECT COUNT(*) FROM uploads WHERE kind = 'seed' AND sha256 = ? AND status = 'published'`, hash); err != nil {
		return res, err
	}
	if n > 0 {
		res.Skipped = true
		return res, nil
	}
	tx, err := s.db.BeginWrite(ctx)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	sd := &seeder{tx: tx, fsys: fsys, fromRaw: opt.FromRawFiles}
	before, err := readRanking(ctx, tx)
	if err != nil {
		return res, err
	}
	steps := []func(context.Context) error{sd.seedFlags, sd.seedSources, sd.seedRedistribution, sd.seedIndicators, sd.seedReferenceLines, sd.seedAreas, sd.seedContains, sd.seedPairs}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return res, fmt.Errorf("seed: %w", err)
		}
	}
	now := Timestamp(time.Now())
	if err := tx.GetContext(ctx, &res.UploadID, `INSERT INTO uploads (kind, file_name, sha256, format, uploaded_by, created_at, published_at, status)
		VALUES ('seed', 'indicator_values_seed.csv', ?, 'csv', 'seed', ?, ?, 'published') RETURNING id`, hash, now, now); err != nil {
		return res, err
	}
	// Values of earlier seeds give way to this one; they are kept, retired.
	// One seed at a time, so that each update reads the upload index.
	var earlier []int64
	if err := tx.SelectContext(ctx, &earlier, `SELECT u.id FROM uploads u WHERE u.kind = 'seed' AND u.id <> ?`, res.UploadID); err != nil {
		return res, err
	}
	for _, id := range earlier {
		if err := CloseObservations(ctx, tx, `o.upload_id = ? AND o.numerator_id IS NULL`, id); err != nil {
			return res, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE observations SET retired_by = ?
			WHERE upload_id = ? AND retired_by IS NULL AND numerator_id IS NULL`, res.UploadID, id); err != nil {
			return res, err
		}
	}
	if res.Observations, err = sd.seedObservations(ctx, res.UploadID); err != nil {
		return res, fmt.Errorf("seed: %w", err)
	}
	if res.Targets, err = sd.seedTargets(ctx, res.UploadID); err != nil {
		return res, fmt.Errorf("seed: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE uploads SET rows_new = ? WHERE id = ?`, res.Observations, res.UploadID); err != nil {
		return res, err
	}
	// Only what the seed changed is derived and ranked again: its values,
	// those it retired, and the values of sources whose preference or
	// vintage it changed. A changed definition of a derived indicator
	// changes every value of it, and rebuilds everything.
	after, err := readRanking(ctx, tx)
	if err != nil {
		return res, err
	}
	if before.defs != after.defs {
		if res.Derived, err = DeriveAll(ctx, tx); err != nil {
			return res, fmt.Errorf("seed: derive: %w", err)
		}
	} else {
		cells := Cells{}
		if err := UploadCells(ctx, tx, res.UploadID, cells); err != nil {
			return res, err
		}
		for id, rank := range after.sources {
			if old, ok := before.sources[id]; ok && old != rank {
				if err := SourceCells(ctx, tx, id, cells); err != nil {
					return res, err
				}
			}
		}
		if res.Derived, err = RefreshUpload(ctx, tx, res.UploadID, cells); err != nil {
			return res, fmt.Errorf("seed: derive: %w", err)
		}
	}
	if _, err := RecordGlobalChange(ctx, tx); err != nil {
		return res, err
	}
	return res, s.Commit(ctx, tx)
}

type seeder struct {
	tx      *sqlx.Tx
	fsys    fs.FS
	fromRaw []string

	flagAliases []flagAlias
	sources     map[string][]sourceRule // source_dataset string → rules
	selfRep     map[int64]bool
	indicators  map[string]seedIndicator
	areaRules   map[string][]areaRule // seed label → rules
}

// sourceRule maps a seed dataset string to a source; where one string
// stands for two sources (two snapshots), the indicator label tells
// them apart.
type sourceRule struct {
	id             int64
	indicatorMatch string
}

type flagAlias struct {
	token  string
	prefix bool
	code   string
}

type seedIndicator struct {
	id   int64
	unit string
}

type areaRule struct {
	id    int64
	match string
}

func (sd *seeder) seedFlags(ctx context.Context) error {
	in, err := readCSV(sd.fsys, "flags.csv")
	if err != nil {
		return err
	}
	for i, r := range in.rows {
		if r["code"] == "" || r["name_en"] == "" {
			return in.errorf(i, "code and name_en are required")
		}
		if _, err := sd.tx.ExecContext(ctx, `INSERT INTO flags (code, name_en, name_vi, description_en, description_vi)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (code) DO UPDATE SET name_en = excluded.name_en, name_vi = excluded.name_vi,
				description_en = excluded.description_en, description_vi = excluded.description_vi`,
			r["code"], r["name_en"], r["name_vi"], r["description_en"], r["description_vi"]); err != nil {
			return in.wrap(i, err)
		}
		for _, a := range splitList(r["seed_aliases"]) {
			sd.flagAliases = append(sd.flagAliases, flagAlias{token: strings.TrimSuffix(a, "*"), prefix: strings.HasSuffix(a, "_") || strings.HasSuffix(a, "*"), code: r["code"]})
		}
		sd.flagAliases = append(sd.flagAliases, flagAlias{token: r["code"], code: r["code"]})
	}
	return nil
}

func (sd *seeder) seedSources(ctx context.Context) error {
	in, err := readCSV(sd.fsys, "sources.csv")
	if err != nil {
		return err
	}
	sd.sources = make(map[string][]sourceRule)
	sd.selfRep = make(map[int64]bool)
	for i, r := range in.rows {
		if r["code"] == "" || r["title"] == "" {
			return in.errorf(i, "code and title are required")
		}
		self := r["self_reported"] == "1" || strings.EqualFold(r["self_reported"], "true")
		kind := r["kind"]
		if kind == "" {
			kind = SourceReported
		}
		var id int64
		if err := sd.tx.GetContext(ctx, &id, `INSERT INTO sources (code, title, short_title, publisher, url, vintage, licence, licence_url, terms, citation, self_reported, kind)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (code) DO UPDATE SET title = excluded.title, short_title = excluded.short_title, publisher = excluded.publisher, url = excluded.url,
				vintage = excluded.vintage, licence = excluded.licence, licence_url = excluded.licence_url,
				terms = excluded.terms, citation = excluded.citation, self_reported = excluded.self_reported, kind = excluded.kind
			RETURNING id`,
			r["code"], r["title"], r["short_title"], r["publisher"], r["url"], r["vintage"], r["licence"], r["licence_url"], r["terms"], r["citation"], self, kind); err != nil {
			return in.wrap(i, err)
		}
		sd.selfRep[id] = self
		for _, ds := range splitList(r["seed_datasets"]) {
			for _, other := range sd.sources[ds] {
				if other.indicatorMatch == r["seed_indicator_match"] {
					return in.errorf(i, "seed dataset %q is mapped twice", ds)
				}
			}
			sd.sources[ds] = append(sd.sources[ds], sourceRule{id: id, indicatorMatch: r["seed_indicator_match"]})
		}
	}
	return nil
}

func (sd *seeder) seedIndicators(ctx context.Context) error {
	in, err := readCSV(sd.fsys, "indicators.csv")
	if err != nil {
		return err
	}
	sd.indicators = make(map[string]seedIndicator)
	ids := make(map[string]int64)
	for i, r := range in.rows {
		if _, ok := LookupUnit(r["unit"]); !ok {
			return in.errorf(i, "unknown unit %q", r["unit"])
		}
		order, err := in.order(i)
		if err != nil {
			return err
		}
		var id int64
		if err := sd.tx.GetContext(ctx, &id, `INSERT INTO indicators (code, theme, unit, direction, name_en, name_vi, definition_en, definition_vi, standards, sort_order)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (code) DO UPDATE SET theme = excluded.theme, unit = excluded.unit, direction = excluded.direction,
				name_en = excluded.name_en, name_vi = excluded.name_vi, definition_en = excluded.definition_en,
				definition_vi = excluded.definition_vi, standards = excluded.standards, sort_order = excluded.sort_order
			RETURNING id`,
			r["code"], r["theme"], r["unit"], r["direction"], r["name_en"], r["name_vi"], r["definition_en"], r["definition_vi"], r["standards"], order); err != nil {
			return in.errorf(i, "%s: %w", r["code"], err)
		}
		ids[r["code"]] = id
		for _, l := range splitList(r["seed_labels"]) {
			if _, dup := sd.indicators[l]; dup {
				return in.errorf(i, "seed label %q is mapped twice", l)
			}
			sd.indicators[l] = seedIndicator{id: id, unit: r["unit"]}
		}
	}
	ref := func(i int, code string) (any, error) {
		if code == "" {
			return nil, nil
		}
		id, ok := ids[code]
		if !ok {
			return nil, in.errorf(i, "no indicator %q", code)
		}
		return id, nil
	}
	for i, r := range in.rows {
		num, err := ref(i, r["numerator"])
		if err != nil {
			return err
		}
		den, err := ref(i, r["denominator"])
		if err != nil {
			return err
		}
		ctxOf, err := ref(i, r["context_of"])
		if err != nil {
			return err
		}
		perCapita, err := ref(i, r["per_capita"])
		if err != nil {
			return err
		}
		size := r["size_dependent"] == "1"
		if perCapita != nil && !size {
			return in.errorf(i, "per_capita names the rate of a total; %s is not size_dependent", r["code"])
		}
		var factor any
		if num != nil {
			factor = 1.0
			if r["factor"] != "" {
				if factor, err = strconv.ParseFloat(r["factor"], 64); err != nil {
					return in.errorf(i, "factor %q is not a number", r["factor"])
				}
			}
		}
		if _, err := sd.tx.ExecContext(ctx, `UPDATE indicators SET numerator_id = ?, denominator_id = ?, factor = ?, context_of_id = ?,
				size_dependent = ?, per_capita_id = ? WHERE id = ?`,
			num, den, factor, ctxOf, size, perCapita, ids[r["code"]]); err != nil {
			return in.wrap(i, err)
		}
	}
	return nil
}

// seedReferenceLines replaces the guideline and limit values with those
// of data/reference_lines.csv.
func (sd *seeder) seedReferenceLines(ctx context.Context) error {
	in, err := sd.replaceRows(ctx, "reference_lines.csv", "reference_lines")
	if err != nil {
		return err
	}
	for i, r := range in.rows {
		var ind int64
		if err := sd.tx.GetContext(ctx, &ind, `SELECT id FROM indicators WHERE code = ?`, r["indicator"]); err != nil {
			return in.errorf(i, "indicator %q: %w", r["indicator"], err)
		}
		v, err := strconv.ParseFloat(r["value"], 64)
		if err != nil {
			return in.errorf(i, "value %q is not a number", r["value"])
		}
		if r["source"] == "" {
			return in.errorf(i, "a reference line needs its source")
		}
		order, err := in.order(i)
		if err != nil {
			return err
		}
		if _, err := sd.tx.ExecContext(ctx, `INSERT INTO reference_lines (indicator_id, code, kind, value, label_en, label_vi, short_label, source, source_url, sort_order)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ind, r["code"], r["kind"], v, r["label_en"], r["label_vi"], r["short_label"], r["source"], r["source_url"], order); err != nil {
			return in.wrap(i, err)
		}
	}
	return nil
}

func (sd *seeder) seedAreas(ctx context.Context) error {
	in, err := readCSV(sd.fsys, "areas.csv")
	if err != nil {
		return err
	}
	sd.areaRules = make(map[string][]areaRule)
	ids := make(map[string]int64)
	for i, r := range in.rows {
		lat, err := seedCoordinate(r, "latitude", 90)
		if err != nil {
			return in.errorf(i, "%s: %w", r["slug"], err)
		}
		lon, err := seedCoordinate(r, "longitude", 180)
		if err != nil {
			return in.errorf(i, "%s: %w", r["slug"], err)
		}
		var id int64
		if err := sd.tx.GetContext(ctx, &id, `INSERT INTO areas (slug, name, local_name, country_iso3, kind, latitude, longitude, boundary)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (slug) DO UPDATE SET name = excluded.name, local_name = excluded.local_name,
				country_iso3 = excluded.country_iso3, kind = excluded.kind, latitude = excluded.latitude,
				longitude = excluded.longitude, boundary = excluded.boundary
			RETURNING id`,
			r["slug"], r["name"], r["local_name"], r["country_iso3"], r["kind"], lat, lon, r["boundary"]); err != nil {
			return in.errorf(i, "%s: %w", r["slug"], err)
		}
		ids[r["slug"]] = id
		names := append([]string{r["name"], r["local_name"], r["slug"]}, splitList(r["aliases"])...)
		if _, err := sd.tx.ExecContext(ctx, `DELETE FROM area_aliases WHERE area_id = ?`, id); err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, n := range names {
			if n == "" || seen[n] {
				continue
			}
			seen[n] = true
			if _, err := sd.tx.ExecContext(ctx, `INSERT INTO area_aliases (area_id, alias, folded) VALUES (?, ?, ?)`, id, n, Fold(n)); err != nil {
				return in.errorf(i, "alias %q: %w", n, err)
			}
		}
		for _, l := range splitList(r["seed_labels"]) {
			sd.areaRules[l] = append(sd.areaRules[l], areaRule{id: id, match: r["seed_match"]})
		}
	}
	for i, r := range in.rows {
		if r["parent"] == "" {
			continue
		}
		pid, ok := ids[r["parent"]]
		if !ok {
			return in.errorf(i, "parent %q is not an area", r["parent"])
		}
		if _, err := sd.tx.ExecContext(ctx, `UPDATE areas SET parent_id = ? WHERE id = ?`, pid, ids[r["slug"]]); err != nil {
			return err
		}
	}
	return nil
}

// seedCoordinate reads a latitude or longitude of areas.csv: empty is
// unknown (NULL); anything else must be decimal degrees within ±max.
func seedCoordinate(r map[string]string, column string, max float64) (any, error) {
	s := r[column]
	if s == "" {
		return nil, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) > max {
		return nil, fmt.Errorf("column %s: %q is not decimal degrees between -%g and %g; write it with a point (21.03) or leave it empty", column, s, max, max)
	}
	return f, nil
}

// findArea resolves a name to one city by its folded aliases.
func findArea(ctx context.Context, tx *sqlx.Tx, name string) (int64, error) {
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, `SELECT DISTINCT a.id FROM area_aliases al JOIN areas a ON a.id = al.area_id
		WHERE al.folded = ? AND a.kind = 'city'`, Fold(name)); err != nil {
		return 0, err
	}
	if len(ids) != 1 {
		return 0, fmt.Errorf("%q matches %d cities", name, len(ids))
	}
	return ids[0], nil
}

var membersRe = regexp.MustCompile(`^(.*?)\s*\(([^)]*;[^)]*)\)$`)

func (sd *seeder) seedPairs(ctx context.Context) error {
	in, err := readCSV(sd.fsys, "programme_pairs.csv")
	if err != nil {
		return err
	}
	for i, r := range in.rows {
		type side struct {
			label, country string
			members        []string
		}
		mk := func(name, country string) side {
			if m := membersRe.FindStringSubmatch(name); m != nil {
				var ms []string
				for _, x := range strings.Split(m[2], ";") {
					ms = append(ms, strings.TrimSpace(x))
				}
				return side{label: m[1], country: country, members: ms}
			}
			return side{label: name, country: country, members: []string{name}}
		}
		sides := [2]side{mk(r["non_eu_city"], r["programme_country"]), mk(r["eu_city"], r["eu_country"])}
		slug := Slugify(strings.SplitN(sides[0].label, " (", 2)[0]) + "-" + Slugify(sides[1].label)
		var pid int64
		if err := sd.tx.GetContext(ctx, &pid, `INSERT INTO pairs (slug, programme, programme_country, confidence, evidence, sort_order)
			VALUES (?, 'World Cities 2017–2018', ?, ?, ?, ?)
			ON CONFLICT (slug) DO UPDATE SET programme_country = excluded.programme_country, confidence = excluded.confidence,
				evidence = excluded.evidence, sort_order = excluded.sort_order
			RETURNING id`, slug, r["programme_country"], r["confidence"], r["where_read"], i+1); err != nil {
			return in.wrap(i, err)
		}
		if _, err := sd.tx.ExecContext(ctx, `DELETE FROM pair_members WHERE pair_id = ?`, pid); err != nil {
			return err
		}
		for si, s := range sides {
			if _, err := sd.tx.ExecContext(ctx, `INSERT INTO pair_sides (pair_id, side, label, country) VALUES (?, ?, ?, ?)
				ON CONFLICT (pair_id, side) DO UPDATE SET label = excluded.label, country = excluded.country`, pid, si+1, s.label, s.country); err != nil {
				return err
			}
			for pos, m := range s.members {
				aid, err := findArea(ctx, sd.tx, m)
				if err != nil {
					return in.wrap(i, err)
				}
				if _, err := sd.tx.ExecContext(ctx, `INSERT INTO pair_members (pair_id, side, area_id, position) VALUES (?, ?, ?, ?)`, pid, si+1, aid, pos); err != nil {
					return in.wrap(i, err)
				}
			}
		}
	}
	return nil
}

func (sd *seeder) areaFor(label, locator string) (int64, bool) {
	return ruleFor(sd.areaRules[label], locator, func(r areaRule) (string, int64) { return r.match, r.id })
}

func (sd *seeder) sourceFor(dataset, indicator string) (int64, bool) {
	return ruleFor(sd.sources[dataset], indicator, func(r sourceRule) (string, int64) { return r.indicatorMatch, r.id })
}

// ruleFor is the id of the first rule whose match text s contains, else
// of the rule with no match text (the default), if there is one.
func ruleFor[R any](rules []R, s string, rule func(R) (match string, id int64)) (int64, bool) {
	var def int64
	found := false
	for _, r := range rules {
		match, id := rule(r)
		if match == "" {
			def, found = id, true
		} else if strings.Contains(s, match) {
			return id, true
		}
	}
	return def, found
}

// seedMarks are seed flag tokens that the schema records otherwise than
// as a flag, so that no token of the seed goes unmapped.
var seedMarks = map[string]string{
	"NATIONAL":              "the area is a country (kind = country)",
	"year_unknown":          "the year is NULL; pages say \"year not given\"",
	"non_numeric_in_source": "the value is NULL and value_as_given keeps the text",
}

// mapFlags turns the seed's flag tokens into flag codes. A token that is
// neither a flag alias nor a seed mark is an error: a new kind of remark
// in the seed needs a flag (data/flags.csv) before it can be loaded.
func (sd *seeder) mapFlags(given string, selfReported bool) (string, error) {
	set := map[string]bool{}
	for _, tok := range strings.Split(given, ";") {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		found := false
		for _, a := range sd.flagAliases {
			if tok == a.token || (a.prefix && strings.HasPrefix(tok, a.token)) {
				set[a.code] = true
				found = true
			}
		}
		if _, mark := seedMarks[tok]; !found && !mark {
			return "", fmt.Errorf("flag %q maps to no flag of flags.csv", tok)
		}
	}
	if selfReported {
		set["self_reported"] = true
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return strings.Join(out, " "), nil
}

func (sd *seeder) seedObservations(ctx context.Context, uploadID int64) (int, error) {
	in, err := readCSV(sd.fsys, "indicator_values_seed.csv")
	if err != nil {
		return 0, err
	}
	stmt, err := sd.tx.PreparexContext(ctx, `INSERT INTO observations
		(area_id, indicator_id, year, value, value_as_given, unit_as_given, source_id, flags, flags_as_given, note, locator, source_url, retrieved_via, upload_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return 0, err
	}
	defer stmt.Close()
	n := 0
rows:
	for i, r := range in.rows {
		for _, m := range sd.fromRaw {
			if strings.Contains(r["found_via"], m) {
				continue rows
			}
		}
		n++
		where := in.at(i)
		area, ok := sd.areaFor(r["city"], r["row_locator"])
		if !ok {
			return 0, fmt.Errorf("%s: city %q is in no area's seed_labels", where, r["city"])
		}
		ind, ok := sd.indicators[r["indicator"]]
		if !ok {
			return 0, fmt.Errorf("%s: indicator %q is in no indicator's seed_labels", where, r["indicator"])
		}
		src, ok := sd.sourceFor(r["source_dataset"], r["indicator"])
		if !ok {
			return 0, fmt.Errorf("%s: source %q is in no source's seed_datasets", where, r["source_dataset"])
		}
		var year, value any
		if r["year"] != "" {
			y, err := strconv.Atoi(r["year"])
			if err != nil {
				return 0, fmt.Errorf("%s: year %q is not a whole number", where, r["year"])
			}
			year = y
		}
		if r["value"] != "" {
			v, err := strconv.ParseFloat(r["value"], 64)
			if err != nil {
				return 0, fmt.Errorf("%s: value %q is not a number", where, r["value"])
			}
			if v, err = Convert(v, r["unit"], ind.unit); err != nil {
				return 0, fmt.Errorf("%s: %w", where, err)
			}
			value = v
		}
		flags, err := sd.mapFlags(r["flags"], sd.selfRep[src])
		if err != nil {
			return 0, fmt.Errorf("%s: %w", where, err)
		}
		if _, err := stmt.ExecContext(ctx, area, ind.id, year, value, r["value_as_printed"], r["unit"], src,
			flags, r["flags"], r["note"], r["row_locator"], r["source_url_as_printed"], r["found_via"], uploadID); err != nil {
			return 0, fmt.Errorf("%s: %w", where, err)
		}
	}
	return n, nil
}

// ranking is what derived values and the headline choice depend on
// beyond the values themselves: the definitions of derived indicators
// and each source's preference and vintage.
type ranking struct {
	defs    string
	sources map[int64]string
}

func readRanking(ctx context.Context, tx *sqlx.Tx) (ranking, error) {
	var defs []derivedDef
	if err := tx.SelectContext(ctx, &defs, writePathSQL["derived definitions"]); err != nil {
		return ranking{}, err
	}
	var srcs []struct {
		ID        int64  `db:"id"`
		Preferred bool   `db:"preferred"`
		Vintage   string `db:"vintage"`
	}
	if err := tx.SelectContext(ctx, &srcs, `SELECT s.id, s.preferred, s.vintage FROM sources s`); err != nil {
		return ranking{}, err
	}
	r := ranking{defs: fmt.Sprint(defs), sources: make(map[int64]string, len(srcs))}
	for _, s := range srcs {
		r.sources[s.ID] = fmt.Sprint(s.Preferred, "|", s.Vintage)
	}
	return r, nil
}
