-- Observations, targets and uploads get the ids SQLite gives them: the
-- largest id plus one (SQLite's rowid), not an identity. An identity
-- never gives back a number, so the same seed and uploads would number
-- their values differently on the two engines (SQLite takes again the
-- number of a value deleted or of a rolled-back insert), and ids are
-- what downloads, the API and "computed from observations 608 and 648"
-- cite. Every insert into these tables runs under the writer lock
-- (BeginWrite), so the largest id cannot change under it; a BEFORE ROW
-- trigger sees the rows its statement inserted before, so an INSERT …
-- SELECT numbers its rows one after another, as on SQLite. Nothing to
-- do on SQLite.
{{- if pg}}
{{- range $t := list "observations" "targets" "uploads"}}
CREATE FUNCTION {{$t}}_next_id() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    IF NEW.id IS NULL THEN
        NEW.id := (SELECT COALESCE(MAX(id), 0) + 1 FROM {{$t}});
    END IF;
    RETURN NEW;
END
$fn$;
ALTER TABLE {{$t}} ALTER COLUMN id DROP IDENTITY;
CREATE TRIGGER {{$t}}_id BEFORE INSERT ON {{$t}} FOR EACH ROW EXECUTE FUNCTION {{$t}}_next_id();
{{- end}}
{{- end}}
