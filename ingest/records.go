package ingest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// records keeps what is known of each pending upload, and its original
// file, where every instance serving the staff can find it:
//
//   - on SQLite, one process serves everything: upload.json and the
//     original in the upload's folder under the spool directory, one
//     mutex for the changes of state, the progress of a check in memory;
//   - on PostgreSQL, several instances share the database: the record,
//     the original, the progress counters and a heartbeat are rows of
//     pending_uploads; a change of state holds a lock in the database;
//     the spool folder is each instance's copy of the originals it reads.
type records interface {
	// lock makes one change of an upload's state (read, decide, save) a
	// unit across the instances; the caller calls unlock.
	lock(ctx context.Context, key string) (unlock func(), err error)
	load(ctx context.Context, key string) (*Pending, error)
	save(ctx context.Context, p *Pending) error
	// create saves a just-received upload with its original file.
	create(ctx context.Context, p *Pending, original string) error
	// keys lists every upload with a record, in no order.
	keys(ctx context.Context) ([]string, error)
	// all loads every record that can be read, in no order.
	all(ctx context.Context) ([]*Pending, error)
	// fetch makes sure the original is at path (copied from the
	// database when another instance received it).
	fetch(ctx context.Context, key, path string) error
	// dropOriginal forgets the original (discarded).
	dropOriginal(ctx context.Context, key string) error
	// forget removes what is left of an expired upload (its folder is
	// gone already).
	forget(ctx context.Context, key string) error
	// beat publishes how far the work on an upload has got, and that
	// the instance doing it is alive; a nil pr says the work has ended.
	beat(ctx context.Context, key string, pr *Progress) error
	// progress is the last beat of a check running on another
	// instance; ok is false when there is none.
	progress(ctx context.Context, key string) (pr ProgressView, ok bool, err error)
	// alive reports whether work on the upload still beats: the check
	// or publish of a live instance, which boot recovery leaves alone.
	alive(ctx context.Context, key string) (bool, error)
}

// Lease is how long a check or publish on PostgreSQL may go without a
// heartbeat before another instance takes it for dead; Beat is how
// often the instance doing it beats.
const (
	Lease = 30 * time.Second
	Beat  = time.Second
)

// fileRecords are the spool folder's upload.json files (SQLite).
type fileRecords struct {
	dir string
	// mu makes each change of an upload's state one read and write of
	// its upload.json.
	mu sync.Mutex
}

func (f *fileRecords) path(key, name string) string { return filepath.Join(f.dir, key, name) }

func (f *fileRecords) lock(context.Context, string) (func(), error) {
	f.mu.Lock()
	return f.mu.Unlock, nil
}

func (f *fileRecords) load(_ context.Context, key string) (*Pending, error) {
	b, err := os.ReadFile(f.path(key, "upload.json"))
	return decodeRecord(key, b, err, errors.Is(err, os.ErrNotExist))
}

