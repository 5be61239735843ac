// Command benchscale measures twinmetrics at a national deployment's
// size: for each size it builds (once, and keeps) a database of clearly
// synthetic cities loaded through the application's own upload pipeline
// (`twinmetrics synth`), then on a copy of it, against a server started
// on 127.0.0.1, measures start-up after a seed change, each page and API
// family cold and warm beside /healthz, the check, publication and
// rollback of a 10,000-row file, the check's memory, a full CSV export
// and the server's peak resident memory. It prints a Markdown report.
//
// With -pg (an admin URL of a PostgreSQL server), each size is measured
// again on PostgreSQL in the same run: the SQLite database is moved with
// `twinmetrics copy-db` into a new database of that server (dropped
// afterwards), and the report ends with the two engines side by side.
//
//	benchscale -bin bin/twinmetrics -dir var/bench-scale -cities 115,1150 [-pg postgres://postgres@127.0.0.1:5432/postgres]
//
// Nothing leaves this machine; the synthetic databases are throw-away.
package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	_ "github.com/mattn/go-sqlite3"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/twinmetrics/twinmetrics/internal/synth"
)

// The pages and API calls measured, by family.
var pages = []string{
	"/", "/pairs/hanoi-milan", "/cities/hanoi", "/cities/" + synth.Slug(1),
	"/indicators", "/indicators/pm25_annual_mean", "/indicators/pm25_annual_mean?ranking=all&page=3", "/indicators/ghg_per_capita",
	"/about", "/data", "/data?shown=1", "/data?indicator=pm25_annual_mean&from=2015",
}

var apis = []string{
	"/api/v1/observations?pair=hanoi-milan", "/api/v1/observations?city=" + synth.Slug(1), "/api/v1/observations?city=" + synth.Slug(115),
	"/api/v1/observations?indicator=pm25_annual_mean", "/api/v1/observations?shown=1",
	"/api/v1/observations?source=" + synth.SourceCode, "/api/v1/observations?source=who_aaq_2022_v2022",
	"/api/v1/observations?source=" + synth.SourceCode + "&city=hanoi", "/api/v1/observations?from=2020",
	"/api/v1/observations", "/api/v1/cities", "/api/v1/indicators",
}

func main() {
	bin := flag.String("bin", "bin/twinmetrics", "the twinmetrics binary")
	dir := flag.String("dir", "var/bench-scale", "where the synthetic databases are kept between runs")
	sizes := flag.String("cities", "115,1150", "synthetic cities per size, comma-separated (115 ≈ 110k values, 1150 ≈ 1.1M, 5600 ≈ 5.4M)")
	flag.IntVar(&loadMax, "load-max", loadMax, "cities loaded through the upload path; a larger size copies their values by SQL (synth --copy-to)")
	pg := flag.String("pg", "", "admin URL of a PostgreSQL server: measure each size there too, side by side with SQLite")
	flag.Parse()
	if err := run(*bin, *dir, *sizes, *pg); err != nil {
		fmt.Fprintln(os.Stderr, "benchscale:", err)
		os.Exit(1)
	}
}

func run(bin, dir, sizes, pg string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	fmt.Printf("# twinmetrics at scale (%s)\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("bad size %q", s)
		}
		if err := measure(bin, dir, n, pg); err != nil {
			return fmt.Errorf("%d cities: %w", n, err)
		}
	}
	return nil
}

