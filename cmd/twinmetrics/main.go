// Command twinmetrics serves the twin-city indicator dashboard.
//
//	twinmetrics [serve]   migrate and seed the database, then serve
//	twinmetrics migrate   bring the database schema up to date
//	twinmetrics seed      load the seed data (idempotent)
//	twinmetrics backup FILE    write a consistent copy while the server runs
//	twinmetrics restore FILE   replace the database by a backup (server stopped)
//	twinmetrics user add --email E --role admin|editor   (password on standard input)
//	twinmetrics token create --email E [--name N] | token list | token revoke --id N
//	twinmetrics import FILE --email E [--profile NAME] [--publish] [--allow-rejected] [--confirm-warnings]
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
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/twinmetrics/twinmetrics/dashboard"
	"github.com/twinmetrics/twinmetrics/data"
	"github.com/twinmetrics/twinmetrics/metrics"
	"github.com/twinmetrics/twinmetrics/templates"
)

func main() {
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
	dev       bool
	proxy     bool

	// user, token and import
	email, role, name              string
	id                             int64
	publish, allowRej, confirmWarn bool
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

func runWith(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	// user and token take a verb; import takes a file before or after
	// its flags.
	var verb, file string
	if (cmd == "user" || cmd == "token") && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		verb, args = args[0], args[1:]
	}
	if cmd == "import" && len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	var st settings
	fset := flag.NewFlagSet("twinmetrics "+cmd, flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.StringVar(&st.addr, "addr", envOr("TWINMETRICS_ADDR", "127.0.0.1:8080"), "address to listen on (TWINMETRICS_ADDR)")
	fset.StringVar(&st.db, "db", envOr("TWINMETRICS_DB", "var/twinmetrics.db"), "SQLite database file (TWINMETRICS_DB)")
	fset.StringVar(&st.baseURL, "base-url", os.Getenv("TWINMETRICS_BASE_URL"), "public address of the dashboard, for absolute links (TWINMETRICS_BASE_URL; default http://ADDR)")
	fset.StringVar(&st.logFormat, "log-format", envOr("TWINMETRICS_LOG_FORMAT", "text"), "log format: text or json (TWINMETRICS_LOG_FORMAT)")
	fset.BoolVar(&st.dev, "dev", os.Getenv("TWINMETRICS_DEV") == "1", "read templates and assets from the source tree (TWINMETRICS_DEV=1)")
	fset.BoolVar(&st.proxy, "trust-proxy", os.Getenv("TWINMETRICS_TRUST_PROXY") == "1", "take client addresses from X-Forwarded-For (TWINMETRICS_TRUST_PROXY=1), behind a reverse proxy")
	fset.StringVar(&st.uploads, "uploads", os.Getenv("TWINMETRICS_UPLOADS"), "folder for pending uploads (TWINMETRICS_UPLOADS; default: uploads/ beside the database)")
	fset.StringVar(&st.email, "email", "", "user: the account's email")
	fset.StringVar(&st.role, "role", "", "user add: admin or editor")
	fset.StringVar(&st.name, "name", "", "token create: what the token is for")
	fset.Int64Var(&st.id, "id", 0, "token revoke: the token's number")
	fset.BoolVar(&st.publish, "publish", false, "import: publish when the check passes")
	fset.BoolVar(&st.allowRej, "allow-rejected", false, "import: publish without the rejected rows")
	fset.BoolVar(&st.confirmWarn, "confirm-warnings", false, "import: the warnings are checked and the values are right")
	fset.StringVar(&st.profile, "profile", "", "import: read the file with this import profile (default: the one its header matches)")
	if err := fset.Parse(args); err != nil {
		return err
	}
	if file == "" && cmd == "import" {
		file = fset.Arg(0)
	}
	if st.uploads == "" {
		st.uploads = filepath.Join(filepath.Dir(st.db), "uploads")
	}
	var logger *slog.Logger
	switch st.logFormat {
	case "text":
		logger = slog.New(slog.NewTextHandler(stderr, nil))
	case "json":
		logger = slog.New(slog.NewJSONHandler(stderr, nil))
	default:
		return fmt.Errorf("-log-format must be text or json, not %q", st.logFormat)
	}

	switch cmd {
	case "serve", "migrate", "seed", "user", "token", "import":
	case "backup", "restore":
		if fset.NArg() != 1 {
			return fmt.Errorf("usage: twinmetrics %s FILE", cmd)
		}
		if cmd == "restore" {
			if err := metrics.Restore(ctx, fset.Arg(0), st.db); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "restored %s from %s\n", st.db, fset.Arg(0))
			return nil
		}
	default:
		return fmt.Errorf("unknown command %q (want serve, migrate, seed, user, token, import, backup or restore)", cmd)
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
	if cmd == "migrate" {
		return nil
	}
	if cmd == "backup" {
		if err := db.Backup(ctx, fset.Arg(0)); err != nil {
			return err
		}
		if err := metrics.CheckBackup(ctx, fset.Arg(0)); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "backed up %s to %s\n", st.db, fset.Arg(0))
		return nil
	}
	store, err := metrics.NewStore(ctx, db)
	if err != nil {
		return err
	}
	defer store.Close()
	// The seed: the catalogue and the curated values, then each raw
	// publisher file through its import profile.
	seeds, err := ingest.RawSeeds(data.Files)
	if err != nil {
		return err
	}
	res, err := store.SeedWith(ctx, data.Files, metrics.SeedOptions{FromRawFiles: ingest.Marks(seeds)})
	if err != nil {
		return err
	}
	if res.Skipped {
		logger.Info("seed already applied")
	} else {
		logger.Info("seeded database", "observations", res.Observations, "derived", res.Derived)
	}
	up, err := ingest.NewUploader(store, st.uploads, ingest.DefaultLimits, nil)
	if err != nil {
		return err
	}
	defer up.Wait()
	raws, err := up.SeedFromRaw(ctx, data.Raw, seeds)
	if err != nil {
		return err
	}
	for _, r := range raws {
		if !r.Skipped {
			logger.Info("seeded from a publisher file", "file", r.File, "profile", r.Profile, "upload", r.UploadID,
				"new", r.Counts.New, "changed", r.Counts.Changed, "skipped", r.Counts.Skipped, "rejected", r.Counts.Rejected)
		}
	}
	switch cmd {
	case "seed":
		return nil
	case "user":
		return userCommand(ctx, verb, st, store, stdin, stdout)
	case "token":
		return tokenCommand(ctx, verb, st, store, stdout)
	case "import":
		return importCommand(ctx, file, st, store, up, stdout)
	}
	return serve(ctx, st, store, up, logger)
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
	h, err := dashboard.New(dashboard.Config{Store: store, Uploads: up, Logger: logger, Templates: tmpl, Assets: assets,
		Dev: st.dev, BaseURL: st.baseURL, TrustProxy: st.proxy})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              st.addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		// Uploads of large files over slow links take a while.
		ReadTimeout:  10 * time.Minute,
		WriteTimeout: 60 * time.Second,
		IdleTimeout:  120 * time.Second,
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
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
	logger.Info("shutting down: finishing requests in flight", "deadline", "15s")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
