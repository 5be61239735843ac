-- Who did what to an upload. uploaded_by is who sent the file (until
-- now it held who published it, so existing rows keep that name in
-- published_by as well); published_by who published it. Pending
-- uploads are shared by the staff: every action on one (received,
-- checked, published, discarded, expired) is a row of upload_events,
-- which outlives the pending upload's folder.
ALTER TABLE uploads ADD COLUMN published_by TEXT;
UPDATE uploads SET published_by = uploaded_by WHERE kind = 'file' AND published_at IS NOT NULL;

CREATE TABLE upload_events (
    id         INTEGER PRIMARY KEY,
    upload_key TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    by_email   TEXT    NOT NULL,
    at         TEXT    NOT NULL,
    file_name  TEXT    NOT NULL DEFAULT '',
    detail     TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX upload_events_key ON upload_events (upload_key, id);
