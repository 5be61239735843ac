-- What the download centre and the API need beyond the core schema.
SELECT 1;
