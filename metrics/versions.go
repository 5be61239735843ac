package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgxlisten"
	"github.com/jmoiron/sqlx"
)

// On SQLite a request reads the data and catalogue versions from the
// database: a local query costs microseconds. On PostgreSQL that would
// be a network round trip on every warm page, and several instances
// share the database, so each instance holds the versions in memory and
// is told when they move:
//
//   - the transaction that bumps the data version sends
//     pg_notify(versionChannel, version), delivered at its commit (and
//     never on rollback);
//   - one listener per instance, on its own connection, reads the
//     versions again on each notification and after every (re)connect,
//     before which notifications may have been missed; the change log
//     (data_changes) holds what each version touched, so a reader that
//     learns a version late loses nothing (Store.ChangesSince);
//   - a slow poll covers a listener that is silently stuck;
//   - the instance that writes reads the versions right after its own
//     commit (Store.Commit), so that its next page shows the change.
//
// Versions only move forward: a late answer never takes them back.

// versionChannel is the notification channel of data version changes.
const versionChannel = "twinmetrics_versions"

// VersionPoll is how often each PostgreSQL instance reads the versions
// whatever the notifications say (read when a Store starts; tests that
// must see a notification at work make it long).
var VersionPoll = 2 * time.Second

// versionsSQL reads the data and the catalogue version at once.
const versionsSQL = `SELECT
	(SELECT CAST(value AS bigint) FROM meta WHERE key = 'data_version'),
	(SELECT CAST(value AS bigint) FROM meta WHERE key = 'catalogue_version')`

// versions are the versions an instance has seen, and its listener.
type versions struct {
	data, cat atomic.Int64

	mu    sync.Mutex
	moved chan struct{} // closed (and replaced) when data moves on

	poll time.Duration
	db   *sqlx.DB
	// connect opens the listener's connection, with the pool's settings
	// (tests wrap it).
	connect func(ctx context.Context) (*pgx.Conn, error)
	// pid is the server process of the listener's current connection.
	pid       atomic.Uint32
	reconnect time.Duration

	stop context.CancelFunc
	done sync.WaitGroup
}

func newVersions(db *sqlx.DB) *versions {
	v := &versions{moved: make(chan struct{}), db: db, poll: VersionPoll, reconnect: 500 * time.Millisecond}
	v.connect = func(ctx context.Context) (*pgx.Conn, error) {
		cfg, err := poolConfig(ctx, db)
		if err != nil {
			return nil, err
		}
		return pgx.ConnectConfig(ctx, cfg)
	}
	return v
}

// poolConfig is the connection settings of the pool's connections
// (the URL the pool was opened with, its password included).
func poolConfig(ctx context.Context, db *sqlx.DB) (*pgx.ConnConfig, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	var cfg *pgx.ConnConfig
	err = conn.Raw(func(dc any) error {
		pc, err := PgxConn(dc)
		if err == nil {
			cfg = pc.Config().Copy()
			// The copy would hand notifications to the pool's connection.
			cfg.OnNotification = nil
		}
		return err
	})
	return cfg, err
}

// set records versions read from the database, never going back. The
// catalogue version moves first: a reader that sees the new data
// version must not pair it with the old catalogue.
func (v *versions) set(data, cat int64) {
	raise(&v.cat, cat)
	if raise(&v.data, data) {
		v.mu.Lock()
		close(v.moved)
		v.moved = make(chan struct{})
		v.mu.Unlock()
	}
}

// raise moves a to n if n is larger, and says whether it did.
func raise(a *atomic.Int64, n int64) bool {
	for {
		old := a.Load()
		if n <= old {
			return false
		}
		if a.CompareAndSwap(old, n) {
			return true
		}
	}
}

// read reads the versions through the shared pool.
func (v *versions) read(ctx context.Context) error {
	var data, cat int64
	if err := v.db.QueryRowContext(ctx, versionsSQL).Scan(&data, &cat); err != nil {
		return fmt.Errorf("read versions: %w", err)
	}
	v.set(data, cat)
	return nil
}

// readOn reads the versions on the listener's own connection.
func (v *versions) readOn(ctx context.Context, conn *pgx.Conn) error {
	var data, cat int64
	if err := conn.QueryRow(ctx, versionsSQL).Scan(&data, &cat); err != nil {
		return fmt.Errorf("read versions: %w", err)
	}
	v.set(data, cat)
	return nil
}

