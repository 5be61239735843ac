-- The user of an unrevoked API token (by the SHA-256 of the token).
SELECT u.id, u.email, u.role, u.created_at, u.disabled_at
FROM api_tokens t JOIN users u ON u.id = t.user_id
WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled_at IS NULL
