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
	// An empty file VACUUM INTO fills.
	f, err := createBackupFile(path)
	if err != nil {
		return err
	}
	f.Close()
	if _, err := db.R.ExecContext(ctx, "VACUUM INTO ?", path); err != nil {
		os.Remove(path)
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// createBackupFile makes a new, empty backup file at path, in folders
// made as needed. A backup holds password, session and token hashes: the
// file is readable by its owner only. It refuses to overwrite a file.
func createBackupFile(path string) (*os.File, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("backup: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("backup: %s already exists; choose a new file name", path)
	}
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return f, nil
}

// CheckBackup checks that a backup is a whole, consistent twinmetrics
// database of a schema this program knows: an SQLite file is opened
// read-only and checked page by page; a PostgreSQL archive is read by
// pg_restore (its table of contents and its schema_migrations rows).
func CheckBackup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	if pg, err := isPGArchive(path); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	} else if pg {
		have, err := checkPGArchive(ctx, path)
		if err != nil {
			return err
		}
		return checkBackupVersion(path, have, Postgres)
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
	have, _, err := b.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	return checkBackupVersion(path, have, SQLite)
}

// checkBackupVersion refuses a backup of a schema this program does not
// know.
func checkBackupVersion(path string, have int, d Dialect) error {
	ms, err := loadMigrations(d)
	if err != nil {
		return err
	}
	if want := ms[len(ms)-1].Version; have == 0 || have > want {
		return fmt.Errorf("backup %s has schema version %d; this program knows 1 to %d", path, have, want)
	}
	return nil
}

// ErrDatabaseInUse refuses a restore while a twinmetrics process has
// the database open.
var ErrDatabaseInUse = errors.New("the database is open by a running twinmetrics (the server, an import or a backup): stop it before restoring")

// Restore replaces the database at dbPath by a checked backup. The
// server must be stopped.
//
// On SQLite it refuses while any twinmetrics process holds the
// database's lock (ErrDatabaseInUse): the copy is written beside the
// database and renamed over it, and the old write-ahead log is removed
// with it. On PostgreSQL (dbPath a postgres:// URL) it refuses while any
// other session is connected to the database, and pg_restore replaces
// the contents in one transaction (restorePostgres).
func Restore(ctx context.Context, backup, dbPath string) error {
	if IsPostgresDSN(dbPath) {
		return restorePostgres(ctx, backup, dbPath)
	}
	if pg, err := isPGArchive(backup); err == nil && pg {
		return fmt.Errorf("backup %s is a PostgreSQL archive: restore it with -db set to the postgres:// URL of the database", backup)
	}
	if err := CheckBackup(ctx, backup); err != nil {
		return err
	}
	unlock, err := LockDatabase(dbPath, true)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer unlock()
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
