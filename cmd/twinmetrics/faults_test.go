//go:build unix

package main

// Fault tests (issue 6): the real command, killed with SIGKILL during an
// import, stopped with SIGTERM while it serves, and backed up while it
// publishes. Each database is a fresh copy of one seeded in this run; the
// upload is a template CSV over the real cities and indicators with
// obviously synthetic values, in years (1930–1979) the seed has none of,
// plus a changed value for every stored one of its indicators.
//
// The command runs as the test binary itself (see TestMain), not as a
// separate `go build`: on a cold CI cache that build would compile the
// cgo SQLite driver a second time, for a minute.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/twinmetrics/twinmetrics/ingest"
	"io"
	"math"
	"math/rand"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// asCommandEnv makes the test binary run main() instead of the tests.
const asCommandEnv = "TWINMETRICS_TEST_AS_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(asCommandEnv) == "1" {
		main()
		os.Exit(0)
	}
	code := m.Run()
	if faultFix != nil {
		os.RemoveAll(faultFix.dir)
	}
	os.Exit(code)
}

// faultFixture is what every fault test starts from, made once per run.
type faultFixture struct {
	dir      string
	template string // seeded, with the staff account, closed cleanly
	afterDB  string // the template with the upload published by a whole run
	csv      string
	email    string
	rows     int // data rows in the CSV
	changed  int // rows of them that change a stored value

	before, after dbState

	// Measured on the whole run: from start to the import's report (the
	// check), and from the report to its "Published" (the publish).
	checkTime, publishTime time.Duration
	// walSize is the largest the write-ahead log grew to in that run.
	walSize int64
}

var (
	faultOnce sync.Once
	faultFix  *faultFixture
	faultErr  error
)

func fixture(t *testing.T) *faultFixture {
	t.Helper()
	faultOnce.Do(func() { faultFix, faultErr = makeFixture() })
	if faultErr != nil {
		t.Fatal(faultErr)
	}
	return faultFix
}

// dbState sums up the observations and the change log, so that a
// database can be compared with the states before and after the upload.
type dbState struct {
	Obs         int64   `db:"obs"`
	IDSum       float64 `db:"id_sum"`
	ValueSum    float64 `db:"value_sum"`
	Retired     int64   `db:"retired"`
	RetiredSum  float64 `db:"retired_sum"`
	Derived     int64   `db:"derived"`
	WithUpload  int64   `db:"with_upload"`
	Replaced    int64   `db:"replaced"`
	DataVersion string  `db:"data_version"`
	Changes     int64   `db:"changes"`
}

const stateQuery = `SELECT COUNT(*) AS obs, TOTAL(id) AS id_sum, TOTAL(value) AS value_sum,
	COUNT(retired_by) AS retired, TOTAL(retired_by) AS retired_sum, COUNT(numerator_id) AS derived,
	COUNT(upload_id) AS with_upload,
	(SELECT COUNT(*) FROM upload_replacements) AS replaced,
	(SELECT value FROM meta WHERE key = 'data_version') AS data_version,
	(SELECT COUNT(*) FROM data_changes) AS changes
	FROM observations`

func makeFixture() (_ *faultFixture, err error) {
	dir, err := os.MkdirTemp("", "twinmetrics-faults-")
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	f := &faultFixture{dir: dir, email: "faults@example.org", template: filepath.Join(dir, "template", "t.db"), csv: filepath.Join(dir, "upload.csv")}
	ctx := context.Background()
	if err := runWith(ctx, []string{"seed", "-db", f.template}, strings.NewReader(""), io.Discard, io.Discard); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	if err := runWith(ctx, []string{"user", "add", "--email", f.email, "--role", "editor", "-db", f.template},
		strings.NewReader("synthetic password for tests\n"), io.Discard, io.Discard); err != nil {
		return nil, fmt.Errorf("user add: %w", err)
	}
	if err := f.writeCSV(ctx); err != nil {
		return nil, err
	}
	if f.before, err = readState(ctx, f.template); err != nil {
		return nil, err
	}

	// One whole run: the state after, and how long each phase takes.
	f.afterDB = filepath.Join(dir, "after", "t.db")
	if err := copyDB(f.template, f.afterDB); err != nil {
		return nil, err
	}
	start := time.Now()
	c, err := startCommand(f.importArgs(f.afterDB)...)
	if err != nil {
		return nil, err
	}
	select {
	case <-c.report:
	case <-c.done:
	}
	f.checkTime = time.Since(start)
	f.walSize = waitWAL(c, f.afterDB, 1<<62)
	select {
	case <-c.posted:
	case <-c.done:
	}
	f.publishTime = time.Since(start) - f.checkTime
	<-c.done
	if c.err != nil {
		return nil, fmt.Errorf("import: %v\n%s%s", c.err, c.out.String(), c.stderr.String())
	}
	if !strings.Contains(c.out.String(), fmt.Sprintf("%d new and %d changed", f.rows-f.changed, f.changed)) {
		return nil, fmt.Errorf("the import did not publish every row:\n%s", c.out.String())
	}
	if f.after, err = readState(ctx, f.afterDB); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *faultFixture) importArgs(db string) []string {
	return []string{"import", f.csv, "--email", f.email, "--publish", "--confirm-warnings", "-db", db}
}

