-- Time partitions: issues, issue_events, changes and parking_readings are
-- partitioned by month (RANGE on created_at, at, committed_at and at), with
-- PostgreSQL's declarative partitioning. Months are the city's (city_timezone()),
-- so a month's report reads one partition of each table, and the changes feed's
-- retention drops whole months instead of deleting rows (server/store/feed.go).
--
-- What the partition key breaks, and how this keeps it:
--
-- * A unique index of a partitioned table must contain the partition key, so
--   issues' primary key becomes (id, created_at) and neither "id is unique" nor
--   "(source, external_id) is unique" could be a constraint of issues any more.
--   Both live in issue_keys, a plain table with one row per issue: its primary
--   key is the issue id, its unique index the (source, external_id) pair. The
--   foreign keys that named issues (id) -- issue_events, issues.duplicate_of,
--   tasks, issue_contacts -- name issue_keys (id) instead, with the same ON
--   DELETE rules, so each keeps a real, checked foreign key.
-- * The rows of issue_keys are written only by the triggers of issues below:
--   an insert adds the key (a taken id fails with unique_violation; a taken
--   (source, external_id) pair skips the row, which is what intake's ON CONFLICT
--   DO NOTHING asked for and cannot say on a partitioned table); a delete
--   removes it (its foreign keys then refuse or cascade as before); an UPDATE
--   that moves a row to another month's partition keeps it. Changing an issue's
--   id is refused: it is its name in every other table and in the feed.
-- * Referencing a month-partitioned issue by (id, created_at) instead would
--   have put created_at into every referencing table and every writer of them,
--   and a trigger-checked rule instead of a foreign key would give up the
--   locking that makes a real one safe under concurrent deletes; the key table
--   costs one small index insert per issue.
-- * issue_events, changes and parking_readings are referenced by nothing; their
--   keys become (id, at), (seq, committed_at) and (zone_id, at) (the last one
--   already held its partition key). seq stays gap-free: change_counter, not an
--   index, is what makes it so.
--
-- Partitions for coming months exist before rows arrive: partitions_ensure
-- creates the months of a span (the seeder asks for the year it writes), and
-- partitions_maintain, which every server instance runs at start and hourly
-- (server/partitions), keeps PartitionsAhead months ahead. A DEFAULT partition
-- of each table catches anything else, so no insert ever fails for want of a
-- partition, and maintenance moves such rows into their month once it exists.
--
-- The existing tables are converted in place, in this migration's transaction:
-- each is renamed, an identical partitioned table (same columns in the same
-- order, defaults, checks) takes its name, the months its rows span are
-- created, the rows are copied, the old table is dropped, and then the keys,
-- indexes, foreign keys, triggers and the functions over the issues row type
-- are built again under their old names. Indexes are built after the copy,
-- which is much faster than maintaining them row by row. docs/PARTITIONS.md
-- has the time it takes at scale 20.

-- The month-partitioned tables and their partition keys.
CREATE FUNCTION partition_parents() RETURNS TABLE (parent text, key text)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ VALUES ('issues', 'created_at'), ('issue_events', 'at'), ('changes', 'committed_at'),
             ('parking_readings', 'at') $$;

