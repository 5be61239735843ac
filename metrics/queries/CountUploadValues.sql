SELECT COUNT(*) FROM observations WHERE upload_id = ?
