-- Import profiles: how one publisher layout is read and mapped (the
-- format is in docs/import-profiles.md). One row per profile name; its
-- body is the profile's JSON as last saved, and version counts the
-- saves. Shipped profiles come from data/profiles with the seed; staff
-- profiles are made in the mapping step or sent to the API. Editors
-- propose, admins approve; only approved profiles recognise files. An
-- editor's change to an approved profile waits in proposed_body, and the
-- approved body stays in use until an admin approves the change.
CREATE TABLE import_profiles (
    id          INTEGER PRIMARY KEY,
    name        TEXT    NOT NULL UNIQUE,
    title       TEXT    NOT NULL DEFAULT '',
    version     INTEGER NOT NULL DEFAULT 1,
    status      TEXT    NOT NULL CHECK (status IN ('proposed', 'approved', 'retired')),
    kind        TEXT    NOT NULL CHECK (kind IN ('shipped', 'staff')),
    body        TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    updated_by  TEXT    NOT NULL,
    updated_at  TEXT    NOT NULL,
    approved_by TEXT,
    approved_at TEXT,
    proposed_body TEXT,
    proposed_by   TEXT,
    proposed_at   TEXT
);
CREATE INDEX import_profiles_status ON import_profiles (status);

-- Every change of a profile, with the body and status before and after,
-- so that the history says who changed what and any change can be
-- reverted (a revert is itself a change).
CREATE TABLE import_profile_changes (
    id          INTEGER PRIMARY KEY,
    profile_id  INTEGER NOT NULL REFERENCES import_profiles (id),
    at          TEXT    NOT NULL,
    user_email  TEXT    NOT NULL,
    action      TEXT    NOT NULL CHECK (action IN ('create', 'edit', 'propose', 'approve', 'retire', 'revert', 'ship')),
    version     INTEGER NOT NULL,
    old_status  TEXT,
    new_status  TEXT    NOT NULL,
    old_body    TEXT,
    new_body    TEXT    NOT NULL,
    reverts     INTEGER REFERENCES import_profile_changes (id)
);
CREATE INDEX import_profile_changes_profile ON import_profile_changes (profile_id, id);
