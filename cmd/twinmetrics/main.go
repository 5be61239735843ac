// Command twinmetrics serves the twin-city indicator dashboard.
//
//	twinmetrics [serve]   migrate and seed the database, then serve
//	twinmetrics migrate   bring the database schema up to date
//	twinmetrics seed      load the seed data (idempotent)
//	twinmetrics backup FILE    write a consistent copy while the server runs
//	twinmetrics restore FILE   replace the database by a backup (server stopped)
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
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
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
	dev       bool
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var st settings
	fset := flag.NewFlagSet("twinmetrics "+cmd, flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.StringVar(&st.addr, "addr", envOr("TWINMETRICS_ADDR", "127.0.0.1:8080"), "address to listen on (TWINMETRICS_ADDR)")
	fset.StringVar(&st.db, "db", envOr("TWINMETRICS_DB", "var/twinmetrics.db"), "SQLite database file (TWINMETRICS_DB)")
	fset.StringVar(&st.baseURL, "base-url", os.Getenv("TWINMETRICS_BASE_URL"), "public address of the dashboard, for absolute links (TWINMETRICS_BASE_URL; default http://ADDR)")
	fset.StringVar(&st.logFormat, "log-format", envOr("TWINMETRICS_LOG_FORMAT", "text"), "log format: text or json (TWINMETRICS_LOG_FORMAT)")
	fset.BoolVar(&st.dev, "dev", os.Getenv("TWINMETRICS_DEV") == "1", "read templates and assets from the source tree (TWINMETRICS_DEV=1)")
	if err := fset.Parse(args); err != nil {
		return err
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
	case "serve", "migrate", "seed":
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
		return fmt.Errorf("unknown command %q (want serve, migrate, seed, backup or restore)", cmd)
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
	res, err := store.Seed(ctx, data.Files)
	if err != nil {
		return err
	}
	if res.Skipped {
		logger.Info("seed already applied")
	} else {
		logger.Info("seeded database", "observations", res.Observations, "derived", res.Derived)
	}
	if cmd == "seed" {
		return nil
	}
	return serve(ctx, st, store, logger)
}

func serve(ctx context.Context, st settings, store *metrics.Store, logger *slog.Logger) error {
	var tmpl, assets fs.FS = templates.Files, dashboard.AssetsFS()
	if st.dev {
		tmpl, assets = os.DirFS("templates"), os.DirFS("dashboard/assets")
	}
	if st.baseURL == "" {
		st.baseURL = "http://" + st.addr
	}
	h, err := dashboard.New(dashboard.Config{Store: store, Logger: logger, Templates: tmpl, Assets: assets, Dev: st.dev, BaseURL: st.baseURL})
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              st.addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
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
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
