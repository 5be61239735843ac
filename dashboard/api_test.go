package dashboard_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

func getJSON(t *testing.T, h http.Handler, url string, into any) (int, http.Header) {
	t.Helper()
	code, body, hdr := get(t, h, url)
	if err := json.Unmarshal([]byte(body), into); err != nil {
		t.Fatalf("GET %s: not JSON (%v): %.200s", url, err, body)
	}
	return code, hdr
}

type apiObservation struct {
	ID        int64    `json:"id"`
	City      string   `json:"city"`
	Indicator string   `json:"indicator"`
	Year      *int64   `json:"year"`
	Value     *float64 `json:"value"`
	Source    *string  `json:"source"`
	Withheld  bool     `json:"withheld"`
	Note      string   `json:"note"`
}

type observationPage struct {
	Data []apiObservation `json:"data"`
	Meta struct {
		DataVersion string  `json:"data_version"`
		Count       int     `json:"count"`
		NextCursor  *string `json:"next_cursor"`
	} `json:"meta"`
	Links map[string]string `json:"links"`
}

func TestObservationsHanoiPM25(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	want := dbObservations(t, app, `AND a.slug = 'hanoi' AND i.code = 'pm25_annual_mean'`)
	if len(want) < 5 {
		t.Fatalf("the seed has %d Hanoi PM2.5 rows; expected several", len(want))
	}
	var page observationPage
	code, _ := getJSON(t, app.Handler, "/api/v1/observations?city=hanoi&indicator=pm25_annual_mean", &page)
	if code != http.StatusOK {
		t.Fatalf("status %d", code)
	}
	if len(page.Data) != len(want) || page.Meta.Count != len(want) || page.Meta.NextCursor != nil {
		t.Fatalf("%d rows (count %d, next %v), want exactly the %d seeded", len(page.Data), page.Meta.Count, page.Meta.NextCursor, len(want))
	}
	for i, o := range page.Data {
		w := want[i]
		if o.ID != w.ID || o.City != "hanoi" || o.Indicator != "pm25_annual_mean" || o.Source == nil || *o.Source != w.Source ||
			o.Year == nil || *o.Year != w.Year.Int64 || o.Withheld != w.Withheld {
			t.Errorf("row %d = %+v, want %+v", i, o, w)
		}
		switch {
		case w.Withheld && (o.Value != nil || !strings.HasPrefix(o.Note, "Value withheld")):
			t.Errorf("row %d: withheld WHO value shows %v, note %q", i, o.Value, o.Note)
		case !w.Withheld && (o.Value == nil || *o.Value != w.Value.Float64):
			t.Errorf("row %d: value %v, want %v", i, o.Value, w.Value.Float64)
		}
	}
	// The same selection as CSV, by parameter and by Accept header.
	for _, req := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/api/v1/observations?city=hanoi&indicator=pm25_annual_mean&format=csv", nil),
		func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/api/v1/observations?city=hanoi&indicator=pm25_annual_mean", nil)
			r.Header.Set("Accept", "text/csv")
			return r
		}(),
	} {
		rec := httptest.NewRecorder()
		app.Handler.ServeHTTP(rec, req)
		if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
			t.Fatalf("%s: Content-Type %q", req.URL, rec.Header().Get("Content-Type"))
		}
		compareWithDB(t, want, readCSV(t, rec.Body), dataVersion(t, app))
	}
}

