-- Working-time deadlines, extensions (延期) and suspensions (挂起).
--
-- THE RULE, in one place (the worktime_* functions below; nothing else computes
-- a deadline). A category's time limit is an amount in one of three units:
--   * 'urgent':   wall-clock hours, around the clock;
--   * 'hours':    working hours: only the time inside the city's working day
--                 (setting citymap.work_hours, default 08:30-12:00,13:30-17:30)
--                 on a workday counts;
--   * 'workdays': the close of the working day of the N-th workday after the day
--                 the clock starts (the day it starts is not counted, as periods
--                 are counted in Chinese law, 民法典 art. 201).
-- A workday is a date of the city's time zone (city_timezone()) that
-- calendar_days marks 'workday' (a make-up workday, 调休), or else that is no
-- 'holiday' there and falls on Monday to Friday: the calendar tidal parking
-- reads.
--
-- Intake starts the clock (worktime_due(created_at, amount, unit)); a granted
-- extension moves the deadline by the granted amount from the deadline
-- (worktime_due(deadline, amount, unit)); a resumption moves it by the working
-- time the case was suspended (worktime_resume): working time for 'hours' and
-- 'workdays', wall-clock time for 'urgent'.

ALTER TABLE issue_categories RENAME COLUMN deadline_hours TO deadline_amount;
ALTER TABLE issue_categories RENAME CONSTRAINT issue_categories_deadline_hours_check TO issue_categories_deadline_amount_check;
ALTER TABLE issue_categories ADD COLUMN deadline_unit text NOT NULL DEFAULT 'urgent'
    CHECK (deadline_unit IN ('hours', 'workdays', 'urgent'));

-- The demo categories after the usual city-management practice: what endangers
-- people or traffic runs around the clock, street order in working hours, works
-- that need a crew or a procedure in workdays.
UPDATE issue_categories c SET deadline_amount = v.amount, deadline_unit = v.unit
FROM (VALUES
    ('manhole_cover', 4, 'urgent'), ('waterlogging', 6, 'urgent'), ('muck_spill', 4, 'urgent'),
    ('car_parking', 2, 'urgent'),
    ('street_light', 16, 'hours'), ('trash_bin', 8, 'hours'), ('guardrail', 16, 'hours'),
    ('traffic_sign', 16, 'hours'), ('exposed_garbage', 4, 'hours'), ('stacked_materials', 8, 'hours'),
    ('street_vending', 2, 'hours'), ('illegal_posting', 8, 'hours'), ('bike_parking', 4, 'hours'),
    ('noise', 8, 'hours'), ('market_order', 8, 'hours'), ('public_toilet', 6, 'hours'),
    ('road_damage', 3, 'workdays'), ('bus_shelter', 3, 'workdays'), ('green_space', 3, 'workdays'),
    ('cooking_fumes', 5, 'workdays'), ('outdoor_ads', 5, 'workdays'), ('illegal_construction', 5, 'workdays')
) v (code, amount, unit)
WHERE c.code = v.code;

-- The periods of the working day, from the setting citymap.work_hours
-- ('HH:MM-HH:MM,...', ascending, not overlapping; citymap serve checks and sets
-- it from --work-hours / CITYMAP_WORK_HOURS; ALTER DATABASE ... SET for a city
-- that wants it without the flag).
CREATE FUNCTION city_work_periods() RETURNS TABLE (opens time, closes time)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT split_part(p, '-', 1)::time, split_part(p, '-', 2)::time
    FROM unnest(string_to_array(replace(coalesce(nullif(current_setting('citymap.work_hours', true), ''),
        '08:30-12:00,13:30-17:30'), ' ', ''), ',')) p
    ORDER BY 1
$$;

-- Whether a local date is a workday.
CREATE FUNCTION worktime_workday(day date) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce((SELECT c.kind = 'workday' FROM calendar_days c WHERE c.day = worktime_workday.day),
                extract(isodow FROM worktime_workday.day) < 6);

-- The working periods of the local dates first … last, in time order.
CREATE FUNCTION worktime_periods(first date, last date) RETURNS TABLE (starts timestamptz, ends timestamptz)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT (g.d + w.opens) AT TIME ZONE city_timezone(), (g.d + w.closes) AT TIME ZONE city_timezone()
    FROM (SELECT t::date AS d FROM generate_series(first, last, interval '1 day') t) g
    CROSS JOIN city_work_periods() w
    WHERE worktime_workday(g.d)
    ORDER BY 1
