package dashboard_test

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/dashboard"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/locale"
)

var placeholderRe = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)

func placeholders(s string) string {
	var out []string
	for _, m := range placeholderRe.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func loadMessages(t *testing.T, lang string) map[string]string {
	t.Helper()
	b, err := fs.ReadFile(locale.Files(), lang+".json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s.json: %v", lang, err)
	}
	return m
}

// TestEveryLanguageHasEveryKey fails when a message file lacks a key that
// English has, has one English lacks, or drops a placeholder.
func TestEveryLanguageHasEveryKey(t *testing.T) {
	en := loadMessages(t, "en")
	for _, lang := range dashboard.Languages[1:] {
		m := loadMessages(t, lang)
		for k, v := range en {
			got, ok := m[k]
			switch {
			case !ok:
				t.Errorf("%s.json lacks %q", lang, k)
			case strings.TrimSpace(got) == "":
				t.Errorf("%s.json has an empty %q", lang, k)
			case placeholders(got) != placeholders(v):
				t.Errorf("%s.json %q has placeholders {%s}, English has {%s}", lang, k, placeholders(got), placeholders(v))
			}
		}
		for k := range m {
			if _, ok := en[k]; !ok {
				t.Errorf("%s.json has %q, which English lacks", lang, k)
			}
		}
	}
}

// TestTemplatesUseOnlyKnownKeys fails when a template asks for a key the
// English file does not define.
func TestTemplatesUseOnlyKnownKeys(t *testing.T) {
	en := loadMessages(t, "en")
	app := testapp.New(t, testapp.Options{})
	srv := httptest.NewServer(app.Handler)
	defer srv.Close()
	keyLike := regexp.MustCompile(`\b(?:nav|site|theme|direction|kind|value|derived|rule|warn|summary|chart|overview|pair|city|indicators?|about|error|footer|data|download|country|confidence|staff|upload|catalogue|users|login)\.[a-z0-9_.]+\b`)
	for _, lang := range dashboard.Languages {
		for _, page := range []string{"/", "/pairs/hanoi-milan", "/pairs/suwon-scottish-cities-alliance", "/cities/milan", "/indicators", "/indicators/ghg_per_capita", "/about", "/pairs/nowhere",
			"/data", "/data?pair=hanoi-milan", "/data?city=nowhere&pair=nowhere&indicator=nowhere&theme=nowhere&source=nowhere&from=x&to=2001", "/data?from=2020&to=2001", "/data?colour=red"} {
			_, body, _ := get(t, app.Handler, "/"+lang+page)
			text := tagRe.ReplaceAllString(body, " ")
			for _, m := range keyLike.FindAllStringIndex(text, -1) {
				k := text[m[0]:m[1]]
				if m[0] > 0 && strings.ContainsRune("/.@", rune(text[m[0]-1])) {
					continue // part of an address (https://data.cdp.net), not a key
				}
				if _, ok := en[k]; !ok {
					t.Errorf("/%s%s shows the raw message key %q", lang, page, k)
				}
			}
		}
	}
}

