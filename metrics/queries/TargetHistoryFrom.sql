SELECT COALESCE((SELECT value FROM meta WHERE key = 'target_history_from'), '0')
