package ingest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/twinmetrics/twinmetrics/locale"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// A pending upload lives in its own folder under the spool directory:
// the original file, upload.json (what is known about it) and stage.db,
// a throw-away SQLite file with every checked row. Nothing of it enters
// the main database until it is published, so a bad file, or a preview
// nobody publishes, leaves the data exactly as it was; and a preview of
// a million rows is paged from disk, not held in memory.

// Pending upload states.
const (
	StateReceived   = "received"
	StateValidating = "validating"
	StateReady      = "ready"
	StateFailed     = "failed"
	StatePublished  = "published"
	StateDiscarded  = "discarded"
)

// Counts are how many rows a preview found of each kind.
type Counts struct {
	Total     int `json:"total"`
	New       int `json:"new"`
	Changed   int `json:"changed"`
	Unchanged int `json:"unchanged"`
	Rejected  int `json:"rejected"`
	Warned    int `json:"warned"`
	// Lines is how many data lines were read; Skipped how many values a
	// profile left out (areas not in the catalogue, indicators not
	// mapped, filtered rows), which are not in Total.
	Lines   int `json:"lines,omitempty"`
	Skipped int `json:"skipped,omitempty"`
}

// Pending is a received upload and what its check found.
type Pending struct {
	Key         string       `json:"id"`
	FileName    string       `json:"file_name"`
	SHA256      string       `json:"sha256"`
	Format      string       `json:"format"`
	Size        int64        `json:"size"`
	UserID      int64        `json:"user_id"`
	UserEmail   string       `json:"uploaded_by"`
	CreatedAt   string       `json:"created_at"`
	CheckedAt   string       `json:"checked_at,omitempty"`
	DataVersion int64        `json:"data_version"`
	State       string       `json:"state"`
	FileError   *FileError   `json:"file_error,omitempty"`
	Counts      Counts       `json:"counts"`
	NewSources  []*NewSource `json:"new_sources,omitempty"`
	UploadID    int64        `json:"upload_id,omitempty"`
	// Failure says why the check stopped, if it did.
	Failure *locale.Message `json:"failure,omitempty"`
	// Profile is the import profile asked for (empty: detect one);
	// ReadAs the one that read the file, Skips what it left out.
	Profile string  `json:"profile,omitempty"`
	ReadAs  *ReadAs `json:"read_as,omitempty"`
	Skips   *Skips  `json:"skips,omitempty"`
	// CheckToken names the check that put the upload in validating; a
	// check's result is kept only if it is still the upload's.
	CheckToken  string  `json:"check_token,omitempty"`
	PublishedBy string  `json:"published_by,omitempty"`
	PublishedAt string  `json:"published_at,omitempty"`
	DiscardedBy string  `json:"discarded_by,omitempty"`
	DiscardedAt string  `json:"discarded_at,omitempty"`
	Events      []Event `json:"events,omitempty"`
	// Targets is the preview of a file of climate targets (a profile
	// of output "targets" read it): what publishing would add and
	// replace, and every problem. Counts.New and Counts.Rejected count
	// its targets.
	Targets *TargetsPreview `json:"targets,omitempty"`
}

// Where names a row's place in the file: "line 12" of a CSV file or
// "row 12" of a workbook.
func (p *Pending) Where(line int) locale.Message {
	if p.Format == "xlsx" {
		return whereRow.With(line)
	}
	return whereLine.With(line)
}

// Progress is how far the receipt and check of an upload have got.
type Progress struct {
	Phase     atomic.Value // string
	BytesRead atomic.Int64
	Total     atomic.Int64
	Rows      atomic.Int64
}

// ProgressView is Progress as shown to a browser polling for it.
type ProgressView struct {
	State     string `json:"state"`
	BytesRead int64  `json:"bytes_read"`
	Total     int64  `json:"total_bytes"`
	Rows      int64  `json:"rows_checked"`
	Percent   int    `json:"percent"`
	Done      bool   `json:"done"`
}

// Uploader receives, checks, publishes and rolls back uploads.
type Uploader struct {
	store  *metrics.Store
	dir    string
	limits Limits
	now    func() time.Time

	mu       sync.Mutex
	progress map[string]*Progress
	wg       sync.WaitGroup
	sem      chan struct{}
	pubMu    sync.Mutex
	stager   stager
	profiles func(context.Context) ([]*Profile, error)
	named    func(context.Context, string) (*Profile, error)
	// recs keep the pending uploads' records (records.go).
	recs records
	log  *slog.Logger
}

// SetProfiles sets where the uploader finds import profiles (shipped
// ones unless set).
func (u *Uploader) SetProfiles(fn func(context.Context) ([]*Profile, error)) { u.profiles = fn }

// SetNamedProfile sets where the uploader finds a profile asked for by
// name that is not among those that recognise files (a proposed one,
// made in the mapping step and not yet approved).
func (u *Uploader) SetNamedProfile(fn func(ctx context.Context, name string) (*Profile, error)) {
	u.named = fn
}

