package dashboard

import (
	"bytes"
	"compress/gzip"
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/labstack/echo/v4"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// One response cache serves pages, API answers, downloads, the OpenAPI
// document and the assets. Every answer it holds goes out through one
// path (serveEntry → http.ServeContent), so HEAD, Range, If-None-Match
// (with "*"), If-Modified-Since, Vary and the per-encoding validators are
// the standard library's, not ours.
//
// An entry keeps the identity bytes and, made once on first demand, the
// gzip and brotli bytes: a client that takes no compression costs as
// little as one that does. Each encoding has its own strong ETag
// ("<version>-<hash>" for identity, with ".gz" or ".br" added), as they
// are different bytes; Range requests work on each.
//
// An entry stays valid across new data versions until a change touches
// what it was built from (deps); then the next request renders it again,
// once: concurrent requests for a missing entry wait for the one that
// renders it (single flight).

// deps are what a rendered answer was built from: some areas, some
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

// recordedDeps are the deps the handler recorded; none recorded means
// the answer depends on everything.
func recordedDeps(c echo.Context) *deps {
	if d, ok := c.Get(depsKey).(*deps); ok {
		return d
	}
	return &deps{all: true}
}

func (d *deps) touchedBy(c metrics.Change) bool {
	return d.all || c.Everything() || (c.AreaID != 0 && d.areas[c.AreaID]) || (c.IndicatorID != 0 && d.indicators[c.IndicatorID])
}

const depsKey = "cache.deps"

// dependOn records, from inside a handler, what its answer is built
// from. Answers that record nothing depend on everything.
func dependOn(c echo.Context) *deps {
	if d, ok := c.Get(depsKey).(*deps); ok {
		return d
	}
	d := &deps{}
	c.Set(depsKey, d)
	return d
}

// cacheRule says how a route's answers are cached.
type cacheRule struct {
	// page: the answer depends on the reader's language, and a signed-in
	// reader's page (their menu, their CSRF token) is never stored.
	page bool
	// query: the whole (canonical) query is part of the key; otherwise
	// only the theme parameter is (pages ignore other parameters, so that
	// arbitrary queries cannot fill the cache).
	query bool
	// byAccept: the answer is CSV or JSON by the Accept header.
	byAccept bool
}

var (
	pageRule  = cacheRule{page: true}
	queryPage = cacheRule{page: true, query: true}
	dataRule  = cacheRule{query: true}
	// negotiated answers switch between JSON and CSV on Accept.
	negotiated = cacheRule{query: true, byAccept: true}
)

// Encodings the cache offers, in order of preference at equal quality.
const (
	encIdentity = ""
	encGzip     = "gzip"
	encBrotli   = "br"
)

type cacheEntry struct {
	key     string
	version int64
	deps    *deps
	header  http.Header // the answer's own headers (type, caching, disposition, links…)
	modtime time.Time
	vary    []string
	etag    string // of the identity bytes, without quotes
	body    []byte
	// big: the answer was too large to keep; only its validator is
	// kept, so that a client holding it still gets 304.
	big bool

	compressible bool
	// asset: made once for the life of the process, so worth the best
	// gzip level and a higher brotli level than a page.
	asset  bool
	gzOnce sync.Once
	gz     []byte
	brOnce sync.Once
	br     atomic.Pointer[[]byte]
	// grew reports bytes added by a variant made after the entry was
	// stored, for the cache's bound.
	grew func(n int)
	elem *list.Element
	// counted is what the cache's byte count holds for this entry.
	counted int
}

func (e *cacheEntry) size() int {
	n := len(e.body) + len(e.gz) + 256
	if br := e.br.Load(); br != nil {
		n += len(*br)
	}
	return n
}

// Brotli in Go is slow at its higher levels (ECharts, 1 MB: about 1 s
// at level 7, 40 s at level 11 on a busy machine), so a body larger
// than brotliInline is compressed in the background, at most at level 7,
// and served gzip until then; smaller ones are compressed on the first
// request that wants them (a page: a few milliseconds at level 5).
const (
	brotliInline    = 256 << 10
	brotliPage      = 5
	brotliAsset     = 9
	brotliLargeBody = 7
)

// variant returns the bytes in one encoding ("" when that encoding is
// not worth it for this entry).
func (e *cacheEntry) variant(enc string) []byte {
	switch enc {
	case encGzip:
		e.gzOnce.Do(func() {
			var buf bytes.Buffer
			level := gzip.DefaultCompression
			if e.asset {
				level = gzip.BestCompression
			}
			zw, _ := gzip.NewWriterLevel(&buf, level)
			zw.Write(e.body)
			zw.Close()
			if buf.Len() < len(e.body)*9/10 {
				e.gz = buf.Bytes()
				if e.grew != nil {
					e.grew(len(e.gz))
				}
			}
		})
		return e.gz
	case encBrotli:
		if len(e.body) > brotliInline {
			e.brOnce.Do(func() { go e.makeBrotli(brotliLargeBody) })
		} else {
			level := brotliPage
			if e.asset {
				level = brotliAsset
			}
			e.brOnce.Do(func() { e.makeBrotli(level) })
		}
		if br := e.br.Load(); br != nil {
			return *br
		}
		return nil
	}
	return e.body
}

// makeBrotli compresses the body at a level and keeps it if it is worth
// it.
func (e *cacheEntry) makeBrotli(level int) {
	var buf bytes.Buffer
	bw := brotli.NewWriterLevel(&buf, level)
	bw.Write(e.body)
	bw.Close()
	if buf.Len() < len(e.body)*9/10 {
		b := buf.Bytes()
		e.br.Store(&b)
		if e.grew != nil {
			e.grew(len(b))
		}
	}
}

// newEntry builds an entry from a complete answer.
func newEntry(key string, version int64, d *deps, hdr http.Header, body []byte, vary []string) *cacheEntry {
	sum := sha256.Sum256(body)
	e := &cacheEntry{key: key, version: version, deps: d, header: hdr, body: body, vary: vary,
		etag:         strconv.FormatInt(version, 10) + "-" + hex.EncodeToString(sum[:9]),
		compressible: compressible(hdr.Get(echo.HeaderContentType)) && len(body) >= 512}
	if lm := hdr.Get("Last-Modified"); lm != "" {
		e.modtime, _ = http.ParseTime(lm)
	}
	return e
}

// respCache is bounded by the bytes it holds, least recently used out
// first; one answer may not take more than an eighth of it.
type respCache struct {
	mu       sync.Mutex
	entries  map[string]*cacheEntry
	lru      *list.List
	bytes    int
	maxBytes int
	// log holds the changes seen since the cache started.
	log        []metrics.Change
	logVersion int64
	// inflight: keys being rendered; the channel closes when done.
	inflight map[string]chan struct{}
}

func newRespCache(maxBytes int) *respCache {
	return &respCache{entries: map[string]*cacheEntry{}, lru: list.New(), maxBytes: maxBytes, inflight: map[string]chan struct{}{}}
}

// maxEntry is the most identity bytes one answer may have to be kept.
func (rc *respCache) maxEntry() int { return rc.maxBytes / 8 }

// fresh reports whether the entry is still valid at version cur,
// moving it to cur if it is.
func (rc *respCache) fresh(e *cacheEntry, cur int64) bool {
	if e.version == cur {
		return true
	}
	if e.deps.all {
		return false
	}
	for _, ch := range rc.log {
		if ch.Version > e.version && ch.Version <= cur && e.deps.touchedBy(ch) {
			return false
		}
	}
	e.version = cur
	return true
}

// lookup returns a fresh entry; or, when none, a channel to wait on while
// another request renders it; or neither, and then the caller renders
// (and, if lead, is registered as the one rendering).
func (rc *respCache) lookup(key string, cur int64, lead bool) (*cacheEntry, chan struct{}, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if e, ok := rc.entries[key]; ok && rc.fresh(e, cur) {
		rc.lru.MoveToFront(e.elem)
		return e, nil, false
	}
	if ch, ok := rc.inflight[key]; ok {
		return nil, ch, false
	}
	if !lead {
		return nil, nil, false
	}
	rc.inflight[key] = make(chan struct{})
	return nil, nil, true
}

func (rc *respCache) done(key string) {
	rc.mu.Lock()
	if ch, ok := rc.inflight[key]; ok {
		close(ch)
		delete(rc.inflight, key)
	}
	rc.mu.Unlock()
}

func (rc *respCache) put(e *cacheEntry) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if old, ok := rc.entries[e.key]; ok {
		rc.remove(old)
	}
	e.grew = func(n int) {
		rc.mu.Lock()
		defer rc.mu.Unlock()
		if rc.entries[e.key] == e {
			rc.bytes += n
			e.counted += n
			rc.trim()
		}
	}
	e.elem = rc.lru.PushFront(e)
	rc.entries[e.key] = e
	e.counted = e.size()
	rc.bytes += e.counted
	rc.trim()
}

