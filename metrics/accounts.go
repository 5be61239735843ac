package metrics

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
	"golang.org/x/crypto/argon2"

	"github.com/twinmetrics/twinmetrics/locale"
)

// Roles: editors upload; admins also manage users and the catalogue.
const (
	RoleAdmin  = "admin"
	RoleEditor = "editor"
)

// Session and sign-in limits.
const (
	SessionLifetime = 12 * time.Hour
	MinPassword     = 10
	// After FailuresBeforeDelay failures in FailureWindow, each attempt
	// must wait twice as long as the one before; after FailuresLockout
	// the address or account is refused until the window has passed.
	FailuresBeforeDelay = 3
	FailuresLockout     = 10
	FailureWindow       = 15 * time.Minute
	// A client address may be shared by many people (an office behind
	// one proxy), so it is given more room than one account.
	addrFactor = 3
)

// Errors the sign-in path returns; each is safe to show.
var (
	ErrBadCredentials = msgBadCredentials.Err()
	ErrNoSession      = errors.New("not signed in")
)

// ThrottledError says a sign-in was refused because of earlier failures.
type ThrottledError struct{ Wait time.Duration }

// Message says how long to wait.
func (e *ThrottledError) Message() locale.Message {
	secs := int(e.Wait.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return msgThrottled.With(secs)
}

func (e *ThrottledError) Error() string { return locale.English(e.Message()) }

// User is a staff account.
type User struct {
	ID         int64          `db:"id"`
	Email      string         `db:"email"`
	Role       string         `db:"role"`
	CreatedAt  string         `db:"created_at"`
	DisabledAt sql.NullString `db:"disabled_at"`
}

// IsAdmin reports whether the user may manage users and the catalogue.
func (u User) IsAdmin() bool { return u.Role == RoleAdmin }

// argon2id parameters (the OWASP minimum for interactive sign-in:
// 19 MiB, two passes, one lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword hashes a password with argon2id into the usual
// $argon2id$v=19$m=…,t=…,p=…$salt$hash form.
func HashPassword(pw string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// checkPassword compares a password with a stored argon2id hash in
// constant time.
func checkPassword(encoded, pw string) bool {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when the email is unknown, so that a
// wrong email takes as long as a wrong password.
// It is made on first use: hashing takes 19 MiB and some milliseconds,
// which a process that never signs anybody in should not pay at start.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("not a password of anyone")
	return h
})

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error()) // the system has no randomness: nothing is safe to do
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

func checkPasswordRules(pw string) error {
	if len([]rune(pw)) < MinPassword {
		return msgPasswordShort.Err(MinPassword)
	}
	if len(pw) > 1024 {
		return msgPasswordLong.Err()
	}
	return nil
}

// AddUser creates an account.
func (s *Store) AddUser(ctx context.Context, email, role, password string, now time.Time) (User, error) {
	email = strings.TrimSpace(email)
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return User{}, msgNotEmail.Err(email)
	}
	if role != RoleAdmin && role != RoleEditor {
		return User{}, msgBadRole.Err(role)
	}
	if err := checkPasswordRules(password); err != nil {
		return User{}, err
	}
	h, err := s.hash(ctx, password)
	if err != nil {
		return User{}, err
	}
	var n int
	if err := s.db.W.GetContext(ctx, &n, `SELECT COUNT(*) FROM users WHERE lower(email) = lower(?)`, email); err != nil {
		return User{}, err
	}
	if n > 0 {
		return User{}, msgUserExists.Err(email)
	}
	if _, err := s.db.W.ExecContext(ctx, `INSERT INTO users (email, password_hash, role, created_at) VALUES (?, ?, ?, ?)`,
		email, h, role, Timestamp(now)); err != nil {
		return User{}, err
	}
	return s.UserByEmail(ctx, email)
}

// UserByEmail finds an account.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := s.q.GetUserByEmail.GetContext(ctx, &u, strings.TrimSpace(email))
	if errors.Is(err, sql.ErrNoRows) {
		return u, msgNoUser.Wrap(ErrNotFound, email)
	}
	return u, err
}

// UserByID finds an account by its number.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	var u User
	err := s.db.R.GetContext(ctx, &u, `SELECT id, email, role, created_at, disabled_at FROM users WHERE id = ?`, id)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	return u, err
}

// ListUsers lists every account.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	var us []User
	err := s.q.ListUsers.SelectContext(ctx, &us)
	return us, err
}

// Limits on what a sign-in form may make the server store or compute.
const (
	// MaxEmail is the longest email address (RFC 5321's path limit): a
	// longer one is cut to it before it is stored or compared.
	MaxEmail = 254
	// MaxPasswordHashes is how many argon2 computations (19 MiB each) run
	// at once; more wait their turn.
	MaxPasswordHashes = 2
	// DeviceLifetime is how long a browser that signed in is recognised.
	DeviceLifetime = 180 * 24 * time.Hour
)

