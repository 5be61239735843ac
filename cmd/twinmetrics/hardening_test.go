//go:build unix

package main

// Attacks on the running command (issue 15): restore under a live
// server, a shutdown with a download too slow to finish, the modes of
// the files it creates.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// TestRestoreRefusedWhileServing: `twinmetrics restore` against the
// database of a running server is refused and says why; the server
// keeps its database (a publish it answered is not lost); once the
// server is stopped, the restore works.
func TestRestoreRefusedWhileServing(t *testing.T) {
	f := fixture(t)
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	if err := copyDB(f.afterDB, db); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "before.db")
	if err := copyDB(f.template, backup); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, db)
	var out bytes.Buffer
	err := runWith(ctx, []string{"restore", "-db", db, backup}, strings.NewReader(""), &out, io.Discard)
	if !errors.Is(err, metrics.ErrDatabaseInUse) || !strings.Contains(err.Error(), "stop it before restoring") {
		t.Fatalf("restore while the server runs: %v (%q), want it refused as in use", err, out.String())
	}
	if resp, err := http.Get(s.url + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the server after the refused restore: %v", err)
	}
	s.stop(t)
	s.waitExit(t, db)
	if st := checkDatabase(t, f, db); st != "all" {
		t.Errorf("the refused restore left the database %q, want all of the published upload", st)
	}
	if err := runWith(ctx, []string{"restore", "-db", db, backup}, strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatalf("restore with the server stopped: %v", err)
	}
	if st := checkDatabase(t, f, db); st != "none" {
		t.Errorf("after the restore the database is %q, want the backup's state", st)
	}
}

// TestShutdownCutsSlowDownloadExitsZero: SIGTERM while a client reads a
// download more slowly than the grace period allows. The server cuts
// it at the end of the grace period, says so, and exits 0 with its
// database closed.
func TestShutdownCutsSlowDownloadExitsZero(t *testing.T) {
	f := fixture(t)
	db := filepath.Join(t.TempDir(), "t.db")
	if err := copyDB(f.afterDB, db); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, db, "-shutdown-grace", "1s")
	dialer := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10) })
		return errors.Join(err, serr)
	}}
	client := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext, DisableCompression: true, DisableKeepAlives: true}}
	resp, err := client.Get(s.url + "/data/download?format=csv")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := io.ReadFull(resp.Body, make([]byte, 64<<10)); err != nil {
		t.Fatal(err)
	}
	s.stop(t)
	// Read nothing more: the download cannot finish in the grace period.
	if !s.exited(60 * time.Second) {
		t.Fatalf("the server did not exit within 60 s of SIGTERM\n%s", tail(s.stderr.String()))
	}
	if s.err != nil {
		t.Errorf("the server exited with %v after cutting a slow download, want 0\n%s", s.err, tail(s.stderr.String()))
	}
	if !strings.Contains(s.stderr.String(), "cut the requests still in flight") {
		t.Errorf("the server did not say it cut the download:\n%s", tail(s.stderr.String()))
	}
	if _, err := os.Stat(db + "-wal"); err == nil {
		t.Error("the server left a write-ahead log: the database was not closed")
	}
}

// TestCommandFilesOwnerOnly: the command, run with the usual umask
// (022), creates its database, write-ahead log, folders, backups and
// uploads readable by their owner only.
func TestCommandFilesOwnerOnly(t *testing.T) {
	f := fixture(t)
	dir := filepath.Join(t.TempDir(), "var")
	db := filepath.Join(dir, "t.db")
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	// token list creates, migrates and seeds the database and makes the
	// uploads folder; backup writes a copy.
	c, err := startCommand("token", "list", "-db", db)
	if err != nil {
		t.Fatal(err)
	}
	<-c.done
	if c.err != nil {
		t.Fatalf("token list: %v\n%s", c.err, tail(c.stderr.String()))
	}
	// In this process (umask 022, not the command's 077) the files the
	// code itself creates must be owner-only too: an upload's folder,
	// original, record and staged rows.
	ctx := context.Background()
	if err := runWith(ctx, []string{"user", "add", "--email", f.email, "--role", "editor", "-db", db},
		strings.NewReader("synthetic password for tests\n"), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := runWith(ctx, []string{"import", f.csv, "--email", f.email, "-db", db}, strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	ups, _ := filepath.Glob(filepath.Join(dir, "uploads", "*", "stage.db"))
	if len(ups) != 1 {
		t.Fatalf("the import left %d staged uploads, want 1", len(ups))
	}
	c, err = startCommand("backup", "-db", db, filepath.Join(dir, "backups", "b.db"))
	if err != nil {
		t.Fatal(err)
	}
	<-c.done
	if c.err != nil {
		t.Fatalf("backup: %v\n%s", c.err, c.stderr.String())
	}
	err = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		want := os.FileMode(0o600)
		if fi.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s is %v, want %v", strings.TrimPrefix(p, dir), fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
