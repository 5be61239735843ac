package dashboard_test

import (
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/twinmetrics/twinmetrics/dashboard"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/templates"
)

var defineRe = regexp.MustCompile(`\{\{-?\s*(define|block) "([^"]+)"[^}]*\}\}`)

// markedTemplates are the page templates with a marker at the start of
// every template they define (⟦file:name⟧) and of each file, so that a
// page's HTML says which templates its rendering executed.
func markedTemplates(t *testing.T) (fstest.MapFS, []string) {
	t.Helper()
	out := fstest.MapFS{}
	var all []string
	files, err := fs.Glob(templates.Files, "*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		b, err := fs.ReadFile(templates.Files, f)
		if err != nil {
			t.Fatal(err)
		}
		src := defineRe.ReplaceAllStringFunc(string(b), func(m string) string {
			name := defineRe.FindStringSubmatch(m)[2]
			all = append(all, f+":"+name)
			return m + "⟦" + f + ":" + name + "⟧"
		})
		// A file of partials begins with a definition; the layout has
		// text of its own.
		if !strings.HasPrefix(strings.TrimSpace(string(b)), "{{define") {
			src = "⟦" + f + "⟧" + src // the layout: its own text
			all = append(all, f)
		}
		out[f] = &fstest.MapFile{Data: []byte(src)}
	}
	sort.Strings(all)
	return out, all
}

var markerRe = regexp.MustCompile(`⟦([^⟧]+)⟧`)

// TestEveryTemplateExecutes renders every page, public and staff, in
// every language with the seeded data and representative uploads (one
// with rejected rows, one that cannot be read, one published), and fails
// when a page answers with an error or when a template or partial was
// never executed: a template no test runs can break unseen.
func TestEveryTemplateExecutes(t *testing.T) {
	marked, all := markedTemplates(t)
	a := newStaffApp(t, testapp.Options{Templates: marked})
	admin := a.client(t)
	admin.login(adminEmail)
	bad, pdf, record := admin.sampleUploads(a)
	// A file in a layout no profile knows, for the mapping step.
	office, _ := admin.uploadPage(a, "office-air.csv", []byte(officeCSV))
	// A targets file, whose preview lists the targets it would bring.
	targets, _ := admin.uploadPage(a, "2021_targets.csv", rawTargetsFile(t, "cdp_targets/2021_Cities_Emissions_Reduction_Targets_clean_names.csv"))
	anon := a.client(t)

	seen := map[string]bool{}
	take := func(lang, what string, r resp, want int) {
		t.Helper()
		if r.code != want {
			t.Errorf("/%s%s: %d, want %d", lang, what, r.code, want)
		}
		for _, m := range markerRe.FindAllStringSubmatch(r.body, -1) {
			seen[m[1]] = true
		}
	}
	for _, lang := range dashboard.Languages {
		for _, page := range []string{"/", "/pairs/hanoi-milan", "/pairs/suwon-scottish-cities-alliance", "/cities/milan", "/cities/hanoi",
			"/indicators", "/indicators/pm25_annual_mean", "/indicators/ghg_per_capita", "/about",
			"/data", "/data?pair=hanoi-milan", "/data?from=2020&to=2001", "/compare", "/compare?a=hanoi&b=ho-chi-minh-city",
			"/compare?a=hanoi&b=programme-median", "/pairs/hanoi-milan/brief", "/embed/pairs/hanoi-milan/pm25_annual_mean"} {
			code := http.StatusOK
			if strings.Contains(page, "to=2001") {
				code = http.StatusBadRequest
			}
			take(lang, page, anon.get("/"+lang+page), code)
		}
		take(lang, "/pairs/nowhere", anon.get("/"+lang+"/pairs/nowhere"), http.StatusNotFound)
		take(lang, "/login", anon.get("/"+lang+"/login"), http.StatusOK)
		for _, page := range []string{"/admin/uploads", "/admin/uploads/" + bad, "/admin/uploads/" + bad + "?status=rejected",
			"/admin/uploads/" + pdf, record, "/admin/uploads/" + targets, "/admin/catalogue", "/admin/users", "/admin/password"} {
			take(lang, page, admin.get("/"+lang+page), http.StatusOK)
		}
		for _, page := range []string{"/admin/uploads/" + office + "/map", "/admin/import-profiles", "/admin/import-profiles/who-aaq-2022-csv"} {
			take(lang, page, admin.get("/"+lang+page), http.StatusOK)
		}
		take(lang, " (mapping preview)", admin.post("/"+lang+"/admin/uploads/"+office+"/map", officeMapping("preview")), http.StatusOK)
		admin.get("/" + lang + "/admin/catalogue")
		take(lang, " (catalogue error)", admin.post("/"+lang+"/admin/catalogue/cities", url.Values{"name": {"X"}, "country_iso3": {"xx"}, "kind": {"city"}}), http.StatusUnprocessableEntity)
	}
	var missing []string
	for _, name := range all {
		if !seen[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("never executed: %s", strings.Join(missing, ", "))
	}
	t.Logf("%d templates executed: %s", len(all), fmt.Sprint(all))
}