// namedProfile is the profile of that name among ps, else the one the
// named-profile source knows (nil: none).
func (u *Uploader) namedProfile(ctx context.Context, name string, ps []*Profile) (*Profile, error) {
	for _, pr := range ps {
		if pr.Name == name {
			return pr, nil
		}
	}
	if u.named == nil {
		return nil, nil
	}
	pr, err := u.named(ctx, name)
	if errors.Is(err, metrics.ErrNotFound) {
		return nil, nil
	}
	return pr, err
}

// Profiles lists the import profiles uploads are read with.
func (u *Uploader) Profiles(ctx context.Context) ([]*Profile, error) {
	if u.profiles == nil {
		return ShippedProfiles()
	}
	return u.profiles(ctx)
}

// UseProfile makes a received upload be read with the named profile
// instead of the one its header matches.
func (u *Uploader) UseProfile(ctx context.Context, key, name string) error {
	ps, err := u.Profiles(ctx)
	if err != nil {
		return err
	}
	pr, err := u.namedProfile(ctx, name, ps)
	if err != nil {
		return err
	}
	if pr != nil {
		unlock, err := u.recs.lock(ctx, key)
		if err != nil {
			return err
		}
		defer unlock()
		p, err := u.Pending(key)
		if err != nil {
			return err
		}
		if p.State == StateValidating || p.State == StatePublished || p.State == StateDiscarded {
			return stateErr("check", p.State)
		}
		p.Profile = name
		return u.save(p)
	}
	return unknownProfile(name, ps)
}

func unknownProfile(name string, ps []*Profile) *FileError {
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name
	}
	return fileErr("unknown_profile", fileUnknownProfile.With(clip(name)), fileHintUnknownProfile.With(strings.Join(names, ", ")))
}

// NewUploader keeps pending uploads under dir.
func NewUploader(store *metrics.Store, dir string, limits Limits, now func() time.Time) (*Uploader, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("upload folder: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	u := &Uploader{store: store, dir: dir, limits: limits, now: now, progress: map[string]*Progress{}, sem: make(chan struct{}, 2)}
	u.recs = &fileRecords{dir: dir}
	if store.Shared() {
		u.recs = &dbRecords{db: store.DB().W, dir: dir}
	}
	u.stager = newStager(u)
	// A check cut short by a restart is not running any more: say so,
	// so that staff can start it again. On PostgreSQL another instance
	// may be checking or publishing it: only work whose heartbeat has
	// stopped is taken for cut short.
	pending, err := u.ListPending()
	if err != nil {
		return nil, err
	}
	for _, p := range pending {
		if p.State == StateReceived || p.State == StateValidating || p.State == StatePublishing {
			alive, err := u.recs.alive(context.Background(), p.Key)
			if err != nil {
				return nil, err
			}
			if alive {
				continue
			}
		}
		if p.State == StateReceived || p.State == StateValidating {
			p.State, p.Failure = StateFailed, ref(failureInterrupted.With())
			if err := u.save(p); err != nil {
				return nil, err
			}
		}
		// A publish that committed, cut short before it noted so here
		// (a crash while the commit checkpoints the log): the database
		// says what happened, and the preview must not offer it again.
		// One cut short before it committed is ready again.
		if p.State == StateReady || p.State == StatePublishing {
			rec, err := store.UploadByKey(context.Background(), p.Key)
			if errors.Is(err, metrics.ErrNotFound) {
				if p.State == StatePublishing {
					p.State = StateReady
					if err := u.save(p); err != nil {
						return nil, err
					}
				}
				continue
			}
			if err != nil {
				return nil, err
			}
			p.State, p.UploadID = StatePublished, rec.ID
			if err := u.save(p); err != nil {
				return nil, err
			}
			if err := u.stager.remove(context.Background(), p.Key); err != nil {
				return nil, err
			}
		}
	}
	return u, nil
}

// Limits are the uploader's limits.
func (u *Uploader) Limits() Limits { return u.limits }

// Wait waits for background checks to finish.
func (u *Uploader) Wait() { u.wg.Wait() }

var keyRe = regexp.MustCompile(`^[0-9a-f]{32}$`)

// ValidKey reports whether s can be the key of a pending upload.
func ValidKey(s string) bool { return keyRe.MatchString(s) }

func (u *Uploader) path(key, name string) string { return filepath.Join(u.dir, key, name) }

func (u *Uploader) save(p *Pending) error { return u.recs.save(context.Background(), p) }

// Pending loads a pending (or published) upload by key.
func (u *Uploader) Pending(key string) (*Pending, error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("upload %q: %w", key, metrics.ErrNotFound)
	}
	return u.recs.load(context.Background(), key)
}

// original is the path of an upload's original file on this instance,
// copied there first when another instance received it.
func (u *Uploader) original(ctx context.Context, key string) (string, error) {
	path := u.path(key, "original")
	return path, u.recs.fetch(ctx, key, path)
}

