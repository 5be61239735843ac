-- Browsers that signed in before: the sign-in form of such a browser
-- is counted on its own, so that guesses from elsewhere, which lock
-- the account's email for a while, never lock out its owner. The
-- cookie holds a random token; only its SHA-256 is stored.
CREATE TABLE signin_devices (
    token_hash   TEXT    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   TEXT    NOT NULL,
    last_used_at TEXT    NOT NULL
);
CREATE INDEX signin_devices_user ON signin_devices (user_id);

-- Each failed sign-in gets an id, so that an attempt recorded as a
-- failure before its password is checked can be taken back when the
-- password was right; old failures are purged by age on a schedule.
CREATE TABLE login_failures_new (
    id  INTEGER PRIMARY KEY,
    key TEXT    NOT NULL,
    at  TEXT    NOT NULL
);
INSERT INTO login_failures_new (key, at) SELECT f.key, f.at FROM login_failures AS f;
DROP TABLE login_failures;
ALTER TABLE login_failures_new RENAME TO login_failures;
CREATE INDEX login_failures_key ON login_failures (key, at);
CREATE INDEX login_failures_at ON login_failures (at);