func TestLanguageChoice(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	do := func(url string, hdr map[string]string) (*http.Response, string) {
		req := httptest.NewRequest(http.MethodGet, url, nil)
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		app.Handler.ServeHTTP(rec, req)
		return rec.Result(), rec.Body.String()
	}
	// The address chooses, and the choice is remembered.
	res, body := do("/vi/pairs/hanoi-milan", nil)
	if res.StatusCode != 200 || !strings.Contains(body, `<html lang="vi">`) {
		t.Fatalf("/vi/pairs/hanoi-milan = %d, lang attribute missing", res.StatusCode)
	}
	var cookie string
	for _, c := range res.Cookies() {
		if c.Name == "lang" {
			cookie = c.Value
			if !c.HttpOnly {
				t.Error("the language cookie is readable by scripts")
			}
		}
	}
	if cookie != "vi" {
		t.Fatalf("language cookie = %q, want vi", cookie)
	}
	if !strings.Contains(body, "Hà Nội") {
		t.Error("the Vietnamese page does not name Hanoi Hà Nội")
	}
	c := cells(t, body, `<tr data-indicator="pm25_annual_mean">`)
	if !strings.Contains(c[1], "52,09") || !strings.Contains(c[2], "20,87") {
		t.Errorf("Vietnamese PM2.5 cells %q %q, want 52,09 and 20,87", c[1], c[2])
	}
	pop := cells(t, body, `<tr data-indicator="population">`)
	if !strings.Contains(pop[1], "8.053.663") {
		t.Errorf("Vietnamese population cell %q, want 8.053.663", pop[1])
	}
	// Links on a Vietnamese page stay Vietnamese.
	if !strings.Contains(body, `href="/vi/cities/hanoi"`) {
		t.Error("links on the Vietnamese page lose the language")
	}

	// Without a prefix: the cookie decides, then Accept-Language.
	_, body = do("/pairs/hanoi-milan", map[string]string{"Cookie": "lang=vi"})
	if !strings.Contains(body, `<html lang="vi">`) {
		t.Error("the language cookie is not followed")
	}
	_, body = do("/pairs/hanoi-milan", map[string]string{"Accept-Language": "vi-VN,vi;q=0.9,en;q=0.5"})
	if !strings.Contains(body, `<html lang="vi">`) {
		t.Error("a first visit does not follow Accept-Language")
	}
	_, body = do("/pairs/hanoi-milan", map[string]string{"Accept-Language": "de-DE"})
	if !strings.Contains(body, `<html lang="en">`) {
		t.Error("an unsupported language does not fall back to English")
	}
	// An Italian reader sees Milano; an English one, Milan.
	_, body = do("/it/pairs/hanoi-milan", nil)
	if !strings.Contains(body, "<h1>Hanoi – Milano</h1>") {
		t.Error("the Italian page does not name Milan Milano")
	}
	_, body = do("/en/pairs/hanoi-milan", map[string]string{"Cookie": "lang=vi"})
	if !strings.Contains(body, "<h1>Hanoi – Milan</h1>") {
		t.Error("an English address does not override the cookie")
	}
	// The language switch points at the same page in each language.
	for _, l := range dashboard.Languages {
		if !strings.Contains(body, `href="/`+l+`/pairs/hanoi-milan"`) {
			t.Errorf("no switch to %s on the pair page", l)
		}
	}
}

// TestStaffPagesUseOnlyKnownKeys signs in and visits the staff pages in
// every language (uploads, a preview with rejected rows, a refused
// publish, a file that cannot be read, a published upload, the
// catalogue, users, password, sign-in): none may show a raw message
// key, and the Vietnamese preview must speak Vietnamese.
func TestStaffPagesUseOnlyKnownKeys(t *testing.T) {
	en := loadMessages(t, "en")
	a := newStaffApp(t, testapp.Options{})
	admin := a.client(t)
	admin.login(adminEmail)
	keyLike := regexp.MustCompile(`\b(?:staff|upload|catalogue|users|login|nav|error|theme|kind|direction)\.[a-z0-9_.]+\b`)
	check := func(lang, page string, r resp) {
		t.Helper()
		txt := tagRe.ReplaceAllString(r.body, " ")
		for _, m := range keyLike.FindAllStringIndex(txt, -1) {
			k := txt[m[0]:m[1]]
			if m[0] > 0 && strings.ContainsRune("/.@", rune(txt[m[0]-1])) {
				continue
			}
			if _, ok := en[k]; !ok {
				t.Errorf("/%s%s (%d) shows the raw message key %q", lang, page, r.code, k)
			}
		}
	}
	bad, pdf, record := admin.sampleUploads(a)
	anon := a.client(t)
	for _, lang := range dashboard.Languages {
		for _, page := range []string{"/admin/uploads", "/admin/uploads/" + bad, "/admin/uploads/" + bad + "?status=rejected", "/admin/uploads/" + bad + "?warnings=1",
			"/admin/uploads/" + pdf, record, record + "?done=published", "/admin/catalogue", "/admin/catalogue?city=hanoi&pair=hanoi-milan&indicator=pm25_annual_mean&saved=city",
			"/admin/users", "/admin/password", "/admin/password?done=1"} {
			r := admin.get("/" + lang + page)
			if r.code != http.StatusOK {
				t.Errorf("/%s%s: %d", lang, page, r.code)
			}
			check(lang, page, r)
		}
		admin.get("/" + lang + "/admin/uploads/" + bad)
		check(lang, " (refused publish)", admin.post("/"+lang+"/admin/uploads/"+bad+"/publish", nil))
		check(lang, " (catalogue error)", admin.post("/"+lang+"/admin/catalogue/cities", url.Values{"name": {"X"}, "country_iso3": {"xx"}, "kind": {"city"}}))
		admin.get("/" + lang + "/admin/password")
		check(lang, " (password error)", admin.post("/"+lang+"/admin/password", url.Values{"current": {"wrong one!!"}, "new": {"a new long password"}, "repeat": {"another long one"}}))
		check(lang, "/login", anon.get("/"+lang+"/login"))
		check(lang, "/login (failed)", anon.post("/"+lang+"/login", url.Values{"email": {adminEmail}, "password": {"not the password"}}))
	}
	// The Vietnamese preview speaks Vietnamese, row problems included.
	vi := text(admin.get("/vi/admin/uploads/" + bad + "?status=rejected").body)
	for _, w := range []string{"Dòng 4, cột value", "“Not Applicable” không phải là số", "Cách khắc phục:", "Bị từ chối"} {
		if !strings.Contains(vi, w) {
			t.Errorf("the Vietnamese preview lacks %q:\n%s", w, vi)
		}
	}
	if vi := text(admin.get("/vi/admin/uploads/" + pdf).body); !strings.Contains(vi, "Tệp là PDF, không phải bảng tính.") {
		t.Errorf("the Vietnamese file error is not Vietnamese:\n%s", vi)
	}
}

