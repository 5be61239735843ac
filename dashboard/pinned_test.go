package dashboard_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// Test values in a temporary database, not figures about Hanoi: they
// replace the seeded PM2.5 of 2019 (52.09, WHO 2022, whose values stay
// out of downloads) and the agglomeration's population of 2015
// (3657210, UN WUP 2018, passed on in downloads).
const hanoiChange = "city,indicator,year,value,unit,source\n" +
	"Hà Nội,pm25_annual_mean,2019,52.5,ug/m3,who_aaq_2022_v2022\n" +
	"hanoi-agglomeration,population,2015,3700000,persons,un_wup_2018_f12\n"

// hanoiPM25 is Hanoi's PM2.5 cell of a pair page's scorecard.
func hanoiPM25(t *testing.T, body string) string {
	t.Helper()
	return cells(t, body, `<tr data-indicator="pm25_annual_mean">`)[1]
}

// pinBlock is the text of the notice a pinned page shows ("" if none).
func pinBlock(body, kind string) string {
	i := strings.Index(body, `data-pin="`+kind+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</div>")
	if j < 0 {
		j = strings.Index(body[i:], "</p>")
	}
	return text(body[i : i+j])
}

// unversioned is a page with the data versions it names blanked: the
// same figures under two versions read the same.
func unversioned(body string) string {
	return versionRe.ReplaceAllString(body, "${1}N")
}

var versionRe = regexp.MustCompile(`(v=|[Vv]ersion )\d+`)

var permalinkRe = regexp.MustCompile(`<a href="([^"]+)" rel="bookmark" data-permalink>`)

// TestPinnedLinkKeepsItsNumbers is a researcher's citation: note the
// link to the Hanoi–Milan page, an upload changes Hanoi's PM2.5, and the
// link still shows the old value with a notice naming the upload, in
// the reader's language; the current page shows the new one; after a
// rollback each version's link shows that version's value; downloads
// pinned to a version hold its rows.
func TestPinnedLinkKeepsItsNumbers(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	ctx := context.Background()
	reader := a.client(t)

	page := reader.get("/en/pairs/hanoi-milan?theme=air")
	before := hanoiPM25(t, page.body)
	if !strings.Contains(before, "52.09") {
		t.Fatalf("the seed should show Hanoi's PM2.5 of 2019, 52.09: %q", before)
	}
	n, err := a.App.Store.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	m := permalinkRe.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatal("the pair page has no link to this view")
	}
	link := strings.ReplaceAll(m[1], "&amp;", "&")
	if !strings.HasSuffix(link, "/en/pairs/hanoi-milan?theme=air&v="+strconv.FormatInt(n, 10)) {
		t.Errorf("the link to this view is %q: want the page, its theme and data version %d", link, n)
	}
	cited := link[strings.Index(link, "/en/"):]
	if !strings.Contains(page.body, `data-chart-link`) || !strings.Contains(page.body, "v="+strconv.FormatInt(n, 10)+"#fig-") {
		t.Error("the charts have no link to themselves at the data version")
	}

	c := a.client(t)
	c.login(editorEmail)
	key, r := c.uploadPage(a, "hanoi-pm25.csv", []byte(hanoiChange))
	if !strings.Contains(text(r.body), "2 changed") || !strings.Contains(text(r.body), "0 rejected") {
		t.Fatalf("preview: %s", text(r.body))
	}
	r = c.post("/admin/uploads/"+key+"/publish", nil)
	if r.code != http.StatusSeeOther {
		t.Fatalf("publish: %d %s", r.code, text(r.body))
	}
	record := strings.TrimSuffix(r.loc, "?done=published")
	uploadID := strings.TrimPrefix(record, "/admin/uploads/")

	// The current page shows the new value, with no notice.
	now := reader.get("/en/pairs/hanoi-milan?theme=air")
	if got := hanoiPM25(t, now.body); !strings.Contains(got, "52.5") {
		t.Errorf("Hanoi's PM2.5 after the upload: %q, want 52.5", got)
	}
	if pinBlock(now.body, "older") != "" {
		t.Error("the current page says it shows an older version")
	}

	// The cited link: the old value, and the notice naming the upload.
	old := reader.get(cited)
	if old.code != http.StatusOK {
		t.Fatalf("%s: %d", cited, old.code)
	}
	if got := hanoiPM25(t, old.body); got != before {
		t.Errorf("the pinned link shows Hanoi's PM2.5 as %q, it showed %q when cited", got, before)
	}
	notice := pinBlock(old.body, "older")
	for _, w := range []string{"data version " + strconv.FormatInt(n, 10), "now at version " + strconv.FormatInt(n+1, 10),
		"upload #" + uploadID + " “hanoi-pm25.csv” was published", "PM2.5", "Hanoi"} {
		if !strings.Contains(notice, w) {
			t.Errorf("the notice lacks %q:\n%s", w, notice)
		}
	}
	// Slides and the printout cite what the page shows: version n and
	// the pinned address, not the newer version.
	credit := html.UnescapeString(regexp.MustCompile(`data-chart-credit="([^"]*)"`).FindString(old.body))
	if want := "data version " + strconv.FormatInt(n, 10) + " · "; !strings.Contains(credit, want) || !strings.Contains(credit, "v="+strconv.FormatInt(n, 10)) {
		t.Errorf("a pinned page's slide credit should name %q and the pinned address:\n%s", want, credit)
	}
	if cc := old.hdr.Get("Cache-Control"); !strings.Contains(cc, "max-age=86400") {
		t.Errorf("a pinned page's Cache-Control is %q: its values never change", cc)
	}
	vi := reader.get(strings.Replace(cited, "/en/", "/vi/", 1))
	if notice := pinBlock(vi.body, "older"); !strings.Contains(notice, "tệp tải lên #"+uploadID+" “hanoi-pm25.csv” đã được công bố") ||
		!strings.Contains(notice, "phiên bản dữ liệu "+strconv.FormatInt(n, 10)) {
		t.Errorf("the Vietnamese notice:\n%s", notice)
	}

	// The brief and the embed of the pinned version.
	brief := reader.get("/en/pairs/hanoi-milan/brief?v=" + strconv.FormatInt(n, 10))
	if !strings.Contains(brief.body, "/en/pairs/hanoi-milan?v="+strconv.FormatInt(n, 10)) || !strings.Contains(text(brief.body), "52.09 (2019)") {
		t.Errorf("the pinned brief lacks its permalink or the old value:\n%s", text(brief.body))
	}
	embed := reader.get("/en/embed/pairs/hanoi-milan/pm25_annual_mean?v=" + strconv.FormatInt(n, 10))
	if !strings.Contains(embed.body, "v="+strconv.FormatInt(n, 10)+"#fig-") || !strings.Contains(embed.body, "52.09") || strings.Contains(embed.body, "52.5<") {
		t.Errorf("the pinned embed lacks its permalink or the old value")
	}

	// A page the upload did not touch says so; the indicator page
	// pinned draws and ranks the old value.
	ko := reader.get("/en/cities/kosice?v=" + strconv.FormatInt(n, 10))
	if notice := pinBlock(ko.body, "older"); !strings.Contains(notice, "Nothing the figures on this page are built from has changed since then") {
		t.Errorf("the Košice page pinned before the Hanoi upload says:\n%s", notice)
	}
	ind := reader.get("/en/indicators/pm25_annual_mean?v=" + strconv.FormatInt(n, 10))
	if hr := row(t, ind.body, `data-area="hanoi"`); !strings.Contains(hr, "52.09") || strings.Contains(hr, "52.5") {
		t.Errorf("the PM2.5 page pinned before the upload ranks Hanoi with %q, want 52.09", hr)
	}
	if hr := row(t, reader.get("/en/indicators/pm25_annual_mean").body, `data-area="hanoi"`); !strings.Contains(hr, "52.5") {
		t.Errorf("the current PM2.5 page ranks Hanoi with %q, want 52.5", hr)
	}

	// Roll back: each version's link shows that version's value.
	if r := c.post(record+"/rollback", nil); r.code != http.StatusSeeOther {
		t.Fatalf("rollback: %d %s", r.code, text(r.body))
	}
	for v, want := range map[int64]string{n: before, n + 1: "52.5", n + 2: before} {
		p := reader.get("/en/pairs/hanoi-milan?theme=air&v=" + strconv.FormatInt(v, 10))
		got := hanoiPM25(t, p.body)
		if (want == before && got != before) || (want != before && !strings.Contains(got, want)) {
			t.Errorf("version %d shows Hanoi's PM2.5 as %q, want %q", v, got, want)
		}
	}
	if got := hanoiPM25(t, reader.get("/en/pairs/hanoi-milan?theme=air").body); got != before {
		t.Errorf("after the rollback the page shows %q, want %q", got, before)
	}
	notice = pinBlock(reader.get("/en/pairs/hanoi-milan?v="+strconv.FormatInt(n+1, 10)).body, "older")
	if !strings.Contains(notice, "upload #"+uploadID+" “hanoi-pm25.csv” was rolled back") || strings.Contains(notice, "was published") {
		t.Errorf("the notice at the publication's version should name the rollback alone:\n%s", notice)
	}

	// Downloads pinned to a version hold its rows, and say so.
	csvAt := func(v int64) string {
		r := reader.get("/data/download?format=csv&city=hanoi-agglomeration&indicator=population&shown=1&v=" + strconv.FormatInt(v, 10))
		if r.code != http.StatusOK {
			t.Fatalf("download at %d: %d %s", v, r.code, r.body)
		}
		return r.body
	}
	if b := csvAt(n + 1); !strings.Contains(b, ",2015,3700000,") || strings.Contains(b, ",2015,3657210,") {
		t.Errorf("the download at the publication's version should hold 3700000 for 2015, not 3657210:\n%s", b)
	}
	for _, v := range []int64{n, n + 2} {
		if b := csvAt(v); !strings.Contains(b, ",2015,3657210,") || strings.Contains(b, ",2015,3700000,") {
			t.Errorf("the download at version %d should hold 3657210 for 2015, not 3700000:\n%s", v, b)
		}
	}
	js := reader.get("/data/download?format=json&city=hanoi&indicator=pm25_annual_mean&v=" + strconv.FormatInt(n, 10))
	var doc struct {
		Provenance struct {
			DatasetVersion string `json:"dataset_version"`
			URL            string `json:"url"`
			Citation       string `json:"citation"`
		} `json:"provenance"`
	}
	if err := json.Unmarshal([]byte(js.body), &doc); err != nil {
		t.Fatalf("JSON download: %v\n%.300s", err, js.body)
	}
	if doc.Provenance.DatasetVersion != strconv.FormatInt(n, 10) || !strings.Contains(doc.Provenance.Citation, "v="+strconv.FormatInt(n, 10)) {
		t.Errorf("the pinned JSON download names version %q and cites %q, want version %d and its link", doc.Provenance.DatasetVersion, doc.Provenance.Citation, n)
	}

	// A version that was never kept: said on the page, current values
	// shown; a download refuses it.
	gone := reader.get("/en/pairs/hanoi-milan?theme=air&v=999")
	if notice := pinBlock(gone.body, "not-kept"); !strings.Contains(notice, "Data version 999 cannot be shown") || !strings.Contains(notice, "current figures (version "+strconv.FormatInt(n+2, 10)+")") {
		t.Errorf("the page of an unkept version says:\n%s", notice)
	}
	if got := hanoiPM25(t, gone.body); got != before {
		t.Errorf("the page of an unkept version shows %q, want the current %q", got, before)
	}
	if hostile := reader.get("/en/pairs/hanoi-milan?v=%3Cscript%3Ealert(1)%3C/script%3E"); hostile.code != http.StatusOK ||
		strings.Contains(hostile.body, "<script>alert") || !strings.Contains(pinBlock(hostile.body, "not-kept"), "Data version <script>alert(1)</script> cannot be shown") {
		t.Errorf("a version that is not a number: %d\n%s", hostile.code, pinBlock(hostile.body, "not-kept"))
	}
	if r := reader.get("/data/download?format=csv&city=hanoi&v=999"); r.code != http.StatusBadRequest || !strings.Contains(r.body, "data version 999 is not kept") {
		t.Errorf("a download of an unkept version: %d %s", r.code, r.body)
	}
}
