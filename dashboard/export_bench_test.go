package dashboard_test

import (
	"bufio"
	"context"
	"fmt"
	"github.com/twinmetrics/twinmetrics/ingest"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/dashboard"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
	tm "github.com/twinmetrics/twinmetrics/metrics"
	"github.com/twinmetrics/twinmetrics/templates"
)

// The size of the synthetic database the export benchmark streams:
// 500 areas × 100 indicators × 20 years = 1,000,000 observations. The
// names are made up ("bench-city-001"); nothing here describes a real
// place.
const (
	benchAreas      = 500
	benchIndicators = 100
	benchYears      = 20
	benchSources    = 5
)

type benchFixture struct {
	db      *tm.DB
	handler http.Handler
	rows    int
	fill    time.Duration
	dir     string
}

var (
	benchOnce sync.Once
	bench     *benchFixture
	benchErr  error
)

// TestMain removes the benchmark's database, which is shared by the
// benchmark's runs because filling it takes seconds.
func TestMain(m *testing.M) {
	code := m.Run()
	if bench != nil {
		bench.db.Close()
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// benchDB fills a fresh database with the synthetic catalogue and the
// million observations, in one transaction through one prepared
// statement.
func benchDB(b *testing.B) *benchFixture {
	b.Helper()
	benchOnce.Do(func() { bench, benchErr = fillBenchDB() })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return bench
}

func fillBenchDB() (*benchFixture, error) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "twinmetrics-bench-")
	if err != nil {
		return nil, err
	}
	db, err := tm.Open(ctx, filepath.Join(dir, "bench.db"))
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	start := time.Now()
	tx, err := db.W.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	exec := func(q string, args ...any) {
		if err == nil {
			_, err = tx.ExecContext(ctx, q, args...)
		}
	}
	for s := 1; s <= benchSources; s++ {
		exec(`INSERT INTO sources (id, code, title, publisher, url, vintage, licence, licence_url, citation, redistribution)
			VALUES (?, ?, ?, 'Bench Publisher', 'https://example.org/bench', '2020', 'CC BY 4.0', 'https://creativecommons.org/licenses/by/4.0/', ?, 'permitted')`,
			s, fmt.Sprintf("bench-source-%d", s), fmt.Sprintf("Synthetic benchmark source %d", s),
			fmt.Sprintf("Bench Publisher (2020). Synthetic benchmark dataset number %d, made up for performance tests, https://example.org/bench/%d.", s, s))
	}
	for a := 1; a <= benchAreas; a++ {
		exec(`INSERT INTO areas (id, slug, name, country_iso3, kind) VALUES (?, ?, ?, 'ZZZ', 'city')`,
			a, fmt.Sprintf("bench-city-%03d", a), fmt.Sprintf("Bench City %03d", a))
	}
	for i := 1; i <= benchIndicators; i++ {
		exec(`INSERT INTO indicators (id, code, theme, unit, direction, name_en, sort_order) VALUES (?, ?, ?, 'percent', 'neutral', ?, ?)`,
			i, fmt.Sprintf("bench_indicator_%03d", i), tm.Themes[i%len(tm.Themes)], fmt.Sprintf("Bench indicator %03d", i), i)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	exec(`INSERT INTO uploads (id, kind, file_name, sha256, format, uploaded_by, created_at, published_at, status)
		VALUES (1, 'file', 'bench.csv', 'bench', 'csv', 'bench', ?, ?, 'published')`, now, now)
	if err != nil {
		return nil, err
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO observations (area_id, indicator_id, year, value, source_id, flags, note, upload_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1)`)
	if err != nil {
		return nil, err
	}
	n := 0
	for a := 1; a <= benchAreas; a++ {
		for i := 1; i <= benchIndicators; i++ {
			for y := 0; y < benchYears; y++ {
				flags, note := "", ""
				if n%10 == 0 {
					flags = "estimated"
				}
				if n%50 == 0 {
					note = "Synthetic note, with a comma"
				}
				v := float64((a*7919+i*104729+y*1299709)%100000) / 100
				if _, err := stmt.ExecContext(ctx, a, i, 2001+y, v, 1+(a+i)%benchSources, flags, note); err != nil {
					return nil, err
				}
				n++
			}
		}
	}
	stmt.Close()
	exec(`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'`)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	fill := time.Since(start)
	store, err := tm.NewStore(ctx, db)
	if err != nil {
		return nil, err
	}
	up, err := ingest.NewUploader(store, filepath.Join(dir, "uploads"), ingest.DefaultLimits, nil)
	if err != nil {
		return nil, err
	}
	h, err := dashboard.New(dashboard.Config{Store: store, Uploads: up, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Templates: templates.Files, Assets: dashboard.AssetsFS()})
	if err != nil {
		return nil, err
	}
	return &benchFixture{db: db, handler: h, rows: n, fill: fill, dir: dir}, nil
}

// discardResponse is a ResponseWriter that counts what it is sent and
// keeps nothing, like a client reading a download as fast as it comes.
type discardResponse struct {
	hdr     http.Header
	status  int
	bytes   int64
	lines   int64
	flushes int
}

func (d *discardResponse) Header() http.Header { return d.hdr }
func (d *discardResponse) WriteHeader(code int) {
	if d.status == 0 {
		d.status = code
	}
}
func (d *discardResponse) Write(p []byte) (int, error) {
	if d.status == 0 {
		d.status = 200
	}
	d.bytes += int64(len(p))
	for _, c := range p {
		if c == '\n' {
			d.lines++
		}
	}
	return len(p), nil
}
func (d *discardResponse) Flush() { d.flushes++ }

// plainScan reads every current observation with a plain SELECT and
// writes its columns as text to io.Discard: the floor an export can
// approach.
func plainScan(db *tm.DB) (int, error) {
	rows, err := db.R.Query(`SELECT id, area_id, indicator_id, year, value, value_as_given, unit_as_given, source_id, flags, note
		FROM observations WHERE retired_by IS NULL ORDER BY id`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	w := bufio.NewWriterSize(io.Discard, 64<<10)
	var (
		id, area, ind, year, src int64
		value                    float64
		vag, uag, flags, note    string
		buf                      []byte
		n                        int
	)
	for rows.Next() {
		if err := rows.Scan(&id, &area, &ind, &year, &value, &vag, &uag, &src, &flags, &note); err != nil {
			return n, err
		}
		buf = strconv.AppendInt(buf[:0], id, 10)
		buf = strconv.AppendInt(append(buf, ','), area, 10)
		buf = strconv.AppendInt(append(buf, ','), ind, 10)
		buf = strconv.AppendInt(append(buf, ','), year, 10)
		buf = strconv.AppendFloat(append(buf, ','), value, 'f', -1, 64)
		buf = append(append(buf, ','), vag...)
		buf = append(append(buf, ','), uag...)
		buf = strconv.AppendInt(append(buf, ','), src, 10)
		buf = append(append(buf, ','), flags...)
		buf = append(append(buf, ','), note...)
		buf = append(buf, '\n')
		w.Write(buf)
		n++
	}
	return n, w.Flush()
}

// memPeak samples the Go runtime's memory while f runs, without
// stopping the world: the peak of live heap objects and of all memory
// the runtime holds from the OS. peakRSS is the process's resident
// high-water mark during f (SQLite's own memory included), where the
// kernel lets the mark be reset.
func memPeak(f func()) (heap, total, rss uint64) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}}
	runtime.GC()
	debug.FreeOSMemory()
	resetRSS := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(samples)
			heap = max(heap, samples[0].Value.Uint64())
			total = max(total, samples[1].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(done)
	wg.Wait()
	if resetRSS {
		rss = procStatus("VmHWM") << 10
	}
	return heap, total, rss
}

// BenchmarkCSVExport1M streams the full CSV export of a million
// observations through the HTTP handler and, in the same run, a plain
// SELECT of the same rows to io.Discard, and reports both rates, their
// ratio and the memory peaks while exporting. Run it with
//
//	go test -run '^$' -bench CSVExport1M -benchtime 5x ./dashboard/
func BenchmarkCSVExport1M(b *testing.B) {
	fx := benchDB(b)
	// The machine is shared, so each rate is taken from its fastest run:
	// the one least disturbed by other work.
	var scanBest, csvBest time.Duration
	var peakHeap, peakTotal, peakRSS uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		n, err := plainScan(fx.db)
		if err != nil {
			b.Fatal(err)
		}
		if d := time.Since(start); scanBest == 0 || d < scanBest {
			scanBest = d
		}
		if n != fx.rows {
			b.Fatalf("scan read %d rows, want %d", n, fx.rows)
		}

		rec := &discardResponse{hdr: http.Header{}}
		req := httptest.NewRequest(http.MethodGet, "/data/download?format=csv", nil)
		var elapsed time.Duration
		heap, total, rss := memPeak(func() {
			start := time.Now()
			fx.handler.ServeHTTP(rec, req)
			elapsed = time.Since(start)
		})
		if rec.status != http.StatusOK || rec.lines != int64(fx.rows)+1 {
			b.Fatalf("export: status %d, %d lines, want %d", rec.status, rec.lines, fx.rows+1)
		}
		if csvBest == 0 || elapsed < csvBest {
			csvBest = elapsed
		}
		peakHeap, peakTotal, peakRSS = max(peakHeap, heap), max(peakTotal, total), max(peakRSS, rss)
		b.SetBytes(rec.bytes)
	}
	scanRate := float64(fx.rows) / scanBest.Seconds()
	csvRate := float64(fx.rows) / csvBest.Seconds()
	b.ReportMetric(scanRate, "scan-rows/s")
	b.ReportMetric(csvRate, "csv-rows/s")
	b.ReportMetric(csvRate/scanRate, "csv/scan")
	b.ReportMetric(float64(peakHeap)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(peakTotal)/(1<<20), "peak-go-MB")
	if peakRSS > 0 {
		b.ReportMetric(float64(peakRSS)/(1<<20), "peak-rss-MB")
	}
	b.ReportMetric(fx.fill.Seconds(), "fill-s")
	// The same export in a fresh process that does nothing else: its
	// resident high-water mark is the server's peak memory, all in.
	cmd := exec.Command(os.Args[0], "-test.run=^TestExportInSubprocess$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "TWINMETRICS_BENCH_DB="+filepath.Join(fx.dir, "bench.db"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		b.Fatalf("subprocess: %v\n%s", err, out)
	}
	m := subprocessRe.FindSubmatch(out)
	if m == nil {
		b.Fatalf("subprocess said %s", out)
	}
	hwm, _ := strconv.ParseFloat(string(m[1]), 64)
	base, _ := strconv.ParseFloat(string(m[2]), 64)
	b.ReportMetric(hwm/1024, "server-peak-rss-MB")
	b.ReportMetric(base/1024, "server-idle-rss-MB")
}

