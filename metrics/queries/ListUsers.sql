SELECT id, email, role, created_at, disabled_at FROM users ORDER BY email
