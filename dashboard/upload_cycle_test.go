package dashboard_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// The values below are test values in a temporary database, not figures
// about these cities.
const badFile = "city,indicator,year,value,unit,source\n" +
	"Kosice,pm25_annual_mean,2025,11.11,µg/m3,who_aaq_2022_v2022\n" +
	"Hà Nội,pm25_annual_mean,2019,52.5,ug/m3,who_aaq_2022_v2022\n" +
	"TP.HCM,pm25_annual_mean,2025,Not Applicable,ug/m3,who_aaq_2022_v2022\n"

var fixedFile = strings.Replace(badFile, "Not Applicable", "33.33", 1)

// TestUploadCycle is a programme officer's visit: sign in, upload a file
// with a bad row and see its line, fix it, preview, publish, see the new
// values on the pages, roll back and see exactly the old state.
func TestUploadCycle(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	reader := a.client(t) // an anonymous reader
	pages := []string{"/pairs/hanoi-milan", "/pairs/ho-chi-minh-city-kosice", "/cities/kosice", "/indicators/pm25_annual_mean"}
	before := map[string]string{}
	for _, p := range pages {
		before[p] = reader.get(p).body
	}
	stateBefore := currentState(t, a.App)

	c := a.client(t)
	if r := c.get("/admin/uploads"); r.code != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login") {
		t.Fatalf("anonymous /admin/uploads: %d %s", r.code, r.loc)
	}
	c.login(editorEmail)

	// 1. A file with one bad row: the preview names its line and column.
	key, r := c.uploadPage(a, "hcmc-2025.csv", []byte(badFile))
	if r.code != http.StatusOK {
		t.Fatalf("preview: %d %s", r.code, text(r.body))
	}
	page := text(r.body)
	for _, w := range []string{"1 rejected", "Line 4, column value", `"Not Applicable" is not a number`, "How to fix"} {
		if !strings.Contains(strings.ReplaceAll(page, "\u00a0", " "), w) {
			t.Errorf("preview of the bad file lacks %q:\n%s", w, page)
		}
	}
	// Publishing it as it is is refused and changes nothing.
	if r := c.post("/admin/uploads/"+key+"/publish", nil); r.code != http.StatusConflict || !strings.Contains(text(r.body), "1 row(s) are rejected") {
		t.Fatalf("publish with a rejected row: %d", r.code)
	}
	if currentState(t, a.App) != stateBefore {
		t.Fatal("a refused publish changed the data")
	}
	c.post("/admin/uploads/"+key+"/discard", nil)

	// 2. The fixed file: 2 new, 1 changed (old → new), nothing rejected.
	key, r = c.uploadPage(a, "hcmc-2025-fixed.csv", []byte(fixedFile))
	page = text(r.body)
	for _, w := range []string{"2 new", "1 changed", "0 rejected", "Košice (Kosice)", "Ho Chi Minh City (TP.HCM)"} {
		if !strings.Contains(page, w) {
			t.Errorf("preview of the fixed file lacks %q:\n%s", w, page)
		}
	}
	changed := c.get("/admin/uploads/" + key + "?status=changed")
	if row := text(rowOf(t, changed.body, `data-line="3"`)); !strings.Contains(row, "52.09 → 52.5") {
		t.Errorf("the changed row shows %q, want 52.09 → 52.5", row)
	}

	// 3. Publish.
	r = c.post("/admin/uploads/"+key+"/publish", nil)
	if r.code != http.StatusSeeOther {
		t.Fatalf("publish: %d %s", r.code, text(r.body))
	}
	record := r.loc
	if r = c.get(record); !strings.Contains(text(r.body), "Published.") || !strings.Contains(r.body, "hcmc-2025-fixed.csv") || !strings.Contains(text(r.body), "2 new, 1 changed") {
		t.Errorf("the upload record lacks what was published:\n%s", text(r.body))
	}
	id := strings.TrimPrefix(strings.TrimSuffix(record, "?done=published"), "/admin/uploads/")
	hist := c.get("/admin/uploads")
	if !strings.Contains(text(rowOf(t, hist.body, `data-upload="`+id+`"`)), editorEmail) {
		t.Error("the history does not name the author")
	}

	// The pages show the new values at once.
	hm := reader.get("/pairs/hanoi-milan").body
	if c := cells(t, hm, `<tr data-indicator="pm25_annual_mean">`); !strings.Contains(c[1], "52.5") {
		t.Errorf("Hanoi's PM2.5 after publish: %q", c[1])
	}
	hk := reader.get("/pairs/ho-chi-minh-city-kosice").body
	if c := cells(t, hk, `<tr data-indicator="pm25_annual_mean">`); !strings.Contains(c[1], "33.33") || !strings.Contains(c[1], "2025") || !strings.Contains(c[2], "11.11") {
		t.Errorf("HCMC and Košice PM2.5 after publish: %q", c)
	}
	if !strings.Contains(reader.get("/indicators/pm25_annual_mean").body, "11.11") {
		t.Error("the indicator page does not show the new value")
	}
	dl := c.get("/admin/uploads/" + id + "/values.csv")
	for _, w := range []string{"kosice,pm25_annual_mean,2025,11.11,µg/m³,who_aaq_2022_v2022,,hcmc-2025-fixed.csv line 2,current",
		"hanoi,pm25_annual_mean,2019,52.5,µg/m³,who_aaq_2022_v2022,52.09,hcmc-2025-fixed.csv line 3,current"} {
		if !strings.Contains(dl.body, w) {
			t.Errorf("the upload's CSV lacks %q:\n%s", w, dl.body)
		}
	}

	// 4. Roll back: every page and every value is exactly as before.
	r = c.post(strings.Replace(record, "?done=published", "", 1)+"/rollback", nil)
	if r.code != http.StatusSeeOther {
		t.Fatalf("rollback: %d %s", r.code, text(r.body))
	}
	// The pages name the data version their values are read at (chart
	// credits, the printout's line): it has moved on, the rest has not.
	version := regexp.MustCompile(`(?i)data version \d+`)
	for _, p := range pages {
		// The same figures, under a later data version (the page prints
		// it and the links to this view name it).
		got := reader.get(p).body
		if unversioned(version.ReplaceAllString(got, "data version N")) != unversioned(version.ReplaceAllString(before[p], "data version N")) {
			t.Errorf("%s differs from before the upload", p)
		}
		if got == before[p] && strings.Contains(got, "data-chart-credit") {
			t.Errorf("%s names the same data version after a publish and a rollback", p)
		}
	}
	if currentState(t, a.App) != stateBefore {
		t.Error("the stored values differ from before the upload")
	}
	if r := c.get(strings.Replace(r.loc, "?done=rolled_back", "", 1)); !strings.Contains(text(r.body), "rolled back on") || !strings.Contains(text(r.body), "withdrawn by the rollback") {
		t.Errorf("the record does not show the rollback:\n%s", text(r.body))
	}
}

