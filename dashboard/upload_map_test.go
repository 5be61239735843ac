package dashboard_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// A city office's own layout (test values in a temporary database, not
// figures about these cities): a title line above the header, the town
// in the second column, a decimal comma.
const officeCSV = "Air monitoring summary;;;;\n" +
	"Station;Town;Measured in;PM2.5 annual;Remark\n" +
	"Nguyen Van Cu;Ha Noi;2021;41,2;provisional count\n" +
	"Hoan Kiem;Ha Noi;2022;39,9;\n" +
	"X;Atlantis;2021;12;\n" +
	"Q;Hanoj;2020;10;\n"

// officeMapping is the mapping form an officer fills in for officeCSV.
func officeMapping(action string) url.Values {
	return url.Values{"header_line": {"2"}, "role_0": {"ignore"}, "role_1": {"area"}, "role_2": {"year"}, "role_3": {"value"}, "role_4": {"note"},
		"indicator": {"pm25_annual_mean"}, "source": {"who_aaq_2022_v2022"}, "name": {"office-air"}, "title": {"City office air summary"}, "action": {action}}
}

var previewRowRe = regexp.MustCompile(`(?s)<tr data-line="(\d+)" data-status="(\w+)"`)

// TestMappingStep is an editor's visit with a file in a layout no
// profile knows: the upload page offers the mapping step, which shows
// the file as it is, reads the first rows as the editor maps them, says
// what is missing, and saves the mapping as a proposed profile that an
// admin approves on the profiles page.
func TestMappingStep(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	c := a.client(t)
	c.login(editorEmail)

	key, r := c.uploadPage(a, "office-air.csv", []byte(officeCSV))
	if r.code != http.StatusOK || !strings.Contains(r.body, `id="map-link"`) {
		t.Fatalf("upload page offers no mapping: %d\n%s", r.code, text(r.body))
	}

	// The file as it is, the header line guessed (the title line above
	// it fills one cell).
	r = c.get("/admin/uploads/" + key + "/map")
	if r.code != http.StatusOK {
		t.Fatalf("mapping page: %d %s", r.code, text(r.body))
	}
	for _, w := range []string{`value="2" id="header-line-2" checked`, "Air monitoring summary", "<td>Town</td>", "<td>Ha Noi</td>", `name="role_4"`} {
		if !strings.Contains(r.body, w) {
			t.Errorf("mapping page lacks %q", w)
		}
	}

	// Without a value column the preview says what is missing.
	incomplete := officeMapping("preview")
	incomplete.Set("role_3", "ignore")
	r = c.post("/admin/uploads/"+key+"/map", incomplete)
	if r.code != http.StatusOK || !strings.Contains(text(r.body), "No column holds the value") {
		t.Errorf("incomplete mapping: %d\n%s", r.code, text(r.body))
	}

	// The live preview: the fragment the page's script asks for.
	r = c.post("/admin/uploads/"+key+"/map/preview", officeMapping("preview"))
	if r.code != http.StatusOK || strings.Contains(r.body, "<html") {
		t.Fatalf("preview fragment: %d %.200s", r.code, r.body)
	}
	rows := previewRowRe.FindAllStringSubmatch(r.body, -1)
	if len(rows) != 4 || rows[0][1] != "3" || rows[0][2] != "new" || rows[2][1] != "5" || rows[2][2] != "rejected" {
		t.Fatalf("preview rows %v\n%s", rows, text(r.body))
	}
	page := text(r.body)
	for _, w := range []string{"Hanoi (Ha Noi)", "41.2 µg/m³", "Remark: provisional count", "Town (“Atlantis”)"} {
		if !strings.Contains(page, w) {
			t.Errorf("preview lacks %q:\n%s", w, page)
		}
	}
	// A fragment needs the session's CSRF token like any change.
	if r := c.post("/admin/uploads/"+key+"/map/preview", url.Values{"csrf": {"forged"}}); r.code != http.StatusForbidden {
		t.Errorf("forged preview: %d", r.code)
	}

	// A bad profile name is said beside the save button; nothing saved.
	bad := officeMapping("save")
	bad.Set("name", "Office Air!")
	r = c.post("/admin/uploads/"+key+"/map", bad)
	if r.code != http.StatusUnprocessableEntity || !strings.Contains(text(r.body), "The name may have only lower-case letters") {
		t.Errorf("bad name: %d\n%s", r.code, text(r.body))
	}
	// Saved: a proposed profile, and the file is checked again.
	r = c.post("/admin/uploads/"+key+"/map", officeMapping("save"))
	if r.code != http.StatusSeeOther || !strings.HasPrefix(r.loc, "/admin/uploads/"+key+"?profile_saved=") {
		t.Fatalf("save: %d %s\n%s", r.code, r.loc, text(r.body))
	}
	a.Uploads.Wait()
	prof, err := a.Store.ImportProfileByName(context.Background(), "office-air")
	if err != nil {
		t.Fatal(err)
	}
	if prof.Status != "proposed" || prof.CreatedBy != editorEmail || prof.Title != "City office air summary" ||
		!strings.Contains(string(prof.Body), `"header_line":2`) || !strings.Contains(string(prof.Body), `"decimal_comma":true`) {
		t.Errorf("stored profile: %+v %s", prof, prof.Body)
	}
	// The file is read with the new profile: the two Hanoi rows are
	// new, Atlantis is skipped as not in the catalogue, and "Hanoj" (its Slovak name) is
	// proposed as a name of Hanoi, which an editor cannot accept.
	r = c.get(r.loc)
	if r.code != http.StatusOK || !strings.Contains(r.body, `id="profile-saved"`) || !strings.Contains(r.body, `data-count="new">2<`) {
		t.Fatalf("the upload page after saving the profile: %d\n%s", r.code, text(r.body))
	}
	if !strings.Contains(r.body, `id="alias-editor-note"`) || !strings.Contains(text(r.body), "Hanoj") || strings.Contains(r.body, `id="alias-form"`) {
		t.Errorf("the editor's view of the alias proposals:\n%s", text(r.body))
	}
	pend, err := a.Uploads.Pending(key)
	if err != nil || pend.Profile != "office-air" || pend.Skips == nil || pend.Skips.NotInCatalogue != 2 {
		t.Errorf("the upload read with the profile: %+v %+v, %v", pend, pend.Skips, err)
	}
	if r := c.post("/admin/uploads/"+key+"/aliases", url.Values{"alias": {"hanoi:Hanoj"}}); r.code != http.StatusForbidden {
		t.Errorf("editor accepting aliases: %d", r.code)
	}

	// A proposed profile does not recognise files: the same file sent
	// again is offered the mapping step.
	if _, r := c.uploadPage(a, "office-air-2.csv", []byte(officeCSV)); !strings.Contains(r.body, `id="map-link"`) {
		t.Errorf("a proposed profile recognised a file:\n%s", text(r.body))
	}

	// The editor sees it waiting; may not approve it.
	r = c.get("/admin/import-profiles?status=proposed")
	if r.code != http.StatusOK || !strings.Contains(r.body, `data-profile="office-air" data-status="proposed"`) {
		t.Fatalf("profiles list: %d\n%s", r.code, text(r.body))
	}
	id := itoa(prof.ID)
	r = c.get("/admin/import-profiles/" + id)
	if r.code != http.StatusOK || strings.Contains(r.body, `id="approve-button"`) || !strings.Contains(text(r.body), "waits for an admin’s approval") {
		t.Errorf("profile page for an editor: %d\n%s", r.code, text(r.body))
	}
	if r := c.post("/admin/import-profiles/"+id+"/approve", nil); r.code != http.StatusForbidden {
		t.Errorf("editor approving: %d", r.code)
	}

	// The admin approves it, in one step, and the history says so.
	adm := a.client(t)
	adm.login(adminEmail)
	adm.get("/admin/import-profiles/" + id)
	if r := adm.post("/admin/import-profiles/"+id+"/approve", nil); r.code != http.StatusSeeOther {
		t.Fatalf("admin approving: %d %s", r.code, text(r.body))
	}
	r = adm.get("/admin/import-profiles/" + id + "?done=approved")
	page = text(r.body)
	for _, w := range []string{"The profile is approved", "approved (by admin@example.org", "created · v1", "approved · v2 · proposed → approved"} {
		if !strings.Contains(page, w) {
			t.Errorf("profile page after approval lacks %q:\n%s", w, page)
		}
	}
	// Approved, it recognises the file when it is sent again.
	if _, r := c.uploadPage(a, "office-air-3.csv", []byte(officeCSV)); !strings.Contains(text(r.body), "City office air summary") || strings.Contains(r.body, `id="map-link"`) {
		t.Errorf("the approved profile did not read the file:\n%s", text(r.body))
	}

	// The admin accepts the proposed alias in one step; the file is
	// checked again and the Hanoj row is read as Hanoi's.
	r = adm.get("/admin/uploads/" + key)
	if !strings.Contains(r.body, `value="hanoi:Hanoj"`) {
		t.Fatalf("the admin is not offered the alias:\n%s", text(r.body))
	}
	r = adm.post("/admin/uploads/"+key+"/aliases", url.Values{"alias": {"hanoi:Hanoj"}})
	if r.code != http.StatusSeeOther || !strings.Contains(r.loc, "aliases_added=1") {
		t.Fatalf("accepting the alias: %d %s %s", r.code, r.loc, text(r.body))
	}
	a.Uploads.Wait()
	r = adm.get(r.loc)
	if !strings.Contains(r.body, `data-count="new">3<`) || !strings.Contains(text(r.body), "1 name(s) added as aliases") {
		t.Errorf("after accepting the alias:\n%s", text(r.body))
	}
	cat, err := a.Store.Catalogue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if hanoi, _ := cat.Area("hanoi"); hanoi == nil || !strings.Contains(strings.Join(hanoi.Aliases, "|"), "Hanoj") {
		t.Errorf("Hanoi's aliases: %+v", hanoi)
	}

	// Vietnamese readers read the mapping step in Vietnamese.
	r = c.get("/vi/admin/uploads/" + key + "/map")
	if r.code != http.StatusOK || !strings.Contains(text(r.body), "Ánh xạ các cột") || !strings.Contains(r.body, "khu vực (thành phố, quốc gia…)") {
		t.Errorf("Vietnamese mapping page: %d", r.code)
	}
}

