package metrics_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/twinmetrics/twinmetrics/internal/testapp"
	"github.com/twinmetrics/twinmetrics/metrics"
)

// TestSignInThrottle: after three failures each attempt waits twice as
// long as the one before; after ten the account is refused until the
// window has passed, even with the right password; then it works.
func TestSignInThrottle(t *testing.T) {
	app := testapp.New(t, testapp.Options{NoSeed: true})
	ctx := context.Background()
	now := testapp.Fixed
	if _, err := app.Store.AddUser(ctx, "a@example.org", metrics.RoleEditor, "the right password", now); err != nil {
		t.Fatal(err)
	}
	try := func(pw string) error {
		_, err := app.Store.Authenticate(ctx, "A@example.org ", pw, "192.0.2.1", "", now)
		return err
	}
	for i := 0; i < metrics.FailuresLockout; i++ {
		err := try("wrong")
		var te *metrics.ThrottledError
		if errors.As(err, &te) {
			if i < metrics.FailuresBeforeDelay {
				t.Fatalf("attempt %d throttled", i+1)
			}
			now = now.Add(te.Wait) // wait as told
			err = try("wrong")
		}
		if !errors.Is(err, metrics.ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	err := try("the right password")
	var te *metrics.ThrottledError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "try again in") {
		t.Fatalf("locked account with the right password: %v", err)
	}
	now = now.Add(metrics.FailureWindow)
	if u, err := app.Store.Authenticate(ctx, "a@example.org", "the right password", "192.0.2.1", "", now); err != nil || u.Email != "a@example.org" {
		t.Fatalf("after the window: %v", err)
	}
	// Hashes are argon2id, never the password.
	var h string
	app.DB.R.Get(&h, `SELECT password_hash FROM users`)
	if !strings.HasPrefix(h, "$argon2id$v=19$") || strings.Contains(h, "right") {
		t.Errorf("stored hash %q", h)
	}
}