// ListPending lists uploads that are received, being checked or ready to
// publish, newest first.
func (u *Uploader) ListPending() ([]*Pending, error) {
	all, err := u.recs.all(context.Background())
	if err != nil {
		return nil, err
	}
	var out []*Pending
	for _, p := range all {
		switch p.State {
		case StateReceived, StateValidating, StateReady, StateFailed, StatePublishing:
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt > out[j].CreatedAt })
	return out, nil
}

// Receive stores an uploaded file as a pending upload, refusing it when
// it is over the size limit. It does not check the rows: call Check.
func (u *Uploader) Receive(ctx context.Context, r io.Reader, fileName string, user metrics.User) (*Pending, error) {
	key := make([]byte, 16)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	if ferr, err := u.checkQuota(user); ferr != nil || err != nil {
		if ferr != nil {
			return nil, ferr
		}
		return nil, err
	}
	p := &Pending{Key: hex.EncodeToString(key), FileName: cleanFileName(fileName), UserID: user.ID, UserEmail: user.Email,
		CreatedAt: metrics.Timestamp(u.now()), State: StateReceived}
	if err := os.Mkdir(filepath.Join(u.dir, p.Key), 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(u.path(p.Key, "original"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	body := &readRecorder{r: r}
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(body, u.limits.MaxBytes+1))
	if err != nil && body.err != nil {
		// The sender's side failed (a connection cut, a body over its
		// limit), not this server's disk.
		err = fmt.Errorf("%w: %w", ErrCutOff, err)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// Nothing is kept of a file that did not arrive whole; the caller
		// tells a body over its size limit from a broken connection.
		os.RemoveAll(filepath.Join(u.dir, p.Key))
		return nil, err
	}
	if n > u.limits.MaxBytes {
		os.RemoveAll(filepath.Join(u.dir, p.Key))
		return nil, TooLarge(u.limits.MaxBytes)
	}
	p.Size, p.SHA256 = n, hex.EncodeToString(h.Sum(nil))
	unlock, err := u.recs.lock(ctx, p.Key)
	if err != nil {
		return nil, err
	}
	defer unlock()
	u.record(p, "received", user.Email, fmt.Sprintf("%d bytes", n))
	if err := u.recs.create(ctx, p, u.path(p.Key, "original")); err != nil {
		os.RemoveAll(filepath.Join(u.dir, p.Key))
		return nil, err
	}
	return p, nil
}

// checkQuota refuses a new upload from a user whose pending uploads
// already hold their share of the disk.
func (u *Uploader) checkQuota(user metrics.User) (*FileError, error) {
	if u.limits.QuotaUploads <= 0 && u.limits.QuotaBytes <= 0 {
		return nil, nil
	}
	n, bytes, err := u.usage(user.ID)
	if err != nil {
		return nil, err
	}
	if (u.limits.QuotaUploads > 0 && n >= u.limits.QuotaUploads) || (u.limits.QuotaBytes > 0 && bytes >= u.limits.QuotaBytes) {
		return fileErr("quota", fileQuota.With(n, bytes>>20, u.limits.QuotaUploads, u.limits.QuotaBytes>>20), fileHintQuota.With()), nil
	}
	return nil, nil
}

// ErrCutOff wraps a failure to read an upload's body: the sender's
// connection broke or the body ended early (a 400, not a 500).
var ErrCutOff = errors.New("the upload was cut off")

// readRecorder remembers the error of the reader it wraps.
type readRecorder struct {
	r   io.Reader
	err error
}

func (rr *readRecorder) Read(p []byte) (int, error) {
	n, err := rr.r.Read(p)
	if err != nil && err != io.EOF {
		rr.err = err
	}
	return n, err
}

func cleanFileName(s string) string {
	s = filepath.Base(strings.ReplaceAll(s, "\\", "/"))
	s = strings.Map(func(r rune) rune {
		if r < 32 || r == 127 {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200])
	}
	if s == "" || s == "." || s == "/" {
		s = "upload"
	}
	return s
}

// ProgressOf reports how far the check of an upload has got.
func (u *Uploader) ProgressOf(key string) (ProgressView, error) {
	p, err := u.Pending(key)
	if err != nil {
		return ProgressView{}, err
	}
	v := ProgressView{State: p.State, Total: p.Size}
	u.mu.Lock()
	pr := u.progress[key]
	u.mu.Unlock()
	if pr == nil && p.State == StateValidating {
		// Maybe checked by another instance: its last beat.
		other, ok, err := u.recs.progress(context.Background(), key)
		if err != nil {
			return v, err
		}
		if ok {
			v.State, v.BytesRead, v.Rows = other.State, other.BytesRead, other.Rows
			if other.Total > 0 {
				v.Total = other.Total
			}
		}
	}
	if pr != nil {
		v.BytesRead, v.Rows = pr.BytesRead.Load(), pr.Rows.Load()
		if t := pr.Total.Load(); t > 0 {
			v.Total = t
		}
		if ph, ok := pr.Phase.Load().(string); ok && p.State == StateValidating {
			v.State = ph
		}
	}
	switch p.State {
	case StateReady, StateFailed, StatePublished, StateDiscarded:
		v.Done, v.Percent, v.Rows = true, 100, int64(p.Counts.Total)
		v.BytesRead = v.Total
	default:
		if v.Total > 0 {
			v.Percent = int(min(99, v.BytesRead*100/v.Total))
		}
	}
	return v, nil
}

// CheckAsync checks a received upload in the background, for its
// uploader; ProgressOf follows it.
func (u *Uploader) CheckAsync(key string) {
	p, err := u.Pending(key)
	if err != nil {
		return
	}
	u.checkAsync(key, p.UserEmail)
}

func (u *Uploader) checkAsync(key, by string) {
	u.mu.Lock()
	if _, busy := u.progress[key]; busy {
		u.mu.Unlock()
		return
	}
	pr := &Progress{}
	pr.Phase.Store("queued")
	u.progress[key] = pr
	u.mu.Unlock()
	u.wg.Add(1)
	go func() {
		defer u.wg.Done()
		_, _ = u.check(context.Background(), key, by, pr)
	}()
}

// Check validates a received upload and stages the diff against the
// current data. Problems with the file or rows are in the result, not
// the error; the error is for the unexpected.
func (u *Uploader) Check(ctx context.Context, key string) (*Pending, error) {
	u.mu.Lock()
	if _, busy := u.progress[key]; busy {
		u.mu.Unlock()
		return nil, errAlreadyChecking.Err()
	}
	pr := &Progress{}
	u.progress[key] = pr
	u.mu.Unlock()
	p, err := u.Pending(key)
	if err != nil {
		u.mu.Lock()
		delete(u.progress, key)
		u.mu.Unlock()
		return nil, err
	}
	return u.check(ctx, key, p.UserEmail, pr)
}

func (u *Uploader) check(ctx context.Context, key, by string, pr *Progress) (p *Pending, err error) {
	token := newToken()
	started := false
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("checking upload %s panicked: %v", key, r)
		}
		if err != nil && started {
			_, _, _ = u.settle(key, StateValidating, token, func(q *Pending) {
				q.State, q.Failure = StateFailed, ref(failureInternal.With())
			})
		}
		u.mu.Lock()
		delete(u.progress, key)
		u.mu.Unlock()
	}()
	u.sem <- struct{}{}
	defer func() { <-u.sem }()
	p, err = u.move(key, "check", StateValidating, func(p *Pending) {
		p.FileError, p.Counts, p.NewSources, p.Failure, p.CheckToken = nil, Counts{}, nil, nil, token
		p.ReadAs, p.Skips, p.Targets = nil, nil, nil
		u.record(p, "checked", by, "")
	})
	if err != nil {
		return p, err
	}
	started = true
	pr.Phase.Store("checking")
	pr.Total.Store(p.Size)
	defer u.hold(key, pr)()
	err = u.stage(ctx, p, pr)
	if tf := (*targetsFile)(nil); errors.As(err, &tf) {
		err = u.stageTargets(ctx, p, tf.profile)
	}
	var ferr *FileError
	if err != nil && !errors.As(err, &ferr) {
		return p, err
	}
	q, kept, err := u.settle(key, StateValidating, token, func(q *Pending) {
		q.Format, q.DataVersion, q.Counts, q.NewSources = p.Format, p.DataVersion, p.Counts, p.NewSources
		q.ReadAs, q.Skips, q.Targets = p.ReadAs, p.Skips, p.Targets
		q.FileError = ferr
		q.State = StateReady
		if ferr != nil {
			q.State = StateFailed
			q.Counts = Counts{}
		}
		q.CheckedAt = metrics.Timestamp(u.now())
	})
	if err == nil && kept && ferr != nil {
		err = u.stager.remove(ctx, key)
	}
	return q, err
}

