-- What the download centre and the API need beyond the core schema.

-- Whether a source's terms let us pass its values on in downloads and
-- the API: 'permitted' (an open licence or a reuse policy that allows
-- it), 'not_permitted' (the terms reserve the rights), or 'unknown'
-- (nothing is stated). Values of a 'not_permitted' source are listed in
-- downloads with their source but without the value; the note says why.
ALTER TABLE sources ADD COLUMN redistribution TEXT NOT NULL DEFAULT 'unknown'
    CHECK (redistribution IN ('permitted', 'not_permitted', 'unknown'));
ALTER TABLE sources ADD COLUMN redistribution_note TEXT NOT NULL DEFAULT '';

-- The API filters by source.
CREATE INDEX observations_source ON observations (source_id) WHERE retired_by IS NULL;
