-- The administrative hierarchy district → street → community → unit grid.
-- Codes follow the digital city-management convention, so a code's prefix is its
-- ancestry: district 6 digits (county code), street 9, community 12, grid 14.
CREATE TABLE areas (
    id         bigserial PRIMARY KEY,
    code       text NOT NULL UNIQUE,
    name       text NOT NULL CHECK (name <> ''),
    level      text NOT NULL CHECK (level IN ('district', 'street', 'community', 'grid')),
    parent_id  bigint REFERENCES areas (id),
    manager       text NOT NULL DEFAULT '',
    manager_phone text NOT NULL DEFAULT '',
    geom       geometry(MultiPolygon, 4326) NOT NULL,
    version    integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT areas_code_format CHECK (
        (level = 'district'  AND code ~ '^[0-9]{6}$') OR
        (level = 'street'    AND code ~ '^[0-9]{9}$') OR
        (level = 'community' AND code ~ '^[0-9]{12}$') OR
        (level = 'grid'      AND code ~ '^[0-9]{14}$')),
    CONSTRAINT areas_parent CHECK ((level = 'district') = (parent_id IS NULL)),
    CONSTRAINT areas_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
);
CREATE INDEX areas_geom_idx ON areas USING gist (geom);
CREATE INDEX areas_parent_idx ON areas (parent_id);
CREATE INDEX areas_level_idx ON areas (level);
