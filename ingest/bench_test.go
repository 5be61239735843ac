package ingest_test

import (
	"bufio"
	"context"
	"fmt"
	"github.com/twinmetrics/twinmetrics/ingest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// benchRows is the size of the benchmark's upload: a million rows.
const benchRows = 1_000_000

const (
	benchAreas = 1000
	benchInds  = 10
	benchYears = benchRows / benchAreas / benchInds // 100
)

// benchDB makes a fresh migrated database with a synthetic catalogue:
// areas bench-0000…, indicators bench_ind_0…, one source. Nothing in it
// is about a real city.
func benchDB(b *testing.B, dir string) (*metrics.DB, *metrics.Store, metrics.User) {
	b.Helper()
	ctx := context.Background()
	db, err := metrics.Open(ctx, filepath.Join(dir, "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	tx := db.W.MustBegin()
	for i := range benchAreas {
		tx.MustExec(`INSERT INTO areas (slug, name, country_iso3, kind) VALUES (?, ?, 'XXX', 'city')`, fmt.Sprintf("bench-%04d", i), fmt.Sprintf("Bench city %04d", i))
	}
	for i := range benchInds {
		unit := "gj"
		if i%2 == 1 {
			unit = "mwh"
		}
		tx.MustExec(`INSERT INTO indicators (code, theme, unit, direction, name_en) VALUES (?, 'energy', ?, 'neutral', ?)`, fmt.Sprintf("bench_ind_%d", i), unit, fmt.Sprintf("Bench indicator %d", i))
	}
	tx.MustExec(`INSERT INTO sources (code, title) VALUES ('bench_source', 'Synthetic benchmark source')`)
	tx.MustExec(`INSERT INTO flags (code, name_en) VALUES ('estimated', 'Estimated')`)
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	store, err := metrics.NewStore(ctx, db)
	if err != nil {
		b.Fatal(err)
	}
	u, err := store.AddUser(ctx, "bench@example.org", metrics.RoleEditor, "a long enough password", time.Now())
	if err != nil {
		b.Fatal(err)
	}
	return db, store, u
}

type benchRow struct {
	area, ind, year int
	value           float64
}

func benchValue(i int) float64 { return float64(i%9973)/7 + 1 }

// writeBenchCSV writes the million-row template CSV; every row is valid
// and new. Odd indicators are given in GWh and converted to MWh.
func writeBenchCSV(b *testing.B, path string) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	w.WriteString("city,indicator,year,value,unit,source,flags,note\n")
	i := 0
	for a := range benchAreas {
		for ind := range benchInds {
			unit := "GJ"
			if ind%2 == 1 {
				unit = "GWh"
			}
			for y := range benchYears {
				fmt.Fprintf(w, "bench-%04d,bench_ind_%d,%d,%s,%s,bench_source,estimated,synthetic\n", a, ind, 1920+y, strconv.FormatFloat(benchValue(i), 'f', -1, 64), unit)
				i++
			}
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
}

// plainInsert is the yardstick: the same rows, already resolved to ids
// and canonical values, inserted by one prepared statement in one
// transaction into the same table.
func plainInsert(b *testing.B, db *metrics.DB, rows []benchRow) {
	b.Helper()
	ctx := context.Background()
	tx := db.W.MustBegin()
	r := tx.MustExec(`INSERT INTO uploads (kind, file_name, sha256, format, uploaded_by, created_at, status) VALUES ('file', 'bench.csv', '', 'csv', 'bench', '', 'published')`)
	up, err := r.LastInsertId()
	if err != nil {
		b.Fatal(err)
	}
	stmt, err := tx.PreparexContext(ctx, `INSERT INTO observations
		(area_id, indicator_id, year, value, value_as_given, unit_as_given, source_id, flags, flags_as_given, note, locator, upload_id)
		VALUES (?, ?, ?, ?, ?, ?, 1, 'estimated', 'estimated', 'synthetic', '', ?)`)
	if err != nil {
		b.Fatal(err)
	}
	for _, row := range rows {
		if _, err := stmt.ExecContext(ctx, row.area, row.ind, row.year, row.value, "", "", up); err != nil {
			b.Fatal(err)
		}
	}
	stmt.Close()
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}

// peakHeap samples the heap while fn runs.
func peakHeap(fn func()) uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(done)
	return peak.Load()
}

// BenchmarkUploadMillionRows checks and publishes a 1,000,000-row
// template CSV end to end (receive, parse, validate every rule, stage
// the preview on disk, publish in one transaction with the derived
// values and data version) and, in the same run, inserts the same rows
// with a plain prepared statement. It reports both rates, their ratio
// and the peak heap of the upload path.
func BenchmarkUploadMillionRows(b *testing.B) {
	dir := b.TempDir()
	csvPath := filepath.Join(dir, "million.csv")
	writeBenchCSV(b, csvPath)
	rows := make([]benchRow, 0, benchRows)
	i := 0
	for a := range benchAreas {
		for ind := range benchInds {
			for y := range benchYears {
				v := benchValue(i)
				if ind%2 == 1 {
					v *= 1000 // GWh → MWh
				}
				rows = append(rows, benchRow{area: a + 1, ind: ind + 1, year: 1950 + y, value: v})
				i++
			}
		}
	}
	ctx := context.Background()
	var plainSecs, uploadSecs, checkSecs float64
	var peak uint64
	for n := 0; n < b.N; n++ {
		b.StopTimer()
		d1 := filepath.Join(dir, fmt.Sprintf("plain%d", n))
		os.Mkdir(d1, 0o755)
		db1, st1, _ := benchDB(b, d1)
		b.StartTimer()
		t0 := time.Now()
		plainInsert(b, db1, rows)
		plainSecs += time.Since(t0).Seconds()
		b.StopTimer()
		st1.Close()
		db1.Close()

		d2 := filepath.Join(dir, fmt.Sprintf("upload%d", n))
		os.Mkdir(d2, 0o755)
		db2, st2, user := benchDB(b, d2)
		lim := ingest.DefaultLimits
		lim.MaxBytes = 1 << 30
		up, err := ingest.NewUploader(st2, filepath.Join(d2, "uploads"), lim, nil)
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		b.StartTimer()
		t0 = time.Now()
		peak = max(peak, peakHeap(func() {
			f, err := os.Open(csvPath)
			if err != nil {
				b.Fatal(err)
			}
			p, err := up.Receive(ctx, f, "million.csv", user)
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
			if p, err = up.Check(ctx, p.Key); err != nil {
				b.Fatal(err)
			}
			if p.FileError != nil || p.Counts.New != benchRows {
				b.Fatalf("check: %+v %+v", p.FileError, p.Counts)
			}
			checkSecs += time.Since(t0).Seconds()
			if _, err := up.Publish(ctx, p.Key, user, ingest.PublishOptions{}); err != nil {
				b.Fatal(err)
			}
		}))
		uploadSecs += time.Since(t0).Seconds()
		b.StopTimer()
		var count int
		if err := db2.R.Get(&count, `SELECT COUNT(*) FROM observations WHERE retired_by IS NULL`); err != nil || count != benchRows {
			b.Fatalf("published %d rows, want %d (%v)", count, benchRows, err)
		}
		st2.Close()
		db2.Close()
		b.StartTimer()
	}
	plainRate := float64(benchRows*b.N) / plainSecs
	uploadRate := float64(benchRows*b.N) / uploadSecs
	b.ReportMetric(plainRate, "plain-rows/s")
	b.ReportMetric(uploadRate, "upload-rows/s")
	b.ReportMetric(float64(benchRows*b.N)/checkSecs, "check-rows/s")
	b.ReportMetric(100*uploadRate/plainRate, "%-of-plain")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
}
