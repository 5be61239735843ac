// Command twinmetrics serves the twin-city indicator dashboard.
//
//	twinmetrics [serve]   migrate and seed the database, then serve
//	twinmetrics migrate   bring the database schema up to date
//	twinmetrics seed      load the seed data (idempotent)
//	twinmetrics backup FILE    write a consistent copy while the server runs
//	twinmetrics restore FILE   replace the database by a backup (server stopped)
//	twinmetrics copy-db --from FILE --to postgres://…   move an SQLite installation to PostgreSQL
//	twinmetrics user add --email E --role admin|editor   (password on standard input)
//	twinmetrics token create --email E [--name N] | token list | token revoke --id N
//	twinmetrics import FILE --email E [--profile NAME] [--publish] [--allow-rejected] [--confirm-warnings]
//	twinmetrics uploads prune [-upload-retention 168h]   remove uploads untouched that long
//	twinmetrics profile list | show NAME | approve NAME --email ADMIN
//
// Settings: -addr or TWINMETRICS_ADDR (default 127.0.0.1:8080), -db or
// TWINMETRICS_DB (default var/twinmetrics.db), -dev or TWINMETRICS_DEV=1
// (read templates and assets from the source tree on every request),
// -base-url or TWINMETRICS_BASE_URL (the public address, for absolute
// links; default http://ADDR).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"github.com/twinmetrics/twinmetrics/ingest"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twinmetrics/twinmetrics/dashboard"
	"github.com/twinmetrics/twinmetrics/data"
	"github.com/twinmetrics/twinmetrics/metrics"
	"github.com/twinmetrics/twinmetrics/templates"
)

func main() {
	ownerOnlyFiles()
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "twinmetrics:", err)
		os.Exit(1)
	}
}

type settings struct {
	addr      string
	db        string
	baseURL   string
	logFormat string
	uploads   string
	proxies   string
	dev       bool
	// grace is how long a shutdown waits for requests in flight.
	grace time.Duration
	// retention is how long a pending upload nobody touches is kept.
	retention time.Duration

	// copy-db
	from, to string
	replace  bool

	// user, token and import
	email, role, name              string
	id                             int64
	publish, allowRej, confirmWarn bool
	cities, years, perFile, copyTo int
	profile                        string
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runWith(ctx, args, os.Stdin, stdout, stderr)
}

// usages are the subcommands and what each takes, as the usage message
// prints them.
var usages = map[string]string{
	"serve":           "twinmetrics [global flags] [serve]",
	"migrate":         "twinmetrics [global flags] migrate",
	"seed":            "twinmetrics [global flags] seed",
	"backup":          "twinmetrics [global flags] backup FILE",
	"restore":         "twinmetrics [global flags] restore FILE",
	"copy-db":         "twinmetrics [global flags] copy-db --from FILE [--to postgres://…] [--replace]   (moves an SQLite installation to PostgreSQL; stop the server first)",
	"user add":        "twinmetrics [global flags] user add --email E --role admin|editor   (password on standard input)",
	"token create":    "twinmetrics [global flags] token create --email E [--name N]",
	"token list":      "twinmetrics [global flags] token list",
	"token revoke":    "twinmetrics [global flags] token revoke --id N",
	"import":          "twinmetrics [global flags] import FILE --email E [--profile NAME] [--publish] [--allow-rejected] [--confirm-warnings]",
	"user disable":    "twinmetrics [global flags] user disable --email E   (ends their sessions, revokes their tokens)",
	"user enable":     "twinmetrics [global flags] user enable --email E",
	"user logout":     "twinmetrics [global flags] user logout --email E   (ends their sessions)",
	"uploads prune":   "twinmetrics [global flags] uploads prune   (removes uploads untouched for -upload-retention)",
	"profile list":    "twinmetrics [global flags] profile list",
	"profile show":    "twinmetrics [global flags] profile show NAME",
	"profile approve": "twinmetrics [global flags] profile approve NAME --email ADMIN",
	"synth":           "twinmetrics [global flags] synth --cities N [--years 20] [--cities-per-file 100] [--copy-to M]   (clearly synthetic cities, for benchmarks; never on a real database)",
}

const commandList = "serve, migrate, seed, backup, restore, copy-db, user add|disable|enable|logout, token create|list|revoke, import, uploads prune, profile list|show|approve, synth"

