package dashboard_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// A profile a city office could send: its own CSV layout, long.
const officeProfile = `{
  "format_version": 1, "name": "office-air", "version": 1, "title": "City office air summary",
  "read": {"format": "csv", "header_line": 2, "delimiter": ";"},
  "recognise": {"columns": ["Town", "Measured in", "PM2.5 annual"]},
  "layout": {"kind": "long"},
  "area": {"columns": ["Town"]},
  "year": {"column": "Measured in"},
  "indicator": {"constant": "pm25_annual_mean"},
  "value": {"column": "PM2.5 annual", "decimal_comma": true},
  "unit": {"constant": "ug_m3"},
  "source": {"code": "who_aaq_2022_v2022"}
}`

// profileCall sends a request to the profiles API with a token (empty:
// none) and decodes the JSON answer.
func profileCall(t *testing.T, a *staffApp, token, method, path, body string) (int, map[string]any, http.Header) {
	t.Helper()
	req, _ := http.NewRequest(method, a.srv.URL+path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
		if strings.HasPrefix(body, "change=") {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%s %s answered %d with non-JSON: %.300s", method, path, res.StatusCode, b)
	}
	return res.StatusCode, out, res.Header
}

// TestImportProfilesAPI: who may do what with profiles through the API,
// and what a script is told about a profile that does not fit the
// format.
func TestImportProfilesAPI(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	adminTok, _, err := a.Store.CreateToken(context.Background(), adminEmail, "tests", testapp.Fixed)
	if err != nil {
		t.Fatal(err)
	}
	editorTok := a.token

	// No token, a bad token: 401 with the way to get one.
	if code, out, hdr := profileCall(t, a, "", "GET", "/api/v1/import-profiles", ""); code != http.StatusUnauthorized || hdr.Get("WWW-Authenticate") == "" || !strings.Contains(out["detail"].(string), "token") {
		t.Fatalf("no token: %d %v", code, out)
	}
	if code, _, _ := profileCall(t, a, "not-a-token", "POST", "/api/v1/import-profiles", officeProfile); code != http.StatusUnauthorized {
		t.Fatalf("bad token: %d", code)
	}

	// Schema errors name the key.
	for _, c := range []struct{ name, body, key, reason string }{
		{"unknown key", strings.Replace(officeProfile, `"layout"`, `"layuot"`, 1), "layuot", "unknown key"},
		{"wrong type", strings.Replace(officeProfile, `"header_line": 2`, `"header_line": "2"`, 1), "read.header_line", "expected"},
		{"long layout without a value column", strings.Replace(officeProfile, `"column": "PM2.5 annual", `, ``, 1), "value.column", "required"},
		{"not JSON", `{"name": `, "", "JSON"},
	} {
		code, out, _ := profileCall(t, a, editorTok, "POST", "/api/v1/import-profiles", c.body)
		if typ, _ := out["type"].(string); code != http.StatusUnprocessableEntity || !strings.HasPrefix(typ, "http") || !strings.HasSuffix(typ, "/api/v1/import-profiles/schema.json") {
			t.Errorf("%s: %d %v", c.name, code, out)
			continue
		}
		if c.key == "" {
			if !strings.Contains(out["detail"].(string), c.reason) {
				t.Errorf("%s: detail %q", c.name, out["detail"])
			}
			continue
		}
		found := false
		params, _ := out["invalid_params"].([]any)
		for _, p := range params {
			m := p.(map[string]any)
			if m["name"] == c.key && strings.Contains(m["reason"].(string), c.reason) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: invalid_params %v lack %s (%s)", c.name, params, c.key, c.reason)
		}
	}

	// An editor proposes.
	code, out, hdr := profileCall(t, a, editorTok, "POST", "/api/v1/import-profiles", officeProfile)
	if code != http.StatusCreated || out["status"] != "proposed" || out["created_by"] != editorEmail || out["kind"] != "staff" {
		t.Fatalf("editor's profile: %d %v", code, out)
	}
	loc := hdr.Get("Location")
	if !strings.HasPrefix(loc, "/api/v1/import-profiles/") {
		t.Fatalf("Location %q", loc)
	}
	// … and may not approve.
	if code, out, _ := profileCall(t, a, editorTok, "POST", loc+"/approve", ""); code != http.StatusForbidden || !strings.Contains(out["detail"].(string), "admins") {
		t.Fatalf("editor approving: %d %v", code, out)
	}
	if code, out, _ := profileCall(t, a, editorTok, "GET", "/api/v1/import-profiles?status=proposed", ""); code != http.StatusOK || len(out["profiles"].([]any)) != 1 {
		t.Fatalf("proposed: %d %v", code, out)
	}
	// An admin approves.
	code, out, _ = profileCall(t, a, adminTok, "POST", loc+"/approve", "")
	if code != http.StatusOK || out["status"] != "approved" || out["approved_by"] != adminEmail {
		t.Fatalf("admin approving: %d %v", code, out)
	}
	// An editor's change waits beside the approved profile, which stays
	// in use; the history says who changed what, newest first.
	changed := strings.Replace(officeProfile, `"version": 1`, `"version": 2`, 1)
	code, out, _ = profileCall(t, a, editorTok, "POST", "/api/v1/import-profiles", changed)
	if code != http.StatusOK || out["status"] != "approved" || out["version"] != float64(3) ||
		out["body"].(map[string]any)["version"] != float64(1) || out["proposed_body"].(map[string]any)["version"] != float64(2) {
		t.Fatalf("editor's change: %d %v", code, out)
	}
	code, out, _ = profileCall(t, a, editorTok, "GET", "/api/v1/import-profiles/office-air", "")
	if code != http.StatusOK {
		t.Fatalf("show by name: %d %v", code, out)
	}
	changes := out["changes"].([]any)
	if len(changes) != 3 {
		t.Fatalf("changes: %v", changes)
	}
	last := changes[0].(map[string]any)
	if last["action"] != "propose" || last["user"] != editorEmail || last["old_body"].(map[string]any)["version"] != float64(1) || last["new_body"].(map[string]any)["version"] != float64(2) {
		t.Errorf("last change: %v", last)
	}
	// An admin reverts the proposal: version 1 of the body, nothing
	// waiting.
	revert := "change=" + jsonStr(last["id"])
	if code, _, _ := profileCall(t, a, editorTok, "POST", loc+"/revert", revert); code != http.StatusForbidden {
		t.Errorf("editor reverting: %d", code)
	}
	code, out, _ = profileCall(t, a, adminTok, "POST", loc+"/revert", revert)
	if code != http.StatusOK || out["status"] != "approved" || out["body"].(map[string]any)["version"] != float64(1) || out["proposed_body"] != nil {
		t.Fatalf("revert: %d %v", code, out)
	}
	if code, _, _ := profileCall(t, a, adminTok, "POST", loc+"/revert", "change=99999"); code != http.StatusBadRequest {
		t.Errorf("revert of another profile's change: %d", code)
	}
	// Listed; an unknown one is 404 as a problem document.
	code, out, _ = profileCall(t, a, editorTok, "GET", "/api/v1/import-profiles?status=approved", "")
	names := ""
	for _, p := range out["profiles"].([]any) {
		names += p.(map[string]any)["name"].(string) + " "
	}
	if code != http.StatusOK || !strings.Contains(names, "office-air") {
		t.Errorf("approved list: %d %s", code, names)
	}
	if code, out, _ := profileCall(t, a, editorTok, "GET", "/api/v1/import-profiles?status=maybe", ""); code != http.StatusBadRequest {
		t.Errorf("bad status filter: %d %v", code, out)
	}
	if code, _, _ := profileCall(t, a, editorTok, "GET", "/api/v1/import-profiles/no-such-profile", ""); code != http.StatusNotFound {
		t.Errorf("unknown profile: %d", code)
	}
	// The admin retires it.
	if code, out, _ := profileCall(t, a, adminTok, "POST", loc+"/retire", ""); code != http.StatusOK || out["status"] != "retired" {
		t.Errorf("retire: %d %v", code, out)
	}
}

// TestProfileSchemaServed: the JSON Schema of the format is served to
// anyone, as JSON, and describes the keys the loader knows.
func TestProfileSchemaServed(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	res, err := http.Get(a.srv.URL + "/api/v1/import-profiles/schema.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var schema map[string]any
	if err := json.NewDecoder(res.Body).Decode(&schema); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("%d %v", res.StatusCode, err)
	}
	if ct := res.Header.Get("Content-Type"); !strings.Contains(ct, "json") {
		t.Errorf("Content-Type %q", ct)
	}
	props, _ := schema["properties"].(map[string]any)
	for _, k := range []string{"name", "read", "recognise", "layout", "area", "year", "indicator", "value", "unit", "source", "flags"} {
		if _, ok := props[k]; !ok {
			t.Errorf("schema lacks %s", k)
		}
	}
}

// TestImportProfilesAnswerTheirSchema: what the profiles API answers
// fits the schemas its OpenAPI document names.
func TestImportProfilesAnswerTheirSchema(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	_, body, _ := get(t, a.Handler, "/api/v1/openapi.json")
	var doc openAPI
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	ref := func(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
	check := func(what string, v any, schema string) {
		t.Helper()
		if errs := doc.checkSchema(what, ref(schema), v); len(errs) > 0 {
			t.Errorf("%s does not fit %s: %v", what, schema, errs)
		}
	}
	// An editor's proposal, so that a waiting change is listed too.
	if code, out, _ := profileCall(t, a, a.token, "POST", "/api/v1/import-profiles", officeProfile); code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, out)
	} else {
		check("POST /api/v1/import-profiles", out, "ImportProfile")
	}
	code, out, _ := profileCall(t, a, a.token, "GET", "/api/v1/import-profiles", "")
	if code != http.StatusOK || len(out["profiles"].([]any)) < 2 {
		t.Fatalf("list: %d", code)
	}
	check("GET /api/v1/import-profiles", out, "ImportProfileList")
	for _, name := range []string{"who-aaq-2022-csv", "office-air"} {
		code, out, _ := profileCall(t, a, a.token, "GET", "/api/v1/import-profiles/"+name, "")
		if code != http.StatusOK || len(out["changes"].([]any)) == 0 {
			t.Fatalf("%s: %d %v", name, code, out)
		}
		check("GET /api/v1/import-profiles/"+name, out, "ImportProfileWithChanges")
	}
	code, out, _ = profileCall(t, a, a.token, "POST", "/api/v1/import-profiles", `{"name": 3}`)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("bad profile: %d", code)
	}
	check("POST a bad profile", out, "Problem")
}
