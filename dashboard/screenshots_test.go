package dashboard_test

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// screenshotsEnv, when "1", runs TestBrowserScreenshots, which writes the
// README's pictures into docs/screenshots: `make screenshots` sets it.
// A plain test run leaves them alone (and takes no screenshots).
const screenshotsEnv = "TWINMETRICS_SCREENSHOTS"

// TestBrowserScreenshots takes the README's pictures from the seeded app:
// the overview and the Hanoi–Milan page in English and Vietnamese on a
// desktop screen, the pair page's charts, and the pair page on a 375 px
// phone. Each must be a PNG of the expected size that is not blank.
func TestBrowserScreenshots(t *testing.T) {
	if os.Getenv(screenshotsEnv) != "1" {
		t.Skip("the README's screenshots are taken by `make screenshots`")
	}
	t.Parallel()
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	env := newBrowserEnv(t)

	type shot struct {
		file, path string
		w, h       int64   // viewport, CSS pixels
		scale      float64 // device pixels per CSS pixel
		section    string  // CSS selector of the part to take; "" for the viewport
	}
	var shots []shot
	for _, lang := range []string{"en", "vi"} {
		shots = append(shots,
			shot{"overview-" + lang + ".png", "/" + lang + "/", 1280, 800, 1, ""},
			shot{"pair-hanoi-milan-" + lang + ".png", "/" + lang + "/pairs/hanoi-milan", 1280, 800, 1, ""},
			shot{"pair-hanoi-milan-charts-" + lang + ".png", "/" + lang + "/pairs/hanoi-milan", 1280, 800, 1, `section[aria-labelledby="trends"]`},
			shot{"pair-hanoi-milan-375-" + lang + ".png", "/" + lang + "/pairs/hanoi-milan", 375, 812, 2, ""},
		)
	}
	for _, s := range shots {
		t.Run(s.file, func(t *testing.T) {
			sub := *env
			sub.t = t
			opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(s.scale)}
			if s.w < 600 {
				opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)
			}
			tab := sub.open(s.path, chromedp.EmulateViewport(s.w, s.h, opts...))
			// A tab in the background may get no new frame, and then a
			// screenshot waits for one until the deadline.
			if err := chromedp.Run(tab.ctx, page.BringToFront()); err != nil {
				t.Fatalf("%s: bringing the tab to the front: %v", s.path, err)
			}
			var buf []byte
			var err error
			if s.section == "" {
				err = chromedp.Run(tab.ctx, chromedp.CaptureScreenshot(&buf))
			} else {
				err = chromedp.Run(tab.ctx, chromedp.Screenshot(s.section, &buf, chromedp.ByQuery, chromedp.NodeVisible))
			}
			if err != nil {
				t.Fatalf("%s: screenshot: %v", s.path, err)
			}
			img, err := png.Decode(bytes.NewReader(buf))
			if err != nil {
				t.Fatalf("%s: screenshot is not a PNG: %v", s.path, err)
			}
			b := img.Bounds()
			if s.section == "" && (b.Dx() != int(float64(s.w)*s.scale) || b.Dy() != int(float64(s.h)*s.scale)) {
				t.Errorf("%s: screenshot is %dx%d, want %gx%g", s.path, b.Dx(), b.Dy(), float64(s.w)*s.scale, float64(s.h)*s.scale)
			}
			if n := colours(img, 64); n < 64 {
				t.Errorf("%s: screenshot has only %d colours: a blank or unstyled page?", s.path, n)
			}
			if err := os.WriteFile(filepath.Join(dir, s.file), buf, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %s, %dx%d, %d bytes", s.path, filepath.Join(dir, s.file), b.Dx(), b.Dy(), len(buf))
			tab.checkClean()
		})
	}
}

// colours counts the distinct colours of img, up to limit.
func colours(img image.Image, limit int) int {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			if len(seen) >= limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}
