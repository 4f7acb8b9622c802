-- Parking zones: smart lots with live occupancy and tidal zones (潮汐车位) that are
-- open to the public only within weekly windows, with holiday exceptions.
CREATE TABLE parking_zones (
    id           bigserial PRIMARY KEY,
    code         text NOT NULL UNIQUE CHECK (code <> ''),
    name         text NOT NULL CHECK (name <> ''),
    kind         text NOT NULL CHECK (kind IN ('smart', 'tidal')),
    capacity     integer NOT NULL CHECK (capacity > 0),
    occupied     integer NOT NULL DEFAULT 0,
    occupancy_at timestamptz,
    address      text NOT NULL DEFAULT '',
    operator     text NOT NULL DEFAULT '',
    grid_code    text,
    geom         geometry(Geometry, 4326) NOT NULL,
    version      integer NOT NULL DEFAULT 1,
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT parking_occupied_range CHECK (occupied BETWEEN 0 AND capacity),
    CONSTRAINT parking_geom_type CHECK (GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON')),
    CONSTRAINT parking_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
);
CREATE INDEX parking_zones_geom_idx ON parking_zones USING gist (geom);

-- Weekly windows in the city's local time. A window past midnight is stored as two
-- rows, so opens < closes always holds and "open at t" is one range test.
CREATE TABLE parking_windows (
    zone_id bigint NOT NULL REFERENCES parking_zones (id) ON DELETE CASCADE,
    weekday smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7), -- ISO: 1 = Monday
    opens   time NOT NULL,
    closes  time NOT NULL, -- '24:00' closes at midnight
    CHECK (opens < closes),
    PRIMARY KEY (zone_id, weekday, opens)
);

-- Days that do not follow the weekly rhythm: public holidays, and the weekend days
-- that are worked to make up for them (调休).
CREATE TABLE calendar_days (
    day  date PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name text NOT NULL DEFAULT ''
);

-- Occupancy history for reports.
CREATE TABLE parking_readings (
    zone_id  bigint NOT NULL REFERENCES parking_zones (id) ON DELETE CASCADE,
    at       timestamptz NOT NULL,
    occupied integer NOT NULL CHECK (occupied >= 0),
    PRIMARY KEY (zone_id, at)
);
CREATE INDEX parking_readings_at_idx ON parking_readings (at);
