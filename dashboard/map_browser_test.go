package dashboard_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// choose picks an option of a select as a person does: the value
// changes and the form hears a change event.
func choose(sel, value string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		if err := chromedp.SetValue(sel, value, chromedp.ByQuery).Do(ctx); err != nil {
			return err
		}
		return chromedp.Evaluate(`document.querySelector(`+jsonStr(sel)+`).dispatchEvent(new Event("change", {bubbles: true}))`, nil).Do(ctx)
	})
}

// TestMappingInBrowser is the mapping step in headless Chromium: an
// admin uploads a file in a layout no profile knows, follows the offer
// to map its columns, gives the columns their roles, and sees the
// preview of the mapped rows change as the roles do (the page's own
// script asking the server); a hostile cell stays text. Saving makes an
// approved profile and takes the admin back to the upload, checked with
// it.
func TestMappingInBrowser(t *testing.T) {
	ctx := browser(t)
	a := newStaffApp(t, testapp.Options{})
	csv := officeCSV + "Z;<img src=x onerror=alert(1)>;2021;5;\n"
	file := filepath.Join(t.TempDir(), "office-air.csv")
	if err := os.WriteFile(file, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var jsErrors []string
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			mu.Lock()
			jsErrors = append(jsErrors, e.ExceptionDetails.Text)
			mu.Unlock()
		}
	})

	var headerChecked bool
	var blocked, firstRow, hostileRow, loc, newCount string
	var imgs int
	err := chromedp.Run(ctx,
		chromedp.Navigate(a.srv.URL+"/login"),
		chromedp.SendKeys(`input[name=email]`, adminEmail, chromedp.ByQuery),
		chromedp.SendKeys(`input[name=password]`, password, chromedp.ByQuery),
		navigating(chromedp.Click(`form button[type=submit]`, chromedp.ByQuery)),
		chromedp.WaitVisible(`#upload-form`, chromedp.ByQuery),
		chromedp.SetUploadFiles(`#upload-file`, []string{file}, chromedp.ByQuery),
		navigating(chromedp.Click(`#upload-form button[type=submit]`, chromedp.ByQuery)),
		chromedp.WaitVisible(`#map-link`, chromedp.ByQuery),
		navigating(chromedp.Click(`#map-link`, chromedp.ByQuery)),
		chromedp.WaitVisible(`#map-columns`, chromedp.ByQuery),
		// The title line is not taken for the header.
		chromedp.Evaluate(`document.getElementById("header-line-2").checked`, &headerChecked),
		// One role at a time: until a value column is chosen, the
		// preview says what is missing.
		choose(`#role-1`, "area"),
		chromedp.WaitVisible(`#map-preview-problems`, chromedp.ByQuery),
		chromedp.Text(`#map-preview`, &blocked, chromedp.ByQuery),
		choose(`#role-2`, "year"),
		choose(`#role-4`, "note"),
		choose(`#map-indicator`, "pm25_annual_mean"),
		choose(`#map-source`, "who_aaq_2022_v2022"),
		choose(`#role-3`, "value"),
		chromedp.WaitVisible(`#map-preview-rows tr[data-line="3"]`, chromedp.ByQuery),
		chromedp.Text(`#map-preview-rows tr[data-line="3"]`, &firstRow, chromedp.ByQuery),
		chromedp.Text(`#map-preview-rows tr[data-line="7"]`, &hostileRow, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("#map-preview img").length`, &imgs),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !headerChecked {
		t.Error("the header line was not guessed as line 2")
	}
	if !strings.Contains(blocked, "No column holds the value") {
		t.Errorf("the preview before a value column says %q", blocked)
	}
	for _, w := range []string{"new", "Hanoi", "Ha Noi", "pm25_annual_mean", "2021", "41.2 µg/m³", "who_aaq_2022_v2022", "Remark: provisional count"} {
		if !strings.Contains(firstRow, w) {
			t.Errorf("the first mapped row lacks %q: %q", w, firstRow)
		}
	}
	if !strings.Contains(hostileRow, "<img src=x onerror=alert(1)>") || imgs != 0 {
		t.Errorf("a hostile cell: %q, %d images", hostileRow, imgs)
	}

	// Save it as a profile.
	err = chromedp.Run(ctx,
		chromedp.SetValue(`#map-name`, "office-air", chromedp.ByQuery),
		chromedp.SetValue(`#map-title`, "City office air summary", chromedp.ByQuery),
		navigating(chromedp.Click(`#map-save-button`, chromedp.ByQuery)),
		chromedp.WaitVisible(`#profile-saved`, chromedp.ByQuery),
		// The page follows the check with the new profile to its preview.
		chromedp.WaitVisible(`#counts`, chromedp.ByQuery),
		chromedp.Text(`[data-count=new]`, &newCount, chromedp.ByQuery),
		chromedp.Location(&loc),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(loc, "/admin/uploads/") {
		t.Errorf("after saving, at %s", loc)
	}
	// Read with the profile: the two Hanoi rows; Atlantis, Hanoj and the
	// hostile name are places the catalogue does not know.
	if newCount != "2" {
		t.Errorf("after saving, %q new values, want 2", newCount)
	}
	prof, err := a.Store.ImportProfileByName(context.Background(), "office-air")
	if err != nil || prof.Status != "approved" || prof.CreatedBy != adminEmail {
		t.Errorf("saved profile: %+v, %v", prof, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(jsErrors) > 0 {
		t.Errorf("script errors: %v", jsErrors)
	}
}
