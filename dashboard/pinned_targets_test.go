package dashboard_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/internal/testfiles"
)

// milanMoved is CDP's 2017 targets file with the target date of
// Milan's row moved from 2020 to 2025: a test value in a temporary
// database, not Milan's commitment.
func milanMoved(t *testing.T) []byte {
	t.Helper()
	return testfiles.MilanTargetMoved(t, rawTargetsFile(t, "cdp_targets/2017_-_Cities_Emissions_Reduction_Targets_20240207.csv"))
}

// TestPinnedLinkKeepsItsCommitments is a briefing quoting Milan's
// commitments: note the link to the Hanoi–Milan page, a targets upload
// moves one of Milan's target years, and the link still shows the old
// commitment, in the page, the targets API and the data package, with a
// notice naming the upload and Milan; the current page shows the new
// one. After a rollback, the link pinned to the publication still shows
// the published commitment.
func TestPinnedLinkKeepsItsCommitments(t *testing.T) {
	const (
		old   = "−20 % by 2020 against 2005"
		moved = "−20 % by 2025 against 2005"
	)
	a := newStaffApp(t, testapp.Options{})
	ctx := context.Background()
	reader := a.client(t)
	milan := func(path string) string {
		t.Helper()
		r := reader.get(path)
		if r.code != http.StatusOK {
			t.Fatalf("%s: %d", path, r.code)
		}
		return section(t, r.body, `data-city="milan"`, "<details><summary>")
	}
	// The targets API's summaries of Milan's targets, as JSON and CSV.
	api := func(query string) (string, string) {
		t.Helper()
		var doc struct {
			Data []struct{ Summary string }
		}
		if code, _ := getJSON(t, a.Handler, "/api/v1/targets?city=milan"+query, &doc); code != http.StatusOK {
			t.Fatalf("targets API%s: %d", query, code)
		}
		var out []string
		for _, d := range doc.Data {
			out = append(out, d.Summary)
		}
		r := reader.get("/api/v1/targets?city=milan&format=csv" + query)
		if r.code != http.StatusOK {
			t.Fatalf("targets CSV%s: %d", query, r.code)
		}
		return strings.Join(out, "; "), r.body
	}
	// The targets of Milan's data package.
	pkg := func(query string) string {
		t.Helper()
		r := reader.get("/data/download?format=datapackage&city=milan" + query)
		if r.code != http.StatusOK {
			t.Fatalf("data package%s: %d %.300s", query, r.code, r.body)
		}
		return string(unzip(t, []byte(r.body), "")["data/targets.csv"])
	}

	n, err := a.App.Store.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	v := func(x int64) string { return strconv.FormatInt(x, 10) }
	if got := milan("/en/pairs/hanoi-milan"); !strings.Contains(got, old) || strings.Contains(got, "by 2025") {
		t.Fatalf("the seeded page should show Milan's %q:\n%s", old, got)
	}
	// The brief is read, and kept by the response cache, before the
	// upload: after it, it must not be served as it was.
	if r := reader.get("/en/pairs/hanoi-milan/brief"); r.code != http.StatusOK || strings.Contains(r.body, "by 2025") {
		t.Fatalf("the seeded brief: %d, or it shows the moved target", r.code)
	}

	c := a.client(t)
	c.login(editorEmail)
	key, r := c.uploadPage(a, "2017_targets_milan_moved.csv", milanMoved(t))
	if r.code != http.StatusOK {
		t.Fatalf("preview: %d %s", r.code, text(r.body))
	}
	p := c.post("/admin/uploads/"+key+"/publish", nil)
	if p.code != http.StatusSeeOther || !strings.Contains(p.loc, "done=published") {
		t.Fatalf("publish: %d %s %s", p.code, p.loc, text(p.body))
	}
	record := strings.TrimSuffix(strings.Split(p.loc, "?")[0], "/")
	uploadID := strings.TrimPrefix(record, "/admin/uploads/")

	// The current page, API and download show the moved target.
	if got := milan("/en/pairs/hanoi-milan"); !strings.Contains(got, moved) {
		t.Errorf("after the upload the page should show Milan's %q:\n%s", moved, got)
	}
	if js, csvBody := api(""); !strings.Contains(js, moved) || !strings.Contains(csvBody, "by 2025") {
		t.Errorf("after the upload the targets API should give %q:\n%s\n%s", moved, js, csvBody)
	}

	// The link pinned before the upload: the old commitment, and the
	// notice naming the upload and Milan.
	pinned := "/en/pairs/hanoi-milan?v=" + v(n)
	if got := milan(pinned); !strings.Contains(got, old) || strings.Contains(got, "by 2025") {
		t.Errorf("the link pinned to version %d should show Milan's %q, not the moved target:\n%s", n, old, got)
	}
	notice := pinBlock(reader.get(pinned).body, "older")
	for _, w := range []string{"upload #" + uploadID + " “2017_targets_milan_moved.csv” was published", "Milan"} {
		if !strings.Contains(notice, w) {
			t.Errorf("the notice lacks %q:\n%s", w, notice)
		}
	}
	if strings.Contains(notice, "Commitments (targets) were not kept") {
		t.Errorf("the notice says commitments were not kept, though they were:\n%s", notice)
	}
	// The brief leads with Milan's nearest reduction target: the moved
	// one now, the 2030 one at the pinned version.
	briefMilan := func(path string) string {
		t.Helper()
		r := reader.get(path)
		if r.code != http.StatusOK {
			t.Fatalf("%s: %d", path, r.code)
		}
		return section(t, r.body, `class="brief-commit-city" data-city="milan"`, "</div>")
	}
	if got := briefMilan("/en/pairs/hanoi-milan/brief"); !strings.Contains(got, moved) {
		t.Errorf("after the upload the brief should lead Milan's commitments with %q:\n%s", moved, got)
	}
	if got := briefMilan("/en/pairs/hanoi-milan/brief?v=" + v(n)); !strings.Contains(got, "−45 % by 2030 against 2005") || strings.Contains(got, "by 2025") {
		t.Errorf("the brief pinned to version %d should show Milan's commitments of then (−45 %% by 2030), not the moved target:\n%s", n, got)
	}
	if js, csvBody := api("&v=" + v(n)); !strings.Contains(js, old) || strings.Contains(js, "by 2025") || strings.Contains(csvBody, "by 2025") {
		t.Errorf("the targets API at version %d should give %q, not the moved target:\n%s\n%s", n, old, js, csvBody)
	}
	if b := pkg("&v=" + v(n)); strings.Contains(b, "by 2025") || !strings.Contains(b, ",2020,") {
		t.Errorf("the data package at version %d should list Milan's target of 2020, not 2025:\n%s", n, b)
	}
	if b := pkg(""); !strings.Contains(b, "by 2025") {
		t.Errorf("the current data package should list Milan's target of 2025:\n%s", b)
	}
	if r := reader.get("/api/v1/targets?city=milan&v=999"); r.code != http.StatusBadRequest || !strings.Contains(r.body, "data version 999 is not kept") {
		t.Errorf("the targets API at an unkept version: %d %s", r.code, r.body)
	}

	// Roll back: the link pinned to the publication still shows the
	// published commitment; the current page the old one again.
	if rb := c.post(record+"/rollback", nil); rb.code != http.StatusSeeOther {
		t.Fatalf("rollback: %d %s", rb.code, text(rb.body))
	}
	if got := milan("/en/pairs/hanoi-milan?v=" + v(n+1)); !strings.Contains(got, moved) {
		t.Errorf("the link pinned to the publication (version %d) should show Milan's %q after the rollback:\n%s", n+1, moved, got)
	}
	if js, _ := api("&v=" + v(n+1)); !strings.Contains(js, moved) {
		t.Errorf("the targets API at the publication's version should give %q after the rollback:\n%s", moved, js)
	}
	for _, path := range []string{"/en/pairs/hanoi-milan", "/en/pairs/hanoi-milan?v=" + v(n)} {
		if got := milan(path); !strings.Contains(got, old) || strings.Contains(got, "by 2025") {
			t.Errorf("after the rollback %s should show Milan's %q, not the moved target:\n%s", path, old, got)
		}
	}
	notice = pinBlock(reader.get("/en/pairs/hanoi-milan?v="+v(n+1)).body, "older")
	if !strings.Contains(notice, "upload #"+uploadID+" “2017_targets_milan_moved.csv” was rolled back") || !strings.Contains(notice, "Milan") {
		t.Errorf("the notice at the publication's version should name the rollback and Milan:\n%s", notice)
	}

	// A database whose commitments were kept only from a later version
	// than its values (it was upgraded then): a page pinned earlier shows
	// the commitments of that version, and says so.
	if _, err := a.DB.W.ExecContext(ctx, `UPDATE meta SET value = ? WHERE key = 'target_history_from'`, v(n+1)); err != nil {
		t.Fatal(err)
	}
	city := reader.get("/en/cities/milan?v=" + v(n))
	if got := section(t, city.body, `data-city="milan"`, "<details><summary>"); !strings.Contains(got, moved) {
		t.Errorf("pinned before the commitments were kept, the page should show those of version %d (%q):\n%s", n+1, moved, got)
	}
	want := "Commitments (targets) were not kept as they were before data version " + v(n+1) + ": this page shows them as at version " + v(n+1) + ", not " + v(n) + "."
	if notice := pinBlock(city.body, "older"); !strings.Contains(notice, want) {
		t.Errorf("the notice should say %q:\n%s", want, notice)
	}
	vi := reader.get("/vi/cities/milan?v=" + v(n))
	if notice := pinBlock(vi.body, "older"); !strings.Contains(notice, "Các cam kết (mục tiêu) không được lưu giữ như trước phiên bản dữ liệu "+v(n+1)) {
		t.Errorf("the Vietnamese notice:\n%s", notice)
	}
	if notice := pinBlock(reader.get("/en/indicators/population?v="+v(n)).body, "older"); strings.Contains(notice, "Commitments") {
		t.Errorf("a page without commitments speaks of them:\n%s", notice)
	}
}