// decodeRecord reads the record of key, b as read with err; missing
// says the error means there is none.
func decodeRecord(key string, b []byte, err error, missing bool) (*Pending, error) {
	if missing {
		return nil, fmt.Errorf("upload %s: %w", key, metrics.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var p Pending
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

func (f *fileRecords) save(_ context.Context, p *Pending) error {
	b, err := json.MarshalIndent(p, "", " ")
	if err != nil {
		return err
	}
	tmp := f.path(p.Key, "upload.json.tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, f.path(p.Key, "upload.json"))
}

func (f *fileRecords) create(ctx context.Context, p *Pending, _ string) error {
	return f.save(ctx, p)
}

func (f *fileRecords) keys(context.Context) ([]string, error) {
	ents, err := os.ReadDir(f.dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && ValidKey(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

func (f *fileRecords) all(ctx context.Context) ([]*Pending, error) {
	keys, err := f.keys(ctx)
	if err != nil {
		return nil, err
	}
	var out []*Pending
	for _, key := range keys {
		if p, err := f.load(ctx, key); err == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

func (f *fileRecords) fetch(context.Context, string, string) error   { return nil }
func (f *fileRecords) dropOriginal(context.Context, string) error    { return nil }
func (f *fileRecords) forget(context.Context, string) error          { return nil }
func (f *fileRecords) beat(context.Context, string, *Progress) error { return nil }
func (f *fileRecords) progress(context.Context, string) (ProgressView, bool, error) {
	return ProgressView{}, false, nil
}

// alive is false: one process serves an SQLite database, so work found
// running at its start was cut short.
func (f *fileRecords) alive(context.Context, string) (bool, error) { return false, nil }

// dbRecords are rows of pending_uploads (PostgreSQL).
type dbRecords struct {
	db  *sqlx.DB
	dir string // the local copies of originals
}

func (d *dbRecords) lock(ctx context.Context, key string) (func(), error) {
	conn, err := d.db.Connx(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(hashtextextended(?, 0))`, "upload:"+key); err != nil {
		conn.Close()
		return nil, err
	}
	return func() {
		// Closing the connection hands it back to the pool, which keeps
		// a session lock: unlock first (a failure closes it for good).
		if _, err := conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(hashtextextended(?, 0))`, "upload:"+key); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
		conn.Close()
	}, nil
}

func (d *dbRecords) load(ctx context.Context, key string) (*Pending, error) {
	var b []byte
	err := d.db.GetContext(ctx, &b, `SELECT record FROM pending_uploads WHERE key = ?`, key)
	return decodeRecord(key, b, err, errors.Is(err, sql.ErrNoRows))
}

func (d *dbRecords) save(ctx context.Context, p *Pending) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	r, err := d.db.ExecContext(ctx, `UPDATE pending_uploads SET record = ? WHERE key = ?`, string(b), p.Key)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n != 1 {
		return fmt.Errorf("upload %s: %w", p.Key, metrics.ErrNotFound)
	}
	return nil
}

func (d *dbRecords) create(ctx context.Context, p *Pending, original string) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	file, err := os.ReadFile(original)
	if err != nil {
		return err
	}
	_, err = d.db.ExecContext(ctx, `INSERT INTO pending_uploads (key, created_at, record, original, heartbeat_at)
		VALUES (?, ?, ?, ?, now())`, p.Key, p.CreatedAt, string(b), file)
	return err
}

func (d *dbRecords) keys(ctx context.Context) ([]string, error) {
	var out []string
	err := d.db.SelectContext(ctx, &out, `SELECT key FROM pending_uploads`)
	return out, err
}

// all reads the records in one query, not one per upload.
func (d *dbRecords) all(ctx context.Context) ([]*Pending, error) {
	var rows []struct {
		Key    string `db:"key"`
		Record []byte `db:"record"`
	}
	if err := d.db.SelectContext(ctx, &rows, `SELECT key, record FROM pending_uploads`); err != nil {
		return nil, err
	}
	out := make([]*Pending, 0, len(rows))
	for _, r := range rows {
		if p, err := decodeRecord(r.Key, r.Record, nil, false); err == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

func (d *dbRecords) fetch(ctx context.Context, key, path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	var file []byte
	err := d.db.GetContext(ctx, &file, `SELECT original FROM pending_uploads WHERE key = ? AND original IS NOT NULL`, key)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("upload %s: %w", key, metrics.ErrNotFound)
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	// Two requests may fetch it at once: each writes its own file and
	// renames it into place whole.
	tmp, err := os.CreateTemp(filepath.Dir(path), "original-*.tmp")
	if err != nil {
		return err
	}
	_, err = tmp.Write(file)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

func (d *dbRecords) dropOriginal(ctx context.Context, key string) error {
	_, err := d.db.ExecContext(ctx, `UPDATE pending_uploads SET original = NULL WHERE key = ?`, key)
	return err
}

func (d *dbRecords) forget(ctx context.Context, key string) error {
	_, err := d.db.ExecContext(ctx, `DELETE FROM pending_uploads WHERE key = ?`, key)
	return err
}

func (d *dbRecords) beat(ctx context.Context, key string, pr *Progress) error {
	if pr == nil {
		_, err := d.db.ExecContext(ctx, `UPDATE pending_uploads SET phase = '', heartbeat_at = NULL WHERE key = ?`, key)
		return err
	}
	phase, _ := pr.Phase.Load().(string)
	_, err := d.db.ExecContext(ctx, `UPDATE pending_uploads SET phase = ?, bytes_read = ?, total_bytes = ?, rows_checked = ?, heartbeat_at = now()
		WHERE key = ?`, phase, pr.BytesRead.Load(), pr.Total.Load(), pr.Rows.Load(), key)
	return err
}

func (d *dbRecords) progress(ctx context.Context, key string) (ProgressView, bool, error) {
	var row struct {
		Phase string `db:"phase"`
		Bytes int64  `db:"bytes_read"`
		Total int64  `db:"total_bytes"`
		Rows  int64  `db:"rows_checked"`
	}
	err := d.db.GetContext(ctx, &row, `SELECT phase, bytes_read, total_bytes, rows_checked FROM pending_uploads
		WHERE key = ? AND phase <> '' AND heartbeat_at > now() - make_interval(secs => ?)`, key, Lease.Seconds())
	if errors.Is(err, sql.ErrNoRows) {
		return ProgressView{}, false, nil
	}
	if err != nil {
		return ProgressView{}, false, err
	}
	return ProgressView{State: row.Phase, BytesRead: row.Bytes, Total: row.Total, Rows: row.Rows}, true, nil
}

func (d *dbRecords) alive(ctx context.Context, key string) (bool, error) {
	var ok bool
	err := d.db.GetContext(ctx, &ok, `SELECT COALESCE(heartbeat_at > now() - make_interval(secs => ?), false) FROM pending_uploads WHERE key = ?`,
		Lease.Seconds(), key)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return ok, err
}

// hold beats for the work on an upload until stop is called, which
// says it has ended: other instances stop showing its progress.
func (u *Uploader) hold(key string, pr *Progress) (stop func()) {
	if _, ok := u.recs.(*fileRecords); ok {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(Beat)
		defer t.Stop()
		for {
			if err := u.recs.beat(ctx, key, pr); err != nil && ctx.Err() == nil && u.log != nil {
				u.log.Warn("upload heartbeat", "upload", key, "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() {
		cancel()
		<-done
		_ = u.recs.beat(context.Background(), key, nil)
	}
}
