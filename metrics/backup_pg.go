package metrics

import (
	"context"
	"fmt"
	"strings"
)

// BackupPostgres writes the PostgreSQL database at dsn to a new file
// with pg_dump --format=custom while the instances keep serving and
// publishing (pg_dump reads one snapshot and holds up no writer), then
// checks the archive as a restore would. It refuses with instructions
// when pg_dump is not installed, and refuses to overwrite a file.
func BackupPostgres(ctx context.Context, dsn, path string) error {
	if err := backupPostgres(ctx, dsn, path); err != nil {
		return err
	}
	return CheckBackup(ctx, path)
}

// RemoteSession is one connection to the database other than the
// restore's own.
type RemoteSession struct {
	PID         int    `db:"pid"`
	User        string `db:"usename"`
	Application string `db:"application_name"`
	Client      string `db:"client"`
	Since       string `db:"since"`
}

func (s RemoteSession) String() string {
	app := s.Application
	if app == "" {
		app = "a client"
	}
	return fmt.Sprintf("%s as %s from %s since %s (pid %d)", app, s.User, s.Client, s.Since, s.PID)
}

// restorePostgres replaces the contents of the PostgreSQL database at
// dsn by a checked archive, with pg_restore --clean --if-exists
// --single-transaction --no-owner: an archive that fails to restore
// leaves the database as it was.
//
// It refuses while any other session is connected to the database (a
// running instance, an import, a psql): stop them first. While it
// restores it holds the migration and writer locks, so that an instance
// starting meanwhile waits in its migration and then sees the restored
// database.
func restorePostgres(ctx context.Context, archive, dsn string) error {
	version, err := checkPGArchive(ctx, archive)
	if err != nil {
		return err
	}
	db, err := Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	// One connection: the sessions listed below are then all others'.
	db.W.SetMaxOpenConns(1)
	_, want, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if version > want {
		return fmt.Errorf("backup %s has schema version %d; this program knows 1 to %d: restore it with a newer twinmetrics", archive, version, want)
	}
	conn, err := db.W.Connx(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, key := range []int64{pgMigrateLock, pgWriteLock} {
		var got bool
		if err := conn.GetContext(ctx, &got, "SELECT pg_try_advisory_lock(?)", key); err != nil {
			return fmt.Errorf("restore: %w", err)
		}
		if !got {
			return fmt.Errorf("restore: %w (an instance is migrating or writing)", ErrDatabaseInUse)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", key)
	}
	var others []RemoteSession
	if err := conn.SelectContext(ctx, &others, `
		SELECT pid, COALESCE(usename, '') AS usename, COALESCE(application_name, '') AS application_name,
		       COALESCE(host(client_addr), 'the local socket') AS client,
		       to_char(backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS UTC') AS since
		FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
		ORDER BY backend_start`); err != nil {
		return fmt.Errorf("restore: list the database's sessions: %w", err)
	}
	if len(others) > 0 {
		lines := make([]string, len(others))
		for i, s := range others {
			lines[i] = "  " + s.String()
		}
		return fmt.Errorf("restore: %w; %d other sessions are connected to the database:\n%s",
			ErrDatabaseInUse, len(others), strings.Join(lines, "\n"))
	}
	// A database at a newer schema than the archive keeps the tables the
	// archive lacks, and they would block the next migration: restore
	// such an archive into a new, empty database instead.
	var have int
	var exists bool
	if err := conn.GetContext(ctx, &exists, "SELECT to_regclass('public.schema_migrations') IS NOT NULL"); err != nil {
		return err
	}
	if exists {
		if err := conn.GetContext(ctx, &have, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"); err != nil {
			return err
		}
	}
	if have > version {
		return fmt.Errorf("backup %s has schema version %d, older than the database's %d: restore it into a new, empty database "+
			"(createdb NAME, then twinmetrics -db postgres://…/NAME restore %s) and point the instances there; "+
			"they bring it up to date when they start", archive, version, have, archive)
	}
	conninfo, env, err := pgToolArgs(dsn)
	if err != nil {
		return err
	}
	if err := runPGTool(ctx, env, nil, "pg_restore", "--clean", "--if-exists", "--single-transaction", "--no-owner",
		"--no-password", "--dbname="+conninfo, archive); err != nil {
		return fmt.Errorf("restore from %s (the database is unchanged): %w", archive, err)
	}
	var after int
	if err := conn.GetContext(ctx, &after, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"); err != nil {
		return fmt.Errorf("restore from %s: the restored database has no readable schema_migrations: %w", archive, err)
	}
	if after != version {
		return fmt.Errorf("restore from %s: the database is at schema version %d after the restore, not the backup's %d", archive, after, version)
	}
	return nil
}
