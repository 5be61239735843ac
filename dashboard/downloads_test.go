package dashboard_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// dbObs is one current observation as the database holds it, with what
// a download must say about it.
type dbObs struct {
	ID           int64
	City         string
	Indicator    string
	Year         sql.NullInt64
	Value        sql.NullFloat64
	ValueAsGiven string
	UnitAsGiven  string
	Source       string
	Flags        string
	Note         string
	Numerator    sql.NullInt64
	Denominator  sql.NullInt64
	Withheld     bool
}

// dbObservations reads the current observations straight from the
// database, independently of the code under test.
func dbObservations(t *testing.T, app *testapp.App, where string, args ...any) []dbObs {
	t.Helper()
	q := `SELECT o.id, a.slug, i.code, o.year, o.value, o.value_as_given, o.unit_as_given, COALESCE(s.code, ''),
		o.flags, o.note, o.numerator_id, o.denominator_id,
		(COALESCE(s.redistribution, '') = 'not_permitted' OR COALESCE(ns.redistribution, '') = 'not_permitted'
		 OR COALESCE(ds.redistribution, '') = 'not_permitted')
		FROM observations o
		JOIN areas a ON a.id = o.area_id
		JOIN indicators i ON i.id = o.indicator_id
		LEFT JOIN sources s ON s.id = o.source_id
		LEFT JOIN observations n ON n.id = o.numerator_id
		LEFT JOIN sources ns ON ns.id = n.source_id
		LEFT JOIN observations d ON d.id = o.denominator_id
		LEFT JOIN sources ds ON ds.id = d.source_id
		WHERE o.retired_by IS NULL ` + where + ` ORDER BY o.id`
	rows, err := app.DB.R.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []dbObs
	for rows.Next() {
		var o dbObs
		if err := rows.Scan(&o.ID, &o.City, &o.Indicator, &o.Year, &o.Value, &o.ValueAsGiven, &o.UnitAsGiven, &o.Source,
			&o.Flags, &o.Note, &o.Numerator, &o.Denominator, &o.Withheld); err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// unguard removes the formula guard a CSV field may carry.
func unguard(s string) string { return strings.TrimPrefix(s, "'") }

// readCSV parses a CSV body into header-keyed records.
func readCSV(t *testing.T, r io.Reader) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(r).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	if len(recs) == 0 {
		t.Fatal("empty CSV")
	}
	var out []map[string]string
	for _, rec := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = rec[i]
		}
		out = append(out, m)
	}
	return out
}

func nullInt(n sql.NullInt64) string {
	if !n.Valid {
		return ""
	}
	return strconv.FormatInt(n.Int64, 10)
}

// compareWithDB checks, value by value, that downloaded rows are the
// database's observations: the same rows in the same order, each value
// exact, and withheld values blank.
func compareWithDB(t *testing.T, want []dbObs, got []map[string]string, version string) {
	t.Helper()
	compareWithDBDigits(t, want, got, version, 0)
}

// compareWithDBDigits compares values exactly (digits 0) or to a number
// of significant digits: a workbook holds 15, as Excel does.
func compareWithDBDigits(t *testing.T, want []dbObs, got []map[string]string, version string, digits int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("download has %d rows, the database %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		where := "observation " + strconv.FormatInt(w.ID, 10)
		check := func(col, want string) {
			if g[col] != want {
				t.Errorf("%s: %s = %q, want %q", where, col, g[col], want)
			}
		}
		check("observation_id", strconv.FormatInt(w.ID, 10))
		check("city_code", w.City)
		check("indicator_code", w.Indicator)
		check("year", nullInt(w.Year))
		check("source_code", w.Source)
		check("flags", w.Flags)
		check("numerator_id", nullInt(w.Numerator))
		check("denominator_id", nullInt(w.Denominator))
		check("withheld", strconv.FormatBool(w.Withheld))
		check("dataset_version", version)
		switch {
		case w.Withheld:
			check("value", "")
			check("value_as_given", "")
			if !strings.HasPrefix(g["note"], "Value withheld") {
				t.Errorf("%s: withheld value's note %q does not say so", where, g["note"])
			}
		case w.Value.Valid:
			v, err := strconv.ParseFloat(g["value"], 64)
			if digits > 0 {
				v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', digits, 64), 64)
				w.Value.Float64, _ = strconv.ParseFloat(strconv.FormatFloat(w.Value.Float64, 'g', digits, 64), 64)
			}
			if err != nil || v != w.Value.Float64 {
				t.Errorf("%s: value %q, want %v", where, g["value"], w.Value.Float64)
			}
		default:
			check("value", "")
		}
		if !w.Withheld {
			if unguard(g["value_as_given"]) != w.ValueAsGiven {
				t.Errorf("%s: value_as_given %q, want %q", where, g["value_as_given"], w.ValueAsGiven)
			}
			if unguard(g["unit_as_given"]) != w.UnitAsGiven {
				t.Errorf("%s: unit_as_given %q, want %q", where, g["unit_as_given"], w.UnitAsGiven)
			}
			if unguard(g["note"]) != w.Note {
				t.Errorf("%s: note %q, want %q", where, g["note"], w.Note)
			}
		}
	}
}