func measure(bin, dir string, n int, pg string) error {
	base := filepath.Join(dir, fmt.Sprintf("synthetic-%05d.db", n))
	if err := build(bin, dir, base, n); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "benchscale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	work := filepath.Join(tmp, "work.db")
	if err := copyFile(base, work); err != nil {
		return err
	}
	stored, derived, err := countValues(work)
	if err != nil {
		return err
	}
	fmt.Printf("## %d synthetic cities: %d values (%d stored, %d derived)\n\n", n, stored+derived, stored, derived)
	var pgDB, pgAdmin string
	var copyTime time.Duration
	if pg != "" {
		// The PostgreSQL copy is made first, from the untouched database
		// brought to this binary's schema, so that both engines start
		// from the same rows.
		pgAdmin = pg
		if out, err := exec.Command(bin, "migrate", "-db", work).CombinedOutput(); err != nil {
			return fmt.Errorf("migrate: %v: %s", err, tail(string(out)))
		}
		name := fmt.Sprintf("benchscale_%05d_%d", n, os.Getpid())
		if pgDB, err = createPGDatabase(pg, name); err != nil {
			return err
		}
		defer dropPGDatabase(pg, name)
		t0 := time.Now()
		cmd := exec.Command(bin, "copy-db", "--from", work, "--to", pgDB)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("copy-db: %v: %s", err, tail(string(out)))
		}
		copyTime = time.Since(t0)
		// The copy leaves about a gigabyte of write-ahead log behind: the
		// server's checkpoint would write it out while the pages are
		// timed (it took 84 s of disk writes in one run, and every cold
		// page on PostgreSQL 2–7× slower than in the runs around it).
		// Written now, before the timing, as SQLite's file is.
		if err := pgExec(pg, "CHECKPOINT"); err != nil {
			return err
		}
	}
	fmt.Println("### SQLite")
	fmt.Println()
	lite, err := measureOn(bin, tmp, work, "")
	if err != nil {
		return err
	}
	if pgDB == "" {
		return nil
	}
	fmt.Printf("### PostgreSQL\n\n`twinmetrics copy-db` of the SQLite database into PostgreSQL: %s\n\n", ms(copyTime))
	pgr, err := measureOn(bin, tmp, pgDB, pgAdmin)
	if err != nil {
		return err
	}
	sideBySide(lite, pgr)
	return nil
}

// result is one engine's figures for one size.
type result struct {
	startup, startupCPU time.Duration
	healthz             time.Duration
	cold, warm          map[string]time.Duration
	check               time.Duration
	publish, rollback   time.Duration
	publishCPU          time.Duration // the server's, and on PostgreSQL its database sessions'
	rollbackCPU         time.Duration
	exportRate          float64
	hwm                 int64
}