// HandleNotification reads the versions when a notification names a
// data version this instance has not seen (its own, set at commit, or
// a duplicate of the backlog's, are skipped).
func (v *versions) HandleNotification(ctx context.Context, n *pgconn.Notification, conn *pgx.Conn) error {
	var announced int64
	if _, err := fmt.Sscan(n.Payload, &announced); err == nil && announced <= v.data.Load() {
		return nil
	}
	return v.readOn(ctx, conn)
}

// HandleBacklog runs after every (re)connect, once listening: whatever
// was committed while no connection listened is read now.
func (v *versions) HandleBacklog(ctx context.Context, _ string, conn *pgx.Conn) error {
	return v.readOn(ctx, conn)
}

// start reads the versions once (a failure fails the start) and runs
// the listener and the poll until close.
func (v *versions) start(ctx context.Context) error {
	if err := v.read(ctx); err != nil {
		return err
	}
	bg, stop := context.WithCancel(context.Background())
	v.stop = stop
	l := &pgxlisten.Listener{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			conn, err := v.connect(ctx)
			if err == nil {
				v.pid.Store(conn.PgConn().PID())
			}
			return conn, err
		},
		LogError: func(ctx context.Context, err error) {
			if ctx.Err() == nil {
				slog.Warn("version listener", "err", err)
			}
		},
		ReconnectDelay: v.reconnect,
	}
	l.Handle(versionChannel, v)
	v.done.Add(2)
	go func() {
		defer v.done.Done()
		_ = l.Listen(bg)
	}()
	go func() {
		defer v.done.Done()
		if v.poll <= 0 {
			return
		}
		t := time.NewTicker(v.poll)
		defer t.Stop()
		for {
			select {
			case <-bg.Done():
				return
			case <-t.C:
				if err := v.read(bg); err != nil && bg.Err() == nil {
					slog.Warn("version poll", "err", err)
				}
			}
		}
	}()
	return nil
}

func (v *versions) close() {
	if v.stop != nil {
		v.stop()
		v.done.Wait()
	}
}

// wait blocks until the data version is at least n.
func (v *versions) wait(ctx context.Context, n int64) error {
	for {
		v.mu.Lock()
		moved := v.moved
		v.mu.Unlock()
		if v.data.Load() >= n {
			return nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// notifyVersion announces a new data version to every instance, at the
// commit of tx. SQLite has one process and nothing to tell.
func notifyVersion(ctx context.Context, tx *sqlx.Tx, v int64) error {
	if !onPostgres(tx) {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_notify(?, ?)`, versionChannel, strconv.FormatInt(v, 10))
	return err
}

// Commit commits a transaction that recorded a change (RecordChange and
// the like) and, on PostgreSQL, makes this instance see the new
// versions at once, without waiting for its own notification: its next
// page shows what it has just written.
func (s *Store) Commit(ctx context.Context, tx *sqlx.Tx) error {
	if err := tx.Commit(); err != nil {
		return err
	}
	s.Refresh(ctx)
	return nil
}

// Refresh reads the versions now, after a commit made elsewhere than
// Store.Commit (on SQLite every read does). If it fails, the listener
// or the poll brings them in.
func (s *Store) Refresh(ctx context.Context) {
	if s.ver != nil {
		_ = s.ver.read(context.WithoutCancel(ctx))
	}
}

// WaitDataVersion waits until this instance has seen data version n
// (at once on SQLite, where every read sees the database).
func (s *Store) WaitDataVersion(ctx context.Context, n int64) error {
	if s.ver != nil {
		return s.ver.wait(ctx, n)
	}
	cur, err := s.DataVersion(ctx)
	if err != nil {
		return err
	}
	if cur < n {
		return errors.New("data version not reached")
	}
	return nil
}

// onPostgres reports whether a transaction (or a pool) is PostgreSQL's.
func onPostgres(x interface{ DriverName() string }) bool { return x.DriverName() == pgDriverName }

// Shared reports whether several instances may share the database
// (PostgreSQL): what one keeps must then be in the database, not in
// its memory or its folders.
func (s *Store) Shared() bool { return s.ver != nil }

// catalogueVersion is the version of the catalogue this instance serves.
func (s *Store) catalogueVersion(ctx context.Context) (int64, error) {
	if s.ver != nil {
		return s.ver.cat.Load(), nil
	}
	var v int64
	if err := s.q.CatalogueVersion.GetContext(ctx, &v); err != nil {
		return 0, fmt.Errorf("catalogue version: %w", err)
	}
	return v, nil
}
