package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
)

// browser starts headless Chromium for one test of at most 90 seconds.
func browser(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(startChromium(t), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// TestUploadPageInBrowser signs in and uploads a file on the upload page
// in headless Chromium: the script sends it with progress, follows the
// server's check and opens the preview, which counts the rows and shows
// an uploaded hostile note as text. The page runs no inline script and
// logs no errors.
func TestUploadPageInBrowser(t *testing.T) {
	ctx := browser(t)
	a := newStaffApp(t, testapp.Options{})

	var sb strings.Builder
	sb.WriteString("city,indicator,year,value,unit,source,flags,note\n")
	sb.WriteString("Kosice,pm25_annual_mean,2025,11.11,µg/m3,who_aaq_2022_v2022,,\n")
	sb.WriteString("TP.HCM,pm25_annual_mean,2025,oops,ug/m3,who_aaq_2022_v2022,,\n")
	sb.WriteString("<img src=x onerror=alert(1)>,pm25_annual_mean,2025,1,ug/m3,who_aaq_2022_v2022,,\n")
	// enough rows that the check takes a moment
	for y := 1901; y <= 1990; y++ {
		fmt.Fprintf(&sb, "hanoi,commuters_in,%d,%d,persons,who_aaq_2022_v2022,,test value\n", y, 100000+y)
	}
	file := filepath.Join(t.TempDir(), "hcmc.csv")
	if err := os.WriteFile(file, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	// Count the page's polls for progress on the way to the app.
	var progressPolls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/progress") {
			progressPolls.Add(1)
		}
		a.Handler.ServeHTTP(w, r)
	}))
	defer srv.Close()
	var mu sync.Mutex
	var jsErrors []string
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			mu.Lock()
			jsErrors = append(jsErrors, e.ExceptionDetails.Text)
			mu.Unlock()
		}
	})

	var newCount, rejectedCount, problems, url string
	err := chromedp.Run(ctx,
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.SendKeys(`input[name=email]`, editorEmail, chromedp.ByQuery),
		chromedp.SendKeys(`input[name=password]`, password, chromedp.ByQuery),
		navigating(chromedp.Click(`form button[type=submit]`, chromedp.ByQuery)),
		chromedp.WaitVisible(`#upload-form`, chromedp.ByQuery),
		chromedp.SetUploadFiles(`#upload-file`, []string{file}, chromedp.ByQuery),
		navigating(chromedp.Click(`#upload-form button[type=submit]`, chromedp.ByQuery)),
		chromedp.WaitVisible(`#counts`, chromedp.ByQuery),
		chromedp.Text(`[data-count=new]`, &newCount, chromedp.ByQuery),
		chromedp.Text(`[data-count=rejected]`, &rejectedCount, chromedp.ByQuery),
		chromedp.Location(&url),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	if !strings.Contains(url, "/admin/uploads/") {
		t.Fatalf("ended at %s, not a preview", url)
	}
	if newCount != "91" || rejectedCount != "2" {
		t.Errorf("preview counts new=%q rejected=%q, want 91 and 2", newCount, rejectedCount)
	}
	if progressPolls.Load() == 0 {
		t.Error("the page never asked for the check's progress")
	}
	err = chromedp.Run(ctx,
		chromedp.Navigate(url+"?status=rejected"),
		chromedp.Text(`#preview-rows tbody`, &problems, chromedp.ByQuery),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	for _, w := range []string{"Line 3, column value", `"oops" is not a number`, "Line 4, column city", "<img src=x onerror=alert(1)>"} {
		if !strings.Contains(problems, w) {
			t.Errorf("the rejected rows lack %q: %q", w, problems)
		}
	}
	var imgs int
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.querySelectorAll("#preview-rows img").length`, &imgs)); err != nil {
		t.Fatal(err)
	}
	if imgs != 0 {
		t.Error("an uploaded label became an element")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(jsErrors) > 0 {
		t.Errorf("script errors: %v", jsErrors)
	}
}
