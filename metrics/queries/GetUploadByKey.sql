SELECT id, kind, upload_key, file_name, sha256, format, uploaded_by, COALESCE(published_by, '') AS published_by, created_at, published_at, rolled_back_at, rolled_back_by,
       status, rows_new, rows_changed, rows_unchanged, rows_rejected, rows_warned, published_rejected
FROM uploads
WHERE upload_key = ?