// measureOn measures the server on db (an SQLite file, or a PostgreSQL
// URL when pgAdmin is set) and prints the figures.
func measureOn(bin, tmp, db, pgAdmin string) (_ result, err error) {
	r := result{cold: map[string]time.Duration{}, warm: map[string]time.Duration{}}
	// Each engine's server has its own upload folder and files.
	tmp, err = os.MkdirTemp(tmp, "engine-")
	if err != nil {
		return r, err
	}
	defer func() {
		// The folder goes with the run: say what the server logged.
		if b, rerr := os.ReadFile(filepath.Join(tmp, "server.log")); err != nil && rerr == nil {
			err = fmt.Errorf("%w\nthe server's log ends:\n%s", err, tail(string(b)))
		}
	}()
	// An upgrade whose seed files changed: the seed is applied again at
	// start-up, in place of the one the database holds.
	if err := execSQL(db, `UPDATE uploads SET sha256 = 'changed for the benchmark' WHERE kind = 'seed'`); err != nil {
		return r, err
	}
	srv, err := startServer(bin, db, tmp)
	if err != nil {
		return r, err
	}
	defer srv.stop()
	srv.pgAdmin, srv.pgDB = pgAdmin, db
	r.startup, r.startupCPU = srv.startup, srv.cpu()
	fmt.Printf("Start-up after a seed change (until /healthz answers): %s (server CPU %s)\n\n", ms(srv.startup), ms(srv.cpu()))
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("Load average when measured (2 cores): %s\n\n", strings.Join(strings.Fields(string(b))[:3], " "))
	}

	hz := srv.median("/healthz", 9)
	r.healthz = hz
	fmt.Printf("Baseline /healthz: %s (median of 9)\n\n", ms(hz))
	fmt.Println("| page or API call | cold | warm (median of 5) | warm ÷ /healthz | bytes |")
	fmt.Println("|---|---|---|---|---|")
	for _, p := range append(append([]string{}, pages...), apis...) {
		cold, size, err := srv.get(p)
		if err != nil {
			return r, err
		}
		warm := srv.median(p, 5)
		r.cold[p], r.warm[p] = cold, warm
		fmt.Printf("| `%s` | %s | %s | %.1f× | %d |\n", p, ms(cold), ms(warm), float64(warm)/float64(hz), size)
	}
	fmt.Println()

	token, err := staffToken(bin, db)
	if err != nil {
		return r, err
	}
	csvPath := filepath.Join(tmp, "changes.csv")
	rows, err := writeChanges(db, csvPath, 10000)
	if err != nil {
		return r, err
	}
	// The check's memory, in a process of its own (the import command,
	// without publishing), beside the same command's baseline.
	baseRSS, _, err := maxRSS(bin, "migrate", "-db", db)
	if err != nil {
		baseRSS = 0
	}
	checkRSS, checkTime, err := maxRSS(bin, "import", csvPath, "--email", benchEmail, "-db", db, "-uploads", filepath.Join(tmp, "cli-uploads"))
	if err != nil {
		return r, fmt.Errorf("import check: %w", err)
	}
	fmt.Printf("Check of a %d-row file by `twinmetrics import` (no publish): %s, peak resident %.0f MB (the same binary only opening the database: %.0f MB)\n\n",
		rows, ms(checkTime), float64(checkRSS)/1024, float64(baseRSS)/1024)

	key, check, err := srv.upload(token, csvPath)
	if err != nil {
		return r, err
	}
	r.check = check
	cpu0 := srv.cpu() + srv.dbCPU()
	t0 := time.Now()
	var pub struct {
		ID int64 `json:"upload_id"`
	}
	if err := srv.post(token, "/api/v1/uploads/"+key+"/publish", url.Values{"confirm_warnings": {"1"}}, &pub); err != nil {
		return r, fmt.Errorf("publish: %w", err)
	}
	r.publish = time.Since(t0)
	r.publishCPU = srv.cpu() + srv.dbCPU() - cpu0
	cold, _, _ := srv.get("/indicators")
	cpu0 = srv.cpu() + srv.dbCPU()
	t0 = time.Now()
	if err := srv.post(token, "/api/v1/uploads/"+strconv.FormatInt(pub.ID, 10)+"/rollback", nil, nil); err != nil {
		return r, fmt.Errorf("rollback: %w", err)
	}
	r.rollback = time.Since(t0)
	r.rollbackCPU = srv.cpu() + srv.dbCPU() - cpu0
	what := "server CPU"
	if pgAdmin != "" {
		what = "CPU of the server and its database sessions"
	}
	fmt.Printf("Upload of %d changed values through the API: check %s, publish %s (%s %s), rollback %s (%s); /indicators right after the publication %s\n\n",
		rows, ms(check), ms(r.publish), what, ms(r.publishCPU), ms(r.rollback), ms(r.rollbackCPU), ms(cold))

	t0 = time.Now()
	lines, err := srv.count("/data/download?format=csv")
	if err != nil {
		return r, err
	}
	el := time.Since(t0)
	r.exportRate = float64(lines-1) / el.Seconds()
	fmt.Printf("Full CSV export: %d rows in %s, %.0f rows/s\n\n", lines-1, ms(el), r.exportRate)
	r.hwm = srv.hwm()
	fmt.Printf("Server peak resident memory (VmHWM) over the whole run: %.0f MB\n\n", float64(r.hwm)/1024)
	return r, nil
}