// globalFlags are the settings every subcommand shares; they may stand
// before the subcommand or after it. Each definition takes the value
// parsed so far as its default, so a second FlagSet does not undo the
// first.
func globalFlags(fs *flag.FlagSet, st *settings) {
	fs.StringVar(&st.addr, "addr", st.addr, "address to listen on (TWINMETRICS_ADDR)")
	fs.StringVar(&st.db, "db", st.db, "SQLite database file, or a postgres:// URL for PostgreSQL (TWINMETRICS_DB)")
	fs.StringVar(&st.baseURL, "base-url", st.baseURL, "public address of the dashboard, for absolute links (TWINMETRICS_BASE_URL; default http://ADDR)")
	fs.StringVar(&st.logFormat, "log-format", st.logFormat, "log format: text or json (TWINMETRICS_LOG_FORMAT)")
	fs.BoolVar(&st.dev, "dev", st.dev, "read templates and assets from the source tree (TWINMETRICS_DEV=1)")
	fs.StringVar(&st.proxies, "trust-proxy", st.proxies, "addresses or CIDR ranges of the reverse proxies in front, comma-separated: client addresses are then taken from X-Forwarded-For (TWINMETRICS_TRUST_PROXY)")
	fs.DurationVar(&st.grace, "shutdown-grace", st.grace, "how long a shutdown lets requests in flight finish before it cuts them (TWINMETRICS_SHUTDOWN_GRACE)")
	fs.DurationVar(&st.retention, "upload-retention", st.retention, "how long refused, discarded and unpublished uploads are kept after their last use (TWINMETRICS_UPLOAD_RETENTION; default 7 days)")
	fs.StringVar(&st.uploads, "uploads", st.uploads, "folder for pending uploads (TWINMETRICS_UPLOADS; default: uploads/ beside the database)")
}

// usageError is a command line the program does not understand; the
// usage has been printed.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// parseInterleaved parses flags wherever they stand among the
// positional arguments (import FILE --email E, or --email E FILE) and
// returns the positional ones.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func runWith(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c, err := parseCommandLine(args, stderr)
	if c == nil || err != nil {
		return err // nil for -help
	}
	st := c.st
	logger, err := newLogger(st.logFormat, stderr)
	if err != nil {
		return err
	}
	switch c.cmd {
	case "restore":
		if err := metrics.Restore(ctx, c.file, st.db); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "restored %s from %s\n", metrics.Redacted(st.db), c.file)
		return nil
	case "copy-db":
		return copyDBCommand(ctx, st, stdout)
	}
	// Every command that opens the database shares its lock, which
	// `restore` needs for itself.
	// (A PostgreSQL database has no file to lock; its server keeps the
	// clients apart.)
	if !metrics.IsPostgresDSN(st.db) {
		unlock, err := metrics.LockDatabase(st.db, false)
		if err != nil {
			return err
		}
		defer unlock()
	}
	db, err := metrics.Open(ctx, st.db)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		logger.Info("migrated database", "path", st.db, "migrations", n)
	}
	switch c.cmd {
	case "migrate":
		return nil
	case "backup":
		return backupCommand(ctx, db, st, c.file, stdout)
	}
	store, err := metrics.NewStore(ctx, db)
	if err != nil {
		return err
	}
	defer store.Close()
	up, err := seed(ctx, st, store, logger)
	if err != nil {
		return err
	}
	defer up.Wait()
	switch c.cmd {
	case "uploads":
		if c.verb != "prune" {
			return errors.New("usage: twinmetrics uploads prune [-upload-retention 168h]")
		}
		res, err := up.Prune(ctx, st.retention)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "removed %d uploads untouched for %s (%d MB)\n", res.Removed, st.retention, res.Bytes>>20)
		return nil
	case "seed":
		return nil
	case "user":
		return userCommand(ctx, c.verb, st, store, stdin, stdout)
	case "token":
		return tokenCommand(ctx, c.verb, st, store, stdout)
	case "import":
		return importCommand(ctx, c.file, st, store, up, stdout)
	case "profile":
		return profileCommand(ctx, c.verb, c.file, st, store, stdout)
	case "synth":
		return synthCommand(ctx, st, store, up, stdout)
	}
	return serve(ctx, st, store, up, logger)
}

