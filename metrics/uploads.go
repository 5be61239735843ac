package metrics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// The upload history: what each published (or rolled back) upload was
// and which values it brought. The pipeline that checks and publishes
// files lives in package ingest.

// UploadRecord is an upload as the history lists it.
type UploadRecord struct {
	ID                int64          `db:"id" json:"upload_id"`
	Kind              string         `db:"kind" json:"kind"`
	Key               sql.NullString `db:"upload_key" json:"-"`
	FileName          string         `db:"file_name" json:"file_name"`
	SHA256            string         `db:"sha256" json:"sha256"`
	Format            string         `db:"format" json:"format"`
	UploadedBy        string         `db:"uploaded_by" json:"uploaded_by"`
	PublishedBy       string         `db:"published_by" json:"published_by,omitempty"`
	CreatedAt         string         `db:"created_at" json:"created_at"`
	PublishedAt       sql.NullString `db:"published_at" json:"-"`
	RolledBackAt      sql.NullString `db:"rolled_back_at" json:"-"`
	RolledBackBy      sql.NullString `db:"rolled_back_by" json:"-"`
	Status            string         `db:"status" json:"status"`
	New               int            `db:"rows_new" json:"rows_new"`
	Changed           int            `db:"rows_changed" json:"rows_changed"`
	Unchanged         int            `db:"rows_unchanged" json:"rows_unchanged"`
	Rejected          int            `db:"rows_rejected" json:"rows_rejected"`
	Warned            int            `db:"rows_warned" json:"rows_warned"`
	PublishedRejected bool           `db:"published_rejected" json:"published_without_rejected"`
}

// ListUploads lists every upload, newest first.
func (s *Store) ListUploads(ctx context.Context) ([]UploadRecord, error) {
	var us []UploadRecord
	err := s.q.ListUploads.SelectContext(ctx, &us)
	return us, err
}

// Upload finds an upload by id.
func (s *Store) Upload(ctx context.Context, id int64) (UploadRecord, error) {
	return getUpload(ctx, s.q.GetUpload, id)
}

// UploadByKey finds a published upload by its preview key.
func (s *Store) UploadByKey(ctx context.Context, key string) (UploadRecord, error) {
	return getUpload(ctx, s.q.GetUploadByKey, key)
}

func getUpload(ctx context.Context, q *sqlx.Stmt, by any) (UploadRecord, error) {
	var u UploadRecord
	err := q.GetContext(ctx, &u, by)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("upload %v: %w", by, ErrNotFound)
	}
	return u, err
}

// UploadChange is one value an upload brought, with the value it
// replaced, if any.
type UploadChange struct {
	ObservationID int64           `db:"id"`
	Area          string          `db:"area"`
	AreaSlug      string          `db:"area_slug"`
	Indicator     string          `db:"indicator"`
	Unit          string          `db:"unit"`
	Year          sql.NullInt64   `db:"year"`
	Value         sql.NullFloat64 `db:"value"`
	Source        string          `db:"source"`
	Locator       string          `db:"locator"`
	RetiredBy     sql.NullInt64   `db:"retired_by"`
	OldValue      sql.NullFloat64 `db:"old_value"`
	OldID         sql.NullInt64   `db:"old_id"`
}

// UploadChanges pages through the values an upload brought.
func (s *Store) UploadChanges(ctx context.Context, id int64, offset, limit int) ([]UploadChange, int, error) {
	var total int
	if err := s.q.CountUploadValues.GetContext(ctx, &total, id); err != nil {
		return nil, 0, err
	}
	var cs []UploadChange
	err := s.q.ListUploadValues.SelectContext(ctx, &cs, id, limit, offset)
	return cs, total, err
}

// CurrentValue is one current stored (not derived) value with a year, as
// an upload's check compares against it.
type CurrentValue struct {
	ID, AreaID, IndicatorID, SourceID int64
	Year                              int
	Value                             float64
	Flags, Note                       string
}

// CurrentValuesOf lists the current stored values with a year of one
// area and indicator, in id order.
func (s *Store) CurrentValuesOf(ctx context.Context, area, indicator int64) ([]CurrentValue, error) {
	rows, err := s.q.ListCurrentValuesOf.QueryxContext(ctx, sql.Named("area", area), sql.Named("indicator", indicator))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CurrentValue
	for rows.Next() {
		var v CurrentValue
		if err := rows.Scan(&v.ID, &v.AreaID, &v.IndicatorID, &v.Year, &v.SourceID, &v.Value, &v.Flags, &v.Note); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// UploadEvent is one action on an upload, with who did it.
type UploadEvent struct {
	Key      string `db:"upload_key" json:"-"`
	Action   string `db:"action" json:"action"`
	By       string `db:"by_email" json:"by"`
	At       string `db:"at" json:"at"`
	FileName string `db:"file_name" json:"file_name"`
	Detail   string `db:"detail" json:"detail,omitempty"`
}

// RecordUploadEvent notes an action on an upload.
func (s *Store) RecordUploadEvent(ctx context.Context, ev UploadEvent) error {
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO upload_events (upload_key, action, by_email, at, file_name, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		ev.Key, ev.Action, ev.By, ev.At, ev.FileName, ev.Detail)
	return err
}

// UploadEvents lists the actions on an upload, oldest first.
func (s *Store) UploadEvents(ctx context.Context, key string) ([]UploadEvent, error) {
	var evs []UploadEvent
	err := s.db.R.SelectContext(ctx, &evs, `SELECT e.upload_key, e.action, e.by_email, e.at, e.file_name, e.detail
		FROM upload_events AS e WHERE e.upload_key = ? ORDER BY e.id`, key)
	return evs, err
}