// failureTime writes times of failures in a fixed width, so that text
// order is time order.
const failureTime = "2006-01-02T15:04:05.000000000Z"

// passwordGate bounds the memory parallel sign-ins can take: each
// argon2 computation holds 19 MiB.
type passwordGate struct {
	slots   chan struct{}
	checks  atomic.Int64 // computations run, for tests and figures
	running atomic.Int64
	peak    atomic.Int64
}

func newPasswordGate(n int) *passwordGate { return &passwordGate{slots: make(chan struct{}, n)} }

// do runs f when a slot is free, or gives up when ctx ends.
func (g *passwordGate) do(ctx context.Context, f func()) error {
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-g.slots }()
	n := g.running.Add(1)
	for p := g.peak.Load(); n > p && !g.peak.CompareAndSwap(p, n); p = g.peak.Load() {
	}
	g.checks.Add(1)
	f()
	g.running.Add(-1)
	return nil
}

// hash hashes a password through the gate.
func (s *Store) hash(ctx context.Context, pw string) (h string, err error) {
	if gerr := s.pw.do(ctx, func() { h, err = HashPassword(pw) }); gerr != nil {
		return "", gerr
	}
	return h, err
}

// capString cuts s to at most n bytes, on a character boundary.
func capString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Authenticate checks an email and password, slowing and then refusing
// repeated failures from one address or for one account.
//
// The attempt is recorded as a failure before the password is checked,
// in the transaction that reads the earlier failures, and taken back
// when the password is right: parallel guesses therefore count each
// other, and no more than FailuresBeforeDelay of them reach argon2.
//
// device is the token of the browser's sign-in cookie (RememberDevice),
// or "". A browser that signed in as this account before is counted on
// its own instead of by email and address: guesses from elsewhere that
// lock the email never lock out the account's owner at their own
// browser, while a stolen cookie alone still needs the password and is
// throttled like an email.
func (s *Store) Authenticate(ctx context.Context, email, password, client, device string, now time.Time) (User, error) {
	email = capString(strings.ToLower(strings.TrimSpace(email)), MaxEmail)
	client = capString(client, 64)
	var row struct {
		User
		Hash string `db:"password_hash"`
	}
	err := s.q.GetUserForSignIn.GetContext(ctx, &row, email)
	known := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return User{}, err
	}
	keys := []string{"email:" + email, "ip:" + client}
	if known && device != "" {
		var n int
		if err := s.db.R.GetContext(ctx, &n, `SELECT COUNT(*) FROM signin_devices WHERE token_hash = ? AND user_id = ? AND created_at > ?`,
			hashToken(device), row.ID, Timestamp(now.Add(-DeviceLifetime))); err != nil {
			return User{}, err
		}
		if n == 1 {
			keys = []string{"device:" + hashToken(device)}
		}
	}
	ids, err := s.recordAttempt(ctx, keys, now)
	if err != nil {
		return User{}, err
	}
	ok := false
	if err := s.pw.do(ctx, func() {
		if !known {
			checkPassword(dummyHash(), password)
			return
		}
		ok = checkPassword(row.Hash, password) && !row.DisabledAt.Valid
	}); err != nil {
		return User{}, err
	}
	if !ok {
		return User{}, ErrBadCredentials
	}
	// The right password: this attempt was no failure, and the account's
	// earlier ones are forgiven (those of the address are not).
	tx, err := s.db.W.BeginTxx(ctx, nil)
	if err != nil {
		return User{}, err
	}
	defer tx.Rollback()
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE id = ?`, id); err != nil {
			return User{}, err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_failures WHERE key = ?`, keys[0]); err != nil {
		return User{}, err
	}
	if err := tx.Commit(); err != nil {
		return User{}, err
	}
	return row.User, nil
}

// recordAttempt checks the throttle of every key and, when none
// refuses, records the attempt as a failure of each, in one write
// transaction; it returns the failure rows' ids.
func (s *Store) recordAttempt(ctx context.Context, keys []string, now time.Time) ([]int64, error) {
	tx, err := s.db.BeginLocked(ctx, SignInLock)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if err := lockKeys(ctx, tx, keys); err != nil {
		return nil, err
	}
	for _, k := range keys {
		if err := throttle(ctx, tx, k, now); err != nil {
			return nil, err
		}
	}
	at := now.UTC().Format(failureTime)
	ids := make([]int64, 0, len(keys))
	for _, k := range keys {
		var id int64
		if err := tx.GetContext(ctx, &id, `INSERT INTO login_failures (key, at) VALUES (?, ?) RETURNING id`, k, at); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, tx.Commit()
}

// lockKeys makes the read of a key's failures and the insert of the
// next one a unit across instances. SQLite's write transaction already
// is one (BEGIN IMMEDIATE, one writer); on PostgreSQL, under READ
// COMMITTED, two instances would both read the same count and both let
// a guess through, so each key takes a lock held until the transaction
// ends. Keys are locked in order, so that two attempts never wait on
// each other.
func lockKeys(ctx context.Context, tx *sqlx.Tx, keys []string) error {
	if !onPostgres(tx) {
		return nil
	}
	for _, k := range slices.Sorted(slices.Values(keys)) {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, "signin:"+k); err != nil {
			return err
		}
	}
	return nil
}

