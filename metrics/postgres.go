package metrics

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jmoiron/sqlx"
	"github.com/mattn/go-sqlite3"
)

// Advisory lock keys, constants of this program in PostgreSQL's one lock
// space: the writer lock every data-writing transaction takes, and the
// lock Migrate holds so that instances starting together migrate once.
const (
	pgWriteLock   = 0x7477696e_0001 // "twin" 1
	pgMigrateLock = 0x7477696e_0002
	// SignInLock serialises the sign-in throttle's count-then-record, so
	// that parallel guesses cannot all pass the count before any is
	// recorded; sign-ins do not wait for publishes.
	SignInLock = 0x7477696e_0003
)

// pgPoolSize is the connections one instance keeps: PostgreSQL's
// default of 100, less some for maintenance, shared by four instances.
const pgPoolSize = 20

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	shown := u.Redacted()
	q := u.Query()
	if q.Get("connect_timeout") == "" {
		// database/sql opens connections without the caller's context.
		q.Set("connect_timeout", "5")
	}
	u.RawQuery = q.Encode()
	db, err := sqlx.Open(pgDriverName, u.String())
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", shown, err)
	}
	db.SetMaxOpenConns(pgPoolSize)
	db.SetMaxIdleConns(pgPoolSize)
	db.SetConnMaxLifetime(30 * time.Minute)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", shown, err)
	}
	return &DB{W: db, R: db, Path: shown, Dialect: Postgres}, nil
}

// BeginWrite starts a transaction that changes data. On SQLite it is a
// transaction on the one writer connection (BEGIN IMMEDIATE); on
// PostgreSQL it first takes the writer lock, so that writes from every
// instance queue one after another as they do in one process on SQLite,
// and a check made inside the transaction ("has the data changed since
// the preview?") still holds at its commit.
func (db *DB) BeginWrite(ctx context.Context) (*sqlx.Tx, error) {
	return db.BeginLocked(ctx, pgWriteLock)
}

// BeginLocked starts a write transaction that, on PostgreSQL, holds the
// advisory lock key until it ends (SQLite's one writer connection
// serialises every write already).
func (db *DB) BeginLocked(ctx context.Context, key int64) (*sqlx.Tx, error) {
	tx, err := db.W.BeginTxx(ctx, nil)
	if err != nil {
		return nil, err
	}
	if db.Dialect == Postgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", key); err != nil {
			tx.Rollback()
			return nil, fmt.Errorf("take the writer lock: %w", err)
		}
	}
	return tx, nil
}

// WriteTx runs f in a BeginWrite transaction and commits it, running it
// again (at most three times in all) when PostgreSQL refuses the
// transaction as a serialization failure or a deadlock.
func (db *DB) WriteTx(ctx context.Context, f func(tx *sqlx.Tx) error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		var tx *sqlx.Tx
		tx, err = db.BeginWrite(ctx)
		if err != nil {
			if isRetryable(err) {
				continue
			}
			return err
		}
		if err = f(tx); err != nil {
			tx.Rollback()
			if isRetryable(err) {
				continue
			}
			return err
		}
		if err = tx.Commit(); err != nil && isRetryable(err) {
			continue
		}
		return err
	}
	return err
}

// isUniqueViolation reports whether err is a unique constraint refusing
// a row, on either engine.
func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	return false
}

// IsUniqueViolation is isUniqueViolation for other packages.
func IsUniqueViolation(err error) bool { return isUniqueViolation(err) }

// isRetryable reports whether PostgreSQL refused a transaction that may
// succeed when run again: a serialization failure or a deadlock.
func isRetryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01")
}