-- The first instant of the city's month that t falls in.
CREATE FUNCTION partition_month(t timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
RETURN date_trunc('month', t, city_timezone());

-- Every partition of the month-partitioned tables with the span it holds:
-- [starts, ends), both NULL for the DEFAULT partition.
CREATE VIEW partition_months AS
SELECT p.parent, c.relname::text AS partition, b.bounds[1]::timestamptz AS starts,
       b.bounds[2]::timestamptz AS ends, c.reltuples::bigint AS estimated_rows
FROM partition_parents() p
JOIN pg_inherits i ON i.inhparent = p.parent::regclass
JOIN pg_class c ON c.oid = i.inhrelid
CROSS JOIN LATERAL (SELECT regexp_match(pg_get_expr(c.relpartbound, c.oid),
    'FROM \(''([^'']+)''\) TO \(''([^'']+)''\)') AS bounds) b;

-- partition_add creates the partition of parent for the month starting at m.
-- Rows of that month waiting in the DEFAULT partition move into it: the DEFAULT
-- partition is detached (so the move fires none of the parent's triggers, and
-- no key of issue_keys goes and comes back), the month is filled as a table of
-- its own and attached, and the DEFAULT partition attached again.
CREATE FUNCTION partition_add(parent text, key text, m timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    next timestamptz := partition_month(m + interval '32 days');
    part text := format('%s_%s', parent, to_char(m AT TIME ZONE city_timezone(), 'YYYY_MM'));
    def text;
    waiting boolean := false;
BEGIN
    SELECT pm.partition INTO def FROM partition_months pm WHERE pm.parent = partition_add.parent AND pm.starts IS NULL;
    IF def IS NOT NULL THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I >= $1 AND %I < $2)', def, key, key)
            INTO waiting USING m, next;
    END IF;
    IF NOT waiting THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', part, parent, m, next);
        RETURN;
    END IF;
    EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', parent, def);
    EXECUTE format('CREATE TABLE %I (LIKE %I INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)', part, parent);
    EXECUTE format('INSERT INTO %I SELECT * FROM %I WHERE %I >= $1 AND %I < $2', part, def, key, key) USING m, next;
    EXECUTE format('DELETE FROM %I WHERE %I >= $1 AND %I < $2', def, key, key) USING m, next;
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', parent, part, m, next);
    EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I DEFAULT', parent, def);
END $$;

-- partition_ensure creates the months of parent from the one of first to the
-- one of last that it lacks, and its DEFAULT partition when it lacks one. It
-- returns how many partitions it created. Callers at the same time (instances,
-- the seeder) take turns.
CREATE FUNCTION partition_ensure(parent text, key text, first timestamptz, last timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    m timestamptz := partition_month(first);
    made integer := 0;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('citymap partitions'));
    WHILE m <= last LOOP
        IF NOT EXISTS (SELECT 1 FROM partition_months pm
                       WHERE pm.parent = partition_ensure.parent AND pm.starts <= m AND pm.ends > m) THEN
            PERFORM partition_add(parent, key, m);
            made := made + 1;
        END IF;
        m := partition_month(m + interval '32 days');
    END LOOP;
    IF NOT EXISTS (SELECT 1 FROM partition_months pm WHERE pm.parent = partition_ensure.parent AND pm.starts IS NULL) THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF %I DEFAULT', parent || '_default', parent);
        made := made + 1;
    END IF;
    RETURN made;
END $$;

-- partitions_ensure does partition_ensure for every month-partitioned table:
-- what the seeder calls for the span it writes.
CREATE FUNCTION partitions_ensure(first timestamptz, last timestamptz) RETURNS integer
LANGUAGE sql VOLATILE
RETURN (SELECT sum(partition_ensure(p.parent, p.key, first, last))::integer FROM partition_parents() p);

-- partitions_maintain keeps `ahead` months past the current one for every
-- table, fills any month missing between a table's oldest partition and now
-- (not before it: the feed's retention dropped those), and gives the rows
-- waiting in a DEFAULT partition their months, those up to `ahead` months from
-- now (a row dated further ahead waits until its month is near).
CREATE FUNCTION partitions_maintain(ahead integer) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    p record;
    def text;
    first timestamptz;
    waiting timestamptz;
    made integer := 0;
BEGIN
    FOR p IN SELECT * FROM partition_parents() LOOP
        SELECT min(pm.starts) INTO first FROM partition_months pm WHERE pm.parent = p.parent;
        SELECT pm.partition INTO def FROM partition_months pm WHERE pm.parent = p.parent AND pm.starts IS NULL;
        IF def IS NOT NULL THEN
            EXECUTE format('SELECT min(%I) FROM %I', p.key, def) INTO waiting;
            first := least(first, waiting);
        END IF;
        made := made + partition_ensure(p.parent, p.key, least(first, now()), now() + make_interval(months => ahead));
    END LOOP;
    RETURN made;
END $$;

-- changes_drop_months drops the months of the changes feed that ended before
-- `before`, oldest first, while no webhook still needs them (a paused
-- subscription's cursor holds the feed from there), and returns how many
-- changes went. What is kept stays one gap-free run of seq up to the head, so
-- that a replay can tell where it starts (server/store FeedBounds): a change
-- is in the month its transaction began, and one that began before a month
-- ended can take its seq after one that began later, so the few changes of the
-- next month with a seq below the dropped month's last go too. Dropping a
-- partition locks the feed for a moment; one that cannot have the lock within
-- seconds fails, and the pruner tries again on its next round.
CREATE FUNCTION changes_drop_months(before timestamptz) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    held bigint := (SELECT coalesce(min(cursor), 9223372036854775807) FROM webhooks);
    head bigint := (SELECT seq FROM change_counter);
    oldest bigint := coalesce((SELECT min(seq) FROM changes), head + 1);
    month record;
    last bigint;
BEGIN
    PERFORM set_config('lock_timeout', '5s', true);
    FOR month IN SELECT pm.partition FROM partition_months pm
                 WHERE pm.parent = 'changes' AND pm.ends <= before ORDER BY pm.starts LOOP
        EXECUTE format('SELECT max(seq) FROM %I', month.partition) INTO last;
        EXIT WHEN last > held;
        EXECUTE format('DROP TABLE %I', month.partition);
        IF last IS NOT NULL THEN
            DELETE FROM changes WHERE seq <= last;
        END IF;
    END LOOP;
    RETURN coalesce((SELECT min(seq) FROM changes), head + 1) - oldest;
END $$;

-- The converted tables: rename, and a partitioned copy of each takes the name.
ALTER TABLE issues RENAME TO issues_unpartitioned;
ALTER TABLE issue_events RENAME TO issue_events_unpartitioned;
ALTER TABLE changes RENAME TO changes_unpartitioned;
ALTER TABLE parking_readings RENAME TO parking_readings_unpartitioned;

CREATE TABLE issues (LIKE issues_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)
    PARTITION BY RANGE (created_at);
CREATE TABLE issue_events (LIKE issue_events_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)
    PARTITION BY RANGE (at);
CREATE TABLE changes (LIKE changes_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)
    PARTITION BY RANGE (committed_at);
CREATE TABLE parking_readings (LIKE parking_readings_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS
    INCLUDING STORAGE) PARTITION BY RANGE (at);

-- the months the existing rows span, and three ahead
SELECT partition_ensure('issues', 'created_at', least((SELECT min(created_at) FROM issues_unpartitioned), now()),
                        now() + interval '3 months');
SELECT partition_ensure('issue_events', 'at', least((SELECT min(at) FROM issue_events_unpartitioned), now()),
                        now() + interval '3 months');
SELECT partition_ensure('changes', 'committed_at', least((SELECT min(committed_at) FROM changes_unpartitioned), now()),
                        now() + interval '3 months');
SELECT partition_ensure('parking_readings', 'at', least((SELECT min(at) FROM parking_readings_unpartitioned), now()),
                        now() + interval '3 months');

SET LOCAL maintenance_work_mem = '256MB';
INSERT INTO issues SELECT * FROM issues_unpartitioned;
INSERT INTO issue_events SELECT * FROM issue_events_unpartitioned;
INSERT INTO changes SELECT * FROM changes_unpartitioned;
INSERT INTO parking_readings SELECT * FROM parking_readings_unpartitioned;

-- The identity of an issue, apart from its month.
CREATE TABLE issue_keys (
    id          bigint PRIMARY KEY,
    source      text NOT NULL,
    external_id text
);
INSERT INTO issue_keys (id, source, external_id) SELECT id, source, external_id FROM issues_unpartitioned;
CREATE UNIQUE INDEX issue_keys_external_idx ON issue_keys (source, external_id) WHERE external_id IS NOT NULL;

ALTER TABLE tasks DROP CONSTRAINT tasks_issue_id_fkey,
    ADD CONSTRAINT tasks_issue_id_fkey FOREIGN KEY (issue_id) REFERENCES issue_keys (id);
ALTER TABLE issue_contacts DROP CONSTRAINT issue_contacts_issue_id_fkey,
    ADD CONSTRAINT issue_contacts_issue_id_fkey FOREIGN KEY (issue_id) REFERENCES issue_keys (id) ON DELETE CASCADE;

ALTER SEQUENCE issues_id_seq OWNED BY issues.id;
ALTER SEQUENCE issue_events_id_seq OWNED BY issue_events.id;

-- the functions over the row type go with the old table and come back below
DROP FUNCTION issue_feature(issues_unpartitioned);
DROP FUNCTION issue_overdue(issues_unpartitioned, timestamptz);
DROP TABLE issue_events_unpartitioned;
DROP TABLE issues_unpartitioned;
DROP TABLE changes_unpartitioned;
DROP TABLE parking_readings_unpartitioned;

ALTER TABLE issues ADD CONSTRAINT issues_pkey PRIMARY KEY (id, created_at),
    ADD CONSTRAINT issues_category_fkey FOREIGN KEY (category) REFERENCES issue_categories (code),
    ADD CONSTRAINT issues_duplicate_of_fkey FOREIGN KEY (duplicate_of) REFERENCES issue_keys (id),
    ADD CONSTRAINT issues_inspection_id_fkey FOREIGN KEY (inspection_id) REFERENCES inspections (id),
    ADD CONSTRAINT issues_point_id_fkey FOREIGN KEY (point_id) REFERENCES points (id),
    ADD CONSTRAINT issues_unit_fkey FOREIGN KEY (unit) REFERENCES units (code);
-- not unique here (issue_keys_external_idx is): retried intake finds the issue by it
CREATE INDEX issues_external_idx ON issues (source, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX issues_geom_idx ON issues USING gist (geom);
CREATE INDEX issues_created_idx ON issues (created_at);
CREATE INDEX issues_status_idx ON issues (status);
CREATE INDEX issues_category_idx ON issues (category, created_at);
CREATE INDEX issues_grid_idx ON issues (grid_code text_pattern_ops);
CREATE INDEX issues_open_deadline_idx ON issues (deadline)
    WHERE status IN ('reported', 'registered', 'dispatched', 'in_progress', 'resolved');
CREATE INDEX issues_inspection_idx ON issues (inspection_id) WHERE inspection_id IS NOT NULL;
CREATE INDEX issues_open_geom_idx ON issues USING gist (geom) WHERE issue_is_open(status);
CREATE INDEX issues_photos_idx ON issues USING gin (photos);

ALTER TABLE issue_events ADD CONSTRAINT issue_events_pkey PRIMARY KEY (id, at),
    ADD CONSTRAINT issue_events_issue_id_fkey FOREIGN KEY (issue_id) REFERENCES issue_keys (id);
CREATE INDEX issue_events_issue_idx ON issue_events (issue_id, at);
CREATE INDEX issue_events_at_idx ON issue_events (at);
CREATE INDEX issue_events_report_actor_idx ON issue_events (actor, issue_id) WHERE action = 'report';
CREATE INDEX issue_events_deadline_idx ON issue_events (issue_id, at)
    WHERE action IN ('extend_grant', 'suspend', 'resume');

ALTER TABLE changes ADD CONSTRAINT changes_pkey PRIMARY KEY (seq, committed_at);
CREATE INDEX changes_committed_idx ON changes (committed_at);

ALTER TABLE parking_readings ADD CONSTRAINT parking_readings_pkey PRIMARY KEY (zone_id, at),
    ADD CONSTRAINT parking_readings_zone_id_fkey FOREIGN KEY (zone_id) REFERENCES parking_zones (id) ON DELETE CASCADE;
CREATE INDEX parking_readings_at_idx ON parking_readings (at);

-- issue_keys follows issues (see the top of this file).
CREATE FUNCTION issue_keys_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM issue_keys k WHERE k.id = NEW.id) THEN
        -- an UPDATE moving the row to another month inserts it there after
        -- deleting it here: the key is its own; otherwise the id is taken
        IF EXISTS (SELECT 1 FROM issues i WHERE i.id = NEW.id) THEN
            RAISE unique_violation USING MESSAGE = format('issue id %s is taken', NEW.id),
                CONSTRAINT = 'issue_keys_pkey', TABLE = 'issue_keys';
        END IF;
        RETURN NEW;
    END IF;
    INSERT INTO issue_keys (id, source, external_id) VALUES (NEW.id, NEW.source, NEW.external_id)
    ON CONFLICT (source, external_id) WHERE external_id IS NOT NULL DO NOTHING;
    IF NOT FOUND THEN
        RETURN NULL; -- (source, external_id) names an issue taken in before
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION issue_keys_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id THEN
        RAISE integrity_constraint_violation USING MESSAGE = format('issue %s cannot change its id', OLD.id);
    END IF;
    UPDATE issue_keys SET source = NEW.source, external_id = NEW.external_id WHERE id = OLD.id;
    RETURN NEW;
END $$;

CREATE FUNCTION issue_keys_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- at the end of the statement: a row that moved to another month is there
    DELETE FROM issue_keys k WHERE k.id = OLD.id AND NOT EXISTS (SELECT 1 FROM issues i WHERE i.id = OLD.id);
    RETURN NULL;
END $$;

CREATE FUNCTION issue_keys_truncate() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- refused by the foreign keys of what still references them, as the
    -- TRUNCATE of a referenced table was
    DELETE FROM issue_keys;
    RETURN NULL;
END $$;

CREATE TRIGGER issue_keys_insert BEFORE INSERT ON issues FOR EACH ROW EXECUTE FUNCTION issue_keys_insert();
CREATE TRIGGER issue_keys_update BEFORE UPDATE OF id, source, external_id ON issues
    FOR EACH ROW WHEN (NEW.id <> OLD.id OR (NEW.source, NEW.external_id) IS DISTINCT FROM (OLD.source, OLD.external_id))
    EXECUTE FUNCTION issue_keys_update();
CREATE TRIGGER issue_keys_delete AFTER DELETE ON issues FOR EACH ROW EXECUTE FUNCTION issue_keys_delete();
CREATE TRIGGER issue_keys_truncate AFTER TRUNCATE ON issues FOR EACH STATEMENT EXECUTE FUNCTION issue_keys_truncate();

-- As in 0023, over the partitioned table's row type.
CREATE FUNCTION issue_overdue(i issues, at timestamptz) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN issue_is_open(i.status) AND i.suspended_at IS NULL AND i.deadline < at;

CREATE FUNCTION issue_feature(i issues) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN jsonb_build_object(
    'type', 'Feature',
    'id', i.id,
    'geometry', ST_AsGeoJSON(i.geom, 7)::jsonb,
    'properties', jsonb_build_object(
        'source', i.source,
        'external_id', i.external_id,
        'category', i.category,
        'description', i.description,
        'address', i.address,
        'photos', to_jsonb(i.photos),
        'status', i.status,
        'grid', i.grid_code,
        'community', i.community_code,
        'street', i.street_code,
        'unit', i.unit,
        'deadline', i.deadline,
        'overdue', issue_overdue(i, now()),
        'suspended', i.suspended_at IS NOT NULL,
        'suspended_at', i.suspended_at,
        'extension_requested', i.extension_requested,
        'extensions', i.extensions,
        'suspensions', i.suspensions,
        'created_at', i.created_at,
        'dispatched_at', i.dispatched_at,
        'resolved_at', i.resolved_at,
        'closed_at', i.closed_at,
        'rework_count', i.rework_count,
        'duplicate_of', i.duplicate_of,
        'inspection_id', i.inspection_id,
        'point_id', i.point_id,
        'updated_at', i.updated_at,
        'version', i.version));

-- the old tables' statistics went with them; the planner needs the new ones now
ANALYZE issues, issue_events, changes, parking_readings, issue_keys;
