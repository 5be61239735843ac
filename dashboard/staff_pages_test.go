package dashboard_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// TestCatalogueAliasThenUpload: an admin adds an alias to a city; an
// upload naming the city by it is then accepted. A new city name is an
// error until an admin adds the city.
func TestCatalogueAliasThenUpload(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	file := []byte("city,indicator,year,value,unit,source\nKE,pm25_annual_mean,2031,11.5,ug/m3,who_aaq_2022_v2022\nTestville,pm25_annual_mean,2031,11.5,ug/m3,who_aaq_2022_v2022\n")
	_, out := a.apiUpload(t, "f.csv", file)
	if c := out["counts"].(map[string]any); c["rejected"] != float64(2) {
		t.Fatalf("before: %v", c)
	}
	admin := a.client(t)
	admin.login(adminEmail)
	admin.get("/admin/catalogue?city=kosice")
	r := admin.post("/admin/catalogue/cities", url.Values{"slug": {"kosice"}, "name": {"Košice"}, "local_name": {"Košice"}, "country_iso3": {"SVK"}, "kind": {"city"},
		"aliases": {"Kosice\nKassa\nKaschau\nMesto Košice\nKrajské mesto Košice\nCity of Košice\nKE"}})
	if r.code != http.StatusSeeOther {
		t.Fatalf("save city: %d %s", r.code, text(r.body))
	}
	r = admin.post("/admin/catalogue/cities", url.Values{"name": {"Testville"}, "country_iso3": {"XXX"}, "kind": {"city"}})
	if r.code != http.StatusSeeOther {
		t.Fatalf("add city: %d %s", r.code, text(r.body))
	}
	r = admin.post("/admin/catalogue/cities", url.Values{"name": {"Bad"}, "country_iso3": {"Slovakia"}, "kind": {"town"}})
	if r.code != http.StatusUnprocessableEntity || !strings.Contains(text(r.body), "ISO 3166 alpha-3") {
		t.Errorf("invalid city: %d", r.code)
	}
	_, out = a.apiUpload(t, "f.csv", file)
	if c := out["counts"].(map[string]any); c["rejected"] != float64(0) || c["new"] != float64(2) {
		t.Fatalf("after: %v %v", c, out["rows"])
	}
	if body := admin.get("/admin/catalogue").body; !strings.Contains(body, "Testville") {
		t.Error("the new city is not listed")
	}
}

// TestTokensAndPasswords: a revoked token stops working; a password
// change needs the current password and signs out other sessions.
func TestTokensAndPasswords(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	admin := a.client(t)
	admin.login(adminEmail)
	r := admin.post("/admin/tokens", url.Values{"email": {editorEmail}, "name": {"second"}})
	if r.code != http.StatusOK || !strings.Contains(r.body, `id="new-token">tmk_`) {
		t.Fatalf("create token: %d", r.code)
	}
	admin.get("/admin/users")
	if r := admin.post("/admin/tokens/1/revoke", nil); r.code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", r.code)
	}
	if code, out := a.apiUpload(t, "f.csv", []byte("x")); code != http.StatusUnauthorized {
		t.Errorf("a revoked token: %d %v", code, out)
	}

	other := a.client(t)
	other.login(editorEmail)
	ed := a.client(t)
	ed.login(editorEmail)
	ed.get("/admin/password")
	if r := ed.post("/admin/password", url.Values{"current": {"wrong one!!"}, "new": {"a new long password"}, "repeat": {"a new long password"}}); r.code != http.StatusUnprocessableEntity || !strings.Contains(text(r.body), "current password is wrong") {
		t.Errorf("wrong current password: %d", r.code)
	}
	if r := ed.post("/admin/password", url.Values{"current": {password}, "new": {"a new long password"}, "repeat": {"a new long password"}}); r.code != http.StatusSeeOther {
		t.Fatalf("change password: %d %s", r.code, text(r.body))
	}
	if r := ed.get("/admin/uploads"); r.code != http.StatusOK {
		t.Error("the session that changed the password was signed out")
	}
	if r := other.get("/admin/uploads"); r.code != http.StatusSeeOther {
		t.Error("another session survived the password change")
	}
}