// commandLine is a parsed command line: the subcommand (with its verb,
// "user add"), its FILE or NAME argument, and the settings from the
// environment and the flags.
type commandLine struct {
	cmd, verb, name, file string
	st                    settings
}

// parseCommandLine reads the settings from the environment, then the
// global flags up to the subcommand, then the subcommand's own flags
// (the global ones allowed again) and its argument. It returns nil and
// no error when help was asked for.
func parseCommandLine(args []string, stderr io.Writer) (*commandLine, error) {
	st := settings{
		addr:      envOr("TWINMETRICS_ADDR", "127.0.0.1:8080"),
		db:        envOr("TWINMETRICS_DB", "var/twinmetrics.db"),
		baseURL:   os.Getenv("TWINMETRICS_BASE_URL"),
		logFormat: envOr("TWINMETRICS_LOG_FORMAT", "text"),
		dev:       os.Getenv("TWINMETRICS_DEV") == "1",
		proxies:   os.Getenv("TWINMETRICS_TRUST_PROXY"),
		uploads:   os.Getenv("TWINMETRICS_UPLOADS"),
	}
	var err error
	if st.grace, err = time.ParseDuration(envOr("TWINMETRICS_SHUTDOWN_GRACE", "15s")); err != nil {
		return nil, fmt.Errorf("TWINMETRICS_SHUTDOWN_GRACE: %w", err)
	}
	if st.retention, err = time.ParseDuration(envOr("TWINMETRICS_UPLOAD_RETENTION", "168h")); err != nil {
		return nil, fmt.Errorf("TWINMETRICS_UPLOAD_RETENTION: %w", err)
	}
	// The global flags first, up to the subcommand.
	gfs := flag.NewFlagSet("twinmetrics", flag.ContinueOnError)
	gfs.SetOutput(stderr)
	globalFlags(gfs, &st)
	gfs.Usage = func() {
		fmt.Fprintln(stderr, "usage:")
		for _, k := range []string{"serve", "migrate", "seed", "backup", "restore", "copy-db", "user add", "user disable", "user enable", "user logout", "token create", "token list", "token revoke", "import", "uploads prune", "profile list", "profile show", "profile approve", "synth"} {
			fmt.Fprintln(stderr, "  "+usages[k])
		}
		fmt.Fprintln(stderr, "global flags (before or after the subcommand):")
		gfs.PrintDefaults()
	}
	if err := gfs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil
		}
		return nil, &usageError{err.Error()}
	}
	rest := gfs.Args()
	c := &commandLine{cmd: "serve"}
	if len(rest) > 0 {
		c.cmd, rest = rest[0], rest[1:]
	}
	// user, token, uploads and profile take a verb.
	c.name = c.cmd
	if c.cmd == "user" || c.cmd == "token" || c.cmd == "uploads" || c.cmd == "profile" {
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			gfs.Usage()
			return nil, &usageError{"twinmetrics " + c.cmd + " needs a verb: " + map[string]string{"user": "add, disable, enable or logout", "token": "create, list or revoke", "uploads": "prune", "profile": "list, show or approve"}[c.cmd]}
		}
		c.verb, rest = rest[0], rest[1:]
		c.name = c.cmd + " " + c.verb
	}
	usage, ok := usages[c.name]
	if !ok {
		gfs.Usage()
		return nil, &usageError{fmt.Sprintf("unknown command %q (want %s)", c.name, commandList)}
	}
	// Then the subcommand's own flags, the global ones allowed again.
	fs := flag.NewFlagSet("twinmetrics "+c.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: "+usage)
		fs.PrintDefaults()
	}
	globalFlags(fs, &st)
	commandFlags(fs, c.name, &st)
	pos, err := parseInterleaved(fs, rest)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil
		}
		return nil, &usageError{err.Error()}
	}
	wantArgs := 0
	if c.name == "backup" || c.name == "restore" || c.name == "import" || c.name == "profile show" || c.name == "profile approve" {
		wantArgs = 1
	}
	if len(pos) != wantArgs {
		fs.Usage()
		if len(pos) > wantArgs {
			return nil, &usageError{fmt.Sprintf("twinmetrics %s: unexpected argument %q", c.name, pos[wantArgs])}
		}
		what := "a FILE"
		if c.cmd == "profile" {
			what = "a profile NAME"
		}
		return nil, &usageError{fmt.Sprintf("twinmetrics %s needs %s", c.name, what)}
	}
	if wantArgs == 1 {
		c.file = pos[0]
	}
	if st.uploads == "" {
		st.uploads = filepath.Join(filepath.Dir(st.db), "uploads")
		if metrics.IsPostgresDSN(st.db) {
			st.uploads = filepath.Join("var", "uploads")
		}
	}
	c.st = st
	return c, nil
}

