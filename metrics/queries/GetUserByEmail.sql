SELECT id, email, role, created_at, disabled_at FROM users WHERE lower(email) = lower(?)
