package dashboard

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
)

// Assets are the stylesheets, scripts and the vendored ECharts, embedded.
//
//go:embed assets
var embeddedAssets embed.FS

// AssetsFS returns the embedded assets folder.
func AssetsFS() fs.FS {
	sub, _ := fs.Sub(embeddedAssets, "assets")
	return sub
}

// assetSet serves files under content-hashed names
// (app.css → app.3f2a1b0c.css), so that they can be cached for a year
// and a new build still reaches every reader at once.
type assetSet struct {
	byURL  map[string]*cacheEntry // "/assets/app.3f2a1b0c.css"
	urlFor map[string]string      // "app.css" → "/assets/app.3f2a1b0c.css"
}

func loadAssets(fsys fs.FS) (*assetSet, error) {
	s := &assetSet{byURL: map[string]*cacheEntry{}, urlFor: map[string]string{}}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])[:12]
		ext := path.Ext(p)
		if strings.HasSuffix(p, ".min.js") {
			ext = ".min.js"
		}
		url := "/assets/" + strings.TrimSuffix(p, ext) + "." + h + ext
		ct := contentTypes[path.Ext(p)]
		if ct == "" {
			ct = "application/octet-stream"
		}
		hdr := http.Header{}
		hdr.Set("Content-Type", ct)
		hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
		e := &cacheEntry{key: url, header: hdr, body: b, etag: h, compressible: compressible(ct) && len(b) >= 512, asset: true}
		s.byURL[url] = e
		s.urlFor[p] = url
		return nil
	})
	return s, err
}

// URL is the hashed URL of an asset. An asset missing from the build
// (ECharts before `make assets`) is a start-up error, not a broken page.
func (s *assetSet) URL(name string) (string, error) {
	u, ok := s.urlFor[name]
	if !ok {
		return "", fmt.Errorf("asset %q is not in the build (run `make assets`)", name)
	}
	return u, nil
}

// serveAsset sends an asset through the one conditional/encoding path;
// its compressed forms are made once, on first demand.
func (s *Server) serveAsset(c echo.Context) error {
	e, ok := s.assets.byURL[c.Request().URL.Path]
	if !ok {
		return echo.ErrNotFound
	}
	return s.serveEntry(c, e)
}

// contentTypes is fixed here rather than read from the system's MIME
// table, which differs between machines.
var contentTypes = map[string]string{
	".js":    "text/javascript; charset=utf-8",
	".css":   "text/css; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".woff2": "font/woff2",
	".json":  "application/json",
}
