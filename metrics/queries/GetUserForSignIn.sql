-- The account and its password hash, for sign-in only.
SELECT id, email, role, created_at, disabled_at, password_hash FROM users WHERE lower(email) = lower(?)
