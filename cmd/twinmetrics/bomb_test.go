//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/internal/testfiles"
)

// procKB reads a figure in kB (VmRSS, VmHWM) from /proc/PID/status.
func procKB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// dirBytes is the size of the files under dir.
func dirBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// rssLimitMB is the most the server may hold resident while it checks
// bombs or sign-ins. The race detector multiplies the memory of code
// that does work (its shadow memory: argon2's 19 MiB become several
// times that), so under it sign-ins are allowed raceMemoryFactor times
// as much.
const rssLimitMB = 150

// TestXLSXBombsBounded: the attack's workbooks — a valid workbook plus
// a 1,000 MiB part of zeros, and one with the zeros as its data sheet,
// about a megabyte each — sent three of each at once to the API of the
// running server. Each is refused as too large (413) without being
// inflated: the server's resident set stays under 150 MB (it went to
// 3 GB) and nothing is written to the temporary folder (1 GB was).
func TestXLSXBombsBounded(t *testing.T) {
	f := fixture(t)
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	if err := copyDB(f.template, db); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := runWith(ctx, []string{"token", "create", "--email", f.email, "-db", db}, strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(out.String())
	tmp := filepath.Join(dir, "tmp")
	os.Mkdir(tmp, 0o700)
	t.Setenv("TMPDIR", tmp)
	s := startServer(t, db)
	pid := s.cmd.Process.Pid
	startRSS := procKB(t, pid, "VmRSS")

	wb := testfiles.Workbook(t, []any{"Hà Nội", "pm25_annual_mean", 2025, 40.1, "ug/m3", "who_aaq_2022_v2022"})
	bombs := map[string][]byte{
		"zeros beside the sheet": testfiles.Bomb(t, wb, "xl/media/zeros.bin", 1000),
		"zeros as the sheet":     testfiles.Bomb(t, wb, "xl/worksheets/sheet1.xml", 1000),
	}
	var mostTmp atomic.Int64
	stop := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for {
			mostTmp.Store(max(mostTmp.Load(), dirBytes(tmp)))
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	var wg sync.WaitGroup
	for name, b := range bombs {
		t.Logf("%s: %d KB declaring 1000 MiB", name, len(b)>>10)
		for i := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var body bytes.Buffer
				mw := multipart.NewWriter(&body)
				fw, _ := mw.CreateFormFile("file", fmt.Sprintf("bomb-%d.xlsx", i))
				fw.Write(b)
				mw.Close()
				req, _ := http.NewRequest(http.MethodPost, s.url+"/api/v1/uploads", &body)
				req.Header.Set("Content-Type", mw.FormDataContentType())
				req.Header.Set("Authorization", "Bearer "+token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				defer resp.Body.Close()
				var res struct {
					FileError struct{ Code, Message string } `json:"file_error"`
				}
				json.NewDecoder(resp.Body).Decode(&res)
				if resp.StatusCode != http.StatusRequestEntityTooLarge || res.FileError.Code != "too_large" {
					t.Errorf("%s: %d %+v, want 413 too_large", name, resp.StatusCode, res.FileError)
				}
			}()
		}
	}
	wg.Wait()
	close(stop)
	<-polled
	peak := procKB(t, pid, "VmHWM")
	// Under 150 MB (the race detector's shadow memory of the start-up,
	// which reads the publishers' workbooks for the seed, already takes
	// about 130 MB: under it the limit is raceMemoryFactor times), and
	// in any build the bombs add less than 64 MB to what the server
	// held at start: one inflated bomb would add 1,000 MiB.
	limit := int64(rssLimitMB * raceMemoryFactor)
	t.Logf("server resident set: %d MB at start, %d MB at most while checking 6 bombs at once (limit %d MB); temporary folder: %d bytes at most",
		startRSS>>10, peak>>10, limit, mostTmp.Load())
	if peak>>10 >= limit {
		t.Errorf("the server's resident set reached %d MB checking the bombs, want under %d MB", peak>>10, limit)
	}
	if grew := (peak - startRSS) >> 10; grew >= 64 {
		t.Errorf("checking the bombs grew the server's resident set by %d MB (%d → %d MB), want under 64 MB", grew, startRSS>>10, peak>>10)
	}
	if n := mostTmp.Load(); n > 1<<20 {
		t.Errorf("checking the bombs wrote %d bytes to the temporary folder", n)
	}
	s.stop(t)
	s.waitExit(t, db)
}

// TestParallelSignInsBounded: 100 wrong passwords for one account sent
// at once to the running server (the attack ran 37 argon2 checks for
// them and went from 42 to 413 MB). At most three are checked (each
// check answers 401, a throttled attempt 429) and the server's resident
// set stays small.
func TestParallelSignInsBounded(t *testing.T) {
	f := fixture(t)
	db := filepath.Join(t.TempDir(), "t.db")
	if err := copyDB(f.template, db); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, db)
	pid := s.cmd.Process.Pid
	startRSS := procKB(t, pid, "VmRSS")
	token := strings.Repeat("t", 43)
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	start := time.Now()
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			form := "email=" + f.email + "&password=guess" + strconv.Itoa(i) + "&csrf=" + token
			req, _ := http.NewRequest(http.MethodPost, s.url+"/login", strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: "tm_login_csrf", Value: token})
			resp, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	took := time.Since(start)
	peak := procKB(t, pid, "VmHWM")
	t.Logf("100 parallel wrong passwords in %v: %d checked (401), %d throttled (429); resident set %d MB at start, %d MB at most",
		took.Round(time.Millisecond), codes[http.StatusUnauthorized], codes[http.StatusTooManyRequests], startRSS>>10, peak>>10)
	// Three at once; after them the throttle lets one more through 1 s
	// after the last, then 2 s, 4 s… (a slow machine, or the race
	// detector, can stretch 100 requests over seconds).
	allowed := 3
	for wait, total := time.Second, time.Second; total <= took; wait, total = wait*2, total+wait*2 {
		allowed++
	}
	if codes[http.StatusUnauthorized] > allowed || codes[http.StatusUnauthorized]+codes[http.StatusTooManyRequests] != 100 {
		t.Errorf("answers %v in %v, want at most %d checked (401) and the rest throttled (429)", codes, took, allowed)
	}
	if limit := int64(rssLimitMB * raceMemoryFactor); peak>>10 >= limit {
		t.Errorf("the server's resident set reached %d MB, want under %d MB", peak>>10, limit)
	}
	s.stop(t)
	s.waitExit(t, db)
}
