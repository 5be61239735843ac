package dashboard_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// Two instances of twinmetrics on one PostgreSQL database, as behind a
// load balancer without sticky sessions: they share nothing but the
// database. These tests are skipped without TWINMETRICS_TEST_PG.

// twoInstances serves two instances, with the admin, the editor and
// the editor's token in their shared database.
func twoInstances(t *testing.T, o testapp.Options) (a, b *staffApp) {
	t.Helper()
	apps := testapp.Instances(t, 2, o)
	a = staffOn(t, apps[0])
	srv := httptest.NewServer(apps[1].Handler)
	t.Cleanup(srv.Close)
	return a, &staffApp{App: apps[1], srv: srv, token: a.token}
}

// on is the same browser (its cookies, its CSRF token) talking to
// another instance.
func (c *client) on(b *staffApp) *client {
	d := *c
	d.base = b.srv.URL
	return &d
}

// seen waits until instance b has been told of instance a's data
// version: the notification of a's commit, not a sleep.
func seen(t *testing.T, a, b *staffApp) {
	t.Helper()
	v, err := a.Store.DataVersion(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := b.Store.WaitDataVersion(ctx, v); err != nil {
		t.Fatalf("instance B never heard of data version %d: %v", v, err)
	}
}

// together runs fs at the same moment and waits for them all.
func together(fs ...func()) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, f := range fs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			f()
		}()
	}
	close(start)
	wg.Wait()
}

// hanoiPM25 is the Hanoi cell of the PM2.5 row of the Hanoi–Milan page.
// A value published through A is on B's page at its next request after
// the notification, though B had the page in its cache; A shows it at
// once (its own write).
func TestInstancesPublishSeenByOther(t *testing.T) {
	// No poll: only the notification can tell B.
	defer func(p time.Duration) { metrics.VersionPoll = p }(metrics.VersionPoll)
	metrics.VersionPoll = time.Hour
	a, b := twoInstances(t, testapp.Options{})
	readerA, readerB := a.client(t), b.client(t)
	if v := hanoiPM25(t, readerB.get("/pairs/hanoi-milan").body); !strings.Contains(v, "52.09") {
		t.Fatalf("Hanoi's PM2.5 on B before: %q, want the seed's 52.09", v)
	}
	hanoiPM25(t, readerB.get("/pairs/hanoi-milan").body) // the page is in B's cache
	publishFixedOn(t, a)
	if v := hanoiPM25(t, readerA.get("/pairs/hanoi-milan").body); !strings.Contains(v, "52.5") {
		t.Errorf("Hanoi's PM2.5 on A right after its publish: %q, want 52.5", v)
	}
	seen(t, a, b)
	if v := hanoiPM25(t, readerB.get("/pairs/hanoi-milan").body); !strings.Contains(v, "52.5") {
		t.Errorf("Hanoi's PM2.5 on B after the notification: %q, want 52.5", v)
	}
}

// A publish on A and a sign-in on B at the same moment both succeed:
// the writer lock of a publish does not hold up sign-ins.
func TestInstancesPublishAndSignIn(t *testing.T) {
	a, b := twoInstances(t, testapp.Options{})
	c := a.client(t)
	c.login(editorEmail)
	key, _ := c.uploadPage(a, "hcmc-2025-fixed.csv", []byte(fixedFile))
	visitor := b.client(t)
	visitor.get("/login")
	var pub, signIn resp
	together(
		func() { pub = c.post("/admin/uploads/"+key+"/publish", nil) },
		func() {
			signIn = visitor.post("/login", url.Values{"email": {adminEmail}, "password": {password}, "next": {"/admin/uploads"}})
		})
	if pub.code != http.StatusSeeOther {
		t.Errorf("publish on A: %d %s", pub.code, text(pub.body))
	}
	if signIn.code != http.StatusSeeOther || signIn.loc != "/admin/uploads" {
		t.Errorf("sign-in on B meanwhile: %d %s %s", signIn.code, signIn.loc, text(signIn.body))
	}
	if r := visitor.get("/admin/uploads"); r.code != http.StatusOK {
		t.Errorf("the admin signed in on B is not let in: %d", r.code)
	}
}

