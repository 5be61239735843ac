package ingest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/twinmetrics/twinmetrics/metrics"
)

// The life of a pending upload, and who may move it on.
//
//	received ──check──▶ validating ──▶ ready ──publish──▶ publishing ──▶ published
//	                        │             │                   │
//	                        ▼             │                   └─(refused or failed)─▶ ready
//	                      failed          │
//	received, ready, failed ──discard──▶ discarded
//	ready, failed ──check again──▶ validating
//
// Every move is made under one lock, reading the state from disk and
// writing the new one before the work it starts: a check never runs
// during a publish, a published upload is neither checked again nor
// discarded, and a check that ends writes its result only if the
// upload is still the one it started on (its check token).
//
// Pending uploads are shared by the staff: any editor or admin may
// check again, publish or discard any pending upload, as a colleague
// may finish another's work. Each action is recorded with who did it,
// in the upload's upload.json, in the database's upload_events (which
// outlive the upload's folder) and in the log; the history of a
// published upload names the uploader and the publisher apart.

// StatePublishing is an upload being written into the data.
const StatePublishing = "publishing"

// allowedFrom lists the states each action may start from.
var allowedFrom = map[string][]string{
	"check":   {StateReceived, StateReady, StateFailed},
	"publish": {StateReady},
	"discard": {StateReceived, StateReady, StateFailed},
}

// ErrState is beneath every refusal of an action the upload's state
// does not allow (a *locale.Error that says which).
var ErrState = errors.New("the upload's state does not allow this")

// stateErr refuses action on an upload in state.
func stateErr(action, state string) error {
	switch {
	case state == StatePublished && action == "discard":
		return errDiscardPublished.Wrap(ErrState)
	case state == StatePublished:
		return errCheckPublished.Wrap(ErrState)
	case state == StateValidating:
		return errDiscardChecking.Wrap(ErrState)
	case state == StatePublishing:
		return errPublishing.Wrap(ErrState)
	case state == StateDiscarded:
		return errDiscarded.Wrap(ErrState)
	}
	return errStateOther.Wrap(ErrState, StateName(state))
}

// Event is one action on an upload, as upload.json keeps it.
type Event struct {
	Action string `json:"action"`
	By     string `json:"by"`
	At     string `json:"at"`
}

// SetLogger makes the uploader log every action on an upload.
func (u *Uploader) SetLogger(l *slog.Logger) { u.log = l }

// record notes an action (the caller holds the state lock when p is saved
// afterwards) in p, the database and the log.
func (u *Uploader) record(p *Pending, action, by, detail string) {
	at := metrics.Timestamp(u.now())
	p.Events = append(p.Events, Event{Action: action, By: by, At: at})
	// The record outlives the folder; failing to write it must not undo
	// the action, which is logged in any case.
	err := u.store.RecordUploadEvent(context.Background(), metrics.UploadEvent{Key: p.Key, Action: action, By: by, At: at, FileName: p.FileName, Detail: detail})
	if u.log != nil {
		u.log.Info("upload "+action, "upload", p.Key, "file", p.FileName, "by", by, "detail", detail)
		if err != nil {
			u.log.Error("record upload event", "upload", p.Key, "action", action, "err", err)
		}
	}
}

// move changes an upload's state for an action, if its current state
// allows it, and saves it with what edit sets.
func (u *Uploader) move(key, action, to string, edit func(p *Pending)) (*Pending, error) {
	unlock, err := u.lockState(key)
	if err != nil {
		return nil, err
	}
	defer unlock()
	p, err := u.Pending(key)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(allowedFrom[action], p.State) {
		return p, stateErr(action, p.State)
	}
	p.State = to
	if edit != nil {
		edit(p)
	}
	return p, u.save(p)
}

// settle saves what a piece of work found, if the upload is still in
// the state the work put it in (with the same check token): a result
// never overwrites a later state.
func (u *Uploader) settle(key, in, token string, edit func(p *Pending)) (*Pending, bool, error) {
	unlock, err := u.lockState(key)
	if err != nil {
		return nil, false, err
	}
	defer unlock()
	p, err := u.Pending(key)
	if err != nil {
		return nil, false, err
	}
	if p.State != in || p.CheckToken != token {
		return p, false, nil
	}
	edit(p)
	return p, true, u.save(p)
}

// lockState takes the lock of an upload's state (records.go).
func (u *Uploader) lockState(key string) (func(), error) {
	if !ValidKey(key) {
		return nil, fmt.Errorf("upload %q: %w", key, metrics.ErrNotFound)
	}
	return u.recs.lock(context.Background(), key)
}

func newToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Recheck checks a pending upload again, in the background, for user.
func (u *Uploader) Recheck(key string, user metrics.User) error {
	p, err := u.Pending(key)
	if err != nil {
		return err
	}
	if !slices.Contains(allowedFrom["check"], p.State) {
		return stateErr("check", p.State)
	}
	u.checkAsync(key, user.Email)
	return nil
}

// Discard drops a pending upload for user: its file and staged rows are
// removed; its upload.json stays as the record (until it expires).
func (u *Uploader) Discard(key string, user metrics.User) error {
	p, err := u.move(key, "discard", StateDiscarded, func(p *Pending) {
		p.DiscardedBy, p.DiscardedAt = user.Email, metrics.Timestamp(u.now())
		u.record(p, "discarded", user.Email, "")
	})
	if err != nil {
		return err
	}
	if err := os.Remove(u.path(p.Key, "original")); err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := u.recs.dropOriginal(context.Background(), p.Key); err != nil {
		return err
	}
	return u.stager.remove(context.Background(), p.Key)
}

// PruneResult says what Prune removed.
type PruneResult struct {
	Removed int
	Bytes   int64
}

// Prune removes pending uploads nobody has touched for retention:
// received, failed, ready and discarded ones (their folders, with the
// original file and the staged rows), and folders a crash left without
// a record. Published uploads keep their original file as part of the
// history; uploads being checked or published are left alone. Each
// removal is recorded as an "expired" event.
func (u *Uploader) Prune(ctx context.Context, retention time.Duration) (PruneResult, error) {
	var res PruneResult
	cutoff := u.now().Add(-retention)
	// The folders here, and on PostgreSQL the uploads of every instance
	// (whose folders may be elsewhere, or gone with their instance).
	local, err := (&fileRecords{dir: u.dir}).keys(ctx)
	if err != nil {
		return res, err
	}
	shared, err := u.recs.keys(ctx)
	if err != nil {
		return res, err
	}
	for _, key := range slices.Compact(slices.Sorted(slices.Values(append(local, shared...)))) {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		dir := filepath.Join(u.dir, key)
		unlock, err := u.lockState(key)
		if err != nil {
			return res, err
		}
		p, err := u.Pending(key)
		var last time.Time
		switch {
		case err != nil:
			// No readable record (a crash while receiving): its age is
			// its folder's.
			if fi, ferr := os.Stat(dir); ferr == nil {
				last = fi.ModTime()
			}
		case p.State == StateReceived || p.State == StateReady || p.State == StateFailed || p.State == StateDiscarded:
			last = p.lastActivity()
		}
		if last.IsZero() || !last.Before(cutoff) {
			unlock()
			continue
		}
		size := dirSize(dir)
		if p != nil {
			u.record(p, "expired", "twinmetrics", fmt.Sprintf("untouched since %s", metrics.Timestamp(last)))
		}
		err = os.RemoveAll(dir)
		if err == nil {
			err = u.stager.remove(ctx, key) // on PostgreSQL, rows outside the folder
		}
		if err == nil {
			err = u.recs.forget(ctx, key)
		}
		unlock()
		if err != nil {
			return res, err
		}
		res.Removed++
		res.Bytes += size
	}
	return res, nil
}

// lastActivity is when anything last happened to the upload.
func (p *Pending) lastActivity() time.Time {
	var last time.Time
	for _, s := range []string{p.CreatedAt, p.CheckedAt, p.DiscardedAt} {
		if t, err := time.Parse(time.RFC3339, s); err == nil && t.After(last) {
			last = t
		}
	}
	for _, ev := range p.Events {
		if t, err := time.Parse(time.RFC3339, ev.At); err == nil && t.After(last) {
			last = t
		}
	}
	return last
}

func dirSize(dir string) int64 {
	var n int64
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if fi, err := e.Info(); err == nil && !e.IsDir() {
			n += fi.Size()
		}
	}
	return n
}

// usage is how many pending uploads a user has and the bytes their
// folders take (the original files and the staged rows).
func (u *Uploader) usage(userID int64) (count int, bytes int64, err error) {
	keys, err := u.recs.keys(context.Background())
	if err != nil {
		return 0, 0, err
	}
	for _, key := range keys {
		p, err := u.Pending(key)
		if err != nil || p.UserID != userID {
			continue
		}
		switch p.State {
		case StateReceived, StateValidating, StateReady, StateFailed, StatePublishing:
			count++
			// Another instance's upload may have no folder here: its
			// original is what it takes.
			bytes += max(dirSize(filepath.Join(u.dir, key)), p.Size)
		}
	}
	return count, bytes, nil
}