func (rc *respCache) trim() {
	for rc.bytes > rc.maxBytes && rc.lru.Len() > 0 {
		rc.remove(rc.lru.Back().Value.(*cacheEntry))
	}
}

func (rc *respCache) remove(e *cacheEntry) {
	rc.lru.Remove(e.elem)
	delete(rc.entries, e.key)
	rc.bytes -= e.counted
}

// sync brings the change log up to the current data version and
// returns it. The log has no gap: when another request moved it on
// while this one read, this one reads again from there (unless the log
// already covers its version).
func (rc *respCache) sync(ctx context.Context, store *metrics.Store) (int64, error) {
	for {
		rc.mu.Lock()
		since := rc.logVersion
		rc.mu.Unlock()
		changes, cur, err := store.ChangesSince(ctx, since)
		if err != nil {
			return 0, err
		}
		rc.mu.Lock()
		switch {
		case rc.logVersion == since:
			if cur > since {
				rc.log = append(rc.log, changes...)
				rc.logVersion = cur
			}
			rc.mu.Unlock()
			return cur, nil
		case rc.logVersion >= cur:
			rc.mu.Unlock()
			return cur, nil
		}
		rc.mu.Unlock()
	}
}

// stats are the figures /metrics shows.
func (rc *respCache) stats() (entries, size int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.entries), rc.bytes
}

