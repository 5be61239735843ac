package dashboard_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// whoExcerpt is the WHO AAQ 2022 city sheet as published: its header,
// Kabul's first row and Ha Noi's first six rows.
func whoExcerpt(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../data/raw/who/who_aap_2022_v9_city.csv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	out := []string{lines[0], lines[1]}
	for _, l := range lines {
		if strings.Contains(l, ",Ha Noi,") && len(out) < 8 {
			out = append(out, l)
		}
	}
	return []byte(strings.Join(out, "\n") + "\n")
}

// apiUploadWith posts a file with extra form fields, some before the
// file and some after it.
func (a *staffApp) apiUploadWith(t *testing.T, name string, content []byte, before, after map[string]string) (int, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range before {
		mw.WriteField(k, v)
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(content)
	for k, v := range after {
		mw.WriteField(k, v)
	}
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, a.srv.URL+"/api/v1/uploads", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+a.token)
	return a.apiDo(t, req)
}

// TestUploadReadAsProfile: a publisher's file uploaded as published is
// read with the profile its header matches, and says so; the profile
// field names one instead, before or after the file; a profile that
// does not fit, or does not exist, is refused with the column or the
// name.
func TestUploadReadAsProfile(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	body := whoExcerpt(t)

	code, out := a.apiUpload(t, "who_aap_2022_v9_city.csv", body)
	readAs, _ := out["read_as"].(map[string]any)
	if code != http.StatusCreated || readAs["profile"] != "who-aaq-2022-csv" || readAs["detected"] != true {
		t.Fatalf("status %d, read as %v: %v", code, readAs, out)
	}
	if !strings.Contains(fmt.Sprint(readAs["title"]), "WHO Ambient Air Quality Database") {
		t.Errorf("title %v", readAs["title"])
	}
	counts := out["counts"].(map[string]any)
	// Ha Noi's six rows hold six values; Kabul's one is skipped.
	if counts["total"] != float64(6) || counts["rejected"] != float64(0) || counts["skipped"] != float64(1) {
		t.Errorf("counts %v", counts)
	}
	skips := fmt.Sprint(out["skips"])
	if !strings.Contains(skips, "Kabul") {
		t.Errorf("skipped places %s lack Kabul", skips)
	}
	rows, _ := out["rows"].([]any)
	matched := 0
	for _, r := range rows {
		r := r.(map[string]any)
		if r["city"] == "Ha Noi" && r["city_matched"] == "Hanoi" {
			matched++
		}
	}
	if matched != 6 {
		t.Errorf("%d rows of Ha Noi matched to Hanoi, want 6: %v", matched, rows)
	}

	for _, where := range []string{"before", "after"} {
		fields := map[string]string{"profile": "who-aaq-2022-csv"}
		var code int
		if where == "before" {
			code, out = a.apiUploadWith(t, "who.csv", body, fields, nil)
		} else {
			code, out = a.apiUploadWith(t, "who.csv", body, nil, fields)
		}
		readAs, _ := out["read_as"].(map[string]any)
		if code != http.StatusCreated || readAs["profile"] != "who-aaq-2022-csv" || readAs["detected"] != false {
			t.Errorf("profile field %s the file: status %d, read as %v", where, code, readAs)
		}
	}

	code, out = a.apiUploadWith(t, "who.csv", body, map[string]string{"profile": "cdp-citywide-2016"}, nil)
	fe, _ := out["file_error"].(map[string]any)
	if code != http.StatusUnprocessableEntity || fe["code"] != "profile_mismatch" || !strings.Contains(msgText(fe["message"]), `Account Number`) {
		t.Errorf("a profile that does not fit: %d %v", code, out)
	}
	code, out = a.apiUploadWith(t, "who.csv", body, map[string]string{"profile": "who-2099"}, nil)
	fe, _ = out["file_error"].(map[string]any)
	if code != http.StatusUnprocessableEntity || fe["code"] != "unknown_profile" || !strings.Contains(msgText(fe["hint"]), "who-aaq-2022-csv") {
		t.Errorf("an unknown profile: %d %v", code, out)
	}
}

// TestUploadPageSaysHowTheFileWasRead: the preview page names the
// profile a publisher's file was read with, lists the places skipped,
// and a changed row says which field changed.
func TestUploadPageSaysHowTheFileWasRead(t *testing.T) {
	a := newStaffApp(t, testapp.Options{})
	c := a.client(t)
	c.login(editorEmail)
	c.get("/admin/uploads")
	key, page := c.uploadPage(a, "who_aap_2022_v9_city.csv", whoExcerpt(t))
	for _, want := range []string{
		"Read as: WHO Ambient Air Quality Database, April 2022 (city sheet as CSV).",
		"Kabul (AFG): skipped: not in the catalogue (1 values)",
		"1 values skipped",
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the preview lacks %q", want)
		}
	}
	// Ha Noi's notes in the seed are written otherwise ("temporal
	// coverage: n/a"): those rows are changed, and say how.
	changed := c.get("/admin/uploads/" + key + "?status=changed")
	if !strings.Contains(changed.body, "note: “Reference: ") || !strings.Contains(changed.body, "” → “Reference: ") {
		t.Errorf("no changed row says its note changed: %.2000s", changed.body)
	}
}