// sideBySide prints the two engines' figures of one run, with
// PostgreSQL's as a ratio of SQLite's.
func sideBySide(lite, pg result) {
	ratio := func(a, b time.Duration) string {
		if a <= 0 || b <= 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f×", float64(b)/float64(a))
	}
	fmt.Println("### Side by side (same run)")
	fmt.Println()
	fmt.Println("| | SQLite | PostgreSQL | PostgreSQL ÷ SQLite |")
	fmt.Println("|---|---|---|---|")
	fmt.Printf("| start-up after a seed change | %s | %s | %s |\n", ms(lite.startup), ms(pg.startup), ratio(lite.startup, pg.startup))
	fmt.Printf("| `/healthz` (median of 9) | %s | %s | %s |\n", ms(lite.healthz), ms(pg.healthz), ratio(lite.healthz, pg.healthz))
	fmt.Printf("| check of 10,000 rows | %s | %s | %s |\n", ms(lite.check), ms(pg.check), ratio(lite.check, pg.check))
	fmt.Printf("| publication of 10,000 rows | %s (CPU %s) | %s (CPU %s) | %s |\n", ms(lite.publish), ms(lite.publishCPU), ms(pg.publish), ms(pg.publishCPU), ratio(lite.publish, pg.publish))
	fmt.Printf("| its rollback | %s (CPU %s) | %s (CPU %s) | %s |\n", ms(lite.rollback), ms(lite.rollbackCPU), ms(pg.rollback), ms(pg.rollbackCPU), ratio(lite.rollback, pg.rollback))
	fmt.Printf("| full CSV export | %.0f rows/s | %.0f rows/s | %.2f× the rate |\n", lite.exportRate, pg.exportRate, pg.exportRate/lite.exportRate)
	fmt.Printf("| server peak resident | %.0f MB | %.0f MB | |\n", float64(lite.hwm)/1024, float64(pg.hwm)/1024)
	fmt.Println()
	fmt.Println("| page or API call | cold SQLite | cold PostgreSQL | cold PG ÷ SQLite | warm PG ÷ PG `/healthz` |")
	fmt.Println("|---|---|---|---|---|")
	for _, p := range append(append([]string{}, pages...), apis...) {
		fmt.Printf("| `%s` | %s | %s | %s | %s |\n", p, ms(lite.cold[p]), ms(pg.cold[p]), ratio(lite.cold[p], pg.cold[p]), ratio(pg.healthz, pg.warm[p]))
	}
	fmt.Println()
}

const benchEmail = "bench@example.invalid"

// loadMax is how many synthetic cities go in through the upload path.
// Past it each further file of 100 cities took minutes on the shared
// 2-core machine, so larger sizes copy the loaded cities' values by SQL,
// as the 5.4M-value database was built.
var loadMax = 1150

// build makes the synthetic database of n cities, growing the largest
// smaller one kept from an earlier run.
func build(bin, dir, base string, n int) error {
	if _, err := os.Stat(base); err == nil {
		return nil
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "synthetic-*.db"))
	sort.Strings(matches)
	from := ""
	for _, m := range matches {
		var k int
		if _, err := fmt.Sscanf(filepath.Base(m), "synthetic-%05d.db", &k); err == nil && k < n {
			from = m
		}
	}
	tmp := base + ".building"
	os.Remove(tmp)
	if from != "" {
		if err := copyFile(from, tmp); err != nil {
			return err
		}
	}
	start := time.Now()
	args := []string{"synth", "--cities", strconv.Itoa(min(n, loadMax)), "-db", tmp, "-uploads", tmp + ".uploads", "-log-format", "text"}
	if n > loadMax {
		args = append(args, "--copy-to", strconv.Itoa(n))
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("synth: %w", err)
	}
	os.RemoveAll(tmp + ".uploads")
	fmt.Fprintf(os.Stderr, "built %s in %s\n", base, time.Since(start).Round(time.Second))
	return os.Rename(tmp, base)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// openDB opens an SQLite file, or a PostgreSQL URL; the queries below
// are written once, with `?` (rebind makes them PostgreSQL's `$n`).
func openDB(path string) (*sql.DB, error) {
	if isPG(path) {
		return sql.Open("pgx", path)
	}
	return sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
}