// cacheKey names an answer.
func cacheKey(rule cacheRule, lang string, c echo.Context) string {
	req := c.Request()
	key := req.URL.Path
	if rule.page {
		key = lang + " " + key
	}
	if rule.query {
		if q := c.QueryParams(); len(q) > 0 {
			key += "?" + q.Encode()
		}
	} else {
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
	}
	if p := pinOf(c); p != nil && !rule.query {
		// A page pinned to a data version is another answer (a version
		// not kept is never stored: see cached).
		sep := "?"
		if strings.Contains(key, "?") {
			sep = "&"
		}
		key += sep + "v=" + strconv.FormatInt(p.Version, 10)
	}
	if rule.byAccept {
		if wantCSV, _ := wantsCSV(c); wantCSV {
			key += " csv"
		}
	}
	return key
}

// cached serves a route's answers through the response cache.
func (s *Server) cached(rule cacheRule) echo.MiddlewareFunc {
	return func(h echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if rule.page && session(c) != nil {
				// Never stored, never served to another reader.
				return s.passThrough(c, h, rule)
			}
			if p := pinOf(c); p != nil && !p.Kept {
				// Any text may be asked for as a version: such answers
				// would fill the cache.
				return s.passThrough(c, h, rule)
			}
			ctx := c.Request().Context()
			cur, err := s.cache.sync(ctx, s.store)
			if err != nil {
				return err
			}
			key := cacheKey(rule, s.locale(c).Lang, c)
			e, wait, lead := s.cache.lookup(key, cur, true)
			if wait != nil {
				// Another request renders this answer: wait for it once.
				select {
				case <-wait:
				case <-ctx.Done():
					return ctx.Err()
				}
				e, _, lead = s.cache.lookup(key, cur, false)
			}
			if lead {
				defer s.cache.done(key)
			}
			if e != nil && !e.big {
				s.tel.Cache.WithLabelValues("hit").Inc()
				return s.serveEntry(c, e)
			}
			if e != nil && e.big && inmMatches(c.Request(), `W/"`+e.etag+`"`) {
				s.tel.Cache.WithLabelValues("hit").Inc()
				setVary(c.Response().Header(), e.vary...)
				c.Response().Header().Set("ETag", `W/"`+e.etag+`"`)
				return c.NoContent(http.StatusNotModified)
			}
			s.tel.Cache.WithLabelValues("miss").Inc()
			return s.render1(c, h, rule, key, cur)
		}
	}
}

