-- Codes and free text of mapped objects as clients may write them
-- (server/textcheck, which the OGC writes and citymap import check first; this
-- is the last line). A code of a point or parking zone appears in URLs and file
-- names: letters, digits and . _ -, starting with a letter or digit, no "..",
-- at most 64 characters. Names and addresses are bounded so that one row cannot
-- bloat every feature, tile and stream frame it is in. (Issues have their
-- limits at intake, store.NewIssue.)
ALTER TABLE points
    ADD CONSTRAINT points_code_format CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' AND strpos(code, '..') = 0) NOT VALID,
    ADD CONSTRAINT points_name_length CHECK (char_length(name) <= 200) NOT VALID,
    ADD CONSTRAINT points_address_length CHECK (char_length(address) <= 500) NOT VALID,
    ADD CONSTRAINT points_unit_length CHECK (char_length(unit) <= 200) NOT VALID,
    ADD CONSTRAINT points_person_length CHECK (char_length(person) <= 100) NOT VALID,
    ADD CONSTRAINT points_phone_length CHECK (char_length(phone) <= 50) NOT VALID;

ALTER TABLE parking_zones
    ADD CONSTRAINT parking_code_format CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$' AND strpos(code, '..') = 0) NOT VALID,
    ADD CONSTRAINT parking_name_length CHECK (char_length(name) <= 200) NOT VALID,
    ADD CONSTRAINT parking_address_length CHECK (char_length(address) <= 500) NOT VALID,
    ADD CONSTRAINT parking_operator_length CHECK (char_length(operator) <= 200) NOT VALID;

ALTER TABLE areas
    ADD CONSTRAINT areas_name_length CHECK (char_length(name) <= 200) NOT VALID,
    ADD CONSTRAINT areas_manager_length CHECK (char_length(manager) <= 100) NOT VALID,
    ADD CONSTRAINT areas_manager_phone_length CHECK (char_length(manager_phone) <= 50) NOT VALID;

-- Added NOT VALID, then validated where the rows already stored allow it: a
-- city whose old data breaks a rule keeps a server that starts (new writes are
-- checked all the same) and a warning that names the rule; fix the rows, then
-- ALTER TABLE ... VALIDATE CONSTRAINT.
DO $$
DECLARE
    c record;
BEGIN
    FOR c IN SELECT conrelid::regclass AS tbl, conname FROM pg_constraint
             WHERE connamespace = 'public'::regnamespace AND NOT convalidated
               AND (conname LIKE '%\_format' OR conname LIKE '%\_length')
    LOOP
        BEGIN
            EXECUTE format('ALTER TABLE %s VALIDATE CONSTRAINT %I', c.tbl, c.conname);
        EXCEPTION WHEN check_violation THEN
            RAISE WARNING 'citymap: rows of % break constraint %; fix them, then VALIDATE CONSTRAINT', c.tbl, c.conname;
        END;
    END LOOP;
END $$;
