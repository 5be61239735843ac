package ingest_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// BenchmarkProfileLargeFile checks a 50 MB publisher file read with its
// profile: the WHO city sheet as published, its data lines repeated 12
// times (the same places and years: a profile that keeps repeats keeps
// them all). It reports the rate, the peak heap (bounded: the file is
// streamed, only the places skipped and the keys seen are kept) and the
// progress steps a browser polling the check saw, against the real
// 4 MB file in the same run.
func BenchmarkProfileLargeFile(b *testing.B) {
	src, err := os.ReadFile(filepath.Join("..", "data", "raw", "who", "who_aap_2022_v9_city.csv"))
	if err != nil {
		b.Skip(err)
	}
	head, body, _ := strings.Cut(string(src), "\n")
	dir := b.TempDir()
	big := filepath.Join(dir, "who_50mb.csv")
	f, err := os.Create(big)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(head + "\n")
	for i := 0; i < 12; i++ {
		w.WriteString(body)
	}
	w.Flush()
	f.Close()
	st, _ := os.Stat(big)
	small := filepath.Join("..", "data", "raw", "who", "who_aap_2022_v9_city.csv")

	app := testapp.New(b, testapp.Options{Limits: ingest.Limits{MaxBytes: 64 << 20, MaxRows: 1_000_000, MaxLineBytes: 64 << 10}})
	ctx := context.Background()
	user := staffUser(b, app)
	run := func(path string) (secs float64, peak uint64, steps int, p *ingest.Pending) {
		runtime.GC()
		t0 := time.Now()
		peak = peakHeap(func() {
			fh, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			p, err = app.Uploads.Receive(ctx, fh, filepath.Base(path), user)
			fh.Close()
			if err != nil {
				b.Fatal(err)
			}
			app.Uploads.CheckAsync(p.Key)
			last := -1
			for {
				pv, err := app.Uploads.ProgressOf(p.Key)
				if err != nil {
					b.Fatal(err)
				}
				if pv.Percent != last {
					steps++
					last = pv.Percent
				}
				if pv.Done {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			app.Uploads.Wait()
		})
		secs = time.Since(t0).Seconds()
		if p, err = app.Uploads.Pending(p.Key); err != nil || p.FileError != nil || p.State != ingest.StateReady {
			b.Fatalf("check: %+v %v", p, err)
		}
		app.Uploads.Discard(p.Key)
		return
	}
	var bigSecs, smallSecs float64
	var bigPeak, smallPeak uint64
	var steps int
	var lines int
	for n := 0; n < b.N; n++ {
		s, pk, _, _ := run(small)
		smallSecs += s
		smallPeak = max(smallPeak, pk)
		s, pk, st, p := run(big)
		bigSecs += s
		bigPeak = max(bigPeak, pk)
		steps = st
		lines = p.Counts.Lines
	}
	b.ReportMetric(float64(st.Size())/(1<<20), "file-MB")
	b.ReportMetric(float64(lines*b.N)/bigSecs, "lines/s")
	b.ReportMetric(float64(bigPeak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(smallPeak)/(1<<20), "peak-heap-4MB-file-MB")
	b.ReportMetric((bigSecs/12)/smallSecs, "time-per-MB-vs-4MB-file")
	b.ReportMetric(float64(steps), "progress-steps")
}