// Two uploads checked against the same data and published at once,
// one through each instance: one is published, the other is refused
// because the data changed since its check, as in one process.
func TestInstancesConcurrentPublish(t *testing.T) {
	a, b := twoInstances(t, testapp.Options{})
	ca := a.client(t)
	ca.login(editorEmail)
	cb := b.client(t)
	cb.login(editorEmail)
	keyA, _ := ca.uploadPage(a, "hcmc-2025-fixed.csv", []byte(fixedFile))
	keyB, _ := cb.uploadPage(b, "kosice-2025.csv", []byte("city,indicator,year,value,unit,source\nKosice,pm25_annual_mean,2025,12.5,µg/m3,who_aaq_2022_v2022\n"))
	var ra, rb resp
	together(
		func() { ra = ca.post("/admin/uploads/"+keyA+"/publish", nil) },
		func() { rb = cb.post("/admin/uploads/"+keyB+"/publish", nil) })
	won, lost := ra, rb
	if rb.code == http.StatusSeeOther {
		won, lost = rb, ra
	}
	if won.code != http.StatusSeeOther {
		t.Fatalf("neither publish went through: A %d %s; B %d %s", ra.code, text(ra.body), rb.code, text(rb.body))
	}
	if lost.code == http.StatusSeeOther || !strings.Contains(text(lost.body), "The data changed since this file was checked") {
		t.Errorf("both publishes went through, or the second was refused for another reason: %d %s", lost.code, text(lost.body))
	}
	var uploads int
	if err := a.DB.R.Get(&uploads, `SELECT COUNT(*) FROM uploads WHERE kind = 'file' AND status = 'published'`); err != nil || uploads != 1 {
		t.Errorf("%d published uploads (%v), want 1", uploads, err)
	}
}

// An upload received and checked on A is shown on B, by the same
// browser (its session is in the database), and published from B.
func TestInstancesUploadCheckedOnAPublishedOnB(t *testing.T) {
	a, b := twoInstances(t, testapp.Options{})
	ca := a.client(t)
	ca.login(editorEmail)
	key, _ := ca.uploadPage(a, "hcmc-2025-fixed.csv", []byte(fixedFile))
	cb := ca.on(b)
	if r := cb.get("/admin/uploads"); r.code != http.StatusOK || !strings.Contains(r.body, key) {
		t.Fatalf("B's list of pending uploads lacks the one A received: %d\n%s", r.code, text(r.body))
	}
	r := cb.get("/admin/uploads/" + key)
	page := text(r.body)
	for _, w := range []string{"2 new", "1 changed", "0 rejected", "Ho Chi Minh City (TP.HCM)"} {
		if !strings.Contains(page, w) {
			t.Errorf("B's preview of A's upload lacks %q:\n%s", w, page)
		}
	}
	p, err := b.Uploads.ProgressOf(key)
	if err != nil || !p.Done || p.Rows != 3 {
		t.Errorf("B's progress of A's check: %+v %v, want done with 3 rows", p, err)
	}
	// B checks it again: the original A received comes from the
	// database, as B's spool folder has never seen it.
	if _, err := os.Stat(filepath.Join(b.Dir, "uploads", key, "original")); err == nil {
		t.Fatal("B's spool folder holds A's original before B needs it")
	}
	if r := cb.post("/admin/uploads/"+key+"/check", nil); r.code != http.StatusSeeOther {
		t.Fatalf("check again on B: %d %s", r.code, text(r.body))
	}
	b.Uploads.Wait()
	if page := text(cb.get("/admin/uploads/" + key).body); !strings.Contains(page, "2 new") || !strings.Contains(page, "1 changed") {
		t.Errorf("B's own check of A's upload:\n%s", page)
	}
	if r := cb.post("/admin/uploads/"+key+"/publish", nil); r.code != http.StatusSeeOther {
		t.Fatalf("publish on B: %d %s", r.code, text(r.body))
	}
	if v := hanoiPM25(t, b.client(t).get("/pairs/hanoi-milan").body); !strings.Contains(v, "52.5") {
		t.Errorf("Hanoi's PM2.5 on B after its publish: %q", v)
	}
	seen(t, b, a)
	if v := hanoiPM25(t, a.client(t).get("/pairs/hanoi-milan").body); !strings.Contains(v, "52.5") {
		t.Errorf("Hanoi's PM2.5 on A after B's publish: %q", v)
	}
	if r := ca.get("/admin/uploads/" + key); r.code != http.StatusSeeOther && !strings.Contains(text(r.body), "Published") {
		t.Errorf("A does not show the upload B published: %d %s", r.code, text(r.body))
	}
}