// The indicators of the upload, in the unit the file gives them, with a
// source and a synthetic level for an area that has no stored value.
// ghg_total_reported and population make ghg_per_capita, so publishing
// recomputes derived values.
var faultIndicators = []struct{ code, unit, source string }{
	{"pm25_annual_mean", "µg/m3", "who_aaq_2022_v2022"},
	{"pm10_annual_mean", "µg/m3", "who_aaq_2022_v2022"},
	{"no2_annual_mean", "µg/m3", "who_aaq_2022_v2022"},
	{"ghg_total_reported", "t CO2e", "cdp_citywide_2020"},
	{"population", "persons", "un_wup_2018_f12"},
}

// writeCSV writes the upload: a new value for every area, indicator and
// year 1930–1979 (about the stored level, so that few rows warn), and a
// changed value for every stored one of the same indicators (with its
// flags, which are stored space-separated and written with semicolons).
func (f *faultFixture) writeCSV(ctx context.Context) error {
	db, err := metrics.Open(ctx, f.template)
	if err != nil {
		return err
	}
	defer db.Close()
	var areas []string
	if err := db.R.SelectContext(ctx, &areas, `SELECT slug FROM areas ORDER BY id`); err != nil {
		return err
	}
	var levels []struct {
		Area  string  `db:"area"`
		Ind   string  `db:"ind"`
		Level float64 `db:"level"`
	}
	if err := db.R.SelectContext(ctx, &levels, `SELECT a.slug AS area, i.code AS ind, AVG(o.value) AS level
		FROM observations o JOIN areas a ON a.id = o.area_id JOIN indicators i ON i.id = o.indicator_id
		WHERE o.retired_by IS NULL AND o.value > 0 GROUP BY 1, 2`); err != nil {
		return err
	}
	level := map[[2]string]float64{}
	for _, l := range levels {
		level[[2]string{l.Area, l.Ind}] = l.Level
	}
	defaults := map[string]float64{"pm25_annual_mean": 20, "pm10_annual_mean": 35, "no2_annual_mean": 25, "ghg_total_reported": 5e6, "population": 1e6}
	var stored []struct {
		Area   string  `db:"area"`
		Ind    string  `db:"ind"`
		Year   int     `db:"year"`
		Source string  `db:"source"`
		Value  float64 `db:"value"`
		Flags  string  `db:"flags"`
	}
	if err := db.R.SelectContext(ctx, &stored, `SELECT a.slug AS area, i.code AS ind, o.year, s.code AS source, MIN(o.value) AS value, MIN(o.flags) AS flags
		FROM observations o JOIN areas a ON a.id = o.area_id JOIN indicators i ON i.id = o.indicator_id JOIN sources s ON s.id = o.source_id
		WHERE o.retired_by IS NULL AND o.value IS NOT NULL AND o.year IS NOT NULL
		  AND i.code IN ('pm25_annual_mean', 'pm10_annual_mean', 'no2_annual_mean', 'ghg_total_reported', 'population')
		GROUP BY a.slug, i.code, o.year, s.code ORDER BY 1, 2, 3, 4`); err != nil {
		return err
	}
	unit := map[string]string{}
	for _, ind := range faultIndicators {
		unit[ind.code] = ind.unit
	}

	var b bytes.Buffer
	b.WriteString("city,indicator,year,value,unit,source,flags,note\n")
	rng := rand.New(rand.NewSource(6))
	for _, a := range areas {
		for _, ind := range faultIndicators {
			lv, ok := level[[2]string{a, ind.code}]
			if !ok {
				lv = defaults[ind.code]
			}
			for y := 1930; y < 1980; y++ {
				v := lv * (0.8 + 0.4*rng.Float64())
				if ind.code == "population" {
					v = float64(int64(v))
				}
				fmt.Fprintf(&b, "%s,%s,%d,%s,%s,%s,estimated,synthetic test value\n", a, ind.code, y, strconv.FormatFloat(v, 'f', 3, 64), ind.unit, ind.source)
				f.rows++
			}
		}
	}
	for _, s := range stored {
		fmt.Fprintf(&b, "%s,%s,%d,%s,%s,%s,%s,synthetic change\n", s.Area, s.Ind, s.Year, strconv.FormatFloat(s.Value*1.25+1, 'f', 3, 64), unit[s.Ind], s.Source, strings.ReplaceAll(s.Flags, " ", ";"))
		f.rows++
		f.changed++
	}
	return os.WriteFile(f.csv, b.Bytes(), 0o644)
}