func rowOf(t *testing.T, body, attr string) string {
	t.Helper()
	i := strings.Index(body, attr)
	if i < 0 {
		t.Fatalf("no row %s", attr)
	}
	j := strings.Index(body[i:], "</tr>")
	return body[i : i+j]
}

// TestRollbackRefusedUnderLaterUpload: a later upload that replaced the
// same values is named, and rolling back under it is refused; rolled
// back newest first, both restore the original state.
func TestRollbackRefusedUnderLaterUpload(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	orig := currentState(t, a.App)
	publish := func(body string) string {
		code, out := a.apiUpload(t, "f.csv", []byte(body))
		if code != http.StatusCreated {
			t.Fatalf("upload: %d %v", code, out)
		}
		code, out = a.apiPost(t, "/api/v1/uploads/"+out["id"].(string)+"/publish", url.Values{"confirm_warnings": {"1"}})
		if code != http.StatusOK {
			t.Fatalf("publish: %d %v", code, out)
		}
		return fmt.Sprint(out["upload_id"])
	}
	first := publish("city,indicator,year,value,unit,source\nHanoi,pm25_annual_mean,2019,52.5,ug/m3,who_aaq_2022_v2022\n")
	second := publish("city,indicator,year,value,unit,source\nHanoi,pm25_annual_mean,2019,53.5,ug/m3,who_aaq_2022_v2022\n")

	code, out := a.apiPost(t, "/api/v1/uploads/"+first+"/rollback", nil)
	if code != http.StatusConflict || !strings.Contains(fmt.Sprint(out["detail"]), "#"+second) {
		t.Fatalf("rollback under a later upload: %d %v", code, out)
	}
	if code, out = a.apiPost(t, "/api/v1/uploads/"+second+"/rollback", nil); code != http.StatusOK || out["status"] != "rolled_back" {
		t.Fatalf("rollback of the later upload: %d %v", code, out)
	}
	if code, out = a.apiPost(t, "/api/v1/uploads/"+first+"/rollback", nil); code != http.StatusOK {
		t.Fatalf("rollback of the first upload: %d %v", code, out)
	}
	if currentState(t, a.App) != orig {
		t.Error("two rollbacks did not restore the original values")
	}
}