const stageSchema = `
CREATE TABLE rows (
    id INTEGER PRIMARY KEY, line INTEGER NOT NULL, col TEXT NOT NULL, changes TEXT NOT NULL, status TEXT NOT NULL, warn INTEGER NOT NULL,
    area_id INTEGER, indicator_id INTEGER, year INTEGER, value REAL,
    value_as_given TEXT NOT NULL, unit_as_given TEXT NOT NULL,
    source_id INTEGER, new_source TEXT NOT NULL, flags TEXT NOT NULL, note TEXT NOT NULL,
    old_ids TEXT NOT NULL, old_value REAL,
    city TEXT NOT NULL, indicator TEXT NOT NULL, source TEXT NOT NULL, problems TEXT NOT NULL,
    seq INTEGER);
-- seq numbers the rows publishing writes (new and changed), in file
-- order; replaced lists the stored values each changed row replaces.
CREATE TABLE replaced (seq INTEGER NOT NULL, old_id INTEGER NOT NULL);
`

func openStage(path string, create bool) (*sqlx.DB, error) {
	q := "?_journal_mode=OFF&_synchronous=OFF&_busy_timeout=10000"
	if !create {
		q = "?mode=ro&_busy_timeout=10000"
	}
	db, err := sqlx.Open("sqlite3", "file:"+path+q)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// pickProfile finds the profile to read a file with: the one asked
// for, else the one whose header signature the file matches, else none
// (the template).
func (u *Uploader) pickProfile(ctx context.Context, p *Pending, path, format string) (*Profile, error) {
	ps, err := u.Profiles(ctx)
	if err != nil {
		return nil, err
	}
	// A targets file goes to the targets path (targets_pending.go): the
	// error carries its profile there.
	if p.Profile != "" {
		pr, err := u.namedProfile(ctx, p.Profile, ps)
		if pr == nil && err == nil {
			pr, err = shippedTargetProfile(p.Profile)
		}
		if pr != nil && pr.Output == OutputTargets {
			return nil, &targetsFile{pr}
		}
		if err != nil || pr != nil {
			return pr, err
		}
		return nil, unknownProfile(p.Profile, ps)
	}
	pr, err := DetectProfile(path, format, ps, u.limits)
	if pr != nil && pr.Output == OutputTargets {
		// The stored profiles include the targets profiles.
		return nil, &targetsFile{pr}
	}
	if pr == nil && err == nil {
		if tps, terr := ShippedTargetProfiles(); terr == nil {
			if tp, _ := DetectProfile(path, format, tps, u.limits); tp != nil {
				return nil, &targetsFile{tp}
			}
		}
	}
	return pr, err
}

// stage reads the file, checks every row and writes it to stage.db. A
// file that cannot be read is a *FileError.
func (u *Uploader) stage(ctx context.Context, p *Pending, pr *Progress) error {
	rows, err := u.openRows(ctx, p, pr)
	if err != nil {
		return err
	}
	defer rows.Close()

	// The data version is read first: if anything changes while the
	// catalogue and the stored values are read, the preview carries the
	// older version and publishing it is refused. (On PostgreSQL the
	// version another instance has just written may not have reached
	// this one yet: ask the database, so that such a preview is not
	// refused for nothing.)
	u.store.Refresh(ctx)
	dv, err := u.store.DataVersion(ctx)
	if err != nil {
		return err
	}
	cat, err := u.store.Catalogue(ctx)
	if err != nil {
		return err
	}
	ck := newChecker(cat, rows.h.comma, u.now().Year())
	var mapper *profileMapper
	if rows.prof != nil {
		var ferr *FileError
		if mapper, ferr = newProfileMapper(rows.prof, rows.ps, ck, cat); ferr != nil {
			return ferr
		}
	}
	ck.readExisting(ctx, u.store)
	sink, err := u.stager.create(ctx, p.Key)
	if err != nil {
		return err
	}
	defer sink.close()
	st := &stageWriter{sink: sink}

	var c Counts
	put := func(r checkedRow) error {
		// The stored values a row is compared with are read as rows name
		// them; a failed read stops the check.
		if ck.loadErr != nil {
			return ck.loadErr
		}
		c.Total++
		c.count(r)
		return st.write(ctx, r)
	}
	for {
		line, fields, err := rows.src.Next()
		if err == io.EOF && rows.ps != nil {
			// a profile reading one sheet per indicator goes on to the next
			next, err := rows.nextSheet(ck, cat, mapper)
			if err != nil {
				return err
			}
			if next != nil {
				mapper = next
				continue
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if blankRow(fields) {
			continue
		}
		c.Lines++
		if c.Lines > u.limits.MaxRows || c.Total > u.limits.MaxRows {
			return fileErr("too_many_rows", fileTooManyRows.With(u.limits.MaxRows), fileHintSplit.With())
		}
		if mapper != nil {
			err = mapper.mapRow(line, fields, put)
		} else {
			err = put(ck.row(line, rows.h, fields))
		}
		if err != nil {
			return err
		}
		if c.Lines%4096 == 0 {
			pr.Rows.Store(int64(c.Lines))
			pr.BytesRead.Store(rows.progress())
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	if mapper != nil {
		p.Skips = mapper.finish()
		c.Skipped = p.Skips.Total()
	}
	if c.Total == 0 && c.Skipped == 0 && (p.Skips == nil || p.Skips.NoValue == 0) {
		return fileErr("no_rows", fileNoRows.With(), fileHintNoRows.With())
	}
	pr.Phase.Store("indexing")
	if err := sink.commit(ctx); err != nil {
		return err
	}
	p.Counts, p.DataVersion = c, dv
	for _, ns := range ck.newSources {
		p.NewSources = append(p.NewSources, ns)
	}
	sort.Slice(p.NewSources, func(i, j int) bool { return p.NewSources[i].Line < p.NewSources[j].Line })
	return nil
}

// fileRows are the data rows of an upload's file, after its header.
type fileRows struct {
	src  rowSource
	h    header
	xs   *xlsxSource // a workbook, whose progress is counted in rows
	read int64       // bytes of a CSV file read so far
	// A publisher's file read with an import profile.
	prof *Profile
	ps   *profileSource
}

// Close closes the file.
func (fr *fileRows) Close() error {
	if fr.ps != nil {
		return fr.ps.Close()
	}
	return fr.src.Close()
}

// nextSheet moves a profile reading several sheets to the next one,
// with a mapper for its header that keeps what the last one counted;
// nil when there is none.
func (fr *fileRows) nextSheet(ck *checker, cat *metrics.Catalogue, last *profileMapper) (*profileMapper, error) {
	more, ferr, err := fr.ps.NextSheet()
	if err != nil {
		return nil, err
	}
	if ferr != nil {
		return nil, ferr
	}
	if !more {
		return nil, nil
	}
	if missing, _ := fr.prof.matches(fr.ps.header); len(missing) > 0 {
		return nil, fileErr("profile_mismatch", fileProfileMismatchSheet.With(fr.ps.sheet, fr.prof.Name, strings.Join(limitList(missing, 8), ", ")), fileHintProfileUpload.With())
	}
	next, ferr := newProfileMapper(fr.prof, fr.ps, ck, cat)
	if ferr != nil {
		return nil, ferr
	}
	next.carry(last)
	fr.src, fr.xs = fr.ps.src, fr.ps.xs
	return next, nil
}

// progress is how far the reading is: bytes of a CSV file, rows of a
// workbook.
func (fr *fileRows) progress() int64 {
	if fr.xs != nil {
		return int64(fr.xs.row)
	}
	return fr.read
}

// openRows recognises the upload's file, checks it as a whole and opens
// its rows: the read step.
func (u *Uploader) openRows(ctx context.Context, p *Pending, pr *Progress) (*fileRows, error) {
	orig, err := u.original(ctx, p.Key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(orig)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	f.Close()
	format, err := sniff(head[:n], p.FileName)
	if err != nil {
		return nil, err
	}
	p.Format = format
	fr := &fileRows{}
	if format == "csv" {
		if _, err := scanCSV(orig, u.limits); err != nil {
			return nil, err
		}
	}
	// A publisher's file: read with the profile asked for, or the one
	// whose header signature it matches.
	prof, err := u.pickProfile(ctx, p, orig, format)
	if err != nil {
		return nil, err
	}
	if prof != nil {
		ps, ferr, err := openForProfile(orig, format, prof, u.limits, &fr.read)
		if err != nil {
			return nil, err
		}
		if ferr != nil {
			return nil, ferr
		}
		if missing, unwanted := prof.matches(ps.header); len(missing) > 0 || len(unwanted) > 0 {
			ps.Close()
			if len(missing) > 0 {
				return nil, fileErr("profile_mismatch", fileProfileMismatch.With(prof.Name, strings.Join(limitList(missing, 8), ", ")), fileHintProfileUpload.With())
			}
			return nil, fileErr("profile_mismatch", fileProfileMismatchRelease.With(prof.Name, strings.Join(unwanted, ", ")), fileHintProfileUpload.With())
		}
		fr.prof, fr.ps, fr.src, fr.xs, fr.h.comma = prof, ps, ps.src, ps.xs, ','
		if ps.totalRows > 0 {
			pr.Total.Store(int64(ps.totalRows))
		}
		p.ReadAs = &ReadAs{Profile: prof.Name, Title: prof.Title, Version: prof.Version, Detected: p.Profile == "", Sheet: ps.Sheets(), OtherSheets: ps.sheets}
		return fr, nil
	}
	if format == "xlsx" {
		if fr.xs, fr.h, err = openXLSX(orig, u.limits); err != nil {
			return nil, err
		}
		fr.src = fr.xs
		if fr.xs.totalRows > 0 {
			pr.Total.Store(int64(fr.xs.totalRows))
		}
		return fr, nil
	}
	cs, h, err := openCSV(orig, &fr.read)
	if err != nil {
		return nil, err
	}
	fr.src, fr.h = cs, h
	return fr, nil
}

func blankRow(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// count adds a checked row to the counts.
func (c *Counts) count(r checkedRow) {
	switch r.Status {
	case RowNew:
		c.New++
	case RowChanged:
		c.Changed++
	case RowUnchanged:
		c.Unchanged++
	case RowRejected:
		c.Rejected++
	}
	if r.Warn {
		c.Warned++
	}
}

// stageWriter writes checked rows to an upload's stage: the stage
// step. Nothing is kept unless the sink commits.
type stageWriter struct {
	sink stageSink
	seq  int // numbers the rows publishing writes
}

// fileSink writes the stage to an upload's stage.db.
type fileSink struct {
	db          *sqlx.DB
	tx          *sqlx.Tx
	ins         *batchInsert
	insReplaced *sqlx.Stmt
}

func createStage(ctx context.Context, path string) (_ *fileSink, err error) {
	os.Remove(path)
	// The staged rows are unpublished data: readable by the owner only
	// (SQLite would create the file as 0644).
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
		f.Close()
	}
	st := &fileSink{}
	defer func() {
		if err != nil {
			st.close()
		}
	}()
	if st.db, err = openStage(path, true); err != nil {
		return nil, err
	}
	if _, err := st.db.ExecContext(ctx, stageSchema); err != nil {
		return nil, err
	}
	if st.tx, err = st.db.BeginTxx(ctx, nil); err != nil {
		return nil, err
	}
	st.ins = &batchInsert{tx: st.tx, head: `INSERT INTO rows (` + strings.Join(stageColumns, ", ") + `) VALUES `, cols: len(stageColumns), rows: 50}
	if st.insReplaced, err = st.tx.PreparexContext(ctx, `INSERT INTO replaced (seq, old_id) VALUES (?, ?)`); err != nil {
		return nil, err
	}
	return st, nil
}

// jsonList is a list as the staging table keeps it: JSON, or empty when
// the list is.
func jsonList[T any](xs []T) (string, error) {
	if len(xs) == 0 {
		return "", nil
	}
	b, err := json.Marshal(xs)
	return string(b), err
}

// listColumn is a list read back from the staging table, where jsonList
// wrote it. A column that does not hold such a list fails the read
// rather than showing the row without its problems or changes.
type listColumn[T any] []T

// Scan implements sql.Scanner.
func (l *listColumn[T]) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("a staged list is text, not %T", src)
	}
	*l = nil
	if len(b) == 0 {
		return nil
	}
	return json.Unmarshal(b, (*[]T)(l))
}

// write stages one checked row; a missing id or value is NULL.
func (st *stageWriter) write(ctx context.Context, r checkedRow) error {
	probs, err := jsonList(r.Problems)
	if err != nil {
		return err
	}
	changes, err := jsonList(r.Changes)
	if err != nil {
		return err
	}
	var sq, val, old any
	if r.Status == RowNew || r.Status == RowChanged {
		st.seq++
		sq = st.seq
		for _, id := range r.OldIDList {
			if err := st.sink.replaced(ctx, st.seq, id); err != nil {
				return err
			}
		}
	}
	if r.Status != RowRejected {
		val = r.Value
	}
	if r.OldValue != nil {
		old = *r.OldValue
	}
	return st.sink.row(ctx, []any{r.Line, clip(r.Column), changes, r.Status, r.Warn, nullZero(r.AreaID), nullZero(r.IndicatorID), nullZero(int64(r.Year)), val,
		clip(r.ValueAsGiven), clip(r.UnitAsGiven), nullZero(r.SourceID), r.NewSource, r.Flags, r.Note, r.OldIDs, old,
		r.City, r.Indicator, r.Source, probs, sq})
}

func (st *fileSink) row(ctx context.Context, values []any) error { return st.ins.add(ctx, values...) }

func (st *fileSink) replaced(ctx context.Context, seq int, oldID int64) error {
	_, err := st.insReplaced.ExecContext(ctx, seq, oldID)
	return err
}

// nullZero is NULL for 0, the id or year a row does not have.
func nullZero(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// commit writes what is left, indexes the rows and commits.
func (st *fileSink) commit(ctx context.Context) error {
	if err := st.ins.flush(ctx); err != nil {
		return err
	}
	if _, err := st.tx.ExecContext(ctx, `CREATE INDEX rows_status ON rows (status, line)`); err != nil {
		return err
	}
	return st.tx.Commit()
}

func (st *fileSink) close() {
	if st.ins != nil {
		st.ins.close()
	}
	if st.insReplaced != nil {
		st.insReplaced.Close()
	}
	if st.tx != nil {
		_ = st.tx.Rollback() // a no-op after commit
	}
	if st.db != nil {
		st.db.Close()
	}
}

// batchInsert writes rows with one statement per batch of many rows:
// the per-statement cost of the driver, not SQLite, dominates a
// million single-row inserts.
type batchInsert struct {
	tx         *sqlx.Tx
	head       string
	cols, rows int
	stmt       *sqlx.Stmt
	args       []any
}

func (b *batchInsert) values(n int) string {
	one := "(" + strings.Repeat("?, ", b.cols-1) + "?)"
	return b.head + strings.Repeat(one+", ", n-1) + one
}

func (b *batchInsert) add(ctx context.Context, args ...any) error {
	b.args = append(b.args, args...)
	if len(b.args) < b.cols*b.rows {
		return nil
	}
	if b.stmt == nil {
		st, err := b.tx.PreparexContext(ctx, b.values(b.rows))
		if err != nil {
			return err
		}
		b.stmt = st
	}
	_, err := b.stmt.ExecContext(ctx, b.args...)
	b.args = b.args[:0]
	return err
}

func (b *batchInsert) flush(ctx context.Context) error {
	if len(b.args) == 0 {
		return nil
	}
	_, err := b.tx.ExecContext(ctx, b.values(len(b.args)/b.cols), b.args...)
	b.args = b.args[:0]
	return err
}

func (b *batchInsert) close() {
	if b.stmt != nil {
		b.stmt.Close()
	}
}

// PreviewRow is one row of the preview.
type PreviewRow struct {
	Line         int                     `db:"line" json:"line"`
	Column       string                  `db:"col" json:"column,omitempty"`
	Changes      listColumn[FieldChange] `db:"changes" json:"changes,omitempty"`
	Status       string                  `db:"status" json:"status"`
	Warn         bool                    `db:"warn" json:"warning"`
	AreaID       sql.NullInt64           `db:"area_id" json:"-"`
	IndicatorID  sql.NullInt64           `db:"indicator_id" json:"-"`
	Year         sql.NullInt64           `db:"year" json:"-"`
	Value        sql.NullFloat64         `db:"value" json:"-"`
	ValueAsGiven string                  `db:"value_as_given" json:"value_as_given"`
	UnitAsGiven  string                  `db:"unit_as_given" json:"unit_as_given"`
	SourceID     sql.NullInt64           `db:"source_id" json:"-"`
	NewSource    string                  `db:"new_source" json:"new_source,omitempty"`
	Flags        string                  `db:"flags" json:"flags,omitempty"`
	Note         string                  `db:"note" json:"note,omitempty"`
	OldIDs       string                  `db:"old_ids" json:"-"`
	OldValue     sql.NullFloat64         `db:"old_value" json:"-"`
	City         string                  `db:"city" json:"city"`
	Indicator    string                  `db:"indicator" json:"indicator"`
	Source       string                  `db:"source" json:"source"`
	Problems     listColumn[Problem]     `db:"problems" json:"problems,omitempty"`

	// Filled for display from the catalogue.
	AreaName      string   `db:"-" json:"city_matched,omitempty"`
	IndicatorCode string   `db:"-" json:"indicator_code,omitempty"`
	Unit          string   `db:"-" json:"unit,omitempty"`
	SourceCode    string   `db:"-" json:"source_code,omitempty"`
	YearInt       int      `db:"-" json:"year,omitempty"`
	NewValue      *float64 `db:"-" json:"value,omitempty"`
	Old           *float64 `db:"-" json:"old_value,omitempty"`
}

// Statuses lists the row statuses a preview can be filtered by.
var Statuses = []string{RowNew, RowChanged, RowUnchanged, RowRejected}

// Rows pages through a preview, rejected rows first when status is "".
func (u *Uploader) Rows(ctx context.Context, key, status string, warnOnly bool, offset, limit int) ([]PreviewRow, int, error) {
	p, err := u.Pending(key)
	if err != nil {
		return nil, 0, err
	}
	if p.State != StateReady || p.Targets != nil {
		// a targets file has no value rows: its preview is p.Targets
		return nil, 0, nil
	}
	where, args := "1 = 1", []any{}
	if status != "" {
		where, args = "r.status = ?", append(args, status)
	}
	if warnOnly {
		where += " AND r.warn"
	}
	var total int
	var rows []PreviewRow
	err = u.stager.read(ctx, key, func(q sqlx.QueryerContext, t stageTables) error {
		if err := sqlx.GetContext(ctx, q, &total, "SELECT COUNT(*) FROM "+t.rows+" r WHERE "+where, args...); err != nil {
			return err
		}
		return sqlx.SelectContext(ctx, q, &rows, `SELECT r.line, r.col, r.changes, r.status, r.warn, r.area_id, r.indicator_id, r.year, r.value, r.value_as_given, r.unit_as_given,
		r.source_id, r.new_source, r.flags, r.note, r.old_ids, r.old_value, r.city, r.indicator, r.source, r.problems
		FROM `+t.rows+` r WHERE `+where+` ORDER BY r.line, r.id LIMIT ? OFFSET ?`, append(args, limit, offset)...)
	})
	if err != nil {
		return nil, 0, err
	}
	cat, err := u.store.Catalogue(ctx)
	if err != nil {
		return nil, 0, err
	}
	for i := range rows {
		r := &rows[i]
		if a := cat.AreaByID(r.AreaID.Int64); a != nil && r.AreaID.Valid {
			r.AreaName = a.Name
		}
		if ind := cat.IndicatorByID(r.IndicatorID.Int64); ind != nil && r.IndicatorID.Valid {
			r.IndicatorCode, r.Unit = ind.Code, metrics.UnitLabel(ind.Unit)
		}
		if s := cat.Source(r.SourceID.Int64); s != nil && r.SourceID.Valid {
			r.SourceCode = s.Code
		} else if r.NewSource != "" {
			r.SourceCode = r.NewSource
		}
		r.YearInt = int(r.Year.Int64)
		r.NewValue, r.Old = metrics.FloatOrNil(r.Value), metrics.FloatOrNil(r.OldValue)
	}
	return rows, total, nil
}
