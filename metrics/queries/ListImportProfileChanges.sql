SELECT c.id, c.profile_id, c.at, c.user_email, c.action, c.version, c.old_status, c.new_status,
       c.old_body, c.new_body, c.reverts
FROM import_profile_changes c
WHERE c.profile_id = ?
ORDER BY c.id DESC