func TestObservationsPagesCoverTheSelection(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	want := idsOf(dbObservations(t, app, `AND a.slug IN ('milan', 'kosice', 'italy') AND i.theme IN ('air', 'transport') AND o.year BETWEEN 2010 AND 2020`))
	url := "/api/v1/observations?city=milan,kosice&city=italy&theme=air,transport&from=2010&to=2020&limit=7"
	var got []string
	pages := 0
	for url != "" {
		var page observationPage
		code, hdr := getJSON(t, app.Handler, url, &page)
		if code != http.StatusOK || len(page.Data) > 7 {
			t.Fatalf("GET %s: %d with %d rows", url, code, len(page.Data))
		}
		for _, o := range page.Data {
			got = append(got, strconv.FormatInt(o.ID, 10))
		}
		pages++
		url = page.Links["next"]
		if url != "" && !strings.Contains(hdr.Get("Link"), `rel="next"`) {
			t.Error("no Link header to the next page")
		}
		if pages > 100 {
			t.Fatal("pages do not end")
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("pages give %d ids, the database %d", len(got), len(want))
	}
	if !sort.SliceIsSorted(got, func(i, j int) bool { a, _ := strconv.Atoi(got[i]); b, _ := strconv.Atoi(got[j]); return a < b }) {
		t.Error("ids are not in order")
	}
	if pages < 2 {
		t.Errorf("only %d page: the test needs several", pages)
	}
}

type cityPage struct {
	Data []struct {
		Code string `json:"code"`
		Kind string `json:"kind"`
	} `json:"data"`
	Meta struct {
		Count      int     `json:"count"`
		Total      int     `json:"total"`
		NextCursor *string `json:"next_cursor"`
	} `json:"meta"`
	Links map[string]string `json:"links"`
}

// TestCitiesPagesCoverTheAreas: the list of areas comes in pages that
// together hold every area of the database once, the programme's cities
// first; the seed's areas all fit on the first page.
func TestCitiesPagesCoverTheAreas(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	var want []string
	rows, err := app.DB.R.Query(`SELECT slug FROM areas ORDER BY slug`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		want = append(want, s)
	}
	rows.Close()
	var pairCities []string
	prows, err := app.DB.R.Query(`SELECT DISTINCT a.slug FROM pair_members m JOIN areas a ON a.id = m.area_id`)
	if err != nil {
		t.Fatal(err)
	}
	for prows.Next() {
		var s string
		if err := prows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		pairCities = append(pairCities, s)
	}
	prows.Close()
	if len(pairCities) < 4 {
		t.Fatalf("the seed's pairs have %d cities", len(pairCities))
	}

	// The default answer: every seeded area, no next page.
	var first cityPage
	code, hdr := getJSON(t, app.Handler, "/api/v1/cities", &first)
	if code != http.StatusOK || len(first.Data) != len(want) || first.Meta.Total != len(want) || first.Meta.NextCursor != nil || hdr.Get("Link") != "" {
		t.Fatalf("default answer: %d, %d areas of %d (total %d, next %v), want all %d on one page", code, len(first.Data), len(want), first.Meta.Total, first.Meta.NextCursor, len(want))
	}

	// Pages of 10: every area once, the pairs' cities before the rest.
	url := "/api/v1/cities?limit=10"
	var got []string
	pages := 0
	for url != "" {
		var page cityPage
		code, hdr := getJSON(t, app.Handler, url, &page)
		if code != http.StatusOK || len(page.Data) > 10 || page.Meta.Count != len(page.Data) || page.Meta.Total != len(want) {
			t.Fatalf("GET %s: %d with %d areas (count %d, total %d)", url, code, len(page.Data), page.Meta.Count, page.Meta.Total)
		}
		for _, a := range page.Data {
			got = append(got, a.Code)
		}
		pages++
		url = page.Links["next"]
		if (url != "") != strings.Contains(hdr.Get("Link"), `rel="next"`) {
			t.Errorf("page %d: next %q but Link %q", pages, url, hdr.Get("Link"))
		}
		if pages > 100 {
			t.Fatal("pages do not end")
		}
	}
	if pages != (len(want)+9)/10 {
		t.Errorf("%d pages of 10 for %d areas", pages, len(want))
	}
	pos := map[string]int{}
	for i, c := range got {
		if _, dup := pos[c]; dup {
			t.Errorf("%s comes twice", c)
		}
		pos[c] = i
	}
	sorted := append([]string(nil), got...)
	sort.Strings(sorted)
	if strings.Join(sorted, ",") != strings.Join(want, ",") {
		t.Errorf("pages give %d areas, the database holds %d", len(got), len(want))
	}
	for _, c := range pairCities {
		if pos[c] >= len(pairCities)*3 {
			t.Errorf("%s, a city of a pair, comes at %d: after other areas", c, pos[c])
		}
	}
	for _, bad := range []string{"limit=0", "limit=1001", "cursor=zzz"} {
		var p problemDoc
		if code, _ := getJSON(t, app.Handler, "/api/v1/cities?"+bad, &p); code != http.StatusBadRequest || len(p.InvalidParams) == 0 {
			t.Errorf("?%s: %d %+v", bad, code, p)
		}
	}
}

type problemDoc struct {
	Type          string `json:"type"`
	Title         string `json:"title"`
	Status        int    `json:"status"`
	Detail        string `json:"detail"`
	InvalidParams []struct {
		Name   string `json:"name"`
		Reason string `json:"reason"`
	} `json:"invalid_params"`
}

func TestBadParametersGetProblemDocuments(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	cases := []struct {
		url    string
		status int
		params []string
	}{
		{"/api/v1/observations?from=2020&to=2010", 400, []string{"from", "to"}},
		{"/data/download?format=csv&from=2020&to=2010", 400, []string{"from", "to"}},
		{"/api/v1/observations?from=20x0", 400, []string{"from"}},
		{"/api/v1/observations?to=1800", 400, []string{"to"}},
		{"/api/v1/observations?city=hanoi,atlantis", 400, []string{"city"}},
		{"/api/v1/observations?indicator=happiness", 400, []string{"indicator"}},
		{"/api/v1/observations?theme=joy", 400, []string{"theme"}},
		{"/api/v1/observations?source=rumour", 400, []string{"source"}},
		{"/api/v1/observations?pair=hanoi-paris", 400, []string{"pair"}},
		{"/api/v1/observations?limit=0", 400, []string{"limit"}},
		{"/api/v1/observations?cursor=abc", 400, []string{"cursor"}},
		{"/api/v1/observations?format=xml", 400, []string{"format"}},
		{"/api/v1/observations?cities=hanoi", 400, []string{"cities"}},
		{"/data/download?format=pdf", 400, []string{"format"}},
		{"/api/v1/cities?x=1", 400, []string{"x"}},
		{"/api/v1/nothing", 404, nil},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			var p problemDoc
			code, hdr := getJSON(t, app.Handler, c.url, &p)
			if code != c.status || hdr.Get("Content-Type") != "application/problem+json" || p.Status != c.status || p.Type == "" || p.Title == "" {
				t.Fatalf("status %d, type %q, problem %+v", code, hdr.Get("Content-Type"), p)
			}
			var names []string
			for _, ip := range p.InvalidParams {
				names = append(names, ip.Name)
				if ip.Reason == "" {
					t.Errorf("no reason for %s", ip.Name)
				}
			}
			if fmt.Sprint(names) != fmt.Sprint(c.params) && !(len(names) == 0 && len(c.params) == 0) {
				t.Errorf("invalid_params %v, want %v", names, c.params)
			}
		})
	}
}

