package dashboard_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestBrowserReadsAPIFromAnotherOrigin: a page served from another local
// port (a researcher's notebook) reads the public API, a download and
// the OpenAPI document with fetch() in Chromium, a request needing a
// preflight included; the staff routes stay closed to it.
func TestBrowserReadsAPIFromAnotherOrigin(t *testing.T) {
	env := newBrowserEnv(t)
	notebook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><html lang="en"><title>notebook</title><p>notebook</p></html>`))
	}))
	defer notebook.Close()
	if strings.TrimPrefix(notebook.URL, "http://") == env.host {
		t.Fatal("the notebook shares the app's origin")
	}
	tabCtx, cancelTab := chromedp.NewContext(env.browse)
	defer cancelTab()
	if err := chromedp.Run(tabCtx); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(tabCtx, browserPageTimeout)
	defer cancel()
	script := `(async () => {
  const api = ` + "`" + env.srv.URL + "`" + `;
  const out = {};
  const r1 = await fetch(api + "/api/v1/cities");
  out.cities = (await r1.json()).data.length;
  out.etag = r1.headers.get("ETag") || "";
  // If-None-Match is not a simple header: the browser sends a preflight.
  const r2 = await fetch(api + "/api/v1/cities", {headers: {"If-None-Match": out.etag}});
  out.revalidated = r2.status;
  const r3 = await fetch(api + "/api/v1/observations?city=hanoi&limit=3", {headers: {"Accept": "text/csv"}});
  out.csv = (await r3.text()).split("\n")[0];
  const r4 = await fetch(api + "/data/download?format=json&city=kosice");
  out.download = (await r4.json()).observations.length;
  out.disposition = r4.headers.get("Content-Disposition") || "";
  const r5 = await fetch(api + "/api/v1/openapi.json", {method: "HEAD"});
  out.head = r5.status;
  try { await fetch(api + "/admin/uploads"); out.staff = "read"; } catch (e) { out.staff = "blocked"; }
  try { const r = await fetch(api + "/api/v1/uploads", {method: "POST", body: "x"}); out.upload = "read " + r.status; } catch (e) { out.upload = "blocked"; }
  return JSON.stringify(out);
})()`
	var raw string
	err := chromedp.Run(ctx,
		chromedp.Navigate(notebook.URL+"/"),
		chromedp.Evaluate(script, &raw, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }),
	)
	if err != nil {
		t.Fatalf("fetch from %s: %v", notebook.URL, err)
	}
	var got struct {
		Cities      int
		Etag        string
		Revalidated int
		CSV         string
		Download    int
		Disposition string
		Head        int
		Staff       string
		Upload      string
	}
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	t.Logf("from another origin: %s", raw)
	if got.Cities < 15 || got.Etag == "" {
		t.Errorf("cities: %d, ETag %q (headers exposed?)", got.Cities, got.Etag)
	}
	if got.Revalidated != http.StatusNotModified && got.Revalidated != http.StatusOK {
		t.Errorf("the preflighted conditional request answered %d", got.Revalidated)
	}
	if !strings.HasPrefix(got.CSV, "observation_id,") && !strings.Contains(got.CSV, "city") {
		t.Errorf("CSV by Accept: first line %q", got.CSV)
	}
	if got.Download == 0 || !strings.Contains(got.Disposition, "attachment") {
		t.Errorf("download: %d observations, Content-Disposition %q", got.Download, got.Disposition)
	}
	if got.Head != http.StatusOK {
		t.Errorf("HEAD openapi.json: %d", got.Head)
	}
	if got.Staff != "blocked" || got.Upload != "blocked" {
		t.Errorf("staff routes from another origin: page %s, upload %s; want both blocked", got.Staff, got.Upload)
	}
}
