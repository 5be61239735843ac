package metrics

import (
	"context"
	"strings"
	"time"
)

// AllowHit counts one use of something limited to n uses per window for
// key (an upload from one client address) and reports whether it is
// allowed; a refused use is not counted. The uses are rows of the
// database, so that every instance counts the same ones: the lock on
// the key makes the count and the insert one step across instances.
// Only PostgreSQL keeps them; one SQLite process limits in memory.
func (s *Store) AllowHit(ctx context.Context, key string, n int, window time.Duration, now time.Time) (bool, error) {
	tx, err := s.db.W.BeginTxx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, "rate:"+key); err != nil {
		return false, err
	}
	since := now.Add(-window).UTC().Format(failureTime)
	// The expired uses of every client of the same limit go too, not
	// only this client's: a client that never comes back would leave
	// its rows for good. The limit is the key's part before the first
	// colon ("upload:203.0.113.7"); other limits may keep their uses
	// for longer windows.
	family := key[:strings.IndexByte(key, ':')+1]
	if _, err := tx.ExecContext(ctx, `DELETE FROM rate_hits WHERE at < ? AND (key = ? OR (? <> '' AND substr(key, 1, ?) = ?))`,
		since, key, family, len(family), family); err != nil {
		return false, err
	}
	var used int
	if err := tx.GetContext(ctx, &used, `SELECT COUNT(*) FROM rate_hits WHERE key = ?`, key); err != nil {
		return false, err
	}
	if used >= n {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO rate_hits (key, at) VALUES (?, ?)`, key, now.UTC().Format(failureTime)); err != nil {
		return false, err
	}
	return true, tx.Commit()
}