func isPG(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

func rebind(db, q string) string {
	if !isPG(db) {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// createPGDatabase makes a new database on the server at admin and
// returns its URL.
func createPGDatabase(admin, name string) (string, error) {
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE DATABASE "` + name + `" TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'`); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// pgExec runs one statement on the server at admin.
func pgExec(admin, q string) error {
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(q)
	return err
}

func dropPGDatabase(admin, name string) {
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return
	}
	defer db.Close()
	_, _ = db.Exec(`DROP DATABASE IF EXISTS "` + name + `" WITH (FORCE)`)
}

func countValues(path string) (stored, derived int, err error) {
	db, err := openDB(path)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	err = db.QueryRow(`SELECT COALESCE(SUM(s.n_stored), 0), COALESCE(SUM(s.n_values - s.n_stored), 0) FROM series_stats s`).Scan(&stored, &derived)
	return stored, derived, err
}

func execSQL(path, q string) error {
	db, err := openDB(path)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.Exec(q)
	return err
}

// writeChanges writes a file of rows new values for stored synthetic
// values (each a tenth higher), in the upload template's layout.
func writeChanges(path, out string, rows int) (int, error) {
	db, err := openDB(path)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	q, err := db.Query(rebind(path, `SELECT a.slug, i.code, o.year, o.value, i.unit
		FROM observations o JOIN areas a ON a.id = o.area_id JOIN indicators i ON i.id = o.indicator_id
		JOIN sources s ON s.id = o.source_id
		WHERE s.code = ? AND o.retired_by IS NULL AND i.unit <> 'percent'
		ORDER BY o.id LIMIT ?`), synth.SourceCode, rows)
	if err != nil {
		return 0, err
	}
	defer q.Close()
	f, err := os.Create(out)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriter(f)
	fmt.Fprint(w, "city,indicator,year,value,unit,source,flags,note\n")
	n := 0
	for q.Next() {
		var slug, code, unit string
		var year int
		var v float64
		if err := q.Scan(&slug, &code, &year, &v, &unit); err != nil {
			f.Close()
			return 0, err
		}
		fmt.Fprintf(w, "%s,%s,%d,%s,%s,%s,,synthetic value\n", slug, code, year, strconv.FormatFloat(v*1.1, 'g', 6, 64), unit, synth.SourceCode)
		n++
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	return n, f.Close()
}

// maxRSS runs the binary and returns its peak resident memory in kB and
// how long it ran.
func maxRSS(bin string, args ...string) (int64, time.Duration, error) {
	cmd := exec.Command(bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	el := time.Since(start)
	if err != nil {
		return 0, el, fmt.Errorf("%v: %s", err, tail(out.String()))
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, el, errors.New("no resource usage")
	}
	return ru.Maxrss, el, nil
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

func staffToken(bin, db string) (string, error) {
	add := exec.Command(bin, "user", "add", "--email", benchEmail, "--role", "editor", "-db", db)
	add.Stdin = strings.NewReader("a long benchmark password\n")
	if out, err := add.CombinedOutput(); err != nil {
		return "", fmt.Errorf("user add: %v: %s", err, out)
	}
	out, err := exec.Command(bin, "token", "create", "--email", benchEmail, "--name", "bench-scale", "-db", db).Output()
	if err != nil {
		return "", fmt.Errorf("token create: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

type server struct {
	// On PostgreSQL: the admin URL, and the database the server uses,
	// whose sessions' CPU counts with the server's.
	pgAdmin, pgDB string
	cmd           *exec.Cmd
	base          string
	startup       time.Duration
	client        *http.Client
	exited        chan struct{}
}

func startServer(bin, db, tmp string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	log, err := os.Create(filepath.Join(tmp, "server.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve", "-db", db, "-addr", addr, "-uploads", filepath.Join(tmp, "uploads"), "-log-format", "json")
	cmd.Stdout, cmd.Stderr = log, log
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, base: "http://" + addr, client: &http.Client{Timeout: 10 * time.Minute}, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	for time.Since(start) < 30*time.Minute {
		resp, err := s.client.Get(s.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.startup = time.Since(start)
				return s, nil
			}
		}
		select {
		case <-s.exited:
			b, _ := os.ReadFile(log.Name())
			return nil, fmt.Errorf("the server stopped: %s", tail(string(b)))
		case <-time.After(20 * time.Millisecond):
		}
	}
	s.stop()
	return nil, errors.New("the server did not start; see server.log")
}

func (s *server) stop() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		<-s.exited
	}
}

// cpu is the processor time the server has used so far (user and
// system), which other work on the machine does not inflate as it does
// the time on the clock.
func (s *server) cpu() time.Duration { return procCPU(s.cmd.Process.Pid) }

// dbCPU is the processor time used so far by the PostgreSQL sessions
// connected to the server's database (on this machine), none on SQLite.
func (s *server) dbCPU() time.Duration {
	if s.pgAdmin == "" {
		return 0
	}
	u, err := url.Parse(s.pgDB)
	if err != nil {
		return 0
	}
	db, err := sql.Open("pgx", s.pgAdmin)
	if err != nil {
		return 0
	}
	defer db.Close()
	rows, err := db.Query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, strings.TrimPrefix(u.Path, "/"))
	if err != nil {
		return 0
	}
	defer rows.Close()
	var total time.Duration
	for rows.Next() {
		var pid int
		if rows.Scan(&pid) == nil {
			total += procCPU(pid)
		}
	}
	return total
}

// procCPU is a process's processor time so far (user and system), which
// other work on the machine does not inflate as it does the time on the
// clock.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * time.Second / 100 // USER_HZ
}

// hwm is the server's peak resident memory so far, in kB.
func (s *server) hwm() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			return v
		}
	}
	return 0
}

func (s *server) get(path string) (time.Duration, int, error) {
	start := time.Now()
	resp, err := s.client.Get(s.base + path)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	el := time.Since(start)
	if err != nil {
		return el, int(n), err
	}
	if resp.StatusCode != http.StatusOK {
		return el, int(n), fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return el, int(n), nil
}

func (s *server) median(path string, k int) time.Duration {
	var ds []time.Duration
	for range k {
		d, _, err := s.get(path)
		if err != nil {
			return -1
		}
		ds = append(ds, d)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds[len(ds)/2]
}

func (s *server) count(path string) (int, error) {
	resp, err := s.client.Get(s.base + path)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	n := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		n++
	}
	return n, sc.Err()
}

func (s *server) do(req *http.Request, token string, out any) error {
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s: %s", req.Method, req.URL.Path, resp.Status, tail(string(b)))
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

func (s *server) post(token, path string, form url.Values, out any) error {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.do(req, token, out)
}

// upload sends a file and waits for its check; it returns the pending
// upload's key and how long the check took.
func (s *server) upload(token, path string) (string, time.Duration, error) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", filepath.Base(path))
	if err != nil {
		return "", 0, err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", 0, err
	}
	fw.Write(b)
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, s.base+"/api/v1/uploads", &body)
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	start := time.Now()
	var p struct {
		ID      string `json:"id"`
		State   string `json:"state"`
		Failure string `json:"failure"`
	}
	if err := s.do(req, token, &p); err != nil {
		return "", 0, err
	}
	for p.State != "ready" {
		if p.State == "failed" {
			return "", 0, fmt.Errorf("check failed: %s", p.Failure)
		}
		time.Sleep(50 * time.Millisecond)
		req, _ := http.NewRequest(http.MethodGet, s.base+"/api/v1/uploads/"+p.ID, nil)
		if err := s.do(req, token, &p); err != nil {
			return "", 0, err
		}
	}
	return p.ID, time.Since(start), nil
}

func ms(d time.Duration) string {
	if d < 0 {
		return "failed"
	}
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	}
	if d < time.Second {
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}