// TestEveryMessageKeyIsInEveryLanguage walks every message key the code
// can say (each is declared with locale.Define, and this package links
// the upload pipeline, the accounts and the catalogue) and fails when a
// language lacks one or words it with other placeholders than declared.
func TestEveryMessageKeyIsInEveryLanguage(t *testing.T) {
	keys := locale.Keys()
	for _, k := range []string{"upload.problem.not_a_number", "upload.file.pdf", "upload.refused.rejected", "upload.failure.internal",
		"users.error.exists", "login.error.throttled", "catalogue.error.alias_taken", "staff.error.admins_only", "data.reason.year", "api.title.invalid_param"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("%s is not declared: the walk below would miss a whole family of messages", k)
		}
	}
	for _, lang := range dashboard.Languages {
		m := loadMessages(t, lang)
		for k, args := range keys {
			want := append([]string(nil), args...)
			sort.Strings(want)
			text, ok := m[k]
			switch {
			case !ok:
				t.Errorf("%s.json lacks %q, which the code says", lang, k)
			case placeholders(text) != strings.Join(want, ","):
				t.Errorf("%s.json %q has placeholders {%s}; the code fills {%s}", lang, k, placeholders(text), strings.Join(want, ","))
			}
		}
	}
}

// TestUnitsInTheReadersLanguage: a unit that is a word is said in the
// reader's language, on the page and on the chart's axis; a symbol is the
// same in both; the API and downloads keep the English label.
func TestUnitsInTheReadersLanguage(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	page := func(path string) string {
		t.Helper()
		code, body, _ := get(t, app.Handler, path)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", path, code)
		}
		return body
	}
	for lang, wants := range map[string][]string{
		"en": {"2,086,015 cars 2024", "497 cars per 1,000 inhabitants", "4.43 t CO2e per person 2013"},
		"vi": {"2.086.015 ô tô 2024", "497 ô tô trên 1.000 dân", "4,43 t CO2e/người 2013"},
	} {
		tx := text(page("/" + lang + "/pairs/hanoi-milan"))
		for _, w := range wants {
			if !strings.Contains(tx, w) {
				t.Errorf("/%s/pairs/hanoi-milan lacks %q", lang, w)
			}
		}
	}
	if body := page("/vi/indicators/private_cars_registered"); !strings.Contains(body, `"name":"ô tô"`) || strings.Contains(body, `"name":"cars"`) {
		t.Error("the Vietnamese chart's axis is not named ô tô")
	}
	if tx := text(page("/vi/pairs/hanoi-milan")); strings.Contains(tx, " cars ") || strings.Contains(tx, "per person") {
		t.Error("the Vietnamese pair page still says a unit in English")
	}
	var doc struct {
		Data []struct {
			Code      string `json:"code"`
			UnitLabel string `json:"unit_label"`
		} `json:"data"`
	}
	if code, _ := getJSON(t, app.Handler, "/api/v1/indicators", &doc); code != http.StatusOK {
		t.Fatalf("indicators API: %d", code)
	}
	found := false
	for _, d := range doc.Data {
		if d.Code == "private_cars_registered" {
			found = true
			if d.UnitLabel != "cars" {
				t.Errorf("the API's unit label is %q, want cars", d.UnitLabel)
			}
		}
	}
	if !found {
		t.Error("the indicators API lacks private_cars_registered")
	}
}
