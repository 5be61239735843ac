package dashboard_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	for _, url := range []string{"/", "/pairs/hanoi-milan", "/vi/cities/hanoi", "/indicators", "/indicators/pm25_annual_mean", "/about", "/pairs/nowhere", "/healthz"} {
		_, _, h := get(t, app.Handler, url)
		csp := h.Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %s", url, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows inline or eval'd script: %q", url, csp)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
			t.Errorf("%s: nosniff %q, referrer policy %q", url, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"))
		}
	}
}

func TestUploadRateLimit(t *testing.T) {
	a := newStaffApp(t, testapp.Options{UploadsPerMinute: 2})
	file := []byte("city,indicator,year,value,unit,source\nhanoi,pm25_annual_mean,2019,52.09,µg/m3,who_aaq_2022_v2022\n")
	var codes []int
	for i := 0; i < 3; i++ {
		code, _ := a.apiUpload(t, "rate.csv", file)
		codes = append(codes, code)
	}
	if codes[0] == http.StatusTooManyRequests || codes[1] == http.StatusTooManyRequests || codes[2] != http.StatusTooManyRequests {
		t.Errorf("three uploads at 2 a minute answered %v, want the third refused with 429", codes)
	}
	// The refusal says when to come back, on the API and on the page.
	body, ct := multipartBody(t, "rate.csv", file)
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/api/v1/uploads", body)
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+a.token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "30" {
		t.Errorf("fourth upload at 2 a minute: %d, Retry-After %q, want 429 and 30 seconds", res.StatusCode, res.Header.Get("Retry-After"))
	}
}

func TestBodyLimitOnForms(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	big := strings.Repeat("x", 2<<20)
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader("email=a&password="+big))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	app.Handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MB sign-in form answered %d, want 413", rec.Code)
	}
}

func TestSignInNextStaysOnTheSite(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	c := a.client(t)
	c.login(adminEmail)
	for _, next := range []string{"//evil.example/", "/\t/evil.example/", "/\\evil.example/", "https://evil.example/", "/\n/evil.example"} {
		r := c.get("/login?next=" + url.QueryEscape(next))
		if r.code != http.StatusSeeOther || r.loc != "/admin/uploads" {
			t.Errorf("signed in, /login?next=%q redirects %d to %q, want /admin/uploads", next, r.code, r.loc)
		}
	}
}

func TestLogoutNeedsTheCSRFToken(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	c := a.client(t)
	c.login(editorEmail)
	if r := c.post("/logout", url.Values{"csrf": {""}}); r.code != http.StatusForbidden {
		t.Errorf("/logout without the token answered %d, want 403", r.code)
	}
	if r := c.get("/admin/uploads"); r.code != http.StatusOK {
		t.Fatalf("signed out by a forged /logout: %d", r.code)
	}
	if r := c.post("/logout", url.Values{"csrf": {c.csrf}}); r.code != http.StatusSeeOther {
		t.Errorf("/logout with the token answered %d, want a redirect", r.code)
	}
	if r := c.get("/admin/uploads"); r.code != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/login") {
		t.Errorf("after /logout, /admin/uploads answers %d %q, want a redirect to /login", r.code, r.loc)
	}
}

// TestCSRFTokenNeverInTheAddress: the upload form carries its token as
// its first field, not in its action; a token in the query string is
// not accepted, on the upload or any other form.
func TestCSRFTokenNeverInTheAddress(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	c := a.client(t)
	c.login(editorEmail)
	page := c.get("/admin/uploads")
	if strings.Contains(page.body, "?csrf=") {
		t.Error("the upload page puts the CSRF token in an address")
	}
	form := page.body[strings.Index(page.body, `id="upload-form"`):]
	if i, j := strings.Index(form, `name="csrf"`), strings.Index(form, `name="file"`); i < 0 || i > j {
		t.Error("the upload form's token is not its first field")
	}
	file := []byte("city,indicator,year,value,unit,source\nhanoi,pm25_annual_mean,2030,40,ug/m3,who_aaq_2022_v2022\n")
	send := func(query string, fields ...string) resp {
		body, ct := multipartBody(t, "x.csv", file, fields...)
		req, _ := http.NewRequest(http.MethodPost, c.base+"/admin/uploads"+query, body)
		req.Header.Set("Content-Type", ct)
		return c.do(req)
	}
	if r := send("?csrf=" + url.QueryEscape(c.csrf)); r.code != http.StatusForbidden {
		t.Errorf("upload with the token in the address: %d, want 403", r.code)
	}
	if r := send("", "csrf", "forged"); r.code != http.StatusForbidden {
		t.Errorf("upload with a wrong token: %d, want 403", r.code)
	}
	if r := send("", "csrf", c.csrf); r.code != http.StatusSeeOther {
		t.Errorf("upload with the token as the form's field: %d, want 303", r.code)
	}
	a.Uploads.Wait()
	req, _ := http.NewRequest(http.MethodPost, c.base+"/logout?csrf="+url.QueryEscape(c.csrf), nil)
	if r := c.do(req); r.code != http.StatusForbidden {
		t.Errorf("/logout with the token in the address: %d, want 403", r.code)
	}
}
