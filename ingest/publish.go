package ingest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/twinmetrics/twinmetrics/locale"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// PublishOptions are the choices staff make when publishing.
type PublishOptions struct {
	// AllowRejected publishes the valid rows of a file that has rejected
	// rows, leaving those out.
	AllowRejected bool
	// ConfirmWarnings says staff have looked at the implausible values
	// and they are right.
	ConfirmWarnings bool
}

// RefusedError is a publish or rollback that was refused; its message
// says why and what to do.
type RefusedError struct {
	Message locale.Message
}

func (e *RefusedError) Error() string { return locale.English(e.Message) }

func refuse(k locale.Key, values ...any) *RefusedError {
	return &RefusedError{Message: k.With(values...)}
}

// Publish writes a checked upload into the data in one transaction: the
// upload record, the values it replaced (retired, not deleted), the new
// values, the derived values recomputed, and the data version bumped.
// Readers see the data before or after, never between.
func (u *Uploader) Publish(ctx context.Context, key string, user metrics.User, opt PublishOptions) (int64, error) {
	u.pubMu.Lock()
	defer u.pubMu.Unlock()
	// The upload is marked publishing before anything is written, so
	// that no check or discard starts meanwhile; a refusal or a failure
	// makes it ready again.
	var refused error
	token := newToken()
	p, err := u.move(key, "publish", StatePublishing, func(p *Pending) {
		// move allows only a ready upload; it stays ready if refused.
		p.State = StateReady
		if refused = publishable(p, opt); refused != nil {
			return
		}
		p.State, p.CheckToken = StatePublishing, token
	})
	if refused != nil {
		return 0, refused
	}
	if errors.Is(err, ErrState) {
		// Not ready: say why in a publish's words.
		err = publishable(p, opt)
		if p.State == StatePublished {
			return p.UploadID, err
		}
		return 0, err
	}
	if err != nil {
		return 0, err
	}
	pr := &Progress{}
	pr.Phase.Store(StatePublishing)
	defer u.hold(key, pr)()
	id, err := u.publish(ctx, p, user, opt)
	if err != nil {
		// Nothing was committed: the upload can be published again.
		_, _, _ = u.settle(key, StatePublishing, token, func(q *Pending) { q.State = StateReady })
		return id, err
	}
	return u.published(key, token, id, user)
}

// publish writes the upload in one transaction and returns its id.
func (u *Uploader) publish(ctx context.Context, p *Pending, user metrics.User, opt PublishOptions) (uploadID int64, err error) {
	if p.Targets != nil {
		return u.publishPendingTargets(ctx, p, user)
	}
	err = u.stager.publish(ctx, p.Key, func(tx *sqlx.Tx, t stageTables) error {
		if err := stillCurrent(ctx, tx, p, t); err != nil {
			return err
		}
		var err error
		if uploadID, err = u.writeUpload(ctx, tx, p, user, opt, t); err != nil {
			return err
		}
		cells := metrics.Cells{}
		if err := metrics.UploadCells(ctx, tx, uploadID, cells); err != nil {
			return err
		}
		if _, err := metrics.RefreshUpload(ctx, tx, uploadID, cells); err != nil {
			return fmt.Errorf("derive: %w", err)
		}
		// Log what changed, so that caches drop exactly those pages; new
		// sources change the catalogue, which every page reads.
		record := metrics.RecordUploadChange
		if len(p.NewSources) > 0 {
			record = metrics.RecordUploadGlobalChange
		}
		_, err = record(ctx, tx, uploadID)
		return err
	})
	if err != nil {
		return 0, err
	}
	// The commit was the stager's: this instance sees its versions now.
	u.store.Refresh(ctx)
	return uploadID, nil
}

// published notes a committed publish in the pending upload, once the
// writer connection the publish held is free again (the event is
// written through it).
func (u *Uploader) published(key, token string, uploadID int64, user metrics.User) (int64, error) {
	now := metrics.Timestamp(u.now())
	if _, _, err := u.settle(key, StatePublishing, token, func(q *Pending) {
		q.State, q.UploadID, q.PublishedBy, q.PublishedAt = StatePublished, uploadID, user.Email, now
		u.record(q, "published", user.Email, fmt.Sprintf("upload #%d", uploadID))
	}); err != nil {
		return uploadID, err
	}
	// The staged rows are in the database now; the original file stays.
	_ = u.stager.remove(context.Background(), key)
	return uploadID, nil
}