$$;

-- The instant when amount of working time has passed after start (start itself
-- when amount is not positive): the walk of worktime_periods day by day, with
-- the periods read once (intake calls this for every issue of a batch).
CREATE FUNCTION worktime_add(start timestamptz, amount interval) RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    tz     text := city_timezone();
    day    date := (start AT TIME ZONE city_timezone())::date;
    rest   interval := amount;
    opens  time[];
    closes time[];
    s      timestamptz;
    e      timestamptz;
BEGIN
    IF amount <= interval '0' THEN
        RETURN start;
    END IF;
    SELECT array_agg(w.opens ORDER BY w.opens), array_agg(w.closes ORDER BY w.opens)
        INTO opens, closes FROM city_work_periods() w;
    -- ten years is more than any limit asks
    FOR n IN 0 .. 3660 LOOP
        IF worktime_workday(day) THEN
            FOR k IN 1 .. cardinality(opens) LOOP
                e := (day + closes[k]) AT TIME ZONE tz;
                IF e > start THEN
                    s := greatest((day + opens[k]) AT TIME ZONE tz, start);
                    IF s + rest <= e THEN
                        RETURN s + rest;
                    END IF;
                    rest := rest - (e - s);
                END IF;
            END LOOP;
        END IF;
        day := day + 1;
    END LOOP;
    RAISE EXCEPTION 'worktime_add: no working time in ten years after % (citymap.work_hours?)', start;
END
$$;

-- The working time between two instants.
CREATE FUNCTION worktime_between(a timestamptz, b timestamptz) RETURNS interval
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(sum(least(p.ends, b) - greatest(p.starts, a)), interval '0')
    FROM worktime_periods((a AT TIME ZONE city_timezone())::date, (b AT TIME ZONE city_timezone())::date) p
    WHERE p.ends > a AND p.starts < b
$$;

-- The deadline of a limit of amount in unit whose clock starts at start.
CREATE FUNCTION worktime_due(start timestamptz, amount integer, unit text) RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
    day  date := (start AT TIME ZONE city_timezone())::date;
    todo integer := amount;
BEGIN
    CASE unit
    WHEN 'urgent' THEN
        RETURN start + make_interval(hours => amount);
    WHEN 'hours' THEN
        RETURN worktime_add(start, make_interval(hours => amount));
    WHEN 'workdays' THEN
        WHILE todo > 0 LOOP
            day := day + 1;
            IF worktime_workday(day) THEN
                todo := todo - 1;
            END IF;
        END LOOP;
        RETURN (day + (SELECT max(closes) FROM city_work_periods())) AT TIME ZONE city_timezone();
    ELSE
        RAISE EXCEPTION 'worktime_due: unknown unit %', unit;
    END CASE;
END
$$;

-- The deadline after a suspension from since to until: moved by the time the
-- clock stood still, counted as the unit counts it.
CREATE FUNCTION worktime_resume(deadline timestamptz, since timestamptz, until timestamptz, unit text)
RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN unit = 'urgent' THEN deadline + (until - since)
            ELSE worktime_add(deadline, worktime_between(since, until)) END;

-- Extensions and suspensions on the case itself: what is pending, how often.
-- issue_feature reads the row type, which cannot change under it: it is
-- dropped here and built again below.
DROP FUNCTION issue_feature(issues);
ALTER TABLE issues
    ADD COLUMN suspended_at timestamptz,        -- set while suspended: the clock stands
    ADD COLUMN extension_requested integer CHECK (extension_requested > 0), -- pending request
    ADD COLUMN extensions integer NOT NULL DEFAULT 0 CHECK (extensions >= 0),  -- granted
    ADD COLUMN suspensions integer NOT NULL DEFAULT 0 CHECK (suspensions >= 0);

ALTER TABLE issue_events DROP CONSTRAINT issue_events_action_check;
ALTER TABLE issue_events ADD CONSTRAINT issue_events_action_check
    CHECK (action IN ('report', 'register', 'dispatch', 'start', 'resolve', 'verify', 'reject', 'merge',
                      'update', 'extend_request', 'extend_grant', 'extend_refuse', 'suspend', 'resume'));
-- the reports find the extensions and suspensions of a case by action
CREATE INDEX issue_events_deadline_idx ON issue_events (issue_id, at)
    WHERE action IN ('extend_grant', 'suspend', 'resume');

-- Overdue, in one place: open, not suspended, past its deadline at instant at.
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