// commandFlags defines the flags of one subcommand (name, "user add").
func commandFlags(fs *flag.FlagSet, name string, st *settings) {
	switch name {
	case "user add":
		fs.StringVar(&st.email, "email", "", "the account's email")
		fs.StringVar(&st.role, "role", "", "admin or editor")
	case "user disable", "user enable", "user logout":
		fs.StringVar(&st.email, "email", "", "the account's email")
	case "token create":
		fs.StringVar(&st.email, "email", "", "the account the token acts as")
		fs.StringVar(&st.name, "name", "", "what the token is for")
	case "token revoke":
		fs.Int64Var(&st.id, "id", 0, "the token's number (token list shows it)")
	case "import":
		fs.StringVar(&st.email, "email", "", "the staff account the upload is made as")
		fs.BoolVar(&st.publish, "publish", false, "publish when the check passes")
		fs.BoolVar(&st.allowRej, "allow-rejected", false, "publish without the rejected rows")
		fs.BoolVar(&st.confirmWarn, "confirm-warnings", false, "the warnings are checked and the values are right")
		fs.StringVar(&st.profile, "profile", "", "read the file with this import profile (default: the one its header matches)")
	case "profile approve":
		fs.StringVar(&st.email, "email", "", "the admin who approves")
	case "copy-db":
		fs.StringVar(&st.from, "from", "", "the SQLite database file to copy")
		fs.StringVar(&st.to, "to", "", "the PostgreSQL database to copy into, a postgres:// URL (default: -db when that is one)")
		fs.BoolVar(&st.replace, "replace", false, "delete what the PostgreSQL database already holds")
	case "synth":
		fs.IntVar(&st.cities, "cities", 0, "how many synthetic cities the database should hold")
		fs.IntVar(&st.years, "years", 20, "years of values per city and indicator")
		fs.IntVar(&st.perFile, "cities-per-file", 100, "cities per upload")
		fs.IntVar(&st.copyTo, "copy-to", 0, "then add cities up to this many, copying the loaded cities' values by SQL (for sizes the upload path takes hours to build)")
	}
}

// newLogger is the program's logger, writing text or JSON to w.
func newLogger(format string, w io.Writer) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, fmt.Errorf("-log-format must be text or json, not %q", format)
}