// TestWHODatabaseFile uploads the WHO database export at its real size
// (32,191 rows): it is refused up front as not being in the template
// layout, and nothing changes. The export itself may not be passed on
// ("All rights reserved"), so the repository holds only its header and a
// few rows (testdata/uploads/bad/wrong_headers_who.csv); the test uses
// the whole export where the shared data folder has it
// (TWINMETRICS_RAW_DATA, default ../../shared/data/raw), and otherwise
// those rows repeated to the export's size.
func TestWHODatabaseFile(t *testing.T) {
	raw := os.Getenv("TWINMETRICS_RAW_DATA")
	if raw == "" {
		raw = "../../shared/data/raw"
	}
	b, err := os.ReadFile(filepath.Join(raw, "who", "who_aap_2022_v9_city.csv"))
	if err != nil {
		excerpt, err := os.ReadFile("../testdata/uploads/bad/wrong_headers_who.csv")
		if err != nil {
			t.Fatal(err)
		}
		header, rows, _ := strings.Cut(string(excerpt), "\n")
		var sb strings.Builder
		sb.WriteString(header + "\n")
		for n := 0; n < 32191; n += strings.Count(rows, "\n") {
			sb.WriteString(rows)
		}
		b = []byte(sb.String())
		t.Logf("the WHO export is not in %s: its excerpt is repeated to %d bytes", raw, len(b))
	}
	a := newStaffApp(t, testapp.Options{})
	before := dbHash(t, a.App)
	code, out := a.apiUpload(t, "who_aap_2022_v9_city.csv", b)
	// Read as published with its import profile: the places the
	// catalogue does not know are skipped, nothing is rejected, and
	// nothing changes until it is published.
	readAs, _ := out["read_as"].(map[string]any)
	counts, _ := out["counts"].(map[string]any)
	if code != http.StatusCreated || readAs["profile"] != "who-aaq-2022-csv" || out["file_error"] != nil {
		t.Fatalf("WHO export: %d, read as %v, file error %v", code, readAs, out["file_error"])
	}
	if counts["rejected"] != float64(0) || counts["skipped"].(float64) < 1 || counts["lines"].(float64) < 32191 {
		t.Errorf("WHO export: counts %v", counts)
	}
	if dbHash(t, a.App) != before {
		t.Error("the database changed")
	}
}

// TestHostileUploadIsEscaped: labels from an upload are text on the
// preview page and in the API's JSON.
func TestHostileUploadIsEscaped(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	file := "city,indicator,year,value,unit,source,flags,note\n" +
		`"` + strings.ReplaceAll(hostile, `"`, `""`) + `",pm25_annual_mean,2031,1,ug/m3,who_aaq_2022_v2022,,` + "\n" +
		`Kosice,"` + hostile + `",2031,1,ug/m3,` + hostile + `,,` + "\n"
	c := a.client(t)
	c.login(editorEmail)
	_, r := c.uploadPage(a, hostile+".csv", []byte(file))
	if strings.Contains(r.body, hostile) || strings.Contains(r.body, "<script>alert") {
		t.Error("the preview writes an uploaded label as markup")
	}
	if !strings.Contains(text(r.body), hostile) {
		t.Error("the hostile label is not shown as text")
	}
	if r.hdr.Get("Content-Security-Policy") == "" {
		t.Error("staff pages have no Content-Security-Policy")
	}
	body, ct := multipartBody(t, "x.csv", []byte(file))
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/api/v1/uploads", body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+a.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if raw := readAll(res); strings.Contains(raw, "<script>") {
		t.Error("the API's JSON holds an unescaped script tag")
	}
}

