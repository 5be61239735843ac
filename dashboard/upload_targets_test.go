package dashboard_test

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// targetsState is every target with the upload that retired it: what a
// publication changes and a rollback must restore.
func targetsState(t *testing.T, a *staffApp) string {
	t.Helper()
	var rows []struct {
		ID        int64         `db:"id"`
		RetiredBy sql.NullInt64 `db:"retired_by"`
	}
	if err := a.DB.R.Select(&rows, `SELECT id, retired_by FROM targets ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, r := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%d:", r.ID)
		if r.RetiredBy.Valid {
			fmt.Fprintf(&b, "%d", r.RetiredBy.Int64)
		}
	}
	return b.String()
}

// currentTargetsOf counts an area's current targets from a source.
func currentTargetsOf(t *testing.T, a *staffApp, source string) int {
	t.Helper()
	var n int
	if err := a.DB.R.Get(&n, `SELECT COUNT(*) FROM targets t JOIN sources s ON s.id = t.source_id
		WHERE t.retired_by IS NULL AND s.code = ? AND t.area_id IN (SELECT area_id FROM targets WHERE upload_id IS NOT NULL AND retired_by IS NULL)`, source); err != nil {
		t.Fatal(err)
	}
	return n
}

func rawTargetsFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "data", "raw", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestUploadTargetsFiles: staff upload the Net Zero Tracker snapshot and
// CDP's 2021 targets as published, see the targets each would add and
// the current ones it would replace, publish, find them on the upload's
// record and on the pages, and roll back to exactly the targets before.
func TestUploadTargetsFiles(t *testing.T) {
	cases := []struct {
		file, source, title string
		// a row of the preview, by area, that the file prints
		area, want string
	}{
		{"net_zero_tracker/snapshot_2022-12-20_13-07-14.xlsx", "net_zero_tracker_2022", "Read as: Net Zero Tracker snapshot of 2022-12-20 (targets).",
			"hanoi", "Net zero by 2050"},
		{"net_zero_tracker/snapshot_2022-12-20_13-07-14.xlsx", "net_zero_tracker_2022", "Read as: Net Zero Tracker snapshot of 2022-12-20 (targets).",
			"hanoi", "−15 % by 2030 against 2020"},
		{"cdp_targets/2021_Cities_Emissions_Reduction_Targets_clean_names.csv", "cdp_targets_2021", "Read as:",
			"milan", "−45 % by 2030 against 2005"},
	}
	a := newStaffApp(t, testapp.Options{})
	c := a.client(t)
	c.login(editorEmail)
	for _, tc := range cases {
		t.Run(filepath.Base(tc.file)+"/"+tc.want, func(t *testing.T) {
			before := targetsState(t, a)
			key, r := c.uploadPage(a, filepath.Base(tc.file), rawTargetsFile(t, tc.file))
			if r.code != http.StatusOK {
				t.Fatalf("preview: %d %s", r.code, text(r.body))
			}
			page := text(r.body)
			if !strings.Contains(page, tc.title) {
				t.Errorf("the preview does not say how it read the file (%q):\n%.2000s", tc.title, page)
			}
			m := regexp.MustCompile(`(\d+) target\(s\) of areas in the catalogue to add; (\d+) current target\(s\) from the same source that they replace .*?; (\d+) rejected; (\d+) row\(s\) about places`).FindStringSubmatch(page)
			if m == nil {
				t.Fatalf("no summary of the targets in the preview:\n%.3000s", page)
			}
			newRows := strings.Count(string(rowsOf(r.body, "targets-new")), "<tr data-area=")
			if m[1] == "0" || itoa(int64(newRows)) != m[1] {
				t.Errorf("the preview says %s targets to add and lists %d", m[1], newRows)
			}
			if m[2] == "0" {
				t.Errorf("the preview replaces none of the seeded %s targets of the same areas", tc.source)
			}
			if m[3] != "0" {
				t.Errorf("%s rejected targets in the file as published", m[3])
			}
			if row := text(rowOf(t, rowsOf(r.body, "targets-new"), `data-area="`+tc.area+`"`)); row == "" {
				t.Errorf("no target of %s in the preview", tc.area)
			} else if !strings.Contains(text(rowsOf(r.body, "targets-new")), tc.want) {
				t.Errorf("the preview's targets lack %q", tc.want)
			}
			if targetsState(t, a) != before {
				t.Fatal("the preview changed the targets")
			}

			// Publish: the record lists the targets it brought.
			p := c.post("/admin/uploads/"+key+"/publish", nil)
			if p.code != http.StatusSeeOther || !strings.Contains(p.loc, "done=published") {
				t.Fatalf("publish: %d %s %s", p.code, p.loc, text(p.body))
			}
			record := strings.TrimSuffix(strings.Split(p.loc, "?")[0], "/")
			rec := c.get(record)
			brought := rowsOf(rec.body, "record-targets")
			if n := strings.Count(string(brought), "<tr data-area="); itoa(int64(n)) != m[1] {
				t.Errorf("the record lists %d targets, the preview %s", n, m[1])
			}
			if !strings.Contains(text(brought), tc.want) {
				t.Errorf("the record's targets lack %q", tc.want)
			}
			replaced := strings.Count(string(rowsOf(rec.body, "record-targets-replaced")), "<tr data-area=")
			if itoa(int64(replaced)) != m[2] {
				t.Errorf("the record lists %d replaced targets, the preview %s", replaced, m[2])
			}
			if n := currentTargetsOf(t, a, tc.source); itoa(int64(n)) != m[1] {
				t.Errorf("%d current %s targets of the areas after publishing, want the %s of the file", n, tc.source, m[1])
			}
			var api struct {
				Data []struct{ Summary, Source string }
			}
			if code, _ := getJSON(t, a.Handler, "/api/v1/targets?city="+tc.area, &api); code != http.StatusOK {
				t.Fatalf("targets API: %d", code)
			}
			found := false
			for _, d := range api.Data {
				found = found || d.Source == tc.source && d.Summary == tc.want
			}
			if !found {
				t.Errorf("the targets API does not give %s's %q from %s after publishing: %+v", tc.area, tc.want, tc.source, api.Data)
			}

			// Roll back: exactly the targets before.
			if rb := c.post(record+"/rollback", nil); rb.code != http.StatusSeeOther {
				t.Fatalf("rollback: %d %s", rb.code, text(rb.body))
			}
			if targetsState(t, a) == before {
				t.Fatal("the rollback left the targets as they were before publishing: nothing was published?")
			}
			rec = c.get(record)
			if strings.Count(text(rowsOf(rec.body, "record-targets")), "no longer current") != strings.Count(string(rowsOf(rec.body, "record-targets")), "<tr data-area=") {
				t.Error("after the rollback, the record does not say its targets are no longer current")
			}
			if !sameCurrentTargets(t, a, before) {
				t.Error("after the rollback the current targets are not those before the upload")
			}
		})
	}
}

// sameCurrentTargets says whether the targets current now are those
// current in state (an earlier targetsState).
func sameCurrentTargets(t *testing.T, a *staffApp, state string) bool {
	t.Helper()
	var cur []string
	for _, e := range strings.Split(state, ",") {
		if id, by, ok := strings.Cut(e, ":"); ok && by == "" {
			cur = append(cur, id)
		}
	}
	var ids []int64
	if err := a.DB.R.Select(&ids, `SELECT id FROM targets WHERE retired_by IS NULL ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	now := make([]string, len(ids))
	for i, id := range ids {
		now[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(now, ",") == strings.Join(cur, ",")
}

// TestUploadTargetsProblem: a target year mistyped in Milan's row of
// CDP's 2017 file is listed in the preview with its line, column and
// text; publishing refuses until staff leave the row out, and nothing
// changes meanwhile.
func TestUploadTargetsProblem(t *testing.T) {
	b := rawTargetsFile(t, "cdp_targets/2017_-_Cities_Emissions_Reduction_Targets_20240207.csv")
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := func(name string) int {
		for i, h := range recs[0] {
			if strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) == name {
				return i
			}
		}
		t.Fatalf("no column %q in %q", name, recs[0])
		return -1
	}
	org, by := col("Organisation"), col("Baseline year")
	line := 0
	for i, r := range recs {
		if i > 0 && strings.Contains(r[org], "Milano") && r[by] != "" {
			r[by] = strings.Replace(r[by], "0", "O", 1) // "2005" → "2OO5"-like slip
			line = i + 1
			break
		}
	}
	if line == 0 {
		t.Fatal("no row of Milan with a baseline year in the 2017 file")
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.WriteAll(recs)

	a := newStaffApp(t, testapp.Options{})
	c := a.client(t)
	c.login(editorEmail)
	before := targetsState(t, a)
	key, r := c.uploadPage(a, "2017_targets_with_a_slip.csv", buf.Bytes())
	page := text(r.body)
	want := "Line " + itoa(int64(line)) + ", column Baseline year"
	if !strings.Contains(page, want) || !strings.Contains(page, "is not a year") || !strings.Contains(page, "(Milan)") {
		t.Errorf("the preview does not name the problem (%q, Milan, \"is not a year\"):\n%.3000s", want, page)
	}
	if !strings.Contains(page, "1 rejected") {
		t.Errorf("the preview does not count the rejected target")
	}
	if p := c.post("/admin/uploads/"+key+"/publish", nil); p.code != http.StatusConflict || !strings.Contains(text(p.body), "rejected") {
		t.Fatalf("publish with a rejected target: %d", p.code)
	}
	if targetsState(t, a) != before {
		t.Fatal("a refused publish changed the targets")
	}
	form := map[string][]string{"allow_rejected": {"1"}}
	if p := c.post("/admin/uploads/"+key+"/publish", form); p.code != http.StatusSeeOther {
		t.Fatalf("publish without the rejected target: %d %s", p.code, text(p.body))
	}
	if targetsState(t, a) == before {
		t.Fatal("publishing without the rejected target published nothing")
	}
}

// rowsOf is the part of a page inside the element with that id.
func rowsOf(body, id string) string {
	i := strings.Index(body, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	if j := strings.Index(rest, "</table>"); j >= 0 {
		return rest[:j]
	}
	return rest
}