func ruleVary(rule cacheRule) []string {
	if rule.byAccept {
		return []string{"Accept"}
	}
	return nil
}

// render1 runs the handler into a buffer and stores a complete 200
// answer; an answer larger than an entry may be is streamed instead.
func (s *Server) render1(c echo.Context, h echo.HandlerFunc, rule cacheRule, key string, cur int64) error {
	resp := c.Response()
	orig := resp.Writer
	cw := &captureWriter{rw: orig, req: c.Request(), limit: s.cache.maxEntry(), status: http.StatusOK, vary: ruleVary(rule),
		etag: func() string { return `W/"` + strconv.FormatInt(cur, 10) + "-" + keyHash(key) + `"` }}
	resp.Writer = cw
	err := h(c)
	resp.Writer = orig
	if cw.spilled {
		// The answer went out as it was made; keep its validator only.
		if err == nil || errors.Is(err, errHeadDone) {
			err = cw.close()
			if cw.status == http.StatusOK && err == nil {
				s.cache.put(&cacheEntry{key: key, version: cur, deps: recordedDeps(c), big: true, vary: cw.vary,
					etag: strings.TrimSuffix(strings.TrimPrefix(cw.etag(), `W/"`), `"`)})
			}
		}
		return err
	}
	resp.Committed = false
	if err != nil {
		return err
	}
	hdr := resp.Header()
	if cw.status != http.StatusOK {
		return s.writeUncached(c, cw.status, cw.buf.Bytes())
	}
	if hdr.Get("Cache-Control") == "" {
		// Anyone may keep it, asking again (ETag) before reusing it.
		hdr.Set("Cache-Control", "no-cache")
	}
	e := newEntry(key, cur, recordedDeps(c), storedHeader(hdr), cw.buf.Bytes(), ruleVary(rule))
	s.cache.put(e)
	return s.serveEntry(c, e)
}

// passThrough runs a handler whose answer is not stored (a signed-in
// page), still compressed for a client that accepts it.
func (s *Server) passThrough(c echo.Context, h echo.HandlerFunc, rule cacheRule) error {
	resp := c.Response()
	// The reader's own page: no cache keeps it.
	resp.Header().Set("Cache-Control", "no-store")
	orig := resp.Writer
	cw := &captureWriter{rw: orig, req: c.Request(), limit: s.cache.maxEntry(), status: http.StatusOK, vary: ruleVary(rule)}
	resp.Writer = cw
	err := h(c)
	resp.Writer = orig
	if cw.spilled {
		if err == nil {
			err = cw.close()
		}
		return err
	}
	resp.Committed = false
	if err != nil {
		return err
	}
	if cw.status != http.StatusOK {
		return s.writeUncached(c, cw.status, cw.buf.Bytes())
	}
	e := newEntry("", 0, nil, storedHeader(resp.Header()), cw.buf.Bytes(), ruleVary(rule))
	e.etag = ""
	return s.serveEntry(c, e)
}

func (s *Server) writeUncached(c echo.Context, status int, body []byte) error {
	resp := c.Response()
	resp.Header().Del("ETag")
	resp.Header().Set("Content-Length", strconv.Itoa(len(body)))
	resp.WriteHeader(status)
	_, err := resp.Write(body)
	return err
}

// storedHeader keeps the headers that describe the answer itself, not
// the request (cookies, request ids, security headers are set again on
// every request by their middleware).
func storedHeader(h http.Header) http.Header {
	out := http.Header{}
	for _, k := range []string{"Content-Type", "Content-Language", "Content-Disposition", "Cache-Control", "Last-Modified", "Link"} {
		if v, ok := h[k]; ok {
			out[k] = v
		}
	}
	return out
}

