-- The volunteer-activity menu (文明实践活动菜单): each month, every community
-- publishes the activities it holds (title, time, place, organising unit,
-- capacity); citizens sign up and the organiser marks who attended.

CREATE TABLE activities (
    id             bigserial PRIMARY KEY,
    community_code text NOT NULL REFERENCES areas (code),
    -- the month of starts_at in the city's time zone (2026-11): the menu's
    month          text NOT NULL CHECK (month ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
    title          text NOT NULL CHECK (title <> ''),
    description    text NOT NULL DEFAULT '',
    starts_at      timestamptz NOT NULL,
    ends_at        timestamptz NOT NULL,
    place          text NOT NULL DEFAULT '',
    -- where it is held, WGS 84; the community's centroid when none was given
    geom           geometry(Point, 4326) NOT NULL,
    unit           text REFERENCES units (code),
    -- NULL: no limit
    capacity       integer CHECK (capacity > 0),
    status         text NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'cancelled', 'done')),
    -- kept by the sign-up and attendance writes under the row's lock, so that
    -- the capacity holds against concurrent sign-ups
    signups        integer NOT NULL DEFAULT 0 CHECK (signups >= 0 AND (capacity IS NULL OR signups <= capacity)),
    attended       integer NOT NULL DEFAULT 0 CHECK (attended >= 0 AND attended <= signups),
    created_by     text NOT NULL,
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT activities_time CHECK (ends_at >= starts_at)
);
CREATE INDEX activities_month_idx ON activities (month, community_code);
CREATE INDEX activities_community_idx ON activities (community_code, starts_at);
CREATE INDEX activities_geom_idx ON activities USING gist (geom);

-- A sign-up: the name the citizen gave and a key of the phone (an HMAC under
-- the server's secret, settings.contact_key_secret), never the number itself;
-- one sign-up per key and activity.
CREATE TABLE activity_signups (
    id          bigserial PRIMARY KEY,
    activity_id bigint NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (name <> ''),
    contact_key text NOT NULL CHECK (contact_key ~ '^[0-9a-f]{64}$'),
    signed_at   timestamptz NOT NULL DEFAULT now(),
    attended    boolean NOT NULL DEFAULT false,
    attended_at timestamptz,
    CONSTRAINT activity_signups_once UNIQUE (activity_id, contact_key),
    CONSTRAINT activity_signups_attended CHECK (attended = (attended_at IS NOT NULL))
);

-- The secret of the contact keys, made once per database (gen_random_uuid
-- draws from the strong random source: two give 244 random bits).
INSERT INTO settings (key, value)
VALUES ('contact_key_secret', to_jsonb(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')))
ON CONFLICT (key) DO NOTHING;

-- An activity as a GeoJSON Feature: the menu, the OGC collection and the
-- planner's layer say the same thing. Names of who signed up are not in it.
CREATE FUNCTION activity_feature(a activities) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN jsonb_build_object(
    'type', 'Feature',
    'id', a.id,
    'geometry', ST_AsGeoJSON(a.geom, 7)::jsonb,
    'properties', jsonb_build_object(
        'title', a.title,
        'description', a.description,
        'community', a.community_code,
        'community_name', (SELECT name FROM areas WHERE code = a.community_code),
        'street', left(a.community_code, 9),
        'month', a.month,
        'starts_at', a.starts_at,
        'ends_at', a.ends_at,
        'place', a.place,
        'unit', a.unit,
        'unit_name', (SELECT name FROM units WHERE code = a.unit),
        'capacity', a.capacity,
        'signups', a.signups,
        'attended', a.attended,
        'full', a.capacity IS NOT NULL AND a.signups >= a.capacity,
        'status', a.status,
        'created_by', a.created_by,
        'created_at', a.created_at,
        'updated_at', a.updated_at,
        'version', a.version));

-- Activities are a live layer.
ALTER TABLE changes DROP CONSTRAINT changes_layer_check;
ALTER TABLE changes ADD CONSTRAINT changes_layer_check
    CHECK (layer IN ('areas', 'grids', 'points', 'parking', 'issues', 'inspections', 'tasks', 'declarations',
                     'activities'));
