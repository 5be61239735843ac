package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/internal/synth"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// BenchmarkPublishRollback publishes a file of 10,000 changed synthetic
// values and rolls it back, timing each, in a database of synthetic
// cities: a copy of TWINMETRICS_SCALE_DB when it names one (the absolute
// path of a database `make bench-scale` keeps, e.g.
// var/bench-scale/synthetic-01150.db for 1.1M values), else 115 synthetic cities (about 110k values) loaded
// here. Its CPU profile (-cpuprofile) shows where a rollback's time
// goes; the baseline of the same run is the publication of the same
// rows.
//
//	TWINMETRICS_SCALE_DB=$PWD/var/bench-scale/synthetic-01150.db \
//	go test -run '^$' -bench PublishRollback -benchtime 3x ./ingest/
func BenchmarkPublishRollback(b *testing.B) {
	ctx := context.Background()
	store, up := scaleDB(b)
	user, err := store.AddUser(ctx, "bench-rollback@example.invalid", metrics.RoleEditor, "a long benchmark password", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	var publish, rollback, rollbackCPU time.Duration
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		file := changedValues(b, store, 10_000, 1.1+float64(i)/100)
		p, err := up.Receive(ctx, bytes.NewReader(file), "changes.csv", user)
		if err != nil {
			b.Fatal(err)
		}
		if p, err = up.Check(ctx, p.Key); err != nil || p.FileError != nil || p.Counts.Changed != 10_000 {
			b.Fatalf("check: %v %+v", err, p.Counts)
		}
		t0 := time.Now()
		id, err := up.Publish(ctx, p.Key, user, ingest.PublishOptions{ConfirmWarnings: true})
		if err != nil {
			b.Fatal(err)
		}
		publish += time.Since(t0)
		b.StartTimer()
		t0, c0 := time.Now(), cpuTime()
		if err := up.Rollback(ctx, id, user); err != nil {
			b.Fatal(err)
		}
		rollback += time.Since(t0)
		rollbackCPU += cpuTime() - c0
	}
	b.ReportMetric(publish.Seconds()/float64(b.N), "publish-s/op")
	b.ReportMetric(rollback.Seconds()/float64(b.N), "rollback-s/op")
	b.ReportMetric(rollback.Seconds()/publish.Seconds(), "rollback÷publish")
	// Processor time, which a busy machine inflates far less than the
	// clock: the process does nothing else while it rolls back.
	b.ReportMetric(rollbackCPU.Seconds()/float64(b.N), "rollback-cpu-s/op")
}

// cpuTime is the processor time the process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func scaleDB(b *testing.B) (*metrics.Store, *ingest.Uploader) {
	b.Helper()
	ctx := context.Background()
	src := os.Getenv("TWINMETRICS_SCALE_DB")
	if src == "" {
		app := testapp.New(b, testapp.Options{})
		if _, err := synth.Load(ctx, app.Store, app.Uploads, synth.Options{Cities: 115, Years: 20, LastYear: 2024, CitiesPerFile: 100, Dir: b.TempDir()}); err != nil {
			b.Fatal(err)
		}
		return app.Store, app.Uploads
	}
	dir := b.TempDir()
	path := filepath.Join(dir, "scale.db")
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	in.Close()
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
	db, err := metrics.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	store, err := metrics.NewStore(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	up, err := ingest.NewUploader(store, filepath.Join(dir, "uploads"), ingest.DefaultLimits, nil)
	if err != nil {
		b.Fatal(err)
	}
	return store, up
}

// changedValues writes n stored synthetic values again, each times
// factor, in the upload template's layout.
func changedValues(b *testing.B, store *metrics.Store, n int, factor float64) []byte {
	b.Helper()
	rows, err := store.DB().R.Query(`SELECT a.slug, i.code, o.year, o.value, i.unit
		FROM observations o JOIN areas a ON a.id = o.area_id JOIN indicators i ON i.id = o.indicator_id
		JOIN sources s ON s.id = o.source_id
		WHERE s.code = ? AND o.retired_by IS NULL AND i.unit <> 'percent'
		ORDER BY o.id LIMIT ?`, synth.SourceCode, n)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var buf bytes.Buffer
	buf.WriteString("city,indicator,year,value,unit,source,flags,note\n")
	for rows.Next() {
		var slug, code, unit string
		var year int
		var v float64
		if err := rows.Scan(&slug, &code, &year, &v, &unit); err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(&buf, "%s,%s,%d,%s,%s,%s,,synthetic value\n", slug, code, year, strconv.FormatFloat(v*factor, 'g', 6, 64), unit, synth.SourceCode)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}
