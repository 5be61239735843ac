package dashboard

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// deps are what a rendered page was built from: some areas, some
// indicators, or everything. A change to any of them makes it stale.
type deps struct {
	all        bool
	areas      map[int64]bool
	indicators map[int64]bool
}

func (d *deps) area(ids ...int64) {
	if d.areas == nil {
		d.areas = map[int64]bool{}
	}
	for _, id := range ids {
		d.areas[id] = true
	}
}

func (d *deps) indicator(ids ...int64) {
	if d.indicators == nil {
		d.indicators = map[int64]bool{}
	}
	for _, id := range ids {
		d.indicators[id] = true
	}
}

func (d *deps) touchedBy(c metrics.Change) bool {
	return d.all || c.Everything() || (c.AreaID != 0 && d.areas[c.AreaID]) || (c.IndicatorID != 0 && d.indicators[c.IndicatorID])
}

const depsKey = "cache.deps"

// dependOn records, from inside a handler, what its page is built from.
func dependOn(c echo.Context) *deps {
	if d, ok := c.Get(depsKey).(*deps); ok {
		return d
	}
	d := &deps{}
	c.Set(depsKey, d)
	return d
}

type cacheEntry struct {
	key         string
	version     int64
	deps        *deps
	gz          []byte // the page, gzip-compressed once
	etag        string
	contentType string
	lang        string
	elem        *list.Element
}

// pageCache keeps rendered pages, already compressed, per data version.
// A page stays valid across new versions until a change touches what it
// was built from; then the next request pays the render. It is bounded
// by the compressed bytes it holds, least recently used first out.
type pageCache struct {
	mu       sync.Mutex
	entries  map[string]*cacheEntry
	lru      *list.List
	bytes    int
	maxBytes int
	// log holds the changes seen since the oldest version an entry has.
	log        []metrics.Change
	logVersion int64
}

func newPageCache(maxBytes int) *pageCache {
	return &pageCache{entries: map[string]*cacheEntry{}, lru: list.New(), maxBytes: maxBytes}
}

// cacheKey names a page: language, path and the query parameters that
// change it (others are dropped, so that arbitrary queries cannot fill
// the cache).
func cacheKey(lang string, c echo.Context) string {
	key := lang + " " + c.Request().URL.Path
	if t := c.QueryParam("theme"); t != "" && validTheme(t) {
		key += "?theme=" + t
	}
	// The full ranking of an indicator, one page of areas at a time.
	if c.QueryParam("ranking") == "all" {
		key += "?ranking=all"
		if n, err := strconv.Atoi(c.QueryParam("page")); err == nil && n > 1 {
			key += "&page=" + strconv.Itoa(n)
		}
	}
	return key
}

// fresh brings the change log up to the current version and reports
// whether the entry is still valid, moving it to the current version if
// it is.
func (pc *pageCache) fresh(e *cacheEntry, cur int64, changes []metrics.Change) bool {
	if e.version == cur {
		return true
	}
	for _, ch := range changes {
		if ch.Version > e.version && e.deps.touchedBy(ch) {
			return false
		}
	}
	e.version = cur
	return true
}

func (pc *pageCache) put(e *cacheEntry) {
	if old, ok := pc.entries[e.key]; ok {
		pc.remove(old)
	}
	if len(e.gz) > pc.maxBytes/8 {
		return // one page may not push out most of the others
	}
	e.elem = pc.lru.PushFront(e)
	pc.entries[e.key] = e
	pc.bytes += len(e.gz)
	for pc.bytes > pc.maxBytes {
		pc.remove(pc.lru.Back().Value.(*cacheEntry))
	}
}

func (pc *pageCache) remove(e *cacheEntry) {
	pc.lru.Remove(e.elem)
	delete(pc.entries, e.key)
	pc.bytes -= len(e.gz)
}

// captureWriter keeps what a handler writes, so that the cache can
// store it before anything reaches the reader.
type captureWriter struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (w *captureWriter) Header() http.Header         { return w.header }
func (w *captureWriter) Write(b []byte) (int, error) { return w.buf.Write(b) }
func (w *captureWriter) WriteHeader(code int)        { w.status = code }

// cached serves a page from the cache, rendering it when it is missing
// or stale. Only complete 200 answers are kept.
func (s *Server) cached(h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if session(c) != nil {
			// A signed-in page carries its user's menu and CSRF token:
			// never stored, never served to another reader.
			return h(c)
		}
		ctx := c.Request().Context()
		loc := s.locale(c)
		key := cacheKey(loc.Lang, c)

		s.cache.mu.Lock()
		since := s.cache.logVersion
		s.cache.mu.Unlock()
		changes, cur, err := s.store.ChangesSince(ctx, since)
		if err != nil {
			return err
		}
		s.cache.mu.Lock()
		if cur > s.cache.logVersion {
			s.cache.log = append(s.cache.log, changes...)
			s.cache.logVersion = cur
		}
		e, ok := s.cache.entries[key]
		if ok && s.cache.fresh(e, cur, s.cache.log) {
			s.cache.lru.MoveToFront(e.elem)
			s.cache.mu.Unlock()
			s.tel.Cache.WithLabelValues("hit").Inc()
			return s.serveEntry(c, e)
		}
		s.cache.mu.Unlock()
		s.tel.Cache.WithLabelValues("miss").Inc()

		// Render into a buffer.
		resp := c.Response()
		orig := resp.Writer
		cw := &captureWriter{header: resp.Header(), status: http.StatusOK}
		resp.Writer = cw
		err = h(c)
		resp.Writer = orig
		if err != nil {
			resp.Committed = false
			return err
		}
		body := cw.buf.Bytes()
		if cw.status != http.StatusOK {
			resp.Committed = false
			return c.Blob(cw.status, resp.Header().Get(echo.HeaderContentType), body)
		}
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.DefaultCompression)
		zw.Write(body)
		zw.Close()
		sum := sha256.Sum256(body)
		d := dependOn(c)
		e = &cacheEntry{key: key, version: cur, deps: d, gz: gz.Bytes(), lang: loc.Lang,
			etag:        `"` + strconv.FormatInt(cur, 10) + "-" + hex.EncodeToString(sum[:8]) + `"`,
			contentType: resp.Header().Get(echo.HeaderContentType)}
		s.cache.mu.Lock()
		s.cache.put(e)
		s.cache.mu.Unlock()
		resp.Committed = false
		return s.serveEntry(c, e)
	}
}

// serveEntry writes a cached page: compressed to readers that accept
// gzip, decompressed for the rest, 304 when the reader has it already.
func (s *Server) serveEntry(c echo.Context, e *cacheEntry) error {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, e.contentType)
	h.Set("ETag", e.etag)
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Language", e.lang)
	h.Add("Vary", "Accept-Encoding")
	if inm := c.Request().Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, e.etag) {
		return c.NoContent(http.StatusNotModified)
	}
	if strings.Contains(c.Request().Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		return c.Blob(http.StatusOK, e.contentType, e.gz)
	}
	zr, err := gzip.NewReader(bytes.NewReader(e.gz))
	if err != nil {
		return err
	}
	body, err := io.ReadAll(zr)
	if err != nil {
		return err
	}
	return c.Blob(http.StatusOK, e.contentType, body)
}