func throttle(ctx context.Context, tx *sqlx.Tx, key string, now time.Time) error {
	var fails []string
	if err := tx.SelectContext(ctx, &fails, `SELECT at FROM login_failures WHERE key = ? AND at >= ? ORDER BY at`,
		key, now.Add(-FailureWindow).UTC().Format(failureTime)); err != nil {
		return err
	}
	n := len(fails)
	delayAt, lockAt := FailuresBeforeDelay, FailuresLockout
	if strings.HasPrefix(key, "ip:") {
		delayAt, lockAt = delayAt*addrFactor, lockAt*addrFactor
	}
	if n < delayAt {
		return nil
	}
	last, _ := time.Parse(time.RFC3339Nano, fails[n-1])
	if n >= lockAt {
		first, _ := time.Parse(time.RFC3339Nano, fails[n-lockAt])
		return &ThrottledError{Wait: first.Add(FailureWindow).Sub(now)}
	}
	wait := time.Second << min(n-delayAt, 6)
	if since := now.Sub(last); since < wait {
		return &ThrottledError{Wait: wait - since}
	}
	return nil
}

// RememberDevice returns the sign-in cookie token for a browser that
// has just signed in as userID: the one it sent when that is this
// user's, else a new one.
func (s *Store) RememberDevice(ctx context.Context, userID int64, token string, now time.Time) (string, error) {
	ts := Timestamp(now)
	if token != "" {
		r, err := s.db.W.ExecContext(ctx, `UPDATE signin_devices SET last_used_at = ? WHERE token_hash = ? AND user_id = ? AND created_at > ?`,
			ts, hashToken(token), userID, Timestamp(now.Add(-DeviceLifetime)))
		if err != nil {
			return "", err
		}
		if n, _ := r.RowsAffected(); n == 1 {
			return token, nil
		}
	}
	tok := randomToken(32)
	if _, err := s.db.W.ExecContext(ctx, `INSERT INTO signin_devices (token_hash, user_id, created_at, last_used_at) VALUES (?, ?, ?, ?)`,
		hashToken(tok), userID, ts, ts); err != nil {
		return "", err
	}
	return tok, nil
}

// PurgeSignIns deletes what sign-in keeps only for a while: failures
// older than the window, expired sessions and forgotten browsers. The
// server runs it on a schedule.
func (s *Store) PurgeSignIns(ctx context.Context, now time.Time) (int64, error) {
	var total int64
	for _, q := range []struct{ sql, at string }{
		{`DELETE FROM login_failures WHERE at < ?`, now.Add(-FailureWindow).UTC().Format(failureTime)},
		{`DELETE FROM sessions WHERE expires_at < ?`, Timestamp(now)},
		{`DELETE FROM signin_devices WHERE created_at < ?`, Timestamp(now.Add(-DeviceLifetime))},
	} {
		r, err := s.db.W.ExecContext(ctx, q.sql, q.at)
		if err != nil {
			return total, err
		}
		n, _ := r.RowsAffected()
		total += n
	}
	return total, nil
}

// ChangePassword sets a new password after checking the old one, ends
// the user's other sessions and revokes their API tokens: a password
// changed because it leaked must not leave a way in that was made with
// it. Scripts then need a new token (twinmetrics token create).
func (s *Store) ChangePassword(ctx context.Context, userID int64, old, new, keepSession string, now time.Time) error {
	var h string
	if err := s.q.GetPasswordHash.GetContext(ctx, &h, userID); err != nil {
		return err
	}
	ok := false
	if err := s.pw.do(ctx, func() { ok = checkPassword(h, old) }); err != nil {
		return err
	}
	if !ok {
		return msgCurrentWrong.Err()
	}
	if err := checkPasswordRules(new); err != nil {
		return err
	}
	nh, err := s.hash(ctx, new)
	if err != nil {
		return err
	}
	tx, err := s.db.W.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, nh, userID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, userID, hashToken(keepSession)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`,
		Timestamp(now), userID); err != nil {
		return err
	}
	return tx.Commit()
}

// ErrOwnAccount refuses an admin's disabling their own account, which
// could leave nobody to enable it again.
var ErrOwnAccount = locale.Define("users.error.own_account").Err()

// DisableUser stops an account: its sessions end at once, its API
// tokens are revoked and it cannot sign in until enabled again. by is
// the admin doing it (0: the command line).
func (s *Store) DisableUser(ctx context.Context, id, by int64, now time.Time) error {
	if id == by {
		return ErrOwnAccount
	}
	tx, err := s.db.W.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	ts := Timestamp(now)
	r, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = COALESCE(disabled_at, ?) WHERE id = ?`, ts, id)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	for _, q := range []string{
		`DELETE FROM sessions WHERE user_id = ?`,
		`DELETE FROM signin_devices WHERE user_id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, ts, id); err != nil {
		return err
	}
	return tx.Commit()
}

// EnableUser lets a disabled account sign in again (with its password;
// its old tokens stay revoked).
func (s *Store) EnableUser(ctx context.Context, id int64) error {
	r, err := s.db.W.ExecContext(ctx, `UPDATE users SET disabled_at = NULL WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	return nil
}

