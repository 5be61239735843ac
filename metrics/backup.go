package metrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database to path while the
// server keeps serving and publishing: VACUUM INTO reads one snapshot on
// a reader connection, so writers are not held up. It refuses to
// overwrite an existing file.
func (db *DB) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup: %s already exists; choose a new file name", path)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	if _, err := db.R.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// CheckBackup opens a backup read-only and checks that it is a whole,
// consistent twinmetrics database of a schema this program knows.
func CheckBackup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	b, err := Open(ctx, path)
	if err != nil {
		return err
	}
	defer b.Close()
	var res string
	if err := b.R.GetContext(ctx, &res, "PRAGMA integrity_check"); err != nil {
		return fmt.Errorf("backup %s is not a SQLite database: %w", path, err)
	}
	if res != "ok" {
		return fmt.Errorf("backup %s is damaged: %s", path, res)
	}
	var fk []struct {
		Table  string `db:"table"`
		RowID  int64  `db:"rowid"`
		Parent string `db:"parent"`
		FKID   int64  `db:"fkid"`
	}
	if err := b.R.SelectContext(ctx, &fk, "PRAGMA foreign_key_check"); err != nil {
		return err
	}
	if len(fk) > 0 {
		return fmt.Errorf("backup %s has %d rows that point at nothing (first in %s)", path, len(fk), fk[0].Table)
	}
	have, want, err := b.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if have == 0 || have > want {
		return fmt.Errorf("backup %s has schema version %d; this program knows 1 to %d", path, have, want)
	}
	return nil
}

// Restore replaces the database file at dbPath by a checked backup. The
// server must be stopped: the copy is written beside the database and
// renamed over it, and the old write-ahead log is removed with it.
func Restore(ctx context.Context, backup, dbPath string) error {
	if err := CheckBackup(ctx, backup); err != nil {
		return err
	}
	src, err := os.Open(backup)
	if err != nil {
		return err
	}
	defer src.Close()
	tmp, err := os.CreateTemp(filepath.Dir(dbPath), ".restore-*.db")
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, src); err != nil {
		tmp.Close()
		return fmt.Errorf("restore: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(dbPath + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("restore: %w", err)
		}
	}
	return os.Rename(tmp.Name(), dbPath)
}
