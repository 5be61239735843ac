package metrics

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/jmoiron/sqlx"
)

// Timestamp is t as the database keeps times: UTC, RFC 3339, to the
// second. Every stored time is written through it, so that times compare
// as text on both engines.
func Timestamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// Change is one entry of the change log: what a data version touched.
// Zero fields are wildcards (see migrations/0004_data_changes.sql).
type Change struct {
	Version     int64 `db:"version"`
	AreaID      int64 `db:"area_id"`
	IndicatorID int64 `db:"indicator_id"`
}

// Everything reports whether the change touches every page.
func (c Change) Everything() bool { return c.AreaID == 0 && c.IndicatorID == 0 }

// bumpDataVersion moves the data version on by one and returns it,
// at the end of the change (after every write of it): the rows the
// change wrote or brought back, values and targets, take the new
// version as the one they are current from, and the version notes when it was made and by what
// (kind and upload, for the notice of a pinned page). On PostgreSQL
// every instance hears of it when tx commits (versions.go): commit tx
// with Store.Commit.
func bumpDataVersion(ctx context.Context, tx *sqlx.Tx, kind string, uploadID int64) (int64, error) {
	var v int64
	if err := tx.GetContext(ctx, &v, `UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version' RETURNING CAST(value AS INTEGER)`); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE observations SET valid_from = ? WHERE valid_from IS NULL`, v); err != nil {
		return 0, fmt.Errorf("stamp version: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE targets SET valid_from = ? WHERE valid_from IS NULL`, v); err != nil {
		return 0, fmt.Errorf("stamp version: %w", err)
	}
	var up any
	if uploadID != 0 {
		up = uploadID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO data_versions (version, at, kind, upload_id) VALUES (?, ?, ?, ?)`,
		v, Timestamp(time.Now()), kind, up); err != nil {
		return 0, fmt.Errorf("record version: %w", err)
	}
	return v, notifyVersion(ctx, tx, v)
}

// RecordGlobalChange bumps the data version for a change that touches
// everything (a new seed, a catalogue edit), inside the caller's
// transaction.
func RecordGlobalChange(ctx context.Context, tx *sqlx.Tx) (int64, error) {
	return recordGlobal(ctx, tx, "catalogue", 0)
}

// RecordUploadGlobalChange is RecordGlobalChange for the publication of
// an upload that adds sources to the catalogue: the version names the
// upload.
func RecordUploadGlobalChange(ctx context.Context, tx *sqlx.Tx, uploadID int64) (int64, error) {
	return recordGlobal(ctx, tx, "published", uploadID)
}

func recordGlobal(ctx context.Context, tx *sqlx.Tx, kind string, uploadID int64) (int64, error) {
	v, err := bumpDataVersion(ctx, tx, kind, uploadID)
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = ? WHERE key = 'catalogue_version'`, strconv.FormatInt(v, 10)); err != nil {
		return 0, err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO data_changes (version) VALUES (?)`, v)
	return v, err
}

// RecordChange bumps the data version for a change to the values of
// some areas and indicators (not to the catalogue), inside the caller's
// transaction.
func RecordChange(ctx context.Context, tx *sqlx.Tx, areaIDs, indicatorIDs []int64) (int64, error) {
	v, err := bumpDataVersion(ctx, tx, "values", 0)
	if err != nil {
		return 0, err
	}
	for _, a := range areaIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO data_changes (version, area_id) VALUES (?, ?)`, v, a); err != nil {
			return 0, err
		}
	}
	for _, i := range indicatorIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO data_changes (version, indicator_id) VALUES (?, ?)`, v, i); err != nil {
			return 0, err
		}
	}
	return v, nil
}

// RecordUploadChange bumps the data version for the publication or the
// rollback of an upload, inside the caller's transaction, and logs the
// areas and indicators it touched: those of the observations it brought
// and of those it retired, and the derived indicators computed from them.
func RecordUploadChange(ctx context.Context, tx *sqlx.Tx, uploadID int64) (int64, error) {
	var status string
	if err := tx.GetContext(ctx, &status, `SELECT status FROM uploads WHERE id = ?`, uploadID); err != nil {
		return 0, fmt.Errorf("record change: %w", err)
	}
	kind := "published"
	if status == "rolled_back" {
		kind = "rolled_back"
	}
	v, err := bumpDataVersion(ctx, tx, kind, uploadID)
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO data_changes (version, area_id)
		SELECT DISTINCT CAST(? AS INTEGER), area_id FROM observations WHERE upload_id = ? OR retired_by = ?
		UNION
		SELECT DISTINCT CAST(? AS INTEGER), area_id FROM targets WHERE upload_id = ? OR retired_by = ?`, v, uploadID, uploadID, v, uploadID, uploadID); err != nil {
		return 0, fmt.Errorf("record change: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO data_changes (version, indicator_id)
		WITH touched AS (SELECT DISTINCT indicator_id AS id FROM observations WHERE upload_id = ? OR retired_by = ?)
		SELECT CAST(? AS INTEGER), id FROM touched
		UNION
		SELECT CAST(? AS INTEGER), i.id FROM indicators i JOIN touched t ON t.id IN (i.numerator_id, i.denominator_id)`,
		uploadID, uploadID, v, v); err != nil {
		return 0, fmt.Errorf("record change: %w", err)
	}
	return v, nil
}

// ChangesSince lists the changes after version since, oldest first, and
// the current data version.
func (s *Store) ChangesSince(ctx context.Context, since int64) ([]Change, int64, error) {
	cur, err := s.DataVersion(ctx)
	if err != nil {
		return nil, 0, err
	}
	if cur <= since {
		return nil, cur, nil
	}
	var cs []Change
	err = s.db.R.SelectContext(ctx, &cs, `SELECT version, COALESCE(area_id, 0) AS area_id, COALESCE(indicator_id, 0) AS indicator_id
		FROM data_changes WHERE version > ? AND version <= ? ORDER BY version`, since, cur)
	return cs, cur, err
}
