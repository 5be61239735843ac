package dashboard

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"container/list"
	"errors"
	"hash/fnv"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// sharedKey marks, in the echo context, a response that is the same for
// every reader of one data version and URL, so that its compressed
// bytes may be cached and served to the next reader.
const sharedKey = "twinmetrics.shared"

// conditional sets ETag and Last-Modified from the data version and
// answers 304 Not Modified when the client already holds this version of
// this representation. It also marks the response as shared. variant
// tells representations of one URL apart (CSV or JSON by Accept).
func (s *Server) conditional(c echo.Context, st metrics.Stamp, variant string) bool {
	req := c.Request()
	h := fnv.New64a()
	h.Write([]byte(req.URL.Path + "?" + req.URL.RawQuery + "\x00" + variant))
	// Weak: the gzip and identity encodings of one version are equivalent.
	etag := `W/"v` + strconv.FormatInt(st.Version, 10) + "-" + strconv.FormatUint(h.Sum64(), 36) + `"`
	hdr := c.Response().Header()
	hdr.Set("ETag", etag)
	if !st.Changed.IsZero() {
		hdr.Set("Last-Modified", st.Changed.UTC().Format(http.TimeFormat))
	}
	hdr.Set("Cache-Control", "public, no-cache")
	c.Set(sharedKey, true)
	if inm := req.Header.Get("If-None-Match"); inm != "" {
		return etagMatch(inm, etag)
	}
	if ims := req.Header.Get("If-Modified-Since"); ims != "" && !st.Changed.IsZero() {
		if t, err := http.ParseTime(ims); err == nil && !st.Changed.Truncate(1e9).After(t) {
			return true
		}
	}
	return false
}

// etagMatch compares an If-None-Match header with an ETag, weakly.
func etagMatch(header, etag string) bool {
	bare := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == bare {
			return true
		}
	}
	return false
}

func notModified(c echo.Context) error {
	c.Response().Header().Del("Content-Type")
	return c.NoContent(http.StatusNotModified)
}

// gzipCache holds the gzip bytes of shared responses, keyed by data
// version, URL and representation, so that a repeat of the same response
// is not compressed again. It is bounded: entries larger than maxEntry
// are compressed on the fly every time and not kept, and the least
// recently used entries go when the total passes maxTotal.
type gzipCache struct {
	mu       sync.Mutex
	maxEntry int
	maxTotal int
	total    int
	order    *list.List
	entries  map[string]*list.Element
	hits     int
	misses   int
}

type gzipEntry struct {
	key    string
	status int
	header http.Header
	body   []byte
}

func newGzipCache(maxEntry, maxTotal int) *gzipCache {
	return &gzipCache{maxEntry: maxEntry, maxTotal: maxTotal, order: list.New(), entries: map[string]*list.Element{}}
}

func (gc *gzipCache) get(key string) *gzipEntry {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	if el, ok := gc.entries[key]; ok {
		gc.order.MoveToFront(el)
		gc.hits++
		return el.Value.(*gzipEntry)
	}
	gc.misses++
	return nil
}

func (gc *gzipCache) put(e *gzipEntry) {
	gc.mu.Lock()
	defer gc.mu.Unlock()
	if _, ok := gc.entries[e.key]; ok {
		return
	}
	gc.entries[e.key] = gc.order.PushFront(e)
	gc.total += len(e.body)
	for gc.total > gc.maxTotal && gc.order.Len() > 0 {
		old := gc.order.Back()
		oe := old.Value.(*gzipEntry)
		gc.order.Remove(old)
		delete(gc.entries, oe.key)
		gc.total -= len(oe.body)
	}
}

// compressible reports whether a content type is text worth compressing.
func compressible(ct string) bool {
	ct = strings.ToLower(ct)
	for _, p := range []string{"text/", "application/json", "application/problem+json", "application/javascript", "image/svg+xml", "application/schema+json"} {
		if strings.HasPrefix(ct, p) {
			return true
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, p := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(p, ";")
		if name = strings.TrimSpace(name); name != "gzip" && name != "*" {
			continue
		}
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			q, _ = strconv.ParseFloat(v, 64)
		}
		return q > 0
	}
	return false
}

