package ingest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/ingest"
	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// goodFile is an upload of test values (in a temporary database, not
// figures about the cities) in years the seed has none of.
func goodFile(rows int, seed int) []byte {
	var b strings.Builder
	b.WriteString("city,indicator,year,value,unit,source\n")
	cities := []string{"TP.HCM", "Hà Nội", "Milan", "Košice"}
	for i := range rows {
		fmt.Fprintf(&b, "%s,pm25_annual_mean,%d,%d.%d,ug/m3,who_aaq_2022_v2022\n", cities[i/100%4], 1900+i%100, 10+seed, i)
	}
	return []byte(b.String())
}

func staff(t *testing.T, app *testapp.App, email, role string) metrics.User {
	t.Helper()
	u, err := app.Store.AddUser(context.Background(), email, role, "a long enough password", testapp.Fixed)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func receive(t *testing.T, up *ingest.Uploader, u metrics.User, b []byte) *ingest.Pending {
	t.Helper()
	p, err := up.Receive(context.Background(), bytes.NewReader(b), "f.csv", u)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPublishedUploadStaysPublished: the attack's "Check again" on a
// published upload marked it failed, and "Discard" then deleted its
// original. Both are refused now; the upload stays published with its
// original file.
func TestPublishedUploadStaysPublished(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	ed := staff(t, app, "editor@example.org", metrics.RoleEditor)
	p := receive(t, app.Uploads, ed, goodFile(3, 0))
	if _, err := app.Uploads.Check(ctx, p.Key); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Uploads.Publish(ctx, p.Key, ed, ingest.PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := app.Uploads.Recheck(p.Key, ed); !errors.Is(err, ingest.ErrState) {
		t.Errorf("check again of a published upload: %v, want refused", err)
	}
	if _, err := app.Uploads.Check(ctx, p.Key); !errors.Is(err, ingest.ErrState) {
		t.Errorf("a check of a published upload: %v, want refused", err)
	}
	app.Uploads.Wait()
	if err := app.Uploads.Discard(p.Key, ed); !errors.Is(err, ingest.ErrState) || !strings.Contains(err.Error(), "roll it back") {
		t.Errorf("discard of a published upload: %v, want refused", err)
	}
	got, err := app.Uploads.Pending(p.Key)
	if err != nil || got.State != ingest.StatePublished {
		t.Fatalf("after check and discard the upload is %v (%v), want published", got.State, err)
	}
	if _, err := os.Stat(filepath.Join(app.Dir, "uploads", p.Key, "original")); err != nil {
		t.Errorf("the published upload's original file: %v", err)
	}
}

// TestRecheckRacingPublish: "Check again" sent while the upload is
// being published (the attack saw a published upload shown as ready
// again). Whatever the order, the upload ends published exactly when
// the database holds it, and a check never overwrites that.
func TestRecheckRacingPublish(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	ed := staff(t, app, "editor@example.org", metrics.RoleEditor)
	outcomes := map[string]int{}
	for round := range 8 {
		p := receive(t, app.Uploads, ed, goodFile(400, round))
		if _, err := app.Uploads.Check(ctx, p.Key); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		var pubErr, checkErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, pubErr = app.Uploads.Publish(ctx, p.Key, ed, ingest.PublishOptions{})
		}()
		go func() {
			defer wg.Done()
			if round%2 == 1 {
				time.Sleep(time.Duration(round) * time.Millisecond)
			}
			checkErr = app.Uploads.Recheck(p.Key, ed)
		}()
		wg.Wait()
		app.Uploads.Wait()
		got, err := app.Uploads.Pending(p.Key)
		if err != nil {
			t.Fatal(err)
		}
		_, dbErr := app.Store.UploadByKey(ctx, p.Key)
		inDB := dbErr == nil
		if inDB != (got.State == ingest.StatePublished) {
			t.Fatalf("round %d: the upload is %q but the database holds it: %v (publish: %v, check: %v)", round, got.State, inDB, pubErr, checkErr)
		}
		if pubErr == nil && !inDB {
			t.Fatalf("round %d: publish answered success but the database lacks it", round)
		}
		outcomes[fmt.Sprintf("publish ok=%v, check ok=%v", pubErr == nil, checkErr == nil)]++
		if got.State != ingest.StatePublished {
			// The check went first: publish it now, as staff would.
			if _, err := app.Uploads.Publish(ctx, p.Key, ed, ingest.PublishOptions{}); err != nil {
				t.Fatalf("round %d: publish after the check: %v", round, err)
			}
		}
	}
	t.Logf("outcomes over 8 races: %v", outcomes)
}

// TestUploadActorsRecorded: the editor who uploads, the admin who
// publishes and the editor who discards are each recorded, in the
// upload's record, the history and the log of events.
func TestUploadActorsRecorded(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	ed := staff(t, app, "editor@example.org", metrics.RoleEditor)
	other := staff(t, app, "other@example.org", metrics.RoleEditor)
	admin := staff(t, app, "admin@example.org", metrics.RoleAdmin)

	p := receive(t, app.Uploads, ed, goodFile(3, 1))
	if _, err := app.Uploads.Check(ctx, p.Key); err != nil {
		t.Fatal(err)
	}
	id, err := app.Uploads.Publish(ctx, p.Key, admin, ingest.PublishOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if staged(t, app, p.Key) {
		t.Error("the published upload's staged rows are kept")
	}
	rec, err := app.Store.Upload(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rec.UploadedBy != ed.Email || rec.PublishedBy != admin.Email {
		t.Errorf("upload #%d: uploaded by %q, published by %q; want %s and %s", id, rec.UploadedBy, rec.PublishedBy, ed.Email, admin.Email)
	}

	d := receive(t, app.Uploads, ed, goodFile(3, 2))
	if _, err := app.Uploads.Check(ctx, d.Key); err != nil {
		t.Fatal(err)
	}
	if !staged(t, app, d.Key) {
		t.Fatal("the checked upload has no staged rows")
	}
	if err := app.Uploads.Discard(d.Key, other); err != nil {
		t.Fatal(err)
	}
	if staged(t, app, d.Key) {
		t.Error("the discarded upload's staged rows are kept")
	}
	got, _ := app.Uploads.Pending(d.Key)
	if got.State != ingest.StateDiscarded || got.DiscardedBy != other.Email || got.UserEmail != ed.Email {
		t.Errorf("discarded upload: %+v", got)
	}
	if _, err := os.Stat(filepath.Join(app.Dir, "uploads", d.Key, "original")); !os.IsNotExist(err) {
		t.Errorf("the discarded upload's file is kept: %v", err)
	}
	evs, err := app.Store.UploadEvents(ctx, d.Key)
	if err != nil {
		t.Fatal(err)
	}
	var trail []string
	for _, e := range evs {
		trail = append(trail, e.Action+" by "+e.By)
	}
	if want := "received by editor@example.org, checked by editor@example.org, discarded by other@example.org"; strings.Join(trail, ", ") != want {
		t.Errorf("events: %s\nwant %s", strings.Join(trail, ", "), want)
	}
	evs, _ = app.Store.UploadEvents(ctx, p.Key)
	if last := evs[len(evs)-1]; last.Action != "published" || last.By != admin.Email {
		t.Errorf("last event of the published upload: %+v", last)
	}
	if err := app.Uploads.Discard(d.Key, ed); !errors.Is(err, ingest.ErrState) {
		t.Errorf("a second discard: %v", err)
	}
}

// staged reports whether an upload has staged rows: its stage.db on
// SQLite, rows in the staging table on PostgreSQL.
func staged(t *testing.T, app *testapp.App, key string) bool {
	t.Helper()
	if app.DB.Dialect == metrics.Postgres {
		var n int
		if err := app.DB.R.Get(&n, `SELECT COUNT(*) FROM upload_stage_rows WHERE upload_key = ?`, key); err != nil {
			t.Fatal(err)
		}
		return n > 0
	}
	_, err := os.Stat(filepath.Join(app.Dir, "uploads", key, "stage.db"))
	return err == nil
}

// TestPruneExpiredUploads: refused, unpublished and discarded uploads
// untouched for the retention period are removed (the attack left
// 495 MB of them); recent ones and published ones (their original is
// history) stay; each removal is recorded.
func TestPruneExpiredUploads(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	ed := staff(t, app, "editor@example.org", metrics.RoleEditor)
	now := testapp.Fixed
	clock := func() time.Time { return now }
	dir := filepath.Join(app.Dir, "prune-uploads")
	up, err := ingest.NewUploader(app.Store, dir, ingest.DefaultLimits, clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(up.Wait)
	refused := receive(t, up, ed, []byte("not,a,template\n1,2,3\n"))
	up.Check(ctx, refused.Key)
	ready := receive(t, up, ed, goodFile(3, 3))
	up.Check(ctx, ready.Key)
	published := receive(t, up, ed, goodFile(3, 4))
	up.Check(ctx, published.Key)
	if _, err := up.Publish(ctx, published.Key, ed, ingest.PublishOptions{}); err != nil {
		t.Fatal(err)
	}
	discarded := receive(t, up, ed, goodFile(3, 5))
	if err := up.Discard(discarded.Key, ed); err != nil {
		t.Fatal(err)
	}
	os.Mkdir(filepath.Join(dir, strings.Repeat("ab", 16)), 0o700) // a crash's leftover
	os.Chtimes(filepath.Join(dir, strings.Repeat("ab", 16)), now, now)

	now = now.Add(6 * 24 * time.Hour)
	recent := receive(t, up, ed, goodFile(3, 6))
	if res, err := up.Prune(ctx, 7*24*time.Hour); err != nil || res.Removed != 0 {
		t.Fatalf("prune after 6 days: %+v %v, want nothing removed", res, err)
	}
	now = now.Add(2 * 24 * time.Hour)
	res, err := up.Prune(ctx, 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if res.Removed != 4 {
		t.Errorf("prune after 8 days removed %d uploads, want 4 (refused, ready, discarded, leftover)", res.Removed)
	}
	for key, want := range map[string]bool{refused.Key: false, ready.Key: false, discarded.Key: false, published.Key: true, recent.Key: true} {
		_, err := os.Stat(filepath.Join(dir, key))
		if kept := err == nil; kept != want {
			t.Errorf("upload %s kept: %v, want %v", key, kept, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, published.Key, "original")); err != nil {
		t.Errorf("the published upload lost its original: %v", err)
	}
	evs, _ := app.Store.UploadEvents(ctx, ready.Key)
	if len(evs) == 0 || evs[len(evs)-1].Action != "expired" {
		t.Errorf("the expired upload's events: %+v", evs)
	}
}

// TestUploadQuota: an editor's pending uploads may number
// QuotaUploads; another is refused until one is discarded or
// published, and other editors are not held up.
func TestUploadQuota(t *testing.T) {
	lim := ingest.DefaultLimits
	lim.QuotaUploads = 2
	app := testapp.New(t, testapp.Options{Limits: lim})
	ctx := context.Background()
	ed := staff(t, app, "editor@example.org", metrics.RoleEditor)
	other := staff(t, app, "other@example.org", metrics.RoleEditor)
	first := receive(t, app.Uploads, ed, goodFile(3, 7))
	receive(t, app.Uploads, ed, goodFile(3, 8))
	_, err := app.Uploads.Receive(ctx, bytes.NewReader(goodFile(3, 9)), "f.csv", ed)
	var fe *ingest.FileError
	if !errors.As(err, &fe) || fe.Code != "quota" || !strings.Contains(fe.Error(), "2 pending uploads") {
		t.Fatalf("a third pending upload: %v, want refused by the quota", err)
	}
	receive(t, app.Uploads, other, goodFile(3, 9))
	if err := app.Uploads.Discard(first.Key, ed); err != nil {
		t.Fatal(err)
	}
	receive(t, app.Uploads, ed, goodFile(3, 9))

	lim.QuotaUploads, lim.QuotaBytes = 0, 1000
	app = testapp.New(t, testapp.Options{Limits: lim})
	ed = staff(t, app, "editor@example.org", metrics.RoleEditor)
	receive(t, app.Uploads, ed, goodFile(100, 1))
	if _, err := app.Uploads.Receive(ctx, bytes.NewReader(goodFile(3, 2)), "f.csv", ed); !errors.As(err, &fe) || fe.Code != "quota" {
		t.Errorf("an upload over the byte quota: %v", err)
	}
}

// TestRestartDuringPublish: an upload left "publishing" by a crash is
// ready again after a restart when the database lacks it.
func TestRestartDuringPublish(t *testing.T) {
	app := testapp.New(t, testapp.Options{})
	ctx := context.Background()
	ed := staff(t, app, "editor@example.org", metrics.RoleEditor)
	p := receive(t, app.Uploads, ed, goodFile(3, 10))
	if _, err := app.Uploads.Check(ctx, p.Key); err != nil {
		t.Fatal(err)
	}
	if app.DB.Dialect == metrics.Postgres {
		// The record is in the database; the publish's heartbeat stopped.
		if _, err := app.DB.W.Exec(`UPDATE pending_uploads SET record = replace(record, '"state":"ready"', '"state":"publishing"'), heartbeat_at = NULL WHERE key = ?`, p.Key); err != nil {
			t.Fatal(err)
		}
	} else {
		path := filepath.Join(app.Dir, "uploads", p.Key, "upload.json")
		b, _ := os.ReadFile(path)
		os.WriteFile(path, bytes.Replace(b, []byte(`"state": "ready"`), []byte(`"state": "publishing"`), 1), 0o600)
	}
	if got, _ := app.Uploads.Pending(p.Key); got.State != ingest.StatePublishing {
		t.Fatalf("could not simulate the crash: %q", got.State)
	}
	up, err := ingest.NewUploader(app.Store, filepath.Join(app.Dir, "uploads"), ingest.DefaultLimits, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := up.Pending(p.Key); got.State != ingest.StateReady {
		t.Errorf("after the restart the upload is %q, want ready", got.State)
	}
}