func TestOpenAPIDocumentPassesRedocly(t *testing.T) {
	node := needNode(t, "@redocly/cli")
	root := repoRoot(t)
	cli := filepath.Join(root, "node_modules", "@redocly", "cli", "bin", "cli.js")
	if _, err := os.Stat(cli); err != nil {
		t.Fatalf("redocly's entry point moved: %v", err)
	}
	// Lint what the server serves, not just the file in the tree.
	app := testapp.New(t, testapp.Options{})
	_, body, _ := get(t, app.Handler, "/api/v1/openapi.json")
	doc := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(doc, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, cli, "lint", "--config", filepath.Join(root, "redocly.yaml"), doc)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redocly lint fails: %v\n%s", err, out)
	}
	// Warnings do not fail redocly's exit code; they fail this test.
	if regexp.MustCompile(`You have \d+ warning`).Match(out) || !strings.Contains(string(out), "Your API description is valid") {
		t.Errorf("redocly lint is not clean:\n%s", out)
	}
}

// openAPI is the part of an OpenAPI document this test reads.
type openAPI struct {
	Paths map[string]map[string]struct {
		Security   []map[string]any `json:"security"`
		Parameters []map[string]any `json:"parameters"`
		Responses  map[string]struct {
			Ref     string `json:"$ref"`
			Content map[string]struct {
				Schema map[string]any `json:"schema"`
			} `json:"content"`
		} `json:"responses"`
	} `json:"paths"`
	Components struct {
		Schemas    map[string]map[string]any `json:"schemas"`
		Parameters map[string]map[string]any `json:"parameters"`
	} `json:"components"`
}

