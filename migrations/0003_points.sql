-- Inspection points (测评点位) of the civilized-city evaluation.
CREATE TABLE point_categories (
    code    text PRIMARY KEY,
    name_zh text NOT NULL,
    name_en text NOT NULL,
    -- how often a point of this category is due for inspection
    cycle   text NOT NULL CHECK (cycle IN ('weekly', 'monthly', 'quarterly'))
);

INSERT INTO point_categories (code, name_zh, name_en, cycle) VALUES
    ('farmers_market',      '农贸市场',     'Farmers'' market',        'weekly'),
    ('residential',         '居民小区',     'Residential compound',    'monthly'),
    ('back_alley',          '背街小巷',     'Back alley',              'weekly'),
    ('main_road',           '主次干道',     'Main road',               'weekly'),
    ('intersection',        '交通路口',     'Intersection',            'weekly'),
    ('square',              '广场',         'Square',                  'monthly'),
    ('park',                '公园',         'Park',                    'monthly'),
    ('station',             '车站',         'Station',                 'weekly'),
    ('school_surroundings', '学校周边',     'School surroundings',     'weekly'),
    ('hospital',            '医院',         'Hospital',                'monthly'),
    ('public_toilet',       '公共厕所',     'Public toilet',           'weekly'),
    ('construction_site',   '建筑工地',     'Construction site',       'monthly'),
    ('bus_stop',            '公交站台',     'Bus stop',                'monthly'),
    ('commercial_street',   '商业街',       'Commercial street',       'weekly'),
    ('government_service',  '政务服务中心', 'Government service hall', 'quarterly'),
    ('cultural_venue',      '文化场馆',     'Cultural venue',          'quarterly');

CREATE TABLE points (
    id         bigserial PRIMARY KEY,
    code       text NOT NULL UNIQUE CHECK (code <> ''),
    name       text NOT NULL CHECK (name <> ''),
    category   text NOT NULL REFERENCES point_categories (code),
    address    text NOT NULL DEFAULT '',
    grid_code  text,
    unit       text NOT NULL CHECK (unit <> ''),  -- responsible unit (责任单位)
    person     text NOT NULL DEFAULT '',          -- responsible person
    phone      text NOT NULL DEFAULT '',
    geom       geometry(Geometry, 4326) NOT NULL,
    version    integer NOT NULL DEFAULT 1,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT points_geom_type CHECK (GeometryType(geom) IN ('POINT', 'POLYGON', 'MULTIPOLYGON')),
    CONSTRAINT points_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
);
CREATE INDEX points_geom_idx ON points USING gist (geom);
CREATE INDEX points_category_idx ON points (category);
CREATE INDEX points_grid_idx ON points (grid_code);
CREATE INDEX points_unit_idx ON points (unit);
