package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"
)

// The values as they were at a data version (migrations/0019): the
// current rows current since then, and the copies kept of the states
// that have ended since.

// keptTable is a table whose rows keep their ended states: the current
// rows carry valid_from, and a copy of each state a change ends goes to
// the history table, valid until the change's version. Values and
// targets are kept alike.
type keptTable struct {
	table   string // the current rows
	alias   string // the current rows' alias in a condition
	history string // the ended states
	idCol   string // the history's column naming the current row
	what    string // what an error says could not be kept
	// columns are the columns of a row's state that a copy keeps.
	columns []string
}

// keptObservations keeps the values' states (migrations/0019).
var keptObservations = keptTable{table: "observations", alias: "o", history: "observation_history", idCol: "observation_id",
	what: "history", columns: []string{"area_id", "indicator_id", "year", "value", "value_as_given", "unit_as_given", "source_id",
		"flags", "flags_as_given", "note", "locator", "source_url", "upload_id", "numerator_id", "denominator_id",
		"numerator_source_id", "denominator_source_id", "hidden", "valid_from"}}

// columnsOf lists the kept columns, each after prefix.
func (k keptTable) columnsOf(prefix string) string {
	return prefix + strings.Join(k.columns, ", "+prefix)
}

// closeSQL copies the state of the current rows that cond selects (on
// the table under its alias) into the history, valid until the version
// the change takes (param: its placeholder, named twice before cond).
// Rows the change itself wrote or brought back (no valid_from yet) have
// no earlier state to keep.
func (k keptTable) closeSQL(cond, param string) string {
	param = "CAST(" + param + " AS INTEGER)"
	return `INSERT INTO ` + k.history + ` (` + k.idCol + `, ` + k.columnsOf("") + `, valid_to)
		SELECT ` + k.alias + `.id, ` + k.columnsOf(k.alias+".") + `, ` + param + `
		FROM ` + k.table + ` ` + k.alias + `
		WHERE ` + k.alias + `.retired_by IS NULL AND ` + k.alias + `.valid_from < ` + param + ` AND (` + cond + `)`
}

// close keeps the state of the current rows that cond selects (a
// condition on the table under its alias, with ? parameters), before
// the caller retires them, inside its transaction: a page pinned to an
// earlier version still shows them.
func (k keptTable) close(ctx context.Context, tx *sqlx.Tx, cond string, args ...any) error {
	v, err := nextVersion(ctx, tx)
	if err != nil {
		return err
	}
	all := append([]any{v, v}, args...)
	if _, err := tx.ExecContext(ctx, k.closeSQL(cond, "?"), all...); err != nil {
		return fmt.Errorf("keep %s: %w", k.what, err)
	}
	return nil
}

// rollBack takes back what an upload wrote to the table, inside tx:
// its own rows stay readable as they were, for pages pinned to the
// versions they were current in, and leave the current ones; the rows
// it replaced are current again from the rollback's version.
func (k keptTable) rollBack(ctx context.Context, tx *sqlx.Tx, uploadID int64) error {
	if err := k.close(ctx, tx, k.alias+`.upload_id = ?`, uploadID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE `+k.table+` SET retired_by = NULL, valid_from = NULL WHERE retired_by = ? AND (upload_id IS NULL OR upload_id <> ?)`, uploadID, uploadID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE `+k.table+` SET retired_by = ? WHERE upload_id = ? AND retired_by IS NULL`, uploadID, uploadID)
	return err
}

// RollBackRows takes back the values and the targets an upload wrote,
// inside the rollback's transaction tx: those it replaced are current
// again, its own are kept as they were and leave the current ones.
func RollBackRows(ctx context.Context, tx *sqlx.Tx, uploadID int64) error {
	for _, k := range []keptTable{keptObservations, keptTargets} {
		if err := k.rollBack(ctx, tx, uploadID); err != nil {
			return err
		}
	}
	return nil
}