// TestCatalogueForms saves a source, an indicator and a pair through
// the admin forms, and refuses invalid ones with the field named.
func TestCatalogueForms(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	admin := a.client(t)
	admin.login(adminEmail)
	admin.get("/admin/catalogue")
	steps := []struct {
		path string
		form url.Values
		code int
		want string
	}{
		{"/admin/catalogue/sources", url.Values{"code": {"test_source"}, "title": {"A test source"}, "url": {"https://example.org"}}, http.StatusSeeOther, ""},
		{"/admin/catalogue/sources", url.Values{"code": {"Bad Code"}, "title": {""}, "url": {"ftp://x"}}, http.StatusUnprocessableEntity, "must start with https://"},
		{"/admin/catalogue/indicators", url.Values{"code": {"test_indicator"}, "name_en": {"A test indicator"}, "name_vi": {"Chỉ số thử nghiệm"}, "theme": {"energy"}, "unit": {"gj"}, "direction": {"neutral"},
			"definition_en": {"Energy used in a test, per test."}, "definition_vi": {"Năng lượng dùng trong một lần thử."}}, http.StatusSeeOther, ""},
		{"/admin/catalogue/indicators", url.Values{"code": {"pm25_annual_mean"}, "name_en": {"PM2.5"}, "theme": {"air"}, "unit": {"gj"}, "direction": {"lower_is_better"}}, http.StatusUnprocessableEntity, "values are stored in the current unit"},
		{"/admin/catalogue/pairs", url.Values{"side1_label": {"Hanoi"}, "side1_cities": {"hanoi"}, "side2_label": {"Košice"}, "side2_cities": {"kosice"}, "programme_country": {"Vietnam"}}, http.StatusSeeOther, ""},
		{"/admin/catalogue/pairs", url.Values{"side1_label": {"Hanoi"}, "side1_cities": {"atlantis"}, "side2_label": {"Košice"}, "side2_cities": {"kosice"}}, http.StatusUnprocessableEntity, `no city has the slug "atlantis"`},
	}
	for _, s := range steps {
		r := admin.post(s.path, s.form)
		if r.code != s.code || (s.want != "" && !strings.Contains(text(r.body), s.want)) {
			t.Errorf("POST %s %v: %d, want %d with %q", s.path, s.form, r.code, s.code, s.want)
		}
	}
	if r := a.client(t).get("/pairs/hanoi-kosice"); r.code != http.StatusOK {
		t.Errorf("the new pair's page: %d", r.code)
	}
	// Each language reads the indicator's definition in its own words.
	for lang, want := range map[string]string{"en": "Energy used in a test, per test.", "vi": "Năng lượng dùng trong một lần thử."} {
		if r := a.client(t).get("/" + lang + "/indicators/test_indicator"); r.code != http.StatusOK || !strings.Contains(r.body, want) {
			t.Errorf("/%s/indicators/test_indicator: %d, want the definition %q", lang, r.code, want)
		}
	}
	if body := admin.get("/admin/catalogue?indicator=test_indicator").body; !strings.Contains(body, "Năng lượng dùng trong một lần thử.") {
		t.Error("the indicator's form does not show its Vietnamese definition to edit")
	}
	body := admin.get("/admin/catalogue").body
	for _, w := range []string{"test_source", "test_indicator", "hanoi-kosice"} {
		if !strings.Contains(body, w) {
			t.Errorf("the catalogue lacks %s", w)
		}
	}
}

// TestUploadPageRefreshesWithoutScript: while a file is being checked,
// the preview page reloads itself in a browser without JavaScript; once
// the check is done it stops.
func TestUploadPageRefreshesWithoutScript(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	admin := a.client(t)
	admin.login(adminEmail)
	ctx := context.Background()
	user, err := a.Store.UserByEmail(ctx, adminEmail)
	if err != nil {
		t.Fatal(err)
	}
	p, err := a.Uploads.Receive(ctx, strings.NewReader(fixedFile), "fixed.csv", user)
	if err != nil {
		t.Fatal(err)
	}
	const refresh = `<noscript><meta http-equiv="refresh" content="2"></noscript>`
	page := admin.get("/admin/uploads/" + p.Key).body
	head, _, _ := strings.Cut(page, "</head>")
	if !strings.Contains(head, refresh) {
		t.Errorf("an upload not checked yet does not refresh itself:\n%s", head)
	}
	if _, err := a.Uploads.Check(ctx, p.Key); err != nil {
		t.Fatal(err)
	}
	if page := admin.get("/admin/uploads/" + p.Key).body; strings.Contains(page, refresh) {
		t.Error("a checked upload still refreshes itself")
	}
}

// TestTemplateWorkbookSpeaksTheReadersLanguage: the XLSX template's
// instructions come from the message catalogue, in the language of the
// page it is downloaded from.
func TestTemplateWorkbookSpeaksTheReadersLanguage(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	admin := a.client(t)
	admin.login(adminEmail)
	for lang, want := range map[string]string{"en": "How to fill in this template", "vi": "Cách điền mẫu này", "sk": "Ako vyplniť túto šablónu"} {
		r := admin.get("/" + lang + "/admin/uploads/template.xlsx")
		if r.code != http.StatusOK {
			t.Fatalf("%s: %d", lang, r.code)
		}
		f, err := excelize.OpenReader(strings.NewReader(r.body))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := f.GetRows("instructions")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 12 || len(rows[0]) == 0 || rows[0][0] != want {
			t.Errorf("%s: instructions %q, want 12 paragraphs starting %q", lang, rows, want)
		}
		for i, r := range rows {
			if len(r) == 0 || strings.HasPrefix(r[0], "upload.template.") {
				t.Errorf("%s: instruction %d is %q", lang, i+1, r)
			}
		}
	}
}