// publishable refuses an upload that is not ready, or whose rejected
// rows or warnings staff have not accepted, or that would change nothing.
func publishable(p *Pending, opt PublishOptions) error {
	switch {
	case p.State == StatePublished:
		return refuse(refusedAlreadyPublished, p.UploadID)
	case p.State == StateFailed && p.FileError != nil:
		return refuse(refusedFileError)
	case p.State != StateReady:
		return refuse(refusedNotChecked, StateName(p.State))
	case p.Counts.Rejected > 0 && !opt.AllowRejected:
		return refuse(refusedRejected, p.Counts.Rejected)
	case p.Counts.Warned > 0 && !opt.ConfirmWarnings:
		return refuse(refusedWarnings, p.Counts.Warned)
	case p.Counts.New+p.Counts.Changed == 0:
		return refuse(refusedNothing)
	}
	return nil
}

// stillCurrent refuses a preview the data has moved on from: another
// change since the check, or a value it replaces already replaced.
func stillCurrent(ctx context.Context, tx *sqlx.Tx, p *Pending, t stageTables) error {
	var dvs string
	if err := tx.GetContext(ctx, &dvs, `SELECT value FROM meta WHERE key = 'data_version'`); err != nil {
		return err
	}
	dv, _ := strconv.ParseInt(dvs, 10, 64)
	if dv != p.DataVersion {
		return refuse(refusedDataChanged, p.DataVersion, dv)
	}
	var gone int
	if err := tx.GetContext(ctx, &gone, `SELECT COUNT(*) FROM `+t.replaced+` r LEFT JOIN observations o ON o.id = r.old_id AND o.retired_by IS NULL WHERE o.id IS NULL`); err != nil {
		return err
	}
	if gone > 0 {
		return refuse(refusedReplacedChanged, gone)
	}
	return nil
}