// checkingOn sends an upload to a and, once checked, makes it look as a
// check running on a would: validating, with a fresh heartbeat and the
// progress columns set.
func checkingOn(t *testing.T, a *staffApp, set string) string {
	t.Helper()
	if code, out := a.apiUpload(t, "hcmc-2025-fixed.csv", []byte(fixedFile)); code >= 300 {
		t.Fatalf("upload: %d %v", code, out)
	}
	a.Uploads.Wait()
	ps, err := a.Uploads.ListPending()
	if err != nil || len(ps) != 1 {
		t.Fatalf("pending uploads: %v %v", ps, err)
	}
	if _, err := a.DB.W.Exec(`UPDATE pending_uploads SET record = CAST(jsonb_set(CAST(record AS jsonb), '{state}', '"validating"') AS text),
		heartbeat_at = now(), `+set+` WHERE key = ?`, ps[0].Key); err != nil {
		t.Fatal(err)
	}
	return ps[0].Key
}

// While A checks an upload, B shows how far A has got: the counters A
// beats into the database.
func TestInstancesProgressOfOtherCheck(t *testing.T) {
	a, b := twoInstances(t, testapp.Options{})
	// As A's check beats halfway through a 1000-byte file.
	key := checkingOn(t, a, `phase = 'checking', bytes_read = 500, total_bytes = 1000, rows_checked = 7`)
	p, err := b.Uploads.ProgressOf(key)
	if err != nil || p.State != "checking" || p.Percent != 50 || p.Rows != 7 || p.Done {
		t.Errorf("B's view of A's running check: %+v %v, want checking, 50%%, 7 rows", p, err)
	}
	// A stopped beating (it died): B no longer shows a check running.
	if _, err := a.DB.W.Exec(`UPDATE pending_uploads SET heartbeat_at = now() - interval '1 minute' WHERE key = ?`, key); err != nil {
		t.Fatal(err)
	}
	if p, err := b.Uploads.ProgressOf(key); err != nil || p.State == "checking" || p.Rows != 0 {
		t.Errorf("B's view of a dead check: %+v %v", p, err)
	}
}

// B's prune removes an expired upload A received, though B never had
// its folder: the uploads are the database's, not each instance's.
func TestInstancesPruneOtherInstancesUploads(t *testing.T) {
	a, b := twoInstances(t, testapp.Options{})
	if code, out := a.apiUpload(t, "hcmc-2025-fixed.csv", []byte(fixedFile)); code >= 300 {
		t.Fatalf("upload: %d %v", code, out)
	}
	a.Uploads.Wait()
	// Everything is older than a retention an hour in the future.
	res, err := b.Uploads.Prune(context.Background(), -time.Hour)
	if err != nil || res.Removed != 1 {
		t.Fatalf("B's prune: %+v %v, want 1 upload removed", res, err)
	}
	if ps, err := a.Uploads.ListPending(); err != nil || len(ps) != 0 {
		t.Errorf("A still lists %d pending uploads (%v) after B pruned them", len(ps), err)
	}
}

// 30 wrong passwords for one account sent at once, half to each
// instance, run at most FailuresBeforeDelay password checks between
// them: the failures both count are in the database, read and written
// as one step.
func TestInstancesSignInThrottleShared(t *testing.T) {
	a, b := twoInstances(t, testapp.Options{})
	ctx := context.Background()
	errs := make([]error, 30)
	guesses := make([]func(), len(errs))
	for i := range errs {
		s := a.Store
		if i%2 == 1 {
			s = b.Store
		}
		guesses[i] = func() {
			_, errs[i] = s.Authenticate(ctx, editorEmail, fmt.Sprintf("guess %d", i), fmt.Sprintf("198.51.100.%d", i), "", testapp.Fixed)
		}
	}
	together(guesses...)
	bad := 0
	for _, err := range errs {
		var te *metrics.ThrottledError
		switch {
		case errors.Is(err, metrics.ErrBadCredentials):
			bad++
		case errors.As(err, &te):
		default:
			t.Errorf("a wrong password answered %v", err)
		}
	}
	if bad > metrics.FailuresBeforeDelay {
		t.Errorf("30 wrong passwords over two instances: %d answered as checked, want at most %d", bad, metrics.FailuresBeforeDelay)
	}
}