// TestReadersDuringPublish: while a large upload publishes, concurrent
// readers of the pair page see both changed values old or both new,
// never one of each.
func TestReadersDuringPublish(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	var sb strings.Builder
	sb.WriteString("city,indicator,year,value,unit,source\n")
	sb.WriteString("Hanoi,pm25_annual_mean,2019,52.51,ug/m3,who_aaq_2022_v2022\n")
	cat, err := a.Store.Catalogue(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ar := range cat.Areas {
		for y := 1901; y <= 1990; y++ {
			fmt.Fprintf(&sb, "%s,commuters_in,%d,%d,persons,who_aaq_2022_v2022\n", ar.Slug, y, 1000+y)
			n++
		}
	}
	sb.WriteString("Milan,pm25_annual_mean,2019,20.91,ug/m3,who_aaq_2022_v2022\n")
	code, out := a.apiUpload(t, "big.csv", []byte(sb.String()))
	if code != http.StatusCreated || out["counts"].(map[string]any)["rejected"] != float64(0) {
		t.Fatalf("upload: %d %v", code, out["counts"])
	}

	var stop atomic.Bool
	var oldSeen, newSeen, mixed atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				res, err := http.Get(a.srv.URL + "/pairs/hanoi-milan")
				if err != nil {
					t.Error(err)
					return
				}
				b := new(strings.Builder)
				_, _ = fmt.Fprint(b, readAll(res))
				row := b.String()
				i := strings.Index(row, `<tr data-indicator="pm25_annual_mean">`)
				j := strings.Index(row[i:], "</tr>")
				cell := text(row[i : i+j])
				h, m := strings.Contains(cell, "52.51"), strings.Contains(cell, "20.91")
				switch {
				case h && m:
					newSeen.Add(1)
				case !h && !m && strings.Contains(cell, "52.09") && strings.Contains(cell, "20.87"):
					oldSeen.Add(1)
				default:
					mixed.Add(1)
					t.Errorf("a reader saw a mix: %s", cell)
				}
			}
		}()
	}
	code, out = a.apiPost(t, "/api/v1/uploads/"+out["id"].(string)+"/publish", url.Values{"confirm_warnings": {"1"}})
	// Let the readers see the new state too.
	for newSeen.Load() < 4 && mixed.Load() == 0 && !t.Failed() {
		runtimeGosched()
	}
	stop.Store(true)
	wg.Wait()
	if code != http.StatusOK {
		t.Fatalf("publish: %d %v", code, out)
	}
	t.Logf("readers saw the old state %d times, the new %d times, a mix %d times", oldSeen.Load(), newSeen.Load(), mixed.Load())
}