// backupCommand writes a checked backup of the database to file.
func backupCommand(ctx context.Context, db *metrics.DB, st settings, file string, stdout io.Writer) error {
	var err error
	if metrics.IsPostgresDSN(st.db) {
		err = metrics.BackupPostgres(ctx, st.db, file)
	} else if err = db.Backup(ctx, file); err == nil {
		err = metrics.CheckBackup(ctx, file)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s\n", db.Path, file)
	return nil
}

// seed brings the database's data up to the program's: the catalogue
// and the curated values, the shipped import profiles, then each raw
// publisher file through its import profile. It returns the uploader
// every command that writes uses; the caller waits for it.
func seed(ctx context.Context, st settings, store *metrics.Store, logger *slog.Logger) (*ingest.Uploader, error) {
	seeds, err := ingest.RawSeeds(data.Files)
	if err != nil {
		return nil, err
	}
	res, err := store.SeedWith(ctx, data.Files, metrics.SeedOptions{FromRawFiles: ingest.Marks(seeds)})
	if err != nil {
		return nil, err
	}
	if res.Skipped {
		logger.Info("seed already applied")
	} else {
		logger.Info("seeded database", "observations", res.Observations, "derived", res.Derived)
	}
	shipped, err := ingest.ShippedProfileRecords(data.Profiles, "profiles")
	if err != nil {
		return nil, err
	}
	if n, err := store.SeedImportProfiles(ctx, shipped, time.Now()); err != nil {
		return nil, err
	} else if n > 0 {
		logger.Info("stored shipped import profiles", "profiles", n)
	}
	up, err := ingest.NewUploader(store, st.uploads, ingest.DefaultLimits, nil)
	if err != nil {
		return nil, err
	}
	up.UseStoredProfiles()
	up.SetLogger(logger)
	raws, err := up.SeedFromRaw(ctx, data.Raw, seeds)
	if err != nil {
		up.Wait()
		return nil, err
	}
	for _, r := range raws {
		if !r.Skipped {
			logger.Info("seeded from a publisher file", "file", r.File, "profile", r.Profile, "upload", r.UploadID,
				"new", r.Counts.New, "changed", r.Counts.Changed, "skipped", r.Counts.Skipped, "rejected", r.Counts.Rejected)
		}
	}
	// Reading the publishers' workbooks for the seed takes memory the
	// server never needs again: give it back before serving.
	debug.FreeOSMemory()
	return up, nil
}

func serve(ctx context.Context, st settings, store *metrics.Store, up *ingest.Uploader, logger *slog.Logger) error {
	// A soft memory limit makes the collector work harder before the heap
	// grows past what a small shared server should give a dashboard;
	// GOMEMLIMIT in the environment overrides it.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(32 << 20)
	}
	var tmpl, assets fs.FS = templates.Files, dashboard.AssetsFS()
	if st.dev {
		tmpl, assets = os.DirFS("templates"), os.DirFS("dashboard/assets")
	}
	if st.baseURL == "" {
		st.baseURL = "http://" + st.addr
	}
	var proxies []*net.IPNet
	if st.proxies != "" {
		var err error
		if proxies, err = dashboard.ParseProxies(st.proxies); err != nil {
			return fmt.Errorf("-trust-proxy takes the proxies' addresses or CIDR ranges, comma-separated: %w", err)
		}
	}
	h, err := dashboard.New(dashboard.Config{Store: store, Uploads: up, Logger: logger, Templates: tmpl, Assets: assets,
		Dev: st.dev, BaseURL: st.baseURL, TrustedProxies: proxies})
	if err != nil {
		return err
	}
	// Requests in flight are counted, so that a shutdown that had to cut
	// some still waits for their handlers to let go of the database.
	var inflight sync.WaitGroup
	srv := &http.Server{
		Addr: st.addr,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inflight.Add(1)
			defer inflight.Done()
			h.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: dashboard.ReadHeaderTimeout,
		// Short for every request; the upload routes give a signed-in
		// sender longer (dashboard.UploadReadTimeout).
		ReadTimeout:  dashboard.ReadTimeout,
		WriteTimeout: dashboard.WriteTimeout,
		IdleTimeout:  dashboard.IdleTimeout,
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	go housekeeping(ctx, store, up, st.retention, logger)
	errc := make(chan error, 1)
	go func() {
		logger.Info("serving", "addr", "http://"+st.addr)
		errc <- srv.ListenAndServe()
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	// A second signal ends the process at once, as operators expect.
	stop()
	logger.Info("shutting down: finishing requests in flight", "deadline", st.grace.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), st.grace)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		// A client too slow to read its download in the grace period is
		// cut off; that is the shutdown working, not failing.
		logger.Warn("shutdown: cut the requests still in flight after the grace period", "grace", st.grace.String())
		err = srv.Close()
		done := make(chan struct{})
		go func() { inflight.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			logger.Error("shutdown: a request still runs 10 s after its connection was cut")
		}
	}
	return err
}

// housekeeping deletes, every ten minutes, what is kept only for a
// while: old sign-in failures, expired sessions, forgotten browsers, and
// uploads untouched for the retention period.
func housekeeping(ctx context.Context, store *metrics.Store, up *ingest.Uploader, retention time.Duration, logger *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		if n, err := store.PurgeSignIns(ctx, time.Now()); err != nil && ctx.Err() == nil {
			logger.Error("purge sign-in records", "err", err)
		} else if n > 0 {
			logger.Info("purged sign-in records", "rows", n)
		}
		if res, err := up.Prune(ctx, retention); err != nil && ctx.Err() == nil {
			logger.Error("prune uploads", "err", err)
		} else if res.Removed > 0 {
			logger.Info("pruned uploads", "removed", res.Removed, "bytes", res.Bytes)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