var subprocessRe = regexp.MustCompile(`vmhwm-kB=(\d+) idle-rss-kB=(\d+) rows=\d+`)

// procStatus reads a kB figure from /proc/self/status.
func procStatus(field string) uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb
		}
	}
	return 0
}

// TestExportInSubprocess is the server side of BenchmarkCSVExport1M's
// memory measurement: it runs only when the benchmark starts it.
func TestExportInSubprocess(t *testing.T) {
	path := os.Getenv("TWINMETRICS_BENCH_DB")
	if path == "" {
		t.Skip("started by BenchmarkCSVExport1M only")
	}
	ctx := context.Background()
	db, err := tm.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	store, err := tm.NewStore(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	up, err := ingest.NewUploader(store, filepath.Join(t.TempDir(), "uploads"), ingest.DefaultLimits, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := dashboard.New(dashboard.Config{Store: store, Uploads: up, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Templates: templates.Files, Assets: dashboard.AssetsFS()})
	if err != nil {
		t.Fatal(err)
	}
	idle := procStatus("VmRSS")
	rec := &discardResponse{hdr: http.Header{}}
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/data/download?format=csv", nil))
	if rec.status != http.StatusOK {
		t.Fatalf("status %d", rec.status)
	}
	fmt.Printf("vmhwm-kB=%d idle-rss-kB=%d rows=%d\n", procStatus("VmHWM"), idle, rec.lines-1)
}

// BenchmarkCompressedDownload measures what the gzip cache saves: the
// full CSV of the real seed sent plain, gzipped from the cache (the same
// data version and URL asked again), and gzipped afresh (the data
// version bumped before every request, so nothing is cached).
//
//	go test -run '^$' -bench CompressedDownload ./dashboard/
func BenchmarkCompressedDownload(b *testing.B) {
	app := testapp.New(b, testapp.Options{})
	const url = "/data/download?format=csv"
	run := func(b *testing.B, gzip, bump bool) {
		var bytes int64
		for i := 0; i < b.N; i++ {
			if bump {
				b.StopTimer()
				if _, err := app.DB.W.Exec(`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'`); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			req := httptest.NewRequest(http.MethodGet, url, nil)
			if gzip {
				req.Header.Set("Accept-Encoding", "gzip")
			}
			rec := &discardResponse{hdr: http.Header{}}
			app.Handler.ServeHTTP(rec, req)
			if rec.status != http.StatusOK {
				b.Fatalf("status %d", rec.status)
			}
			bytes = rec.bytes
		}
		b.ReportMetric(float64(bytes), "bytes-sent")
	}
	b.Run("plain", func(b *testing.B) { run(b, false, false) })
	b.Run("gzip-cached", func(b *testing.B) { run(b, true, false) })
	b.Run("gzip-fresh", func(b *testing.B) { run(b, true, true) })
}