// nextVersion is the data version the change in tx will take when it
// is recorded (changes.go records it after every write of the change).
func nextVersion(ctx context.Context, tx *sqlx.Tx) (int64, error) {
	var v int64
	err := tx.GetContext(ctx, &v, `SELECT CAST(value AS INTEGER) + 1 FROM meta WHERE key = 'data_version'`)
	return v, err
}

// CloseObservations keeps the state of the current observations that
// cond selects (a condition on observations o, with ? parameters),
// before the caller retires them, inside its transaction: a page pinned
// to an earlier version still shows them.
func CloseObservations(ctx context.Context, tx *sqlx.Tx, cond string, args ...any) error {
	return keptObservations.close(ctx, tx, cond, args...)
}

type asOfKey struct{}

// AsOf returns a context whose reads of observations (ObservationsFor…,
// EachObservation, CountSelection, Stamp) show the values as they were
// at data version v. Check v with Pinnable first.
func AsOf(ctx context.Context, v int64) context.Context {
	return context.WithValue(ctx, asOfKey{}, v)
}

// PinnedVersion is the version ctx reads at; 0 for the current values.
func PinnedVersion(ctx context.Context) int64 {
	v, _ := ctx.Value(asOfKey{}).(int64)
	return v
}

// ErrNotKept is why a version cannot be shown again.
var ErrNotKept = errors.New("data version not kept")

// Pin says whether the values of version v can be shown: from the first
// version kept (the migration that began keeping them) to the current
// one. It returns the first kept and the current version.
func (s *Store) Pin(ctx context.Context, v int64) (first, current int64, err error) {
	if current, err = s.DataVersion(ctx); err != nil {
		return 0, 0, err
	}
	var f string
	if err := s.q.HistoryFrom.GetContext(ctx, &f); err != nil {
		return 0, current, err
	}
	first, _ = strconv.ParseInt(f, 10, 64)
	if first < 1 {
		first = 1
	}
	if v < first || v > current {
		return first, current, fmt.Errorf("version %d (kept: %d to %d): %w", v, first, current, ErrNotKept)
	}
	return first, current, nil
}

// pinnedFrom is the observations current at version :v (a pinned read),
// with filter (on the columns of observations) applied to both halves so
// that each reads through its index on area or indicator.
func pinnedFrom(filter string) string {
	return `(SELECT o.id, ` + keptObservations.columnsOf("o.") + `
	FROM observations o WHERE o.retired_by IS NULL AND o.valid_from <= :v AND ` + filter + `
	UNION ALL
	SELECT o.observation_id AS id, ` + keptObservations.columnsOf("o.") + `
	FROM observation_history o WHERE o.valid_to > :v AND o.valid_from <= :v AND ` + filter + `)`
}

// pinnedObservationsSQL reads Observations at version :v, as
// current_observations reads them now, with each value's headline state
// at that version.
func pinnedObservationsSQL(filter string) string {
	return `SELECT o.id, o.area_id, o.indicator_id, o.year, o.value, o.value_as_given, o.unit_as_given, o.source_id, o.flags, o.flags_as_given,
       o.note, o.locator, o.source_url, o.upload_id, o.numerator_id, o.denominator_id,
       COALESCE(s.code, ns.code) AS source_code,
       COALESCE(NULLIF(s.short_title, ''), s.title, NULLIF(ns.short_title, ''), ns.title) AS source_title,
       COALESCE(s.vintage, ns.vintage) AS source_vintage,
       COALESCE(s.preferred, ns.preferred) AS source_preferred,
       COALESCE(s.kind, ns.kind) AS source_kind,
       o.hidden
FROM ` + pinnedFrom(filter) + ` AS o
LEFT JOIN sources s ON s.id = o.source_id
LEFT JOIN sources ns ON ns.id = o.numerator_source_id
ORDER BY o.area_id, o.indicator_id, o.year, o.id`
}

