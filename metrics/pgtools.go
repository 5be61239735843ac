package metrics

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// PostgreSQL's own tools do the backup and restore of a PostgreSQL
// database: pg_dump reads one MVCC snapshot without holding up writers,
// and pg_restore replays an archive in one transaction. This file runs
// them.

// ErrNoPGTool is a PostgreSQL client tool that is not installed.
var ErrNoPGTool = errors.New("PostgreSQL's client tools are not installed")

// pgTool finds one of PostgreSQL's client programs: on PATH, else in the
// folder `pg_config --bindir` names (Debian keeps each version's
// programs in /usr/lib/postgresql/N/bin).
func pgTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	if pc, err := exec.LookPath("pg_config"); err == nil {
		if out, err := exec.Command(pc, "--bindir").Output(); err == nil {
			p := filepath.Join(strings.TrimSpace(string(out)), name)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("%s not found: %w. Install them, of the server's major version or newer "+
		"(Debian and Ubuntu: apt-get install postgresql-client; elsewhere PostgreSQL's client package), "+
		"or put the folder that holds %s on PATH", name, ErrNoPGTool, name)
}

// libpqKeys are the connection parameters libpq itself reads from a
// URL's query; pgx takes the same, and takes other keys as server
// settings, which libpq refuses in a URL but accepts in `options`.
var libpqKeys = map[string]bool{
	"host": true, "hostaddr": true, "port": true, "dbname": true, "user": true, "password": true,
	"passfile": true, "channel_binding": true, "connect_timeout": true, "client_encoding": true,
	"options": true, "application_name": true, "fallback_application_name": true, "keepalives": true,
	"keepalives_idle": true, "keepalives_interval": true, "keepalives_count": true, "tcp_user_timeout": true,
	"gssencmode": true, "sslmode": true, "requiressl": true, "sslcompression": true, "sslcert": true,
	"sslkey": true, "sslpassword": true, "sslrootcert": true, "sslcrl": true, "sslcrldir": true, "sslsni": true,
	"requirepeer": true, "ssl_min_protocol_version": true, "ssl_max_protocol_version": true,
	"krbsrvname": true, "gsslib": true, "service": true, "target_session_attrs": true,
	"load_balance_hosts": true, "sslnegotiation": true, "gssdelegation": true,
}

// pgxOnlyKeys are settings of the pgx driver, meaningless to the server
// and to libpq.
var pgxOnlyKeys = map[string]bool{
	"default_query_exec_mode": true, "statement_cache_capacity": true, "description_cache_capacity": true,
	"min_read_buffer_size": true,
}

// pgToolArgs turns the database URL this program connects with into the
// connection string and environment for pg_dump and pg_restore: the
// password goes in the environment (PGPASSWORD), not on a command line
// other users of the machine can read; the driver's own settings are
// dropped; server settings move into `options` as libpq wants them.
func pgToolArgs(dsn string) (conn string, env []string, err error) {
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", nil, fmt.Errorf("not a postgres:// database URL")
	}
	env = os.Environ()
	if u.User != nil {
		if pw, ok := u.User.Password(); ok {
			env = append(env, "PGPASSWORD="+pw)
			u.User = url.User(u.User.Username())
		}
	}
	q := u.Query()
	var opts []string
	if o := q.Get("options"); o != "" {
		opts = append(opts, o)
	}
	for k, vs := range q {
		switch {
		case libpqKeys[k]:
		case pgxOnlyKeys[k]:
			q.Del(k)
		default:
			for _, v := range vs {
				opts = append(opts, "-c "+k+"="+strings.ReplaceAll(v, " ", `\ `))
			}
			q.Del(k)
		}
	}
	if len(opts) > 0 {
		q.Set("options", strings.Join(opts, " "))
	}
	// libpq decodes %XX only: a space must not become url's "+".
	u.RawQuery = strings.ReplaceAll(q.Encode(), "+", "%20")
	return u.String(), env, nil
}

