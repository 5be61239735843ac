package dashboard_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// TestSignInRefusesAShortTokenPair: the sign-in form's double-submit
// token must be one the server made; a one-character cookie and field
// pair an attacker chose is refused.
func TestSignInRefusesAShortTokenPair(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	form := url.Values{"email": {editorEmail}, "password": {password}, "csrf": {"x"}}
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: "tm_login_csrf", Value: "x"})
	res, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in with the token pair x/x answered %d, want 403", res.StatusCode)
	}
}

// TestBearerSchemeAnyCase: "bearer" and "BEARER" are the same scheme.
func TestBearerSchemeAnyCase(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	for _, scheme := range []string{"Bearer", "bearer", "BEARER"} {
		req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/api/v1/uploads/no-such-upload", nil)
		req.Header.Set("Authorization", scheme+" "+a.token)
		code, body := a.apiDo(t, req)
		if code != http.StatusNotFound {
			t.Errorf("%s token: %d %v, want 404 (signed in, no such upload)", scheme, code, body)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/api/v1/uploads/no-such-upload", nil)
	req.Header.Set("Authorization", "Basic "+a.token)
	if code, _ := a.apiDo(t, req); code != http.StatusUnauthorized {
		t.Errorf("Basic scheme: %d, want 401", code)
	}
}

// TestAdminDisablesUser: from the users page an admin signs an editor
// out everywhere, then disables the account (session, token and
// password stop working at once) and enables it again.
func TestAdminDisablesUser(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	admin, editor := a.client(t), a.client(t)
	admin.login(adminEmail)
	editor.login(editorEmail)
	page := admin.get("/admin/users")
	if page.code != http.StatusOK || !strings.Contains(page.body, "Sign out everywhere") {
		t.Fatalf("users page: %d\n%s", page.code, text(page.body))
	}
	u, err := a.Store.UserByEmail(t.Context(), editorEmail)
	if err != nil {
		t.Fatal(err)
	}
	id := itoa(u.ID)

	r := admin.post("/admin/users/"+id+"/logout", nil)
	if r.code != http.StatusOK || !strings.Contains(text(r.body), editorEmail+" is signed out everywhere (1 sessions ended)") {
		t.Errorf("sign out everywhere: %d\n%s", r.code, text(r.body))
	}
	if r := editor.get("/admin/uploads"); r.code != http.StatusSeeOther {
		t.Errorf("the editor's session after sign out everywhere: %d, want a redirect to /login", r.code)
	}
	editor.login(editorEmail)

	if r := admin.post("/admin/users/"+id+"/disable", nil); r.code != http.StatusSeeOther {
		t.Fatalf("disable: %d\n%s", r.code, text(r.body))
	}
	if r := admin.get("/admin/users"); !strings.Contains(text(r.body), "disabled since 2026-11-01") {
		t.Errorf("the users page does not show the account disabled:\n%s", text(r.body))
	}
	if r := editor.get("/admin/uploads"); r.code != http.StatusSeeOther {
		t.Errorf("a disabled editor's session: %d, want a redirect to /login", r.code)
	}
	req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/api/v1/uploads/x", nil)
	req.Header.Set("Authorization", "Bearer "+a.token)
	if code, _ := a.apiDo(t, req); code != http.StatusUnauthorized {
		t.Errorf("a disabled editor's token: %d, want 401", code)
	}
	editor.get("/login")
	if r := editor.post("/login", url.Values{"email": {editorEmail}, "password": {password}}); r.code != http.StatusUnauthorized {
		t.Errorf("a disabled editor signing in: %d, want 401", r.code)
	}
	// An admin cannot disable their own account.
	me, _ := a.Store.UserByEmail(t.Context(), adminEmail)
	if r := admin.post("/admin/users/"+itoa(me.ID)+"/disable", nil); r.code != http.StatusUnprocessableEntity || !strings.Contains(r.body, "your own account") {
		t.Errorf("disabling oneself: %d", r.code)
	}
	if r := admin.post("/admin/users/"+id+"/enable", nil); r.code != http.StatusSeeOther {
		t.Fatalf("enable: %d", r.code)
	}
	editor.login(editorEmail)
	// Editors may not do any of it.
	if r := editor.post("/admin/users/"+itoa(me.ID)+"/disable", nil); r.code != http.StatusForbidden {
		t.Errorf("an editor disabling an admin: %d, want 403", r.code)
	}
}

// TestLockedEmailOwnerSignsIn: wrong passwords from another browser
// lock the editor's email; the editor's own browser, which signed in
// before, still signs in with the right password, while the right
// password from a new browser waits.
func TestLockedEmailOwnerSignsIn(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	owner := a.client(t)
	owner.login(editorEmail)
	owner.post("/logout", nil)

	attacker := a.client(t)
	attacker.get("/login")
	locked := false
	for range 5 {
		r := attacker.post("/login", url.Values{"email": {editorEmail}, "password": {"a wrong guess"}})
		locked = locked || r.code == http.StatusTooManyRequests
	}
	if !locked {
		t.Fatal("five wrong passwords did not throttle the email")
	}
	fresh := a.client(t)
	fresh.get("/login")
	if r := fresh.post("/login", url.Values{"email": {editorEmail}, "password": {password}}); r.code != http.StatusTooManyRequests {
		t.Errorf("the right password from a new browser on a locked email: %d, want 429", r.code)
	}
	// In Vietnamese the form posts to /vi/login: the cookie goes there too.
	owner.get("/vi/login")
	r := owner.post("/vi/login", url.Values{"email": {editorEmail}, "password": {password}, "next": {"/admin/uploads"}})
	if r.code != http.StatusSeeOther || r.loc != "/admin/uploads" {
		t.Errorf("the owner's browser on a locked email: %d %s\n%s", r.code, r.loc, text(r.body))
	}
}

// TestBidiControlsRefused: a right-to-left override (U+202E) in an
// upload's note rejects the row, and in a catalogue name refuses the
// form, so that no label or note displays as something it is not.
func TestBidiControlsRefused(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	file := []byte("city,indicator,year,value,unit,source,note\n" +
		"TP.HCM,pm25_annual_mean,2025,33.33,ug/m3,who_aaq_2022_v2022,\u202Egnp.exe\n" +
		"TP.HCM,pm25_annual_mean,2024,31.5,ug/m3,who_aaq_2022_v2022,measured\u2066 note\u2069\n" +
		"TP.HCM,pm25_annual_mean,2023,30.1,ug/m3,who_aaq_2022_v2022,a plain note\n")
	_, out := a.apiUpload(t, "bidi.csv", file)
	c, _ := out["counts"].(map[string]any)
	if c["rejected"] != float64(2) || c["new"] != float64(1) {
		t.Fatalf("an upload with bidi controls in two notes: counts %v, want 2 rejected and 1 new", c)
	}
	if s := fmtAny(out["rows"]); !strings.Contains(s, "U+202E") || !strings.Contains(s, "U+2066") {
		t.Errorf("the rejections do not name the characters:\n%.1000s", s)
	}

	admin := a.client(t)
	admin.login(adminEmail)
	admin.get("/admin/catalogue")
	r := admin.post("/admin/catalogue/cities", url.Values{"slug": {"testville"}, "name": {"Test\u202Eellivtset"}, "country_iso3": {"VNM"}, "kind": {"city"}})
	if r.code != http.StatusUnprocessableEntity || !strings.Contains(text(r.body), "U+202E") {
		t.Errorf("a city name with U+202E: %d\n%.500s", r.code, text(r.body))
	}
	if body := admin.get("/admin/catalogue").body; strings.Contains(body, "ellivtset") {
		t.Error("the city with an override in its name was saved")
	}
}

// TestCutOffUpload: an upload whose connection ends before the body
// announced has arrived is a 400 that says so (it was a 500), and
// nothing of it is kept.
func TestCutOffUpload(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	body, ct := multipartBody(t, "cut.csv", []byte(fixedFile+strings.Repeat("TP.HCM,pm25_annual_mean,2024,1,ug/m3,who_aaq_2022_v2022\n", 2000)))
	addr := strings.TrimPrefix(a.srv.URL, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/uploads HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", addr, a.token, ct, body.Len())
	conn.Write(body.Bytes()[:body.Len()/2])
	conn.(*net.TCPConn).CloseWrite()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), "cut off") {
		t.Errorf("a cut-off upload: %d %s, want 400 saying it was cut off", res.StatusCode, b)
	}
	if ps, _ := a.Uploads.ListPending(); len(ps) != 0 {
		t.Errorf("%d pending uploads after a cut-off one", len(ps))
	}
}

// TestPublishedUploadNotDiscardedOverHTTP: on the pages, "Check again"
// and "Discard" of a published upload are refused (409) and its record
// names the uploader and, apart, the publisher.
func TestPublishedUploadNotDiscardedOverHTTP(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	ed, admin := a.client(t), a.client(t)
	ed.login(editorEmail)
	admin.login(adminEmail)
	key, r := ed.uploadPage(a, "hcmc.csv", []byte(fixedFile))
	if r.code != http.StatusOK {
		t.Fatalf("preview: %d", r.code)
	}
	admin.get("/admin/uploads/" + key)
	r = admin.post("/admin/uploads/"+key+"/publish", nil)
	if r.code != http.StatusSeeOther {
		t.Fatalf("publish: %d %s", r.code, text(r.body))
	}
	record := r.loc
	for _, action := range []string{"check", "discard"} {
		if r := ed.post("/admin/uploads/"+key+"/"+action, nil); r.code != http.StatusConflict {
			t.Errorf("%s of a published upload: %d, want 409", action, r.code)
		}
	}
	page := text(admin.get(record).body)
	if !strings.Contains(page, "Uploaded by "+editorEmail) || !strings.Contains(page, "Published by "+adminEmail) {
		t.Errorf("the record does not name uploader and publisher apart:\n%s", page)
	}
	if p, err := a.Uploads.Pending(key); err != nil || p.State != "published" {
		t.Errorf("after check and discard: %v %v", p, err)
	}
}
