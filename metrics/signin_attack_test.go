package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// signInApp is an empty app with one editor.
func signInApp(t *testing.T) (*testapp.App, metrics.User) {
	t.Helper()
	app := testapp.New(t, testapp.Options{NoSeed: true})
	u, err := app.Store.AddUser(context.Background(), "officer@example.org", metrics.RoleEditor, "the right password", testapp.Fixed)
	if err != nil {
		t.Fatal(err)
	}
	return app, u
}

// parallel runs n sign-ins at once and returns their errors.
func parallel(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = f(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// TestParallelWrongPasswordsCount: 30 wrong passwords for one account
// sent at once (the attack ran 18 argon2 checks for them) run at most
// FailuresBeforeDelay checks; the others are refused as throttled and
// every attempt is recorded.
func TestParallelWrongPasswordsCount(t *testing.T) {
	app, _ := signInApp(t)
	ctx := context.Background()
	before, _ := app.Store.PasswordChecks()
	errs := parallel(30, func(i int) error {
		_, err := app.Store.Authenticate(ctx, "officer@example.org", fmt.Sprintf("guess %d", i), fmt.Sprintf("198.51.100.%d", i), "", testapp.Fixed)
		return err
	})
	after, peak := app.Store.PasswordChecks()
	bad, throttled := 0, 0
	for _, err := range errs {
		var te *metrics.ThrottledError
		switch {
		case errors.Is(err, metrics.ErrBadCredentials):
			bad++
		case errors.As(err, &te):
			throttled++
		default:
			t.Errorf("a wrong password answered %v", err)
		}
	}
	if checks := after - before; checks > metrics.FailuresBeforeDelay || bad != int(checks) {
		t.Errorf("30 parallel wrong passwords ran %d password checks (%d answered wrong password), want at most %d", checks, bad, metrics.FailuresBeforeDelay)
	}
	if throttled != 30-bad {
		t.Errorf("%d throttled, want %d", throttled, 30-bad)
	}
	if peak > metrics.MaxPasswordHashes {
		t.Errorf("%d password checks ran at once, cap %d", peak, metrics.MaxPasswordHashes)
	}
	var n int
	if err := app.DB.R.Get(&n, `SELECT COUNT(*) FROM login_failures WHERE key = 'email:officer@example.org'`); err != nil || n != bad {
		t.Errorf("%d failures recorded for the account (%v), want %d", n, err, bad)
	}
	t.Logf("30 parallel wrong passwords: %d argon2 checks, %d throttled", after-before, throttled)
}

// TestPasswordChecksCapped: 40 sign-ins for different emails from
// different addresses each need a check; no more than
// MaxPasswordHashes run at once (19 MiB each), whatever the load.
func TestPasswordChecksCapped(t *testing.T) {
	app, _ := signInApp(t)
	ctx := context.Background()
	before, _ := app.Store.PasswordChecks()
	errs := parallel(40, func(i int) error {
		_, err := app.Store.Authenticate(ctx, fmt.Sprintf("nobody%d@example.org", i), "a guess", fmt.Sprintf("203.0.113.%d", i), "", testapp.Fixed)
		return err
	})
	for _, err := range errs {
		if !errors.Is(err, metrics.ErrBadCredentials) {
			t.Fatalf("an unknown email answered %v", err)
		}
	}
	after, peak := app.Store.PasswordChecks()
	if after-before != 40 {
		t.Errorf("%d checks for 40 unknown emails, want 40 (a wrong email must cost as much as a wrong password)", after-before)
	}
	if peak < 1 || peak > metrics.MaxPasswordHashes {
		t.Errorf("at most %d checks ran at once, want 1 to %d", peak, metrics.MaxPasswordHashes)
	}
}

// TestOwnerNotLockedOut: guesses from elsewhere lock the account's
// email, but the owner's browser, which signed in before, still gets in
// with the right password; wrong passwords from that browser are
// throttled on their own.
func TestOwnerNotLockedOut(t *testing.T) {
	app, u := signInApp(t)
	ctx := context.Background()
	now := testapp.Fixed
	if _, err := app.Store.Authenticate(ctx, u.Email, "the right password", "192.0.2.7", "", now); err != nil {
		t.Fatal(err)
	}
	device, err := app.Store.RememberDevice(ctx, u.ID, "", now)
	if err != nil {
		t.Fatal(err)
	}
	// The attacker: wrong passwords from many addresses until locked.
	for i := 0; ; i++ {
		_, err := app.Store.Authenticate(ctx, u.Email, "guess", fmt.Sprintf("198.51.100.%d", i), "", now)
		var te *metrics.ThrottledError
		if errors.As(err, &te) {
			if te.Wait < 10*time.Minute {
				now = now.Add(te.Wait)
				continue
			}
			break
		}
		if i > 100 {
			t.Fatal("never locked")
		}
	}
	// Without the cookie the right password is refused: the email is
	// locked.
	var te *metrics.ThrottledError
	if _, err := app.Store.Authenticate(ctx, u.Email, "the right password", "192.0.2.7", "", now); !errors.As(err, &te) {
		t.Fatalf("locked email without the browser cookie: %v, want throttled", err)
	}
	// With it, the owner gets in.
	if got, err := app.Store.Authenticate(ctx, u.Email, "the right password", "192.0.2.7", device, now); err != nil || got.ID != u.ID {
		t.Fatalf("the owner's browser with the right password: %v", err)
	}
	// A stolen cookie still needs the password, and is throttled.
	throttled := false
	for range metrics.FailuresBeforeDelay + 1 {
		_, err := app.Store.Authenticate(ctx, u.Email, "guess", "203.0.113.9", device, now)
		if errors.As(err, &te) {
			throttled = true
		} else if !errors.Is(err, metrics.ErrBadCredentials) {
			t.Fatal(err)
		}
	}
	if !throttled {
		t.Error("wrong passwords from a known browser are not throttled")
	}
	// Another account's cookie is no help.
	other, err := app.Store.AddUser(ctx, "other@example.org", metrics.RoleEditor, "another right password", now)
	if err != nil {
		t.Fatal(err)
	}
	otherDevice, _ := app.Store.RememberDevice(ctx, other.ID, "", now)
	if _, err := app.Store.Authenticate(ctx, u.Email, "the right password", "192.0.2.7", otherDevice, now); !errors.As(err, &te) {
		t.Errorf("another account's browser cookie opened a locked account: %v", err)
	}
}

// TestSignInStoresBoundedEmail: a 900 KB email (as tried in the attack)
// is stored cut to 254 characters.
func TestSignInStoresBoundedEmail(t *testing.T) {
	app, _ := signInApp(t)
	huge := strings.Repeat("é", 450_000) + "@example.org"
	if _, err := app.Store.Authenticate(context.Background(), huge, "guess", "192.0.2.1", "", testapp.Fixed); !errors.Is(err, metrics.ErrBadCredentials) {
		t.Fatal(err)
	}
	var keys []string
	if err := app.DB.R.Select(&keys, `SELECT key FROM login_failures WHERE key LIKE 'email:%'`); err != nil {
		t.Fatal(err)
	}
	longest := 0
	for _, k := range keys {
		longest = max(longest, len(k))
	}
	if longest > len("email:")+metrics.MaxEmail {
		t.Errorf("a failure stored %d bytes of key, want at most %d", longest, len("email:")+metrics.MaxEmail)
	}
}

// TestPurgeSignIns: failures older than the window go, recent ones
// stay, without anyone signing in.
func TestPurgeSignIns(t *testing.T) {
	app, u := signInApp(t)
	ctx := context.Background()
	old := testapp.Fixed.Add(-2 * metrics.FailureWindow)
	for i := range 5 {
		app.Store.Authenticate(ctx, fmt.Sprintf("x%d@example.org", i), "guess", "192.0.2.1", "", old)
	}
	app.Store.Authenticate(ctx, u.Email, "guess", "192.0.2.2", "", testapp.Fixed)
	if _, err := app.Store.PurgeSignIns(ctx, testapp.Fixed); err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := app.DB.R.Select(&keys, `SELECT key FROM login_failures ORDER BY key`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "email:officer@example.org,ip:192.0.2.2" {
		t.Errorf("after the purge: %v", keys)
	}
}

// TestPasswordChangeRevokesTokens: the rule is that a password change
// revokes the user's API tokens and ends their other sessions.
func TestPasswordChangeRevokesTokens(t *testing.T) {
	app, u := signInApp(t)
	ctx := context.Background()
	tok, _, err := app.Store.CreateToken(ctx, u.Email, "nightly", testapp.Fixed)
	if err != nil {
		t.Fatal(err)
	}
	keep, _ := app.Store.CreateSession(ctx, u.ID, testapp.Fixed)
	other, _ := app.Store.CreateSession(ctx, u.ID, testapp.Fixed)
	if _, err := app.Store.TokenUser(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := app.Store.ChangePassword(ctx, u.ID, "the right password", "a new long password", keep.Token, testapp.Fixed); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Store.TokenUser(ctx, tok); !errors.Is(err, metrics.ErrNoSession) {
		t.Errorf("the API token still works after the password change: %v", err)
	}
	if _, err := app.Store.SessionUser(ctx, other.Token, testapp.Fixed); !errors.Is(err, metrics.ErrNoSession) {
		t.Errorf("another session survived the password change: %v", err)
	}
	if _, err := app.Store.SessionUser(ctx, keep.Token, testapp.Fixed); err != nil {
		t.Errorf("the session that changed the password ended: %v", err)
	}
}

// TestDisableUser: a disabled account's sessions and tokens stop at
// once and its password no longer signs in; enabled again, the password
// works and the old tokens stay revoked. An admin cannot disable
// themself.
func TestDisableUser(t *testing.T) {
	app, u := signInApp(t)
	ctx := context.Background()
	admin, _ := app.Store.AddUser(ctx, "admin@example.org", metrics.RoleAdmin, "the admin password", testapp.Fixed)
	tok, _, _ := app.Store.CreateToken(ctx, u.Email, "nightly", testapp.Fixed)
	sess, _ := app.Store.CreateSession(ctx, u.ID, testapp.Fixed)
	if err := app.Store.DisableUser(ctx, admin.ID, admin.ID, testapp.Fixed); !errors.Is(err, metrics.ErrOwnAccount) {
		t.Errorf("an admin disabling themself: %v", err)
	}
	if err := app.Store.DisableUser(ctx, u.ID, admin.ID, testapp.Fixed); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Store.SessionUser(ctx, sess.Token, testapp.Fixed); !errors.Is(err, metrics.ErrNoSession) {
		t.Errorf("session of a disabled user: %v", err)
	}
	if _, err := app.Store.TokenUser(ctx, tok); !errors.Is(err, metrics.ErrNoSession) {
		t.Errorf("token of a disabled user: %v", err)
	}
	if _, err := app.Store.Authenticate(ctx, u.Email, "the right password", "192.0.2.1", "", testapp.Fixed); !errors.Is(err, metrics.ErrBadCredentials) {
		t.Errorf("a disabled user signing in: %v", err)
	}
	if err := app.Store.EnableUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Store.Authenticate(ctx, u.Email, "the right password", "192.0.2.1", "", testapp.Fixed.Add(time.Second)); err != nil {
		t.Errorf("an enabled user signing in: %v", err)
	}
	if _, err := app.Store.TokenUser(ctx, tok); !errors.Is(err, metrics.ErrNoSession) {
		t.Errorf("an old token works again after enabling: %v", err)
	}
}
