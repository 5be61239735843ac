-- The user of an unexpired session (by the SHA-256 of its token), with
-- the session's CSRF token.
SELECT u.id, u.email, u.role, u.created_at, u.disabled_at, s.csrf_token
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled_at IS NULL