// compress gzips text responses for clients that accept it. A response
// a handler marked shared (conditional) is cached, compressed, per data
// version and URL, and served from the cache to the next reader.
func (s *Server) compress(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if req.Method != http.MethodGet || !acceptsGzip(req) {
			return next(c)
		}
		c.Response().Header().Add("Vary", "Accept-Encoding")
		key := ""
		if v, err := s.store.DataVersion(req.Context()); err == nil {
			key = strconv.FormatInt(v, 10) + " " + req.URL.RequestURI() + " " + req.Header.Get("Accept")
			if e := s.gzip.get(key); e != nil {
				return serveCached(c, e)
			}
		}
		gw := &gzipWriter{ResponseWriter: c.Response().Writer, limit: s.gzip.maxEntry}
		c.Response().Writer = gw
		finished := false
		defer func() {
			// On a panic, hand the plain writer back for the error page.
			if !finished {
				c.Response().Writer = gw.ResponseWriter
			}
		}()
		if err := next(c); err != nil {
			// Render the error here, through the compressing writer.
			c.Error(err)
		}
		err := gw.finish()
		finished = true
		c.Response().Writer = gw.ResponseWriter
		if shared, _ := c.Get(sharedKey).(bool); shared && key != "" && gw.cacheable() {
			h := c.Response().Header().Clone()
			h.Del("Set-Cookie")
			h.Del(echo.HeaderXRequestID)
			s.gzip.put(&gzipEntry{key: key, status: gw.status, header: h, body: gw.capture.Bytes()})
		}
		return err
	}
}

func serveCached(c echo.Context, e *gzipEntry) error {
	hdr := c.Response().Header()
	for k, v := range e.header {
		hdr[k] = v
	}
	if inm := c.Request().Header.Get("If-None-Match"); inm != "" && etagMatch(inm, e.header.Get("ETag")) {
		hdr.Del("Content-Encoding")
		hdr.Del("Content-Type")
		return c.NoContent(http.StatusNotModified)
	}
	hdr.Set("Content-Length", strconv.Itoa(len(e.body)))
	c.Response().WriteHeader(e.status)
	_, err := c.Response().Write(e.body)
	return err
}

// gzipWriter compresses the body when the handler's content type is
// text, keeping a copy of the compressed bytes while they fit the cache.
type gzipWriter struct {
	http.ResponseWriter
	gz      *gzip.Writer
	status  int
	decided bool
	on      bool
	limit   int
	capture bytes.Buffer
	over    bool
	err     error
}

func (w *gzipWriter) WriteHeader(code int) {
	if w.decided {
		return
	}
	w.decided, w.status = true, code
	h := w.Header()
	if code == http.StatusOK && h.Get("Content-Encoding") == "" && compressible(h.Get("Content-Type")) {
		w.on = true
		h.Set("Content-Encoding", "gzip")
		h.Del("Content-Length")
		w.gz, _ = gzip.NewWriterLevel(gzipSink{w}, gzip.DefaultCompression)
	}
	w.ResponseWriter.WriteHeader(code)
}

// gzipSink receives compressed bytes: to the client, and to the capture
// while it fits.
type gzipSink struct{ w *gzipWriter }

func (s gzipSink) Write(p []byte) (int, error) {
	w := s.w
	if !w.over {
		if w.capture.Len()+len(p) > w.limit {
			w.over = true
			w.capture = bytes.Buffer{}
		} else {
			w.capture.Write(p)
		}
	}
	n, err := w.ResponseWriter.Write(p)
	if err != nil {
		w.err = err
	}
	return n, err
}

func (w *gzipWriter) Write(p []byte) (int, error) {
	if !w.decided {
		w.WriteHeader(http.StatusOK)
	}
	if !w.on {
		return w.ResponseWriter.Write(p)
	}
	return w.gz.Write(p)
}

// Flush sends what is compressed so far, for streamed downloads.
func (w *gzipWriter) Flush() {
	if w.on {
		_ = w.gz.Flush()
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack lets websockets and the like pass through.
func (w *gzipWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if h, ok := w.ResponseWriter.(http.Hijacker); ok {
		return h.Hijack()
	}
	return nil, nil, errors.New("hijack not supported")
}

func (w *gzipWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *gzipWriter) finish() error {
	if w.on {
		return w.gz.Close()
	}
	return nil
}

func (w *gzipWriter) cacheable() bool {
	return w.on && !w.over && w.err == nil && w.status == http.StatusOK
}