// checkSchema checks a decoded JSON value against a schema's types and
// required fields, following $refs, and returns what is wrong.
func (d *openAPI) checkSchema(path string, schema map[string]any, v any) []string {
	if ref, ok := schema["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		s, ok := d.Components.Schemas[name]
		if !ok {
			return []string{path + ": unknown schema " + ref}
		}
		return d.checkSchema(path, s, v)
	}
	if alts, ok := schema["oneOf"].([]any); ok {
		var errs []string
		matched := 0
		for _, a := range alts {
			e := d.checkSchema(path, a.(map[string]any), v)
			if len(e) == 0 {
				matched++
			}
			errs = append(errs, e...)
		}
		if matched != 1 {
			return append([]string{fmt.Sprintf("%s: matches %d of oneOf", path, matched)}, errs...)
		}
		return nil
	}
	var types []string
	switch t := schema["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			types = append(types, x.(string))
		}
	}
	if len(types) > 0 {
		ok := false
		for _, t := range types {
			switch t {
			case "object":
				_, ok2 := v.(map[string]any)
				ok = ok || ok2
			case "array":
				_, ok2 := v.([]any)
				ok = ok || ok2
			case "string":
				_, ok2 := v.(string)
				ok = ok || ok2
			case "number":
				_, ok2 := v.(float64)
				ok = ok || ok2
			case "integer":
				f, ok2 := v.(float64)
				ok = ok || (ok2 && f == float64(int64(f)))
			case "boolean":
				_, ok2 := v.(bool)
				ok = ok || ok2
			case "null":
				ok = ok || v == nil
			}
		}
		if !ok {
			return []string{fmt.Sprintf("%s: %T is not %v", path, v, types)}
		}
	}
	var errs []string
	if enum, ok := schema["enum"].([]any); ok && v != nil {
		in := false
		for _, e := range enum {
			in = in || e == v
		}
		if !in {
			errs = append(errs, fmt.Sprintf("%s: %v not in %v", path, v, enum))
		}
	}
	switch x := v.(type) {
	case map[string]any:
		if req, ok := schema["required"].([]any); ok {
			for _, r := range req {
				if _, ok := x[r.(string)]; !ok {
					errs = append(errs, path+": lacks required "+r.(string))
				}
			}
		}
		if props, ok := schema["properties"].(map[string]any); ok {
			for name, ps := range props {
				if fv, ok := x[name]; ok {
					errs = append(errs, d.checkSchema(path+"."+name, ps.(map[string]any), fv)...)
				}
			}
			// A field the document does not name is a mismatch too.
			if _, open := schema["additionalProperties"]; !open {
				for name := range x {
					if _, ok := props[name]; !ok {
						errs = append(errs, path+": undocumented field "+name)
					}
				}
			}
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, it := range x {
				errs = append(errs, d.checkSchema(fmt.Sprintf("%s[%d]", path, i), items, it)...)
				if len(errs) > 20 {
					return errs
				}
			}
		}
	}
	return errs
}

