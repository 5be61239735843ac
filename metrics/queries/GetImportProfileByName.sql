SELECT p.id, p.name, p.title, p.version, p.status, p.kind, p.body, p.created_by, p.created_at,
       p.updated_by, p.updated_at, p.approved_by, p.approved_at, p.proposed_body, p.proposed_by, p.proposed_at
FROM import_profiles p
WHERE p.name = ?