// runPGTool runs a PostgreSQL tool and returns what it printed on
// standard output; a failure carries what it printed on standard error.
func runPGTool(ctx context.Context, env []string, stdout io.Writer, name string, args ...string) error {
	p, err := pgTool(name)
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, p, args...)
	cmd.Env = env
	cmd.Stdout = stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = name + ": " + err.Error()
		}
		if !strings.HasPrefix(msg, name+":") {
			msg = name + ": " + msg
		}
		return errors.New(msg)
	}
	return nil
}

// pgArchiveMagic begins every pg_dump archive in the custom format.
const pgArchiveMagic = "PGDMP"

// isPGArchive reports whether the file at path is a pg_dump archive in
// the custom format.
func isPGArchive(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, len(pgArchiveMagic))
	if _, err := io.ReadFull(f, head); err != nil {
		return false, nil
	}
	return string(head) == pgArchiveMagic, nil
}

// backupPostgres writes the database at dsn to a new file at path with
// pg_dump --format=custom, readable by its owner only.
func backupPostgres(ctx context.Context, dsn, path string) error {
	conn, env, err := pgToolArgs(dsn)
	if err != nil {
		return err
	}
	if _, err := pgTool("pg_dump"); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	f, err := createBackupFile(path)
	if err != nil {
		return err
	}
	// pg_dump writes to standard output, into the file made above, so
	// that the file keeps its mode whatever pg_dump's umask.
	err = runPGTool(ctx, env, f, "pg_dump", "--format=custom", "--no-password", "--dbname="+conn)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	return nil
}

// checkPGArchive checks that path is a whole pg_dump archive that
// pg_restore reads to its end (a cut or damaged file fails), holding a
// twinmetrics database: its schema_migrations rows read as versions. It
// returns the highest version.
func checkPGArchive(ctx context.Context, path string) (version int, err error) {
	if _, err := os.Stat(path); err != nil {
		return 0, fmt.Errorf("backup %s: %w", path, err)
	}
	ok, err := isPGArchive(path)
	if err != nil {
		return 0, fmt.Errorf("backup %s: %w", path, err)
	}
	if !ok {
		return 0, fmt.Errorf("backup %s is not a PostgreSQL archive (twinmetrics backup on PostgreSQL writes pg_dump's custom format); "+
			"to move an SQLite database to PostgreSQL, use twinmetrics copy-db", path)
	}
	// The whole archive as the SQL a restore would run, read through for
	// the COPY block of schema_migrations.
	pr, pw := io.Pipe()
	var rows int
	var perr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		version, rows, perr = scanMigrationRows(pr)
		io.Copy(io.Discard, pr)
	}()
	err = runPGTool(ctx, os.Environ(), pw, "pg_restore", "--file=-", path)
	pw.Close()
	<-done
	if err != nil {
		return 0, fmt.Errorf("backup %s cannot be read: %w", path, err)
	}
	if perr != nil {
		return 0, fmt.Errorf("backup %s: %w", path, perr)
	}
	if rows == 0 {
		return 0, fmt.Errorf("backup %s holds no schema_migrations rows: it is not a twinmetrics database", path)
	}
	return version, nil
}

// scanMigrationRows reads pg_restore's SQL for the rows of
// schema_migrations and returns their highest version and their count.
func scanMigrationRows(r io.Reader) (version, rows int, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	in := false
	for {
		line, rerr := br.ReadString('\n')
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "COPY public.schema_migrations ("):
			in = true
		case in && line == `\.`:
			in = false
		case in:
			v, err := strconv.Atoi(strings.SplitN(line, "\t", 2)[0])
			if err != nil {
				return 0, 0, fmt.Errorf("schema_migrations holds %q, not a version", line)
			}
			rows++
			version = max(version, v)
		}
		if rerr == io.EOF {
			return version, rows, nil
		}
		if rerr != nil {
			return 0, 0, rerr
		}
	}
}

// Redacted is a database setting as it may be shown: a PostgreSQL URL
// without its password, a file path as it is.
func Redacted(dsn string) string {
	if !IsPostgresDSN(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}