// The upload rate is per client address across the instances: two
// uploads through A use up a rate of 2 a minute, and B refuses a third.
func TestInstancesUploadRateShared(t *testing.T) {
	a, b := twoInstances(t, testapp.Options{UploadsPerMinute: 2})
	file := []byte("city,indicator,year,value,unit,source\nhanoi,pm25_annual_mean,2019,52.09,µg/m3,who_aaq_2022_v2022\n")
	var codes []int
	for _, inst := range []*staffApp{a, a, b} {
		code, _ := inst.apiUpload(t, "rate.csv", file)
		codes = append(codes, code)
	}
	if codes[0] == http.StatusTooManyRequests || codes[1] == http.StatusTooManyRequests || codes[2] != http.StatusTooManyRequests {
		t.Errorf("uploads through A, A, B at 2 a minute answered %v, want the third refused with 429", codes)
	}
}

// An instance that starts fails the checks cut short by a crash, and
// only those: a check whose instance still beats is left alone.
func TestInstancesBootLeavesLiveChecks(t *testing.T) {
	a, b := twoInstances(t, testapp.Options{})
	// As if A were checking it now, beating.
	key := checkingOn(t, a, `phase = 'checking'`)
	state := func() string {
		t.Helper()
		if _, err := ingest.NewUploader(b.Store, filepath.Join(t.TempDir(), "uploads"), ingest.DefaultLimits, nil); err != nil {
			t.Fatal(err)
		}
		p, err := b.Uploads.Pending(key)
		if err != nil {
			t.Fatal(err)
		}
		return p.State
	}
	if s := state(); s != ingest.StateValidating {
		t.Errorf("an instance starting beside a live check made it %q", s)
	}
	// A stopped beating a minute ago: it crashed.
	if _, err := a.DB.W.Exec(`UPDATE pending_uploads SET heartbeat_at = now() - interval '1 minute' WHERE key = ?`, key); err != nil {
		t.Fatal(err)
	}
	if s := state(); s != ingest.StateFailed {
		t.Errorf("an instance starting after a check's instance died left it %q, want failed", s)
	}
}

// Two instances on one database give the same answer, byte for byte,
// for every page and API family, whichever of them a load balancer
// sends a reader to: after a publication through A too, once B has
// heard of it.
func TestInstancesGiveTheSameAnswers(t *testing.T) {
	a, b := twoInstances(t, testapp.Options{})
	urls := append(append([]string{}, familyURLs...), moreFamilyURLs...)
	compare := func(when string) {
		t.Helper()
		for _, url := range urls {
			x, xCode := body(t, a.Handler, url)
			y, yCode := body(t, b.Handler, url)
			if xCode != http.StatusOK || yCode != http.StatusOK {
				t.Errorf("%s, %s: A %d, B %d", when, url, xCode, yCode)
				continue
			}
			if !bytes.Equal(x, y) {
				t.Errorf("%s, %s differs between the instances:\n%s", when, url, firstDifference(x, y))
			}
		}
	}
	compare("on the seed")
	publishFixedOn(t, a)
	seen(t, a, b)
	compare("after a publication through A")
}

// publishFixedOn has an editor preview and publish the corrected test
// file (fixedFile, which changes Hanoi's PM2.5) on instance a.
func publishFixedOn(t *testing.T, a *staffApp) {
	t.Helper()
	c := a.client(t)
	c.login(editorEmail)
	key, r := c.uploadPage(a, "hcmc-2025-fixed.csv", []byte(fixedFile))
	if r.code != http.StatusOK {
		t.Fatalf("preview on A: %d %s", r.code, text(r.body))
	}
	if r := c.post("/admin/uploads/"+key+"/publish", nil); r.code != http.StatusSeeOther {
		t.Fatalf("publish on A: %d %s", r.code, text(r.body))
	}
}