// pinnedObservations reads the observations of some areas and/or some
// indicators (nil: any) at version v.
func (s *Store) pinnedObservations(ctx context.Context, v int64, areas, indicators []int64) ([]Observation, error) {
	conds, args := Selection{Areas: areas, Indicators: indicators}.placeConds(s.db.Dialect)
	args = append(args, sql.Named("v", v))
	if conds == nil {
		conds = []string{"1 = 1"}
	}
	var obs []Observation
	if err := s.db.R.SelectContext(ctx, &obs, pinnedObservationsSQL(strings.Join(conds, " AND ")), args...); err != nil {
		return nil, fmt.Errorf("list observations at version %d: %w", v, err)
	}
	return obs, nil
}

// pinnedRank is RankAreas at version v: the latest measured value each
// area showed then (Dataset.Latest, as series_stats keeps it now), in
// the same order.
func (s *Store) pinnedRank(ctx context.Context, v, indicator int64, highestFirst bool, areas []int64, offset, limit int) ([]int64, int, error) {
	obs, err := s.pinnedObservations(ctx, v, areas, []int64{indicator})
	if err != nil {
		return nil, 0, err
	}
	d := NewDataset(obs)
	type ranked struct {
		area  int64
		value float64
	}
	var rs []ranked
	seen := map[int64]bool{}
	for _, o := range obs {
		if seen[o.AreaID] {
			continue
		}
		seen[o.AreaID] = true
		if p, ok := d.Latest(o.AreaID, indicator); ok {
			rs = append(rs, ranked{o.AreaID, p.Value})
		}
	}
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].value != rs[j].value {
			return (rs[i].value > rs[j].value) == highestFirst
		}
		return rs[i].area < rs[j].area
	})
	var ids []int64
	for i := offset; i < len(rs) && i < offset+limit; i++ {
		ids = append(ids, rs[i].area)
	}
	return ids, len(rs), nil
}

// VersionChange is one data version after a pinned one: when it was
// made, by what, and which of the page's areas and indicators it
// touched (Everything: all of them, a catalogue or seed change).
type VersionChange struct {
	Version    int64
	At         string
	Kind       string // published, rolled_back, catalogue, values
	UploadID   int64
	FileName   string
	Everything bool
	Areas      []int64
	Indicators []int64
}

// VersionsSince lists the versions after since, oldest first, that touch
// what touched says (given a Change of the log); nil touched keeps all.
func (s *Store) VersionsSince(ctx context.Context, since int64, touched func(Change) bool) ([]VersionChange, error) {
	cs, _, err := s.ChangesSince(ctx, since)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	var rows []struct {
		Version  int64  `db:"version"`
		At       string `db:"at"`
		Kind     string `db:"kind"`
		UploadID int64  `db:"upload_id"`
		FileName string `db:"file_name"`
	}
	if err := s.db.R.SelectContext(ctx, &rows, `SELECT d.version, d.at, d.kind, COALESCE(d.upload_id, 0) AS upload_id, COALESCE(u.file_name, '') AS file_name
		FROM data_versions d LEFT JOIN uploads u ON u.id = d.upload_id
		WHERE d.version > ? ORDER BY d.version`, since); err != nil {
		return nil, fmt.Errorf("versions since %d: %w", since, err)
	}
	by := map[int64]*VersionChange{}
	var out []*VersionChange
	for _, r := range rows {
		vc := &VersionChange{Version: r.Version, At: r.At, Kind: r.Kind, UploadID: r.UploadID, FileName: r.FileName}
		by[r.Version] = vc
		out = append(out, vc)
	}
	keep := map[int64]bool{}
	for _, c := range cs {
		if touched != nil && !touched(c) {
			continue
		}
		vc := by[c.Version]
		if vc == nil {
			// A version made before versions were described.
			vc = &VersionChange{Version: c.Version, Kind: "values"}
			by[c.Version] = vc
			out = append(out, vc)
		}
		keep[c.Version] = true
		switch {
		case c.Everything():
			vc.Everything = true
		case c.AreaID != 0:
			vc.Areas = append(vc.Areas, c.AreaID)
		default:
			vc.Indicators = append(vc.Indicators, c.IndicatorID)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	var res []VersionChange
	for _, vc := range out {
		if keep[vc.Version] {
			res = append(res, *vc)
		}
	}
	return res, nil
}
