-- Vector tiles (server/tiles, server/store/tiles.go).

-- The issues layer shows open issues only. They are a few percent of a city's
-- issues (the rest is closed history), so a tile's box searched in an index of
-- the open ones alone touches a few hundred rows where issues_geom_idx would
-- hand over tens of thousands at z12 to be filtered out one by one.
CREATE INDEX issues_open_geom_idx ON issues USING gist (geom) WHERE issue_is_open(status);

-- The next moment after at when parking_open_at(zone_id, ...) may change: the
-- earliest window boundary (opens or closes) of the coming local dates, each
-- date following its effective weekday (migration 0012). A cached tile holding
-- the zone is rendered again at that moment, which keeps open_now true to the
-- clock without any change to the data. Smart lots never change by time: NULL.
-- A tidal zone with no boundary in the next eight days (no windows, a long
-- holiday run) answers eight days on, a harmless extra rendering that bounds
-- how long a guess could last.
CREATE FUNCTION parking_next_change(zone_id bigint, at timestamptz) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
RETURN (SELECT CASE WHEN z.kind = 'smart' THEN NULL ELSE coalesce((
            SELECT min(b.at)
            FROM generate_series(0, 8) AS d(n)
            CROSS JOIN LATERAL (SELECT ((parking_next_change.at AT TIME ZONE city_timezone())::date + d.n) AS day) l
            JOIN parking_windows w ON w.zone_id = z.id AND w.weekday = parking_weekday(l.day)
            CROSS JOIN LATERAL (VALUES (w.opens), (w.closes)) AS t(tod)
            CROSS JOIN LATERAL (SELECT (l.day + t.tod) AT TIME ZONE city_timezone() AS at) b
            WHERE b.at > parking_next_change.at),
        parking_next_change.at + interval '8 days') END
        FROM parking_zones z WHERE z.id = parking_next_change.zone_id);
