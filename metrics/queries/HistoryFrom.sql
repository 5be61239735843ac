SELECT value FROM meta WHERE key = 'history_from'