func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:6])
}

// serveEntry is the one way a stored answer goes out: the encoding the
// client prefers among those worth having, its validator, and
// http.ServeContent for HEAD, Range and the conditional headers.
func (s *Server) serveEntry(c echo.Context, e *cacheEntry) error {
	req, resp := c.Request(), c.Response()
	h := resp.Header()
	for k, v := range e.header {
		h[k] = v
	}
	setVary(h, e.vary...)
	enc, body := encIdentity, e.body
	if e.compressible {
		setVary(h, "Accept-Encoding")
		enc, body = chooseEncoding(req, e)
	}
	if enc != encIdentity {
		h.Set("Content-Encoding", enc)
	} else {
		h.Del("Content-Encoding")
	}
	if e.etag != "" {
		h.Set("ETag", `"`+e.etag+encSuffix(enc)+`"`)
	}
	http.ServeContent(&entryWriter{ResponseWriter: resp, size: len(body)}, req, "", e.modtime, bytes.NewReader(body))
	return nil
}

func encSuffix(enc string) string {
	switch enc {
	case encGzip:
		return ".gz"
	case encBrotli:
		return ".br"
	}
	return ""
}

// entryWriter mends two things http.ServeContent leaves to on-the-fly
// compressors: the length of a whole encoded body (which a HEAD answer
// needs too), and error answers it writes itself (416), which are plain
// text, not encoded.
type entryWriter struct {
	http.ResponseWriter
	size int
}

// copyBufs are the buffers entries are copied out through: without
// them io.Copy would allocate one per answer (32 KiB for a page).
var copyBufs = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// ReadFrom copies a stored body out in as few writes as it takes.
func (w *entryWriter) ReadFrom(r io.Reader) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	return io.CopyBuffer(writerOnly{w}, r, *bp)
}

// writerOnly hides ReadFrom, so that io.CopyBuffer does not call back.
type writerOnly struct{ io.Writer }

func (w *entryWriter) WriteHeader(code int) {
	h := w.Header()
	switch {
	case code >= 400:
		h.Del("Content-Encoding")
		h.Del("ETag")
	case code == http.StatusOK && h.Get("Content-Length") == "":
		h.Set("Content-Length", strconv.Itoa(w.size))
	}
	w.ResponseWriter.WriteHeader(code)
}

// chooseEncoding picks the encoding with the highest quality the client
// gives (brotli, then gzip, then identity at equal quality), among those
// worth having for this entry.
func chooseEncoding(r *http.Request, e *cacheEntry) (string, []byte) {
	ae := r.Header.Get("Accept-Encoding")
	if ae == "" {
		return encIdentity, e.body
	}
	best, bestQ := encIdentity, qualityOf(ae, encIdentity)
	for _, enc := range []string{encBrotli, encGzip} {
		if q := qualityOf(ae, enc); q > 0 && q >= bestQ && (best == encIdentity || q > bestQ) {
			if b := e.variant(enc); b != nil {
				best, bestQ = enc, q
			}
		}
	}
	if best == encIdentity && bestQ == 0 {
		// identity refused and nothing else on offer: send it anyway
		// (RFC 9110 §12.5.3 allows it rather than a 415).
		return encIdentity, e.body
	}
	return best, e.variant(best)
}