func dataVersion(t *testing.T, app *testapp.App) string {
	t.Helper()
	var v string
	if err := app.DB.R.QueryRow(`SELECT value FROM meta WHERE key = 'data_version'`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCSVDownloadRoundTrip(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	code, body, hdr := get(t, app.Handler, "/data/download?format=csv")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	if ct := hdr.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	if !strings.Contains(hdr.Get("Content-Disposition"), "attachment") {
		t.Errorf("Content-Disposition %q", hdr.Get("Content-Disposition"))
	}
	if !strings.HasSuffix(body, "\r\n") || strings.Count(body, "\r\n") < 1900 {
		t.Error("CSV lines do not end in CRLF (RFC 4180)")
	}
	want := dbObservations(t, app, "")
	got := readCSV(t, strings.NewReader(body))
	compareWithDB(t, want, got, dataVersion(t, app))

	// What the round trip covers: open values, withheld ones and
	// computed per-capita values.
	var open, withheld, derived int
	for _, w := range want {
		switch {
		case w.Withheld:
			withheld++
		case w.Numerator.Valid:
			derived++
		default:
			open++
		}
	}
	if open < 1000 || withheld == 0 || derived == 0 {
		t.Errorf("open %d, withheld %d, derived %d: the seed should give all three", open, withheld, derived)
	}
	// Every row names its source's licence and citation.
	for _, g := range got {
		if g["source_licence"] == "" || g["source_citation"] == "" {
			t.Fatalf("row %s lacks licence or citation", g["observation_id"])
		}
	}
}

func unzip(t *testing.T, b []byte, dir string) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a ZIP: %v", err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = data
		if dir != "" {
			p := filepath.Join(dir, filepath.FromSlash(f.Name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	return files
}

func TestDataPackageRoundTrip(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	code, body, hdr := get(t, app.Handler, "/data/download?format=datapackage")
	if code != http.StatusOK || hdr.Get("Content-Type") != "application/zip" {
		t.Fatalf("status %d, type %q", code, hdr.Get("Content-Type"))
	}
	files := unzip(t, []byte(body), "")
	for _, name := range []string{"datapackage.json", "data/observations.csv", "data/cities.csv", "data/indicators.csv", "data/sources.csv", "data/flags.csv"} {
		if _, ok := files[name]; !ok {
			t.Fatalf("package lacks %s", name)
		}
	}
	version := dataVersion(t, app)
	compareWithDB(t, dbObservations(t, app, ""), readCSV(t, bytes.NewReader(files["data/observations.csv"])), version)

	var dp struct {
		Profile   string `json:"profile"`
		Name      string `json:"name"`
		Version   string `json:"version"`
		Citation  string `json:"citation"`
		Homepage  string `json:"homepage"`
		Licenses  []struct{ Path, Title string }
		Resources []struct {
			Name, Path string
			Schema     struct {
				Fields      []struct{ Name, Type string }
				PrimaryKey  string `json:"primaryKey"`
				ForeignKeys []struct {
					Fields    string
					Reference struct{ Resource, Fields string }
				} `json:"foreignKeys"`
			}
		}
		Provenance struct {
			DatasetVersion string `json:"dataset_version"`
			Flags          []struct {
				Code          string
				DescriptionEN string `json:"description_en"`
			}
			Withheld []struct{ Source string }
		} `json:"twinmetrics_provenance"`
	}
	if err := json.Unmarshal(files["datapackage.json"], &dp); err != nil {
		t.Fatal(err)
	}
	if dp.Profile != "tabular-data-package" || dp.Provenance.DatasetVersion != version || !strings.Contains(dp.Citation, "data version "+version) {
		t.Errorf("descriptor: profile %q, version %q, citation %q", dp.Profile, dp.Provenance.DatasetVersion, dp.Citation)
	}
	// Addresses in a file that leaves the site are absolute, and fetch
	// the same values again: pinned to the data version.
	self := "http://127.0.0.1:8080/data/download?format=datapackage&v=" + version
	if dp.Homepage != self || !strings.Contains(dp.Citation, self) {
		t.Errorf("homepage %q, citation %q: want the absolute address %s", dp.Homepage, dp.Citation, self)
	}
	if len(dp.Resources) != 6 || dp.Resources[0].Schema.PrimaryKey != "observation_id" || len(dp.Resources[0].Schema.ForeignKeys) != 3 ||
		dp.Resources[5].Name != "targets" || dp.Resources[5].Schema.PrimaryKey != "target_id" {
		t.Errorf("resources: %+v", dp.Resources)
	}
	types := map[string]string{}
	for _, f := range dp.Resources[0].Schema.Fields {
		types[f.Name] = f.Type
	}
	if types["value"] != "number" || types["year"] != "integer" || types["withheld"] != "boolean" {
		t.Errorf("observation field types %v", types)
	}
	if len(dp.Provenance.Flags) == 0 || dp.Provenance.Flags[0].DescriptionEN == "" {
		t.Error("the flags' meanings are missing")
	}
	foundCC := false
	for _, l := range dp.Licenses {
		foundCC = foundCC || strings.Contains(l.Path, "creativecommons.org/licenses/by/3.0/igo")
	}
	if !foundCC {
		t.Errorf("licences %+v lack UN WUP's CC BY 3.0 IGO", dp.Licenses)
	}
	if len(dp.Provenance.Withheld) == 0 {
		t.Error("the provenance does not say which sources' values were withheld")
	}
	// Every source a row names is in the sources table with its licence
	// and citation.
	srcs := map[string]map[string]string{}
	for _, s := range readCSV(t, bytes.NewReader(files["data/sources.csv"])) {
		srcs[s["code"]] = s
	}
	for _, o := range readCSV(t, bytes.NewReader(files["data/observations.csv"])) {
		if c := o["source_code"]; c != "" && (srcs[c] == nil || srcs[c]["licence"] == "" || srcs[c]["citation"] == "") {
			t.Fatalf("source %q of observation %s is not described", c, o["observation_id"])
		}
	}
	// The targets travel with their sources described: Milan's −45 % by
	// 2030 against 2005 (CDP 2021, base 7,418,000 t, 41.5 % achieved as
	// reported) and Hanoi's dated "No target" of 2021.
	var milan45, hanoiNone bool
	for _, r := range readCSV(t, bytes.NewReader(files["data/targets.csv"])) {
		if srcs[r["source_code"]] == nil || srcs[r["source_code"]]["kind"] == "" {
			t.Fatalf("source %q of target %s is not described", r["source_code"], r["target_id"])
		}
		milan45 = milan45 || (r["city_code"] == "milan" && r["source_code"] == "cdp_targets_2021" && r["percent"] == "45" &&
			r["base_year"] == "2005" && r["base_value"] == "7418000" && r["target_year"] == "2030" && r["achieved_percent_reported"] == "41.5")
		hanoiNone = hanoiNone || (r["city_code"] == "hanoi" && r["kind"] == "no_target" && r["report_year"] == "2021")
	}
	if !milan45 || !hanoiNone {
		t.Errorf("targets resource: Milan −45 %% %v, Hanoi No target 2021 %v", milan45, hanoiNone)
	}
	if srcs["cdp_citywide_2021"]["kind"] != "reported" || srcs["un_wup_2018_f12"]["kind"] != "official" {
		t.Errorf("source kinds in the package: CDP %q, UN %q", srcs["cdp_citywide_2021"]["kind"], srcs["un_wup_2018_f12"]["kind"])
	}
	if srcs["who_aaq_2022_v2022"]["redistribution"] != "not_permitted" || srcs["un_wup_2018_f12"]["redistribution"] != "permitted" {
		t.Errorf("redistribution: WHO %q, UN %q", srcs["who_aaq_2022_v2022"]["redistribution"], srcs["un_wup_2018_f12"]["redistribution"])
	}
}

// repoRoot is the module root, where node_modules and scripts live.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// needNode finds node and an npm package installed by `make assets`;
// it skips only on a developer machine without node, never in CI.
func needNode(t *testing.T, pkg string) string {
	t.Helper()
	node := lookPath(t, "node", "install Node.js")
	if _, err := os.Stat(filepath.Join(repoRoot(t), "node_modules", pkg)); err != nil {
		t.Fatalf("node_modules/%s is missing: run `make assets` (npm ci)", pkg)
	}
	return node
}

func TestDataPackageValidatesWithFrictionless(t *testing.T) {
	node := needNode(t, "datapackage")
	app := testapp.New(t, testapp.Options{})
	for _, url := range []string{"/data/download?format=datapackage", "/data/download?format=datapackage&pair=hanoi-milan&from=2010&to=2020"} {
		code, body, _ := get(t, app.Handler, url)
		if code != http.StatusOK {
			t.Fatalf("%s: status %d", url, code)
		}
		dir := t.TempDir()
		unzip(t, []byte(body), dir)
		cmd := exec.Command(node, filepath.Join(repoRoot(t), "scripts", "validate-datapackage.js"), dir)
		cmd.Dir = repoRoot(t)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: the validator rejects the package: %v\n%s", url, err, out)
		}
		var res struct {
			Valid bool
			Rows  map[string]int
		}
		if err := json.Unmarshal(out[bytes.LastIndexByte(bytes.TrimSpace(out), '\n')+1:], &res); err != nil {
			t.Fatalf("validator output %q: %v", out, err)
		}
		if !res.Valid || res.Rows["observations"] == 0 {
			t.Errorf("%s: validator says %s", url, out)
		}
	}
}

// hostileApp is a seeded app whose stored text looks like formulas.
func hostileApp(t *testing.T) (*testapp.App, int64) {
	t.Helper()
	app := testapp.New(t, testapp.Options{})
	var id int64
	// An open (permitted) value, so that its note is not withheld.
	if err := app.DB.W.QueryRow(`SELECT o.id FROM observations o JOIN sources s ON s.id = o.source_id
		WHERE s.code = 'un_wup_2018_f12' AND o.retired_by IS NULL ORDER BY o.id LIMIT 1`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE observations SET note = '=HYPERLINK("http://evil.example","x")', value_as_given = '@SUM(1+1)', unit_as_given = '-2+3' WHERE id = ?`,
		`UPDATE areas SET name = '+cmd|'' /C calc''!A0' WHERE id = (SELECT area_id FROM observations WHERE id = ?)`,
		`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version' AND ? > 0`,
	} {
		if _, err := app.DB.W.Exec(q, id); err != nil {
			t.Fatal(err)
		}
	}
	return app, id
}

func TestFormulaLookingTextStaysText(t *testing.T) {
	app, id := hostileApp(t)
	url := "/data/download?source=un_wup_2018_f12"
	_, body, _ := get(t, app.Handler, url+"&format=csv")
	var row map[string]string
	for _, r := range readCSV(t, strings.NewReader(body)) {
		if r["observation_id"] == strconv.FormatInt(id, 10) {
			row = r
		}
	}
	if row == nil {
		t.Fatal("the hostile row is not in the CSV")
	}
	for col, want := range map[string]string{
		"note":           `'=HYPERLINK("http://evil.example","x")`,
		"value_as_given": "'@SUM(1+1)",
		"unit_as_given":  "'-2+3",
		"city_name":      "'+cmd|' /C calc'!A0",
	} {
		if row[col] != want {
			t.Errorf("CSV %s = %q, want %q", col, row[col], want)
		}
	}
	// Plain numbers are numbers, not guarded text.
	for _, r := range readCSV(t, strings.NewReader(body)) {
		if strings.HasPrefix(r["value"], "'") || strings.HasPrefix(r["year"], "'") {
			t.Fatalf("a number was guarded: %v", r)
		}
	}

	// In the workbook the same text is an inline string cell: shown as
	// text, never a formula, and without the CSV's apostrophe.
	_, xbody, _ := get(t, app.Handler, url+"&format=xlsx")
	f, err := excelize.OpenReader(strings.NewReader(xbody))
	if err != nil {
		t.Fatalf("excelize cannot open the workbook: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("data")
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	found := false
	for i, r := range rows[1:] {
		if r[0] != strconv.FormatInt(id, 10) {
			continue
		}
		found = true
		for name, want := range map[string]string{"note": `=HYPERLINK("http://evil.example","x")`, "value_as_given": "@SUM(1+1)", "unit_as_given": "-2+3", "city_name": "+cmd|' /C calc'!A0"} {
			cell, _ := excelize.CoordinatesToCellName(col[name]+1, i+2)
			v, _ := f.GetCellValue("data", cell)
			formula, _ := f.GetCellFormula("data", cell)
			typ, _ := f.GetCellType("data", cell)
			if v != want || formula != "" || typ != excelize.CellTypeInlineString {
				t.Errorf("XLSX %s (%s) = %q, formula %q, type %v; want text %q", name, cell, v, formula, typ, want)
			}
		}
	}
	if !found {
		t.Fatal("the hostile row is not in the workbook")
	}
}

func TestXLSXHoldsTheSameValues(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	code, body, hdr := get(t, app.Handler, "/data/download?format=xlsx")
	if code != http.StatusOK || !strings.Contains(hdr.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("status %d, type %q", code, hdr.Get("Content-Type"))
	}
	f, err := excelize.OpenReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, sheet := range []string{"data", "indicators", "cities", "sources", "flags", "about"} {
		if idx, err := f.GetSheetIndex(sheet); err != nil || idx < 0 {
			t.Errorf("workbook lacks sheet %s", sheet)
		}
	}
	rows, err := f.GetRows("data", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]string
	for _, r := range rows[1:] {
		m := map[string]string{}
		for i, h := range rows[0] {
			if i < len(r) {
				m[h] = r[i]
			}
		}
		// Booleans are stored as 1/0 in a workbook.
		m["withheld"] = map[string]string{"1": "true", "0": "false", "TRUE": "true", "FALSE": "false"}[m["withheld"]]
		got = append(got, m)
	}
	want := dbObservations(t, app, "")
	compareWithDBDigits(t, want, got, dataVersion(t, app), 15)
	// Numbers are numeric cells a spreadsheet computes with; a stored
	// value (at most 15 digits as printed) comes back exactly.
	for i, w := range want {
		if w.Withheld || !w.Value.Valid || w.Numerator.Valid {
			continue
		}
		cell, _ := excelize.CoordinatesToCellName(10, i+2)
		typ, _ := f.GetCellType("data", cell)
		v, _ := f.GetCellValue("data", cell, excelize.Options{RawCellValue: true})
		if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber || v != strconv.FormatFloat(w.Value.Float64, 'f', -1, 64) {
			t.Errorf("value cell %s: type %v, %q; want the number %v", cell, typ, v, w.Value.Float64)
		}
		break
	}
	about, err := f.GetRows("about")
	if err != nil {
		t.Fatal(err)
	}
	text := ""
	for _, r := range about {
		text += strings.Join(r, " ") + "\n"
	}
	for _, w := range []string{"dataset_version", "citation", "withheld", "formula", "url http://127.0.0.1:8080/data/download?format=xlsx"} {
		if !strings.Contains(text, w) {
			t.Errorf("about sheet lacks %q", w)
		}
	}
	if strings.Contains(text, " /data/download") {
		t.Error("the about sheet cites a relative address")
	}
	// Each sheet declares the range it uses, so that a reader trusting
	// the declaration (openpyxl read-only) sees every row and column.
	for _, sheet := range []string{"data", "indicators", "cities", "sources", "flags", "about"} {
		rows, _ := f.GetRows(sheet)
		last, _ := excelize.CoordinatesToCellName(len(rows[0]), len(rows))
		if dim, err := f.GetSheetDimension(sheet); err != nil || dim != "A1:"+last {
			t.Errorf("sheet %s declares %q, holds A1:%s", sheet, dim, last)
		}
	}
}

func TestJSONDownloadCarriesProvenance(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	code, body, _ := get(t, app.Handler, "/data/download?format=json&indicator=ghg_per_capita")
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	var doc struct {
		Observations []struct {
			ID       int64
			Value    *float64
			Source   *string
			Computed *struct {
				Numerator, Denominator int64
				NumeratorSource        string `json:"numerator_source"`
			}
		}
		Sources    []struct{ Code, Licence, Citation string }
		Provenance struct {
			DatasetVersion string `json:"dataset_version"`
			Citation       string
			Notes          []string
			Flags          []struct{ Code string }
		}
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	want := dbObservations(t, app, "AND i.code = 'ghg_per_capita'")
	if len(doc.Observations) != len(want) || len(want) == 0 {
		t.Fatalf("%d observations, want %d", len(doc.Observations), len(want))
	}
	for i, o := range doc.Observations {
		w := want[i]
		if o.Computed == nil || o.Computed.Numerator != w.Numerator.Int64 || o.Computed.Denominator != w.Denominator.Int64 || o.Source != nil {
			t.Errorf("observation %d: computed %+v, want components %d/%d", o.ID, o.Computed, w.Numerator.Int64, w.Denominator.Int64)
		}
		if !w.Withheld && (o.Value == nil || *o.Value != w.Value.Float64) {
			t.Errorf("observation %d: value %v, want %v", o.ID, o.Value, w.Value.Float64)
		}
	}
	if len(doc.Sources) < 2 || doc.Provenance.DatasetVersion != dataVersion(t, app) || len(doc.Provenance.Flags) == 0 || len(doc.Provenance.Notes) == 0 {
		t.Errorf("provenance: %+v, sources %d", doc.Provenance, len(doc.Sources))
	}
	for _, s := range doc.Sources {
		if s.Licence == "" || s.Citation == "" {
			t.Errorf("source %s lacks licence or citation", s.Code)
		}
	}
}

// servedRows fetches a CSV download and lists its observation ids.
func servedIDs(t *testing.T, h http.Handler, url string) []string {
	t.Helper()
	code, body, _ := get(t, h, url)
	if code != http.StatusOK {
		t.Fatalf("GET %s = %d", url, code)
	}
	var ids []string
	for _, r := range readCSV(t, strings.NewReader(body)) {
		ids = append(ids, r["observation_id"])
	}
	return ids
}

func idsOf(obs []dbObs) []string {
	var out []string
	for _, o := range obs {
		out = append(out, strconv.FormatInt(o.ID, 10))
	}
	return out
}

var csvLinkRe = regexp.MustCompile(`href="([^"]+)" download data-format="csv"`)

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// shownIDs applies the pages' headline rule, as the metrics package
// does for the charts (metrics.NewDataset), to the stored observations:
// the ids of the values a page shows, in id order.
func shownIDs(t *testing.T, app *testapp.App, obs []dbObs) []string {
	t.Helper()
	ids := make([]int64, 0, len(obs))
	for _, o := range obs {
		ids = append(ids, o.ID)
	}
	var areaIDs []int64
	if err := app.DB.R.Select(&areaIDs, `SELECT DISTINCT area_id FROM observations WHERE retired_by IS NULL`); err != nil {
		t.Fatal(err)
	}
	all, err := app.Store.ObservationsForAreas(context.Background(), areaIDs)
	if err != nil {
		t.Fatal(err)
	}
	d := metrics.NewDataset(all)
	keep := map[int64]bool{}
	for _, o := range all {
		if !o.Year.Valid || !o.Value.Valid {
			keep[o.ID] = true
			continue
		}
		if p, ok := d.At(o.AreaID, o.IndicatorID, int(o.Year.Int64)); ok && p.Obs.ID == o.ID {
			keep[o.ID] = true
		}
	}
	var out []string
	for _, id := range ids {
		if keep[id] {
			out = append(out, strconv.FormatInt(id, 10))
		}
	}
	return out
}

func TestPagesOfferTheirOwnData(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	cases := []struct {
		page, link string
		where      string
	}{
		// The pair page draws Hanoi, Milan, their linked areas and their countries.
		{"/pairs/hanoi-milan", "/data/download?format=csv&amp;pair=hanoi-milan&amp;shown=1",
			`AND (a.slug IN ('hanoi', 'milan', 'vietnam', 'italy') OR a.parent_id IN (SELECT id FROM areas WHERE slug IN ('hanoi', 'milan')))`},
		{"/cities/hanoi", "/data/download?city=hanoi%2Chanoi-agglomeration&amp;format=csv&amp;shown=1",
			`AND (a.slug = 'hanoi' OR a.parent_id = (SELECT id FROM areas WHERE slug = 'hanoi'))`},
		{"/indicators/pm25_annual_mean", "/data/download?format=csv&amp;indicator=pm25_annual_mean&amp;shown=1", `AND i.code = 'pm25_annual_mean'`},
	}
	for _, c := range cases {
		t.Run(c.page, func(t *testing.T) {
			_, body, _ := get(t, app.Handler, c.page)
			if !strings.Contains(body, "Download this data") {
				t.Fatal("no download section")
			}
			for _, f := range []string{"csv", "xlsx", "json", "datapackage"} {
				if !strings.Contains(body, "format="+f) {
					t.Errorf("no %s link", f)
				}
			}
			m := csvLinkRe.FindStringSubmatch(body)
			if m == nil || m[1] != c.link {
				t.Fatalf("CSV link %v, want %s", m, c.link)
			}
			href := html.UnescapeString(m[1])
			// Exactly what the page shows: one value per area, indicator
			// and year by the headline rule.
			got := servedIDs(t, app.Handler, href)
			stored := dbObservations(t, app, c.where)
			want := shownIDs(t, app, stored)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("%s gives %d rows, the page shows %d", href, len(got), len(want))
			}
			if len(want) >= len(stored) && c.page != "/cities/hanoi" {
				t.Errorf("the page shows all %d stored values: the headline rule chose nothing", len(stored))
			}
			// Without shown=1, every stored value, alternatives included.
			all := servedIDs(t, app.Handler, strings.Replace(href, "&shown=1", "", 1))
			if strings.Join(all, ",") != strings.Join(idsOf(stored), ",") {
				t.Errorf("without shown: %d rows, %d stored", len(all), len(stored))
			}
		})
	}
	// Hanoi's three PM2.5 values of 2016: the pair's download carries the
	// one the page shows (50.81, the newest vintage), not the others.
	rows := readCSVBody(t, app, "/data/download?format=csv&pair=hanoi-milan&shown=1")
	var ids []string
	for _, r := range rows {
		if r["city_code"] == "hanoi" && r["indicator_code"] == "pm25_annual_mean" && r["year"] == "2016" {
			ids = append(ids, r["observation_id"])
		}
	}
	want := dbObservations(t, app, `AND a.slug = 'hanoi' AND i.code = 'pm25_annual_mean' AND o.year = 2016 AND o.value = 50.81`)
	if len(ids) != 1 || len(want) != 1 || ids[0] != strconv.FormatInt(want[0].ID, 10) {
		t.Errorf("Hanoi PM2.5 2016 rows %v, want only observation %v (50.81)", ids, idsOf(want))
	}
}

func readCSVBody(t *testing.T, app *testapp.App, url string) []map[string]string {
	t.Helper()
	code, body, _ := get(t, app.Handler, url)
	if code != http.StatusOK {
		t.Fatalf("GET %s = %d", url, code)
	}
	return readCSV(t, strings.NewReader(body))
}

func TestDownloadCentre(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	var all int
	app.DB.R.QueryRow(`SELECT COUNT(*) FROM observations WHERE retired_by IS NULL`).Scan(&all)
	code, body, _ := get(t, app.Handler, "/data")
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if !strings.Contains(body, `data-count="`+strconv.Itoa(all)+`"`) {
		t.Errorf("the centre does not count all %d values", all)
	}
	for _, w := range []string{`href="/api/v1/openapi.json"`, "format=datapackage", "who_aaq_2022_v2022", "values withheld", `id="problem-invalid-parameter"`} {
		if !strings.Contains(body, w) {
			t.Errorf("/data lacks %q", w)
		}
	}
	want := len(dbObservations(t, app, `AND a.slug IN ('hanoi', 'milan') AND i.theme = 'air' AND o.year BETWEEN 2015 AND 2019`))
	_, body, _ = get(t, app.Handler, "/data?city=hanoi&city=milan&theme=air&from=2015&to=2019")
	if !strings.Contains(body, `data-count="`+strconv.Itoa(want)+`"`) {
		t.Errorf("filtered count is not %d", want)
	}
	if !strings.Contains(body, "/data/download?city=hanoi%2Cmilan&amp;format=xlsx&amp;from=2015&amp;theme=air&amp;to=2019") {
		t.Error("the download link does not repeat the filters")
	}
	code, body, _ = get(t, app.Handler, "/data?from=2020&to=2001")
	if code != http.StatusBadRequest || !strings.Contains(body, "the year range is empty") {
		t.Errorf("bad range: status %d", code)
	}
}

func TestConditionalAndCompressedAnswers(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	do := func(url string, hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, url, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		app.Handler.ServeHTTP(rec, req)
		return rec
	}
	for _, url := range []string{"/api/v1/observations?city=hanoi", "/data/download?format=csv&pair=hanoi-milan", "/api/v1/sources"} {
		first := do(url, nil)
		etag := first.Header().Get("ETag")
		if first.Code != 200 || etag == "" || first.Header().Get("Last-Modified") == "" {
			t.Fatalf("%s: status %d, ETag %q, Last-Modified %q", url, first.Code, etag, first.Header().Get("Last-Modified"))
		}
		if again := do(url, map[string]string{"If-None-Match": etag}); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
			t.Errorf("%s: If-None-Match gave %d with %d bytes", url, again.Code, again.Body.Len())
		}
		// Gzip twice: the second answer comes from the cache and is the same bytes.
		gz1 := do(url, map[string]string{"Accept-Encoding": "gzip"})
		gz2 := do(url, map[string]string{"Accept-Encoding": "gzip"})
		if gz1.Header().Get("Content-Encoding") != "gzip" || !bytes.Equal(gz1.Body.Bytes(), gz2.Body.Bytes()) {
			t.Errorf("%s: gzip answers differ or are not gzip", url)
		}
		gzTag := gz2.Header().Get("ETag")
		if gzTag == etag || gzTag != gz1.Header().Get("ETag") {
			t.Errorf("%s: gzip ETags %q, %q; identity %q: want one of its own, stable", url, gz1.Header().Get("ETag"), gzTag, etag)
		}
		if got := gunzip(t, gz2.Body.Bytes()); !bytes.Equal(got, first.Body.Bytes()) {
			t.Errorf("%s: the gzip body is not the plain body", url)
		}
		if cached := do(url, map[string]string{"Accept-Encoding": "gzip", "If-None-Match": gzTag}); cached.Code != http.StatusNotModified {
			t.Errorf("%s: cached answer ignores If-None-Match: %d", url, cached.Code)
		}
	}
	// A change to the data changes the ETag.
	etag := do("/api/v1/sources", nil).Header().Get("ETag")
	if _, err := app.DB.W.Exec(`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'data_version'`); err != nil {
		t.Fatal(err)
	}
	// Bumped by hand, without the notification a write sends.
	app.Store.Refresh(context.Background())
	if rec := do("/api/v1/sources", map[string]string{"If-None-Match": etag}); rec.Code != http.StatusOK || rec.Header().Get("ETag") == etag {
		t.Errorf("after a change: status %d, ETag %q (was %q)", rec.Code, rec.Header().Get("ETag"), etag)
	}
}