// TestProfileProposalPage: an editor's change of an approved profile is
// shown to the admin key by key beside the profile in use, and one
// click puts it in use; the history keeps both.
func TestProfileProposalPage(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	ctx := context.Background()
	code, out, _ := profileCall(t, a, a.token, "POST", "/api/v1/import-profiles", strings.Replace(officeProfile, `"header_line": 2`, `"header_line": 3`, 1))
	if code != http.StatusCreated {
		t.Fatalf("proposal: %d %v", code, out)
	}
	adm := a.client(t)
	adm.login(adminEmail)
	id := jsonStr(out["id"])
	adm.get("/admin/import-profiles/" + id)
	if r := adm.post("/admin/import-profiles/"+id+"/approve", nil); r.code != http.StatusSeeOther {
		t.Fatalf("approve: %d", r.code)
	}
	// The editor proposes header line 2 instead.
	if code, out, _ := profileCall(t, a, a.token, "POST", "/api/v1/import-profiles", officeProfile); code != http.StatusOK || out["proposed_body"] == nil {
		t.Fatalf("editor's change: %d %v", code, out)
	}
	r := adm.get("/admin/import-profiles?status=approved")
	if !strings.Contains(text(r.body), "approved · change waiting") {
		t.Errorf("the list does not show the waiting change:\n%s", text(r.body))
	}
	r = adm.get("/admin/import-profiles/" + id)
	page := text(r.body)
	for _, w := range []string{"A change waits for approval", "editor@example.org proposed this change", "read.header_line: 3 → 2", "Approve the change"} {
		if !strings.Contains(page, w) {
			t.Errorf("profile page lacks %q:\n%s", w, page)
		}
	}
	if r := adm.post("/admin/import-profiles/"+id+"/approve", nil); r.code != http.StatusSeeOther {
		t.Fatalf("approve the change: %d", r.code)
	}
	p, err := a.Store.ImportProfileByName(ctx, "office-air")
	if err != nil || p.HasProposal() || !strings.Contains(string(p.Body), `"header_line":2`) {
		t.Errorf("after approving the change: %+v %v", p, err)
	}
	if page := text(adm.get("/admin/import-profiles/" + id).body); !strings.Contains(page, "change proposed") || strings.Contains(page, "A change waits") {
		t.Errorf("history after approval:\n%s", page)
	}
}