// qualityOf is the weight a header in the Accept-Encoding or Accept
// form gives to one name: its own entry, else "*", else 0 (for
// Accept-Encoding, identity is acceptable unless refused).
func qualityOf(header, name string) float64 {
	star := -1.0
	for _, part := range strings.Split(header, ",") {
		n, params, _ := strings.Cut(part, ";")
		n = strings.ToLower(strings.TrimSpace(n))
		q := 1.0
		for _, p := range strings.Split(params, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		switch n {
		case name:
			return q
		case "*":
			star = q
		}
	}
	if star >= 0 {
		return star
	}
	if name == encIdentity {
		return 0.001
	}
	return 0
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

// setVary adds names to the Vary header, once each.
func setVary(h http.Header, names ...string) {
	have := strings.ToLower(strings.Join(h.Values("Vary"), ","))
	for _, n := range names {
		found := false
		for _, t := range strings.Split(have, ",") {
			if strings.TrimSpace(t) == strings.ToLower(n) {
				found = true
			}
		}
		if !found {
			h.Add("Vary", n)
			have += "," + strings.ToLower(n)
		}
	}
}

// inmMatches compares If-None-Match with an ETag, weakly (RFC 9110
// §13.1.2), "*" included.
func inmMatches(r *http.Request, etag string) bool {
	inm := r.Header.Get("If-None-Match")
	if inm == "" {
		return false
	}
	bare := strings.TrimPrefix(etag, "W/")
	for _, t := range strings.Split(inm, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == bare {
			return true
		}
	}
	return false
}

// errHeadDone stops a HEAD answer's handler once the headers are out:
// the body would be thrown away.
var errHeadDone = errors.New("HEAD answered")

// streamIdle is how long a streamed answer may wait for the client to
// take the next part before the connection is dropped. Each part moves
// the write deadline on, so a long download streams to its end while a
// stalled client is still cut off.
const streamIdle = 60 * time.Second

// captureWriter keeps what a handler writes, so that the cache can store
// it before anything reaches the reader. Past limit it spills: the
// headers go out (compressed if the client accepts gzip), then what was
// kept, then the rest as it comes.
type captureWriter struct {
	rw      http.ResponseWriter
	req     *http.Request
	status  int
	buf     bytes.Buffer
	limit   int
	vary    []string
	etag    func() string
	spilled bool
	out     io.Writer
	gz      *gzip.Writer
	// extended is when the write deadline was last moved on.
	extended time.Time
}

func (w *captureWriter) Header() http.Header  { return w.rw.Header() }
func (w *captureWriter) WriteHeader(code int) { w.status = code }

func (w *captureWriter) Write(p []byte) (int, error) {
	if w.spilled {
		if w.req.Method == http.MethodHead {
			return 0, errHeadDone
		}
		if time.Since(w.extended) > time.Second {
			w.extend()
		}
		return w.out.Write(p)
	}
	if w.buf.Len()+len(p) <= w.limit || w.status != http.StatusOK {
		return w.buf.Write(p)
	}
	if err := w.spill(); err != nil {
		return 0, err
	}
	return w.Write(p)
}

func (w *captureWriter) spill() error {
	w.spilled = true
	h := w.rw.Header()
	h.Del("Content-Length")
	setVary(h, w.vary...)
	if w.etag != nil {
		h.Set("ETag", w.etag())
	}
	w.out = w.rw
	if compressible(h.Get("Content-Type")) {
		setVary(h, "Accept-Encoding")
		if qualityOf(w.req.Header.Get("Accept-Encoding"), encGzip) > 0 {
			h.Set("Content-Encoding", encGzip)
			w.gz, _ = gzip.NewWriterLevel(w.rw, gzip.DefaultCompression)
			w.out = w.gz
		}
	}
	w.extend()
	w.rw.WriteHeader(w.status)
	if w.req.Method == http.MethodHead {
		return errHeadDone
	}
	_, err := w.out.Write(w.buf.Bytes())
	w.buf = bytes.Buffer{}
	return err
}

// Flush sends what is made so far (streamed downloads flush every few
// thousand rows) and moves the write deadline on.
func (w *captureWriter) Flush() {
	if !w.spilled {
		return
	}
	if w.gz != nil {
		_ = w.gz.Flush()
	}
	_ = http.NewResponseController(w.rw).Flush()
	w.extend()
}

// extend moves the write deadline on: the server's write timeout is
// for short answers, a streamed one gets streamIdle from its last part.
func (w *captureWriter) extend() {
	w.extended = time.Now()
	_ = http.NewResponseController(w.rw).SetWriteDeadline(w.extended.Add(streamIdle))
}

func (w *captureWriter) Unwrap() http.ResponseWriter { return w.rw }

func (w *captureWriter) close() error {
	if w.gz != nil && w.req.Method != http.MethodHead {
		return w.gz.Close()
	}
	return nil
}
