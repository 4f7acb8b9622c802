-- Responsible units (责任单位): city departments and the street offices.
CREATE TABLE units (
    code text PRIMARY KEY CHECK (code <> ''),
    name text NOT NULL CHECK (name <> ''),
    kind text NOT NULL CHECK (kind IN ('department', 'street_office', 'company')),
    -- for a street office: the street it serves
    area_code text
);

INSERT INTO units (code, name, kind) VALUES
    ('cgj',   '市城市管理局',       'department'),
    ('zjj',   '市住房和城乡建设局', 'department'),
    ('jtj',   '市交通运输局',       'department'),
    ('sthjj', '市生态环境局',       'department'),
    ('scjgj', '市市场监督管理局',   'department'),
    ('slj',   '市水利局',           'department'),
    ('yllhj', '市园林绿化管理处',   'department'),
    ('gaj',   '市公安局交警大队',   'department'),
    ('gdgs',  '国网宜兴市供电公司', 'company'),
    ('swgs',  '宜兴市水务集团',     'company');

-- Case categories after the digital city-management standard: components (部件) and
-- events (事件). The deadline counts from intake; a category without a department
-- goes to the street office of the street it lies in.
CREATE TABLE issue_categories (
    code           text PRIMARY KEY,
    class          text NOT NULL CHECK (class IN ('component', 'event')),
    name_zh        text NOT NULL,
    name_en        text NOT NULL,
    deadline_hours integer NOT NULL CHECK (deadline_hours > 0),
    unit           text REFERENCES units (code)
);

INSERT INTO issue_categories (code, class, name_zh, name_en, deadline_hours, unit) VALUES
    ('manhole_cover',       'component', '井盖破损缺失',   'Damaged or missing manhole cover', 4,   'swgs'),
    ('street_light',        'component', '路灯损坏',       'Broken street light',              48,  'gdgs'),
    ('trash_bin',           'component', '垃圾箱破损',     'Damaged trash bin',                24,  'cgj'),
    ('road_damage',         'component', '道路破损',       'Road surface damage',              72,  'zjj'),
    ('guardrail',           'component', '护栏损坏',       'Damaged guardrail',                48,  'jtj'),
    ('bus_shelter',         'component', '公交站亭损坏',   'Damaged bus shelter',              72,  'jtj'),
    ('green_space',         'component', '绿地损毁',       'Damaged green space',              72,  'yllhj'),
    ('traffic_sign',        'component', '交通标志损坏',   'Damaged traffic sign',             48,  'gaj'),
    ('exposed_garbage',     'event',     '暴露垃圾',       'Exposed garbage',                  4,   NULL),
    ('stacked_materials',   'event',     '乱堆物堆料',     'Stacked materials',                24,  NULL),
    ('street_vending',      'event',     '占道经营',       'Street vending',                   2,   NULL),
    ('illegal_posting',     'event',     '乱张贴小广告',   'Illegal posters',                  24,  NULL),
    ('illegal_construction','event',     '违章搭建',       'Illegal construction',             168, 'cgj'),
    ('car_parking',         'event',     '机动车乱停放',   'Illegally parked car',             2,   'gaj'),
    ('bike_parking',        'event',     '非机动车乱停放', 'Disorderly parked bikes',          4,   NULL),
    ('muck_spill',          'event',     '渣土撒漏',       'Muck spillage',                    4,   'cgj'),
    ('cooking_fumes',       'event',     '餐饮油烟',       'Restaurant cooking fumes',         72,  'sthjj'),
    ('noise',               'event',     '噪声扰民',       'Noise nuisance',                   24,  'sthjj'),
    ('waterlogging',        'event',     '道路积水',       'Waterlogged road',                 6,   'slj'),
    ('outdoor_ads',         'event',     '违规户外广告',   'Non-compliant outdoor ads',        72,  'cgj'),
    ('market_order',        'event',     '市场秩序混乱',   'Disorderly market',                24,  'scjgj'),
    ('public_toilet',       'event',     '公厕卫生差',     'Dirty public toilet',              6,   'cgj');

CREATE TABLE issues (
    id             bigserial PRIMARY KEY,
    source         text NOT NULL CHECK (source IN ('hotline_12345', 'hotline_12319', 'grid_patrol',
                                                   'inspection', 'sensor', 'citizen_app', 'open311')),
    external_id    text,
    category       text NOT NULL REFERENCES issue_categories (code),
    description    text NOT NULL DEFAULT '',
    address        text NOT NULL DEFAULT '',
    photos         text[] NOT NULL DEFAULT '{}',
    reporter       text NOT NULL DEFAULT '',
    geom           geometry(Point, 4326) NOT NULL,
    -- found by point-in-polygon at intake; NULL when outside every grid
    grid_code      text,
    community_code text,
    street_code    text,
    status         text NOT NULL DEFAULT 'reported'
                   CHECK (status IN ('reported', 'registered', 'dispatched', 'in_progress',
                                     'resolved', 'closed', 'rejected', 'merged')),
    unit           text REFERENCES units (code),
    deadline       timestamptz NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    dispatched_at  timestamptz,
    resolved_at    timestamptz,
    closed_at      timestamptz,
    rework_count   integer NOT NULL DEFAULT 0 CHECK (rework_count >= 0),
    duplicate_of   bigint REFERENCES issues (id),
    inspection_id  bigint REFERENCES inspections (id),
    point_id       bigint REFERENCES points (id),
    version        integer NOT NULL DEFAULT 1,
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT issues_geom_valid CHECK (NOT ST_IsEmpty(geom)),
    CONSTRAINT issues_merged CHECK ((status = 'merged') = (duplicate_of IS NOT NULL))
);
CREATE UNIQUE INDEX issues_external_idx ON issues (source, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX issues_geom_idx ON issues USING gist (geom);
CREATE INDEX issues_created_idx ON issues (created_at);
CREATE INDEX issues_status_idx ON issues (status);
CREATE INDEX issues_category_idx ON issues (category, created_at);
CREATE INDEX issues_grid_idx ON issues (grid_code text_pattern_ops);
CREATE INDEX issues_open_deadline_idx ON issues (deadline)
    WHERE status IN ('reported', 'registered', 'dispatched', 'in_progress', 'resolved');

-- Every transition of a case, with who did it, when and why.
CREATE TABLE issue_events (
    id          bigserial PRIMARY KEY,
    issue_id    bigint NOT NULL REFERENCES issues (id),
    action      text NOT NULL CHECK (action IN ('report', 'register', 'dispatch', 'start', 'resolve',
                                                'verify', 'reject', 'merge', 'update')),
    from_status text,
    to_status   text NOT NULL,
    actor       text NOT NULL,
    note        text NOT NULL DEFAULT '',
    data        jsonb NOT NULL DEFAULT '{}',
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX issue_events_issue_idx ON issue_events (issue_id, at);
CREATE INDEX issue_events_at_idx ON issue_events (at);
