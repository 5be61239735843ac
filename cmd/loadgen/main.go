// Command loadgen sends a bounded load to a twinmetrics server on this
// machine and reports throughput and latency per endpoint, each beside a
// baseline endpoint of the same server measured in the same run.
//
//	loadgen -base http://127.0.0.1:18080 -c 64 -d 10s /healthz /pairs/hanoi-milan /vi/pairs/hanoi-milan
//	loadgen -encoding identity … (as curl and many bots: no Accept-Encoding)
//
// The first path is the baseline. Only loopback addresses are accepted:
// load is never sent to another machine. Each run stops after its
// duration or its request budget, whichever comes first.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

type result struct {
	path      string
	requests  int64
	failures  int64
	bytes     int64
	elapsed   time.Duration
	latencies []time.Duration
}

func (r *result) rps() float64 { return float64(r.requests) / r.elapsed.Seconds() }

func (r *result) percentile(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	sort.Slice(r.latencies, func(i, j int) bool { return r.latencies[i] < r.latencies[j] })
	return r.latencies[int(float64(len(r.latencies)-1)*p)]
}

func loopback(base string) error {
	u, err := url.Parse(base)
	if err != nil {
		return err
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%s is not a loopback address: load goes to this machine only", host)
	}
	return nil
}

// acceptEncoding is what each request sends as Accept-Encoding ("":
// nothing, as an identity client).
var acceptEncoding = "gzip"

func run(ctx context.Context, client *http.Client, base, path string, conc int, d time.Duration, budget int64) *result {
	r := runMixed(ctx, client, base, []string{path}, conc, d, budget)
	r.path = path
	return r
}

// runMixed sends requests over all paths in turn, each worker starting at
// its own place in the list.
func runMixed(ctx context.Context, client *http.Client, base string, paths []string, conc int, d time.Duration, budget int64) *result {
	res := &result{path: "mixed"}
	var mu sync.Mutex
	var sent atomic.Int64
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			var local []time.Duration
			for i := w; ctx.Err() == nil && sent.Add(1) <= budget; i++ {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+paths[i%len(paths)], nil)
				if acceptEncoding != "" {
					req.Header.Set("Accept-Encoding", acceptEncoding)
				}
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						atomic.AddInt64(&res.failures, 1)
						fmt.Fprintln(os.Stderr, "loadgen:", err)
					}
					continue
				}
				n, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				atomic.AddInt64(&res.bytes, n)
				if resp.StatusCode != http.StatusOK {
					atomic.AddInt64(&res.failures, 1)
					fmt.Fprintln(os.Stderr, "loadgen:", req.URL.Path, resp.Status)
				}
				local = append(local, time.Since(t0))
				atomic.AddInt64(&res.requests, 1)
			}
			mu.Lock()
			res.latencies = append(res.latencies, local...)
			mu.Unlock()
		}(w)
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// newTransport keeps a connection per worker and reads with a 64 KiB
// buffer (as curl and browsers read), so that the generator's own reads
// of a large page cost less of the cores it shares with the server.
func newTransport(conc int) *http.Transport {
	return &http.Transport{MaxIdleConns: conc * 2, MaxIdleConnsPerHost: conc * 2, DisableCompression: true,
		ReadBufferSize: 64 << 10}
}

func main() {
	base := flag.String("base", "http://127.0.0.1:18080", "server address (loopback only)")
	conc := flag.Int("c", 64, "concurrent connections")
	dur := flag.Duration("d", 10*time.Second, "duration per endpoint (at most 2m)")
	budget := flag.Int64("n", 2_000_000, "request budget per endpoint")
	warm := flag.Duration("warm", time.Second, "warm-up per endpoint, not counted")
	mixed := flag.Bool("mixed", false, "one run of duration -d over all paths in turn (no baseline), e.g. while data is published")
	enc := flag.String("encoding", "gzip", "Accept-Encoding to send: gzip, br, or identity (no header)")
	flag.Parse()
	switch *enc {
	case "identity":
		acceptEncoding = ""
	case "gzip", "br":
		acceptEncoding = *enc
	default:
		fmt.Fprintln(os.Stderr, "loadgen: -encoding must be gzip, br or identity")
		os.Exit(2)
	}
	paths := flag.Args()
	if *mixed && len(paths) > 0 {
		if err := loopback(*base); err != nil {
			fmt.Fprintln(os.Stderr, "loadgen:", err)
			os.Exit(2)
		}
		if *dur > 5*time.Minute {
			*dur = 5 * time.Minute
		}
		tr := newTransport(*conc)
		r := runMixed(context.Background(), &http.Client{Transport: tr, Timeout: 30 * time.Second}, *base, paths, *conc, *dur, *budget)
		fmt.Printf("mixed run over %d paths: %d requests in %s (%.0f/s), p50 %s, p99 %s, %d failed\n", len(paths), r.requests,
			r.elapsed.Round(time.Millisecond), r.rps(), r.percentile(.5).Round(time.Microsecond), r.percentile(.99).Round(time.Microsecond), r.failures)
		if r.failures > 0 {
			os.Exit(1)
		}
		return
	}
	if len(paths) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loadgen [flags] BASELINE_PATH PATH...")
		os.Exit(2)
	}
	if err := loopback(*base); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	if *dur > 2*time.Minute {
		*dur = 2 * time.Minute
	}
	tr := newTransport(*conc)
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx := context.Background()
	var baseline *result
	fmt.Printf("Accept-Encoding: %q\n", acceptEncoding)
	fmt.Printf("%-34s %10s %9s %9s %9s %8s %9s\n", "endpoint", "req/s", "p50", "p99", "failures", "KB/req", "vs base")
	for i, p := range paths {
		run(ctx, client, *base, p, *conc, *warm, *budget)
		r := run(ctx, client, *base, p, *conc, *dur, *budget)
		if i == 0 {
			baseline = r
		}
		kb := 0.0
		if r.requests > 0 {
			kb = float64(r.bytes) / float64(r.requests) / 1024
		}
		fmt.Printf("%-34s %10.0f %9s %9s %9d %8.1f %8.0f%%\n", p, r.rps(), r.percentile(.5).Round(time.Microsecond),
			r.percentile(.99).Round(time.Microsecond), r.failures, kb, 100*r.rps()/baseline.rps())
	}
}
