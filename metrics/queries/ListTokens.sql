SELECT t.id, t.user_id, u.email, t.name, t.created_at, t.revoked_at
FROM api_tokens t JOIN users u ON u.id = t.user_id
ORDER BY t.id
