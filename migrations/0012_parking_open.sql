-- When a parking zone is open to the public, in one place that the API, the tiles,
-- the features and the reports share. Smart lots are always open. A tidal zone is
-- open when a window of its effective weekday holds the local time of day, where
-- the effective weekday of a local date is:
--   * 7 (Sunday) on a calendar 'holiday': holidays are lived like Sundays;
--   * 1 (Monday) on a calendar 'workday' (a weekend day worked to make up for a
--     holiday, 调休): it is lived like a Monday;
--   * its ISO weekday otherwise.
-- Each local date is judged by its own effective weekday, so the after-midnight
-- part of a window (stored on the next weekday) follows the next date's rule.
-- server/parking/tidal implements the same rule in Go; their tests check that the
-- two agree.

-- The city's time zone: the setting citymap.timezone (ALTER DATABASE ... SET
-- citymap.timezone = '...' for a city elsewhere), Asia/Shanghai when it is unset.
CREATE FUNCTION city_timezone() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce(nullif(current_setting('citymap.timezone', true), ''), 'Asia/Shanghai');

-- The weekday (ISO, 1 = Monday) whose windows a local date follows.
CREATE FUNCTION parking_weekday(day date) RETURNS smallint
LANGUAGE sql STABLE PARALLEL SAFE
RETURN coalesce(
    (SELECT CASE c.kind WHEN 'holiday' THEN 7 WHEN 'workday' THEN 1 END
     FROM calendar_days c WHERE c.day = parking_weekday.day),
    extract(isodow FROM parking_weekday.day))::smallint;

-- Whether the zone is open to the public at the instant at, in time zone tz;
-- NULL for an unknown zone.
CREATE FUNCTION parking_open_at(zone_id bigint, at timestamptz, tz text) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT z.kind = 'smart' OR EXISTS (
            SELECT 1 FROM parking_windows w
            WHERE w.zone_id = z.id
              AND w.weekday = parking_weekday((parking_open_at.at AT TIME ZONE tz)::date)
              AND w.opens <= (parking_open_at.at AT TIME ZONE tz)::time
              AND (parking_open_at.at AT TIME ZONE tz)::time < w.closes)
        FROM parking_zones z WHERE z.id = parking_open_at.zone_id);

-- The same in the city's time zone.
CREATE FUNCTION parking_open_at(zone_id bigint, at timestamptz) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN parking_open_at(zone_id, at, city_timezone());

-- Nearest-first searches ask for metres: a GiST index on the geography lets
-- ORDER BY geom::geography <-> point walk the zones in true distance order and
-- ST_DWithin on geography use an index too.
CREATE INDEX parking_zones_geog_idx ON parking_zones USING gist ((geom::geography));

-- Features say whether a zone is open now: every property as before, plus open_now.
-- A change row keeps the value of its commit; clients that show it for long
-- re-read the zone (GET /api/v1/parking/zones/{code} has closes_at).
CREATE OR REPLACE FUNCTION parking_feature(z parking_zones) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN jsonb_build_object(
    'type', 'Feature',
    'id', z.code,
    'geometry', ST_AsGeoJSON(z.geom, 7)::jsonb,
    'properties', jsonb_build_object(
        'code', z.code,
        'name', z.name,
        'kind', z.kind,
        'capacity', z.capacity,
        'occupied', z.occupied,
        'free', z.capacity - z.occupied,
        'occupancy_at', z.occupancy_at,
        'address', z.address,
        'operator', z.operator,
        'grid', z.grid_code,
        'open_now', z.kind = 'smart' OR parking_open_at(z.id, now()),
        'updated_at', z.updated_at,
        'version', z.version));