func TestEveryDocumentedPathAnswersItsSchema(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	_, body, _ := get(t, app.Handler, "/api/v1/openapi.json")
	var doc openAPI
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Paths) < 8 {
		t.Fatalf("the document lists %d paths", len(doc.Paths))
	}
	// Example filter values that select something, per parameter.
	examples := map[string]string{"city": "hanoi,milan", "pair": "hanoi-milan", "indicator": "pm25_annual_mean,ghg_per_capita",
		"theme": "air,climate", "source": "un_wup_2018_f12,cdp_citywide_2019", "from": "2000", "to": "2030", "limit": "5"}
	for path, ops := range doc.Paths {
		if strings.HasPrefix(path, "/api/v1/uploads") {
			continue // staff only: TestUploadsAPIAnswersItsSchema
		}
		if strings.HasPrefix(path, "/api/v1/import-profiles/{") || path == "/api/v1/import-profiles" {
			continue // staff only: TestImportProfilesAnswerTheirSchema
		}
		op, ok := ops["get"]
		if !ok {
			t.Errorf("%s has no GET", path)
			continue
		}
		ok200 := op.Responses["200"]
		for ctype, media := range ok200.Content {
			urls := []string{path}
			// With every documented filter at once, too.
			var q []string
			formats := []string{""}
			for _, p := range op.Parameters {
				if ref, ok := p["$ref"].(string); ok {
					p = doc.Components.Parameters[strings.TrimPrefix(ref, "#/components/parameters/")]
				}
				name, _ := p["name"].(string)
				if p["in"] == "query" && examples[name] != "" {
					q = append(q, name+"="+examples[name])
				}
				if name == "format" {
					formats = nil
					sch := p["schema"].(map[string]any)
					for _, f := range sch["enum"].([]any) {
						formats = append(formats, f.(string))
					}
				}
			}
			if len(q) > 0 {
				urls = append(urls, path+"?"+strings.Join(q, "&"))
			}
			for _, u := range urls {
				for _, f := range formats {
					url := u
					if f != "" {
						url += map[bool]string{true: "&", false: "?"}[strings.Contains(u, "?")] + "format=" + f
					}
					rec := httptest.NewRecorder()
					app.Handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, url, nil))
					if rec.Code != http.StatusOK {
						t.Errorf("GET %s = %d: %.300s", url, rec.Code, rec.Body.String())
						continue
					}
					got := rec.Header().Get("Content-Type")
					if _, documented := ok200.Content[strings.TrimSpace(strings.Split(got, ";")[0])]; !documented {
						t.Errorf("GET %s: Content-Type %q is not documented", url, got)
					}
					if ctype != "application/json" || !strings.HasPrefix(got, "application/json") {
						continue
					}
					var v any
					if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
						t.Errorf("GET %s: %v", url, err)
						continue
					}
					for _, e := range doc.checkSchema(url, media.Schema, v) {
						t.Error(e)
					}
				}
			}
		}
	}
	// And the documented error answer.
	var p any
	getJSON(t, app.Handler, "/api/v1/observations?from=abc", &p)
	for _, e := range doc.checkSchema("problem", map[string]any{"$ref": "#/components/schemas/Problem"}, p) {
		t.Error(e)
	}
}

func TestHostileLabelsInDownloadsAndAPI(t *testing.T) {
	app := testapp.New(t, testapp.Options{Seed: hostileSeed(t)})
	for _, url := range []string{"/data", "/data?city=milan", "/api/v1/cities", "/api/v1/observations?city=milan", "/api/v1/sources",
		"/data/download?format=json&city=milan"} {
		code, body, _ := get(t, app.Handler, url)
		if code != 200 {
			t.Fatalf("GET %s = %d", url, code)
		}
		if strings.Contains(body, "<script>") {
			t.Errorf("%s writes the hostile label as markup", url)
		}
	}
	// JSON carries the label as data: it decodes to the same string.
	var cities struct {
		Data []struct {
			Code, Name string
		}
	}
	getJSON(t, app.Handler, "/api/v1/cities", &cities)
	found := false
	for _, c := range cities.Data {
		found = found || (c.Code == "milan" && c.Name == hostile)
	}
	if !found {
		t.Error("the hostile name does not survive the JSON round trip")
	}
	// CSV is served as an attachment that browsers do not sniff, and
	// quotes the label as text.
	code, body, hdr := get(t, app.Handler, "/data/download?format=csv&city=milan")
	if code != 200 || hdr.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(hdr.Get("Content-Disposition"), "attachment") {
		t.Errorf("CSV headers %v", hdr)
	}
	rows := readCSV(t, strings.NewReader(body))
	if len(rows) == 0 || rows[0]["city_name"] != hostile {
		t.Errorf("CSV city_name %q, want the stored label", rows[0]["city_name"])
	}
}