// TestMappingWorkbookSheets: the mapping page of a workbook lists its
// sheets; choosing another starts again on that sheet, its header line
// guessed anew.
func TestMappingWorkbookSheets(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	f := excelize.NewFile()
	f.SetSheetName("Sheet1", "About")
	f.SetCellValue("About", "A1", "Test values, not figures about these cities.")
	f.NewSheet("Values")
	f.SetSheetRow("Values", "A1", &[]any{"Energy use by city"})
	f.SetSheetRow("Values", "A3", &[]any{"City", "Year", "kWh per person"})
	f.SetSheetRow("Values", "A4", &[]any{"Kosice", 2021, 5000})
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	c := a.client(t)
	c.login(editorEmail)
	key, r := c.uploadPage(a, "energy.xlsx", buf.Bytes())
	if !strings.Contains(r.body, `id="map-link"`) {
		t.Fatalf("no mapping offered for the workbook:\n%s", text(r.body))
	}
	r = c.get("/admin/uploads/" + key + "/map")
	if !strings.Contains(r.body, `<option selected>About</option><option>Values</option>`) {
		t.Fatalf("sheets not offered:\n%s", r.body)
	}
	r = c.post("/admin/uploads/"+key+"/map", url.Values{"sheet": {"Values"}, "shown_sheet": {"About"}, "header_line": {"1"}, "role_0": {"area"}, "action": {"preview"}})
	if r.code != http.StatusOK || !strings.Contains(r.body, `value="3" id="header-line-3" checked`) || !strings.Contains(r.body, "<td>kWh per person</td>") ||
		!strings.Contains(r.body, `<option selected>Values</option>`) {
		t.Errorf("after choosing the sheet Values: %d\n%s", r.code, text(r.body))
	}
}