// writeUpload writes the upload record, the new sources, the new values
// from the stage and the values they replace, and returns the upload's id.
func (u *Uploader) writeUpload(ctx context.Context, tx *sqlx.Tx, p *Pending, user metrics.User, opt PublishOptions, t stageTables) (int64, error) {
	now := metrics.Timestamp(u.now())
	// uploaded_by is who sent the file; user_id and published_by are
	// who publishes it.
	var uploadID int64
	err := tx.GetContext(ctx, &uploadID, `INSERT INTO uploads (kind, file_name, sha256, format, uploaded_by, created_at, published_at, status,
		rows_new, rows_changed, rows_unchanged, rows_rejected, upload_key, user_id, rows_warned, published_rejected, published_by)
		VALUES ('file', ?, ?, ?, ?, ?, ?, 'published', ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.FileName, p.SHA256, p.Format, p.UserEmail, p.CreatedAt, now,
		p.Counts.New, p.Counts.Changed, p.Counts.Unchanged, p.Counts.Rejected, p.Key, nullID(user.ID), p.Counts.Warned, opt.AllowRejected && p.Counts.Rejected > 0, user.Email)
	if err != nil {
		return 0, err
	}

	// New sources described in the file.
	for _, ns := range p.NewSources {
		if _, err := tx.ExecContext(ctx, `INSERT INTO sources (code, title, publisher, url, vintage, licence, citation) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			ns.Code, ns.Title, ns.Publisher, ns.URL, ns.Vintage, ns.Licence, ns.Title); err != nil {
			if metrics.IsUniqueViolation(err) {
				return 0, refuse(refusedSourceAdded, ns.Code)
			}
			return 0, err
		}
	}

	// New observations take the ids after the largest, in file order, so
	// that each replaced value can name its replacement.
	var base int64
	if err := tx.GetContext(ctx, &base, `SELECT COALESCE(MAX(id), 0) FROM observations`); err != nil {
		return 0, err
	}
	where := " line "
	if p.Format == "xlsx" {
		where = " row "
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO observations
		(id, area_id, indicator_id, year, value, value_as_given, unit_as_given, source_id, flags, flags_as_given, note, locator, upload_id)
		SELECT CAST(? AS INTEGER) + r.seq, r.area_id, r.indicator_id, r.year, r.value, r.value_as_given, r.unit_as_given,
		       CASE WHEN r.new_source <> '' THEN (SELECT s.id FROM sources s WHERE s.code = r.new_source) ELSE r.source_id END,
		       r.flags, r.flags, r.note, CAST(? AS TEXT) || r.line, CAST(? AS INTEGER)
		FROM `+t.rows+` r WHERE r.seq IS NOT NULL`, base, p.FileName+where, uploadID)
	if err != nil {
		return 0, fmt.Errorf("publish: %w", err)
	}
	if n, _ := res.RowsAffected(); n != int64(p.Counts.New+p.Counts.Changed) {
		return 0, fmt.Errorf("publish wrote %d rows, the preview had %d new and %d changed", n, p.Counts.New, p.Counts.Changed)
	}
	// The values replaced stay readable as they were, for pages pinned
	// to an earlier version.
	if err := metrics.CloseObservations(ctx, tx, `o.id IN (SELECT x.old_id FROM `+t.replaced+` x)`); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE observations SET retired_by = ? WHERE id IN (SELECT x.old_id FROM `+t.replaced+` x)`, uploadID); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO upload_replacements (upload_id, observation_id, replaced_by)
		SELECT CAST(? AS INTEGER), x.old_id, CAST(? AS INTEGER) + x.seq FROM `+t.replaced+` x`, uploadID, base); err != nil {
		return 0, err
	}
	return uploadID, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// Rollback restores the data to exactly what it was before an upload:
// the values it replaced are current again and its own values are
// retired (kept, marked as withdrawn by it). It refuses when a later
// upload replaced any of its values, naming that upload.
func (u *Uploader) Rollback(ctx context.Context, uploadID int64, user metrics.User) error {
	u.pubMu.Lock()
	defer u.pubMu.Unlock()
	tx, err := u.store.DB().BeginWrite(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var up struct {
		Kind   string `db:"kind"`
		Status string `db:"status"`
	}
	if err := tx.GetContext(ctx, &up, `SELECT kind, status FROM uploads WHERE id = ?`, uploadID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("upload %d: %w", uploadID, metrics.ErrNotFound)
		}
		return err
	}
	if up.Kind != "file" {
		return refuse(refusedSeed, uploadID)
	}
	if up.Status != "published" {
		return refuse(refusedNotPublished, uploadID, StateName(up.Status))
	}
	var later []struct {
		ID     int64  `db:"id"`
		File   string `db:"file_name"`
		By     string `db:"uploaded_by"`
		When   string `db:"published_at"`
		Values int    `db:"n"`
	}
	// Values and targets alike: a later upload that replaced a target
	// of this one must be rolled back first.
	if err := tx.SelectContext(ctx, &later, `SELECT l.id, l.file_name, l.uploaded_by, COALESCE(l.published_at, '') AS published_at, COUNT(*) AS n
		FROM (SELECT o.retired_by AS by_id FROM observations o WHERE o.upload_id = ? AND o.retired_by <> ?
		      UNION ALL
		      SELECT t.retired_by FROM targets t WHERE t.upload_id = ? AND t.retired_by <> ?) r
		JOIN uploads l ON l.id = r.by_id
		WHERE l.status = 'published'
		GROUP BY l.id, l.file_name, l.uploaded_by, l.published_at ORDER BY l.id`, uploadID, uploadID, uploadID, uploadID); err != nil {
		return err
	}
	if len(later) > 0 {
		var ids []string
		for _, l := range later {
			ids = append(ids, fmt.Sprintf("#%d (%s, %s, %s: %d)", l.ID, l.File, l.By, l.When, l.Values))
		}
		return refuse(refusedLaterUploads, uploadID, strings.Join(ids, ", "))
	}
	// The cells it touches, read before the values move.
	cells := metrics.Cells{}
	if err := metrics.UploadCells(ctx, tx, uploadID, cells); err != nil {
		return err
	}
	// Its values and targets stay readable as they were, for pages
	// pinned to the versions they were current in; those it replaced
	// are current again from the rollback's version.
	if err := metrics.RollBackRows(ctx, tx, uploadID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE uploads SET status = 'rolled_back', rolled_back_at = ?, rolled_back_by = ? WHERE id = ?`,
		metrics.Timestamp(u.now()), user.Email, uploadID); err != nil {
		return err
	}
	if _, err := metrics.RefreshUpload(ctx, tx, uploadID, cells); err != nil {
		return err
	}
	if _, err := metrics.RecordUploadChange(ctx, tx, uploadID); err != nil {
		return err
	}
	return u.store.Commit(ctx, tx)
}