func readState(ctx context.Context, path string) (dbState, error) {
	db, err := metrics.Open(ctx, path)
	if err != nil {
		return dbState{}, err
	}
	defer db.Close()
	var st dbState
	err = db.W.GetContext(ctx, &st, stateQuery)
	return st, err
}

// copyDB copies a closed database (and its write-ahead log, if any).
func copyDB(src, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(src + suffix)
		if errors.Is(err, os.ErrNotExist) && suffix != "" {
			continue
		}
		if err != nil {
			return err
		}
		if err := os.WriteFile(dst+suffix, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// command is the twinmetrics command running in a child process.
type command struct {
	cmd    *exec.Cmd
	out    *watchWriter
	stderr *watchWriter
	report <-chan struct{} // closed when the import's report is out
	posted <-chan struct{} // closed when the import says it published
	done   chan struct{}   // closed when the process has exited
	err    error           // how it exited, once done is closed
}

func startCommand(args ...string) (*command, error) {
	cmd := exec.Command(os.Args[0], args...)
	// Under -race the child would sleep a second before it exits.
	cmd.Env = append(os.Environ(), asCommandEnv+"=1", "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	out := newWatchWriter("\nRows:", "\nPublished as upload")
	c := &command{cmd: cmd, out: out, stderr: newWatchWriter(), report: out.seen[0], posted: out.seen[1], done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = c.out, c.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

// waitWAL polls the size of the database's write-ahead log until it
// reaches n bytes, the command says it published or it exits, and
// returns the largest size seen.
func waitWAL(c *command, db string, n int64) int64 {
	var most int64
	for {
		if fi, err := os.Stat(db + "-wal"); err == nil {
			most = max(most, fi.Size())
		}
		if most >= n || c.exited(0) {
			return most
		}
		select {
		case <-c.posted:
			return most
		default:
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// exited waits up to d for the process to end.
func (c *command) exited(d time.Duration) bool {
	select {
	case <-c.done:
		return true
	case <-time.After(d):
		return false
	}
}

// watchWriter keeps what a process writes and tells when each of its
// markers has appeared in it.
type watchWriter struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	markers []string
	seen    []chan struct{}
}

func newWatchWriter(markers ...string) *watchWriter {
	w := &watchWriter{markers: markers}
	for range markers {
		w.seen = append(w.seen, make(chan struct{}))
	}
	return w
}

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for i, m := range w.markers {
		if m != "" && bytes.Contains(w.buf.Bytes(), []byte(m)) {
			close(w.seen[i])
			w.markers[i] = ""
		}
	}
	return len(p), nil
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// checkDatabase opens a database as the next start would and checks it
// is whole and holds all or none of the upload; it returns "none" or
// "all" (or "" after reporting an error).
func checkDatabase(t *testing.T, f *faultFixture, path string) string {
	t.Helper()
	ctx := context.Background()
	db, err := metrics.Open(ctx, path)
	if err != nil {
		t.Errorf("%s: open: %v", path, err)
		return ""
	}
	defer db.Close()
	w := db.W
	var integrity []string
	if err := w.SelectContext(ctx, &integrity, `PRAGMA integrity_check`); err != nil || len(integrity) != 1 || integrity[0] != "ok" {
		t.Errorf("%s: integrity_check: %v %v", path, integrity, err)
		return ""
	}
	rows, err := w.QueryxContext(ctx, `PRAGMA foreign_key_check`)
	if err != nil {
		t.Errorf("%s: foreign_key_check: %v", path, err)
		return ""
	}
	var dangling []map[string]any
	for rows.Next() {
		m := map[string]any{}
		if err := rows.MapScan(m); err != nil {
			t.Error(err)
		}
		dangling = append(dangling, m)
	}
	rows.Close()
	if len(dangling) > 0 {
		t.Errorf("%s: foreign_key_check found %d rows, first %v", path, len(dangling), dangling[0])
	}
	if msg := checkUploads(ctx, w); msg != "" {
		t.Errorf("%s: %s", path, msg)
	}
	if msg := checkDerived(ctx, w); msg != "" {
		t.Errorf("%s: %s", path, msg)
	}
	var files []metrics.UploadRecord
	if err := w.SelectContext(ctx, &files, `SELECT id, kind, upload_key, file_name, sha256, format, uploaded_by, created_at, published_at, rolled_back_at,
		rolled_back_by, status, rows_new, rows_changed, rows_unchanged, rows_rejected, rows_warned, published_rejected FROM uploads WHERE kind = 'file'`); err != nil {
		t.Errorf("%s: %v", path, err)
		return ""
	}
	var st dbState
	if err := w.GetContext(ctx, &st, stateQuery); err != nil {
		t.Errorf("%s: %v", path, err)
		return ""
	}
	switch {
	case len(files) == 0 && st == f.before:
		return "none"
	case len(files) == 1 && st == f.after && files[0].Status == "published" &&
		files[0].New == f.rows-f.changed && files[0].Changed == f.changed:
		return "all"
	}
	t.Errorf("%s holds part of the upload:\nuploads %+v\nstate  %+v\nbefore %+v\nafter  %+v", path, files, st, f.before, f.after)
	return ""
}

// checkUploads: every published upload's counts match the values it
// brought and the values it retired.
func checkUploads(ctx context.Context, w *sqlx.DB) string {
	var bad []struct {
		ID      int64  `db:"id"`
		Status  string `db:"status"`
		Counted int64  `db:"counted"`
		Brought int64  `db:"brought"`
		Retired int64  `db:"retired"`
		Listed  int64  `db:"listed"`
	}
	err := w.SelectContext(ctx, &bad, `SELECT u.id, u.status, u.rows_new + u.rows_changed AS counted,
		(SELECT COUNT(*) FROM observations o WHERE o.upload_id = u.id) AS brought,
		(SELECT COUNT(*) FROM observations o WHERE o.retired_by = u.id) AS retired,
		(SELECT COUNT(*) FROM upload_replacements r WHERE r.upload_id = u.id) AS listed
		FROM uploads u WHERE u.kind = 'file' AND (u.status <> 'published' OR counted <> brought OR retired <> listed)`)
	if err != nil {
		return err.Error()
	}
	if len(bad) > 0 {
		return fmt.Sprintf("uploads whose record does not match their values: %+v", bad)
	}
	return ""
}

// checkDerived: every derived value is its current numerator over its
// current denominator, and every current numerator with a denominator
// near enough in years has exactly one.
func checkDerived(ctx context.Context, w *sqlx.DB) string {
	var wrong, missing, doubled int
	if err := w.GetContext(ctx, &wrong, `SELECT COUNT(*) FROM observations d
		JOIN indicators di ON di.id = d.indicator_id
		LEFT JOIN observations n ON n.id = d.numerator_id
		LEFT JOIN observations p ON p.id = d.denominator_id
		WHERE d.numerator_id IS NOT NULL AND (n.id IS NULL OR p.id IS NULL
		   OR n.retired_by IS NOT NULL OR p.retired_by IS NOT NULL OR d.retired_by IS NOT NULL
		   OR n.indicator_id <> di.numerator_id OR p.indicator_id <> di.denominator_id
		   OR n.area_id <> d.area_id OR p.area_id <> d.area_id OR n.year <> d.year
		   OR ABS(p.year - n.year) > ?
		   OR ABS(d.value - n.value / p.value * COALESCE(di.factor, 1)) > ? * ABS(d.value) + 1e-12)`,
		// Derived values keep their inputs' precision, at least
		// MinDerivedDigits significant digits: half a unit of the last
		// kept digit is the most rounding moves them.
		metrics.MaxDenominatorGap, 0.5*math.Pow(10, 1-metrics.MinDerivedDigits)); err != nil {
		return err.Error()
	}
	if err := w.GetContext(ctx, &missing, `SELECT COUNT(*) FROM observations n
		JOIN indicators di ON di.numerator_id = n.indicator_id
		WHERE n.retired_by IS NULL AND n.source_id IS NOT NULL AND n.year IS NOT NULL AND n.value IS NOT NULL
		  AND EXISTS (SELECT 1 FROM observations p WHERE p.indicator_id = di.denominator_id AND p.area_id = n.area_id
		      AND p.retired_by IS NULL AND p.source_id IS NOT NULL AND p.value > 0 AND p.year BETWEEN n.year - ? AND n.year + ?)
		  AND NOT EXISTS (SELECT 1 FROM observations d WHERE d.numerator_id = n.id AND d.indicator_id = di.id)`,
		metrics.MaxDenominatorGap, metrics.MaxDenominatorGap); err != nil {
		return err.Error()
	}
	if err := w.GetContext(ctx, &doubled, `SELECT COUNT(*) FROM (SELECT 1 FROM observations
		WHERE numerator_id IS NOT NULL GROUP BY numerator_id, indicator_id HAVING COUNT(*) > 1)`); err != nil {
		return err.Error()
	}
	if wrong+missing+doubled > 0 {
		return fmt.Sprintf("derived values: %d wrong, %d missing, %d doubled", wrong, missing, doubled)
	}
	return ""
}

// pendingStates lists the states of the pending uploads beside a
// database.
func pendingStates(t *testing.T, db string) []string {
	t.Helper()
	var out []string
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(db), "uploads", "*", "upload.json"))
	for _, m := range matches {
		b, err := os.ReadFile(m)
		if err != nil {
			t.Error(err)
			continue
		}
		var p ingest.Pending
		if err := json.Unmarshal(b, &p); err != nil {
			t.Errorf("%s: %v", m, err)
			continue
		}
		out = append(out, p.State)
	}
	return out
}

// TestImportKilled kills `twinmetrics import --publish` with SIGKILL at
// moments spread over the check and the publish, and each time checks
// that the next start finds the database whole, with all or none of the
// upload, and can go on.
func TestImportKilled(t *testing.T) {
	f := fixture(t)
	ctx := context.Background()
	const runs = 24
	counts := map[string]int{}
	phaseCounts := map[string]int{}
	republished := false
	// The machine's speed varies from run to run (CI boxes are shared),
	// so the check's length is taken from the latest runs, and the
	// publish's from the run's own check, scaled as on the whole run.
	checkTime := f.checkTime
	ratio := float64(f.publishTime) / float64(f.checkTime)
	// The publish runs: ten spread evenly over 1.25 times its length;
	// six when the write-ahead log has grown to a share of the size the
	// whole run's commit left it at (the transaction spills, derives,
	// then commits: the last shares fall in the commit's own writes);
	// two once the command has said it published (saving its record and
	// closing the database, which checkpoints the log).
	walShares := []float64{0.3, 0.65, 0.75, 0.85, 0.95, 0.99}
	check, publish := 0, 0
	tmp := t.TempDir()
	for i := range runs {
		dir := filepath.Join(tmp, fmt.Sprintf("run-%02d", i))
		db := filepath.Join(dir, "t.db")
		if err := copyDB(f.template, db); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		c, err := startCommand(f.importArgs(db)...)
		if err != nil {
			t.Fatal(err)
		}
		phase := "check"
		if i%4 == 0 {
			// During the check, at a share of its length.
			check++
			time.Sleep(checkTime * time.Duration(check) / (runs/4 + 1))
		} else {
			select {
			case <-c.report:
			case <-c.done:
			}
			took := time.Since(start)
			checkTime = (checkTime + took) / 2
			switch j := publish; {
			case j < 10:
				phase = "publish"
				time.Sleep(time.Duration(float64(took) * ratio * 1.25 * float64(j) / 9))
			case j < 10+len(walShares):
				phase = "commit"
				waitWAL(c, db, int64(walShares[j-10]*float64(f.walSize)))
			default:
				phase = "close"
				select {
				case <-c.posted:
				case <-c.done:
				}
				time.Sleep(time.Duration(j-10-len(walShares)) * 5 * time.Millisecond)
			}
			publish++
		}
		_ = c.cmd.Process.Kill()
		<-c.done
		var ee *exec.ExitError
		switch {
		case c.err == nil:
			phase = "finished"
		case errors.As(c.err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL:
		default:
			t.Errorf("run %d: the import failed by itself: %v\n%s", i, c.err, tail(c.stderr.String()))
		}

		state := checkDatabase(t, f, db)
		counts[state]++
		phaseCounts[phase+"/"+state]++

		// The next start: migrate, seed, and the uploader's look at the
		// pending uploads.
		if err := runWith(ctx, []string{"seed", "-db", db}, strings.NewReader(""), io.Discard, io.Discard); err != nil {
			t.Errorf("run %d: the next start fails: %v", i, err)
			continue
		}
		states := pendingStates(t, db)
		for _, s := range states {
			switch {
			case s == ingest.StateReceived || s == ingest.StateValidating:
				t.Errorf("run %d: after a restart a pending upload is still %s", i, s)
			case state == "all" && s != ingest.StatePublished:
				t.Errorf("run %d: the upload is in the database but its pending record says %s", i, s)
			}
		}
		if state == "none" && !republished && len(states) == 1 && states[0] == ingest.StateReady {
			// A publish cut short can be done again from its preview.
			republished = true
			if got := publishPending(t, db, f.email); got != "all" {
				t.Errorf("run %d: publishing again after the crash gives %q", i, got)
			}
		}
		if t.Failed() {
			t.Logf("run %d (%s): stdout %q\nstderr %q", i, phase, tail(c.out.String()), tail(c.stderr.String()))
			break
		}
		os.RemoveAll(dir)
	}
	t.Logf("SIGKILL runs: %d none, %d all (by moment/state: %v; the whole run took %v to check, %v to publish, its log reached %d bytes)",
		counts["none"], counts["all"], phaseCounts, f.checkTime.Round(time.Millisecond), f.publishTime.Round(time.Millisecond), f.walSize)
}

// publishPending publishes the one pending upload beside db in-process
// and returns the state the database is then in.
func publishPending(t *testing.T, db, email string) string {
	t.Helper()
	ctx := context.Background()
	d, err := metrics.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	store, err := metrics.NewStore(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	up, err := ingest.NewUploader(store, filepath.Join(filepath.Dir(db), "uploads"), ingest.DefaultLimits, nil)
	if err != nil {
		t.Fatal(err)
	}
	user, err := store.UserByEmail(ctx, email)
	if err != nil {
		t.Fatal(err)
	}
	ps, err := up.ListPending()
	if err != nil || len(ps) != 1 {
		t.Fatalf("pending uploads: %v %v", ps, err)
	}
	if _, err := up.Publish(ctx, ps[0].Key, user, ingest.PublishOptions{ConfirmWarnings: true}); err != nil {
		t.Errorf("publish again: %v", err)
	}
	store.Close()
	d.Close()
	return checkDatabase(t, fixture(t), db)
}

// TestRestartAfterCommitBeforeRecord: a crash after the publish
// committed but before the command noted it beside the upload (the
// window TestImportKilled lands in when the commit checkpoints the log)
// leaves the pending record "ready"; the next start must set it to
// published from the database, so that the preview is not offered again.
func TestRestartAfterCommitBeforeRecord(t *testing.T) {
	f := fixture(t)
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "t.db")
	if err := copyDB(f.template, db); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "one.csv")
	os.WriteFile(file, []byte("city,indicator,year,value,unit,source\nhanoi,pm25_annual_mean,1931,12.5,µg/m3,who_aaq_2022_v2022\n"), 0o644)
	var out bytes.Buffer
	if err := runWith(ctx, []string{"import", file, "--email", f.email, "--publish", "-db", db}, strings.NewReader(""), &out, io.Discard); err != nil {
		t.Fatalf("import: %v\n%s", err, out.String())
	}
	records, _ := filepath.Glob(filepath.Join(dir, "uploads", "*", "upload.json"))
	if len(records) != 1 {
		t.Fatalf("pending records: %v", records)
	}
	b, err := os.ReadFile(records[0])
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	p["state"], p["upload_id"] = ingest.StateReady, 0
	if b, err = json.Marshal(p); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(records[0], b, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := runWith(ctx, []string{"seed", "-db", db}, strings.NewReader(""), io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got := pendingStates(t, db); len(got) != 1 || got[0] != ingest.StatePublished {
		t.Errorf("after the restart the pending record says %v, want published", got)
	}
}

func tail(s string) string {
	if len(s) > 600 {
		return "…" + s[len(s)-600:]
	}
	return s
}

// server is `twinmetrics serve` on a free loopback port.
type server struct {
	*command
	addr, url string
}

func startServer(t *testing.T, db string, extra ...string) *server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	c, err := startCommand(append([]string{"serve", "-addr", addr, "-db", db}, extra...)...)
	if err != nil {
		t.Fatal(err)
	}
	s := &server{command: c, addr: addr, url: "http://" + addr}
	t.Cleanup(func() {
		if !s.exited(0) {
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if s.exited(0) || time.Now().After(deadline) {
			t.Fatalf("the server did not start: %v\n%s", err, s.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
}

// waitExit waits (generously) for the server to exit after SIGTERM and
// checks it exited 0 with its database closed cleanly.
func (s *server) waitExit(t *testing.T, db string) {
	t.Helper()
	if !s.exited(60 * time.Second) {
		t.Fatalf("the server did not exit within 60 s of SIGTERM\n%s", tail(s.stderr.String()))
	}
	if s.err != nil {
		t.Errorf("the server exited with %v\n%s", s.err, tail(s.stderr.String()))
	}
	if !strings.Contains(s.stderr.String(), "shutting down") {
		t.Errorf("the server did not log its shutdown:\n%s", tail(s.stderr.String()))
	}
	// Closing the last connection checkpoints the write-ahead log into
	// the database and removes it.
	if fi, err := os.Stat(db + "-wal"); err == nil {
		t.Errorf("the server left a write-ahead log of %d bytes: the database was not closed", fi.Size())
	}
}

// TestShutdownDuringDownload: SIGTERM while a large download is read
// slowly. The download completes whole, new connections are refused
// meanwhile, and the server then exits 0 with the database closed.
func TestShutdownDuringDownload(t *testing.T) {
	f := fixture(t)
	db := filepath.Join(t.TempDir(), "t.db")
	if err := copyDB(f.afterDB, db); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, db)
	const path = "/data/download?format=csv"

	// A small receive buffer keeps the server writing while the client
	// reads slowly, instead of the whole file sitting in socket buffers.
	dialer := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 16<<10) })
		return errors.Join(err, serr)
	}}
	client := &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext, DisableCompression: true, DisableKeepAlives: true}}

	resp, err := client.Get(s.url + path)
	if err != nil {
		t.Fatal(err)
	}
	want, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %d %v", resp.StatusCode, err)
	}
	// Twice the largest send buffer Linux gives by default (4 MB).
	if len(want) < 8<<20 || !bytes.HasSuffix(want, []byte("\n")) {
		t.Fatalf("the download is %d bytes: too small to stay in flight", len(want))
	}

	resp, err = client.Get(s.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := make([]byte, 64<<10)
	if _, err := io.ReadFull(resp.Body, got); err != nil {
		t.Fatal(err)
	}
	s.stop(t)

	// New connections are refused once the server has the signal.
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", s.addr, 5*time.Second)
		if err != nil {
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Errorf("a new connection after SIGTERM: %v, want connection refused", err)
			}
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections 30 s after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if s.exited(0) {
		t.Fatal("the server exited while a download was being read")
	}
	// The rest, slowly.
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("the download broke off after %d of %d bytes: %v", len(got), len(want), err)
		}
		time.Sleep(time.Millisecond)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("the download read across the shutdown is %d bytes and differs from the one before (%d bytes)", len(got), len(want))
	}
	s.waitExit(t, db)
	if st := checkDatabase(t, f, db); st != "all" {
		t.Errorf("the database after shutdown is %q", st)
	}
}

// TestShutdownDuringPublish: SIGTERM while a large upload is published
// through the API. The request is answered, the process exits 0, and the
// database holds all of the upload if the answer says so, and all or
// none of it in any case.
func TestShutdownDuringPublish(t *testing.T) {
	f := fixture(t)
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "t.db")
	if err := copyDB(f.template, db); err != nil {
		t.Fatal(err)
	}
	var tok bytes.Buffer
	if err := runWith(ctx, []string{"token", "create", "--email", f.email, "-db", db}, strings.NewReader(""), &tok, io.Discard); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(tok.String())
	s := startServer(t, db)

	// Upload and check (the API checks before it answers).
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", "upload.csv")
	if err != nil {
		t.Fatal(err)
	}
	csv, err := os.ReadFile(f.csv)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(csv)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, s.url+"/api/v1/uploads", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var preview struct {
		Key        string `json:"id"`
		State      string `json:"state"`
		PublishURL string `json:"publish_url"`
	}
	err = json.NewDecoder(resp.Body).Decode(&preview)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated || preview.PublishURL == "" {
		t.Fatalf("upload: %d %+v %v", resp.StatusCode, preview, err)
	}

	// Publish on a connection of its own, and SIGTERM a moment later.
	type answer struct {
		code int
		body string
		err  error
	}
	answered := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, s.url+preview.PublishURL, strings.NewReader(url.Values{"confirm_warnings": {"1"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "Bearer "+token)
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := client.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		answered <- answer{code: resp.StatusCode, body: string(b), err: err}
	}()
	time.Sleep(f.publishTime / 4)
	s.stop(t)
	var a answer
	select {
	case a = <-answered:
	case <-time.After(60 * time.Second):
		t.Fatal("no answer to the publish within 60 s of SIGTERM")
	}
	s.waitExit(t, db)

	log := s.stderr.String()
	inFlight := strings.Index(log, "shutting down") < strings.Index(log, preview.PublishURL)
	state := checkDatabase(t, f, db)
	switch {
	case a.err == nil && a.code == http.StatusOK:
		if state != "all" {
			t.Errorf("the publish was answered %d but the database holds %q of it", a.code, state)
		}
	case state == "all":
		t.Errorf("the database holds the upload but the publish was answered %d %v", a.code, a.err)
	}
	t.Logf("publish answered %d (%v); in flight at SIGTERM: %v; database: %s", a.code, a.err, inFlight, state)
}

// TestBackupDuringPublish takes backups with `twinmetrics backup` while
// another process publishes a large upload, restores each to a new file
// and checks it holds all or none of the upload.
func TestBackupDuringPublish(t *testing.T) {
	f := fixture(t)
	ctx := context.Background()
	dir := t.TempDir()
	db := filepath.Join(dir, "live", "t.db")
	if err := copyDB(f.template, db); err != nil {
		t.Fatal(err)
	}
	c, err := startCommand(f.importArgs(db)...)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-c.report:
	case <-c.done:
	}
	// Backups one after another until the import has exited; each is
	// "during" if it began before the import said it had published.
	var backups []string
	during := map[string]bool{}
	for i := 0; i < 50; i++ {
		exited := c.exited(0)
		b := filepath.Join(dir, fmt.Sprintf("backup-%02d.db", i))
		select {
		case <-c.posted:
		default:
			during[b] = true
		}
		if err := runWith(ctx, []string{"backup", "-db", db, b}, strings.NewReader(""), io.Discard, io.Discard); err != nil {
			t.Fatalf("backup %d: %v", i, err)
		}
		backups = append(backups, b)
		if exited {
			break
		}
	}
	<-c.done
	if c.err != nil {
		t.Fatalf("import: %v\n%s", c.err, tail(c.stderr.String()))
	}
	counts := map[string]int{}
	for i, b := range backups {
		restored := filepath.Join(dir, fmt.Sprintf("restored-%02d", i), "t.db")
		if err := os.MkdirAll(filepath.Dir(restored), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := metrics.Restore(ctx, b, restored); err != nil {
			t.Fatalf("restore %s: %v", b, err)
		}
		st := checkDatabase(t, f, restored)
		if during[b] {
			st += " during"
		}
		counts[st]++
	}
	t.Logf("backups taken after the check, restored: %d none and %d all while the import published, %d all after it",
		counts["none during"], counts["all during"], counts["all"])
	if counts["none"] > 0 {
		t.Errorf("%d backups begun after the import published lack the upload", counts["none"])
	}
}