// TestStaffRoutesRefuse enumerates the router's own routes: every /admin
// route and every changing API route refuses an anonymous request (a
// redirect to /login for pages, 401 for the API) and a signed-in request
// without the CSRF token (403); editors cannot reach admin-only pages.
func TestStaffRoutesRefuse(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	e, ok := a.Handler.(*echo.Echo)
	if !ok {
		t.Fatal("the handler is not an *echo.Echo")
	}
	adminOnly := regexp.MustCompile(`^/admin/(users|tokens|catalogue)(/|$)|^/admin/import-profiles/:id/(approve|retire|revert)$|^/admin/uploads/:id/aliases$`)
	anon := a.client(t)
	admin := a.client(t)
	admin.login(adminEmail)
	adminCSRF := admin.csrf
	editor := a.client(t)
	editor.login(editorEmail)
	editorCSRF := editor.csrf

	checked := 0
	for _, rt := range e.Routes() {
		// Catch-alls answer "no such endpoint" to every method, and echo
		// lists a not-found pseudo-route per group: neither changes anything.
		if strings.HasSuffix(rt.Path, "*") || rt.Method == echo.RouteNotFound {
			continue
		}
		isAdmin := strings.HasPrefix(rt.Path, "/admin")
		// HEAD is GET without the body: safe, as GET is.
		safe := rt.Method == http.MethodGet || rt.Method == http.MethodHead
		isAPI := strings.HasPrefix(rt.Path, "/api/") && !safe
		if !isAdmin && !isAPI {
			continue
		}
		checked++
		path := strings.ReplaceAll(rt.Path, ":id", "1")
		name := rt.Method + " " + rt.Path
		send := func(c *client, csrf string) resp {
			req, _ := http.NewRequest(rt.Method, c.base+path, strings.NewReader(url.Values{"csrf": {csrf}}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return c.do(req)
		}
		// Anonymous.
		r := send(anon, "")
		switch {
		case isAPI && r.code != http.StatusUnauthorized:
			t.Errorf("%s anonymous: %d, want 401", name, r.code)
		case isAdmin && safe && (r.code != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login?next=")):
			t.Errorf("%s anonymous: %d %q, want a redirect to /login", name, r.code, r.loc)
		case isAdmin && !safe && r.code != http.StatusForbidden && !(r.code == http.StatusSeeOther && strings.HasPrefix(r.loc, "/login")):
			t.Errorf("%s anonymous: %d, want 403 or a redirect to /login", name, r.code)
		}
		// Signed in, no CSRF token.
		if !safe {
			if r := send(admin, ""); r.code != http.StatusForbidden {
				t.Errorf("%s signed in without CSRF token: %d, want 403", name, r.code)
			}
			if r := send(admin, "forged"); r.code != http.StatusForbidden {
				t.Errorf("%s signed in with a wrong CSRF token: %d, want 403", name, r.code)
			}
		}
		// Editors and admin-only routes (signing out would end the
		// editor's session for the routes after it).
		if isAdmin && rt.Path != "/admin/logout" && rt.Method != echo.RouteNotFound {
			r := send(editor, editorCSRF)
			if adminOnly.MatchString(rt.Path) && r.code != http.StatusForbidden {
				t.Errorf("%s as editor: %d, want 403", name, r.code)
			}
			if !adminOnly.MatchString(rt.Path) && r.code == http.StatusForbidden {
				t.Errorf("%s as editor: 403, but editors may use it", name)
			}
			if adminOnly.MatchString(rt.Path) && safe {
				if r := send(admin, adminCSRF); r.code != http.StatusOK {
					t.Errorf("%s as admin: %d, want 200", name, r.code)
				}
			}
		}
	}
	if checked < 20 {
		t.Errorf("only %d staff routes found in the router", checked)
	}
}

// TestSignIn covers the session cookie's attributes, sign-out, and the
// slowing and refusal of repeated failures.
func TestSignIn(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	c := a.client(t)
	c.get("/login")
	// Without the login form's token.
	if r := c.post("/login", url.Values{"csrf": {""}, "email": {editorEmail}, "password": {password}}); r.code != http.StatusForbidden {
		t.Errorf("sign-in without CSRF token: %d", r.code)
	}
	c.get("/login")
	r := c.post("/login", url.Values{"email": {editorEmail}, "password": {password}, "next": {"https://evil.example/"}})
	if r.code != http.StatusSeeOther || r.loc != "/admin/uploads" {
		t.Fatalf("sign-in: %d %q (an outside next must be ignored)", r.code, r.loc)
	}
	var ck string
	for _, h := range r.hdr.Values("Set-Cookie") {
		if strings.HasPrefix(h, "tm_session=") {
			ck = h
		}
	}
	for _, w := range []string{"HttpOnly", "SameSite=Lax", "Max-Age=43200"} {
		if !strings.Contains(ck, w) {
			t.Errorf("session cookie %q lacks %s", ck, w)
		}
	}
	if strings.Contains(ck, "Secure") {
		t.Error("Secure cookie over plain HTTP")
	}
	c.get("/admin/uploads")
	if r := c.post("/admin/logout", nil); r.code != http.StatusSeeOther {
		t.Fatalf("sign out: %d", r.code)
	}
	if r := c.get("/admin/uploads"); r.code != http.StatusSeeOther {
		t.Error("still signed in after signing out")
	}

	// Behind a TLS proxy the cookie is Secure.
	req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/login", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if h := res.Header.Get("Set-Cookie"); !strings.Contains(h, "Secure") {
		t.Errorf("cookie behind TLS: %q", h)
	}

	// Repeated failures: slowed after 3, then refused.
	bad := a.client(t)
	codes := []int{}
	for range 5 {
		bad.get("/login")
		r := bad.post("/login", url.Values{"email": {adminEmail}, "password": {"wrong password!"}})
		codes = append(codes, r.code)
	}
	if codes[0] != http.StatusUnauthorized || codes[3] != http.StatusTooManyRequests {
		t.Errorf("failed sign-ins answered %v, want 401 then 429", codes)
	}
	bad.get("/login")
	if r := bad.post("/login", url.Values{"email": {adminEmail}, "password": {password}}); r.code != http.StatusTooManyRequests || !strings.Contains(text(r.body), "try again in") {
		t.Errorf("right password while throttled: %d", r.code)
	}
}

func readAll(res *http.Response) string {
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func runtimeGosched() { time.Sleep(time.Millisecond) }