// EndSessions signs a user out everywhere and returns how many sessions
// ended.
func (s *Store) EndSessions(ctx context.Context, id int64) (int64, error) {
	r, err := s.db.W.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, id)
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}

// Session is a signed-in user with the CSRF token of their session.
type Session struct {
	User  User
	Token string
	CSRF  string
}

// CreateSession starts a server-side session and returns its token
// (for the cookie) and CSRF token (for forms).
func (s *Store) CreateSession(ctx context.Context, userID int64, now time.Time) (Session, error) {
	tok, csrf := randomToken(32), randomToken(32)
	if _, err := s.db.W.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`, Timestamp(now)); err != nil {
		return Session{}, err
	}
	if _, err := s.db.W.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		hashToken(tok), userID, csrf, Timestamp(now), Timestamp(now.Add(SessionLifetime))); err != nil {
		return Session{}, err
	}
	return Session{Token: tok, CSRF: csrf}, nil
}

// SessionUser finds the user of an unexpired session.
func (s *Store) SessionUser(ctx context.Context, token string, now time.Time) (Session, error) {
	if token == "" {
		return Session{}, ErrNoSession
	}
	var row struct {
		User
		CSRF string `db:"csrf_token"`
	}
	err := s.q.GetSessionUser.GetContext(ctx, &row, hashToken(token), Timestamp(now))
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNoSession
	}
	if err != nil {
		return Session{}, err
	}
	return Session{User: row.User, Token: token, CSRF: row.CSRF}, nil
}

// EndSession signs a session out.
func (s *Store) EndSession(ctx context.Context, token string) error {
	_, err := s.db.W.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, hashToken(token))
	return err
}

// APIToken is a script's credential, as listed (the secret is never
// stored).
type APIToken struct {
	ID        int64          `db:"id"`
	UserID    int64          `db:"user_id"`
	Email     string         `db:"email"`
	Name      string         `db:"name"`
	CreatedAt string         `db:"created_at"`
	RevokedAt sql.NullString `db:"revoked_at"`
}

// tokenPrefix marks twinmetrics tokens so that they are easy to find in
// a leaked file.
const tokenPrefix = "tmk_"

// CreateToken makes an API token for a user and returns it; only its
// hash is stored, so it cannot be shown again.
func (s *Store) CreateToken(ctx context.Context, email, name string, now time.Time) (string, APIToken, error) {
	u, err := s.UserByEmail(ctx, email)
	if err != nil {
		return "", APIToken{}, err
	}
	tok := tokenPrefix + randomToken(32)
	var id int64
	if err := s.db.W.GetContext(ctx, &id, `INSERT INTO api_tokens (user_id, token_hash, name, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		u.ID, hashToken(tok), name, Timestamp(now)); err != nil {
		return "", APIToken{}, err
	}
	return tok, APIToken{ID: id, UserID: u.ID, Email: u.Email, Name: name, CreatedAt: Timestamp(now)}, nil
}

// TokenUser finds the user of an unrevoked token.
func (s *Store) TokenUser(ctx context.Context, token string) (User, error) {
	var u User
	err := s.q.GetTokenUser.GetContext(ctx, &u, hashToken(token))
	if errors.Is(err, sql.ErrNoRows) {
		return u, ErrNoSession
	}
	return u, err
}

// ListTokens lists every API token.
func (s *Store) ListTokens(ctx context.Context) ([]APIToken, error) {
	var ts []APIToken
	err := s.q.ListTokens.SelectContext(ctx, &ts)
	return ts, err
}

// RevokeToken stops a token from working; the row stays as a record.
func (s *Store) RevokeToken(ctx context.Context, id int64, now time.Time) error {
	r, err := s.db.W.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, Timestamp(now), id)
	if err != nil {
		return err
	}
	if n, _ := r.RowsAffected(); n == 0 {
		return fmt.Errorf("token %d: %w", id, ErrNotFound)
	}
	return nil
}
