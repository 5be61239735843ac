package dashboard_test

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/dashboard"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
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
	b, err := fs.ReadFile(dashboard.LocaleFS(), lang+".json")
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
	keyLike := regexp.MustCompile(`\b(?:nav|site|theme|direction|kind|value|derived|rule|warn|summary|chart|overview|pair|city|indicators?|about|error|footer|data|download|country|confidence)\.[a-z0-9_.]+\b`)
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
