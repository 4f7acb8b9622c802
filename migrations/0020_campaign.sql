-- The evaluation system as work (second wave): the indicator catalogue (测评体系),
-- campaigns (专项行动), task lists (任务清单, 定人定时定责), documents (evidence
-- files), leaders linked to areas (挂钩定片) and the unit and reviewer roles.

-- The catalogue tree, imported from the city's spreadsheet (citymap indicators
-- import). Codes are the city's own; re-importing a file updates by code.
CREATE TABLE indicators (
    code             text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$'),
    parent_code      text REFERENCES indicators (code) DEFERRABLE INITIALLY DEFERRED,
    name             text NOT NULL CHECK (name <> ''),
    kind             text NOT NULL CHECK (kind IN ('field', 'declaration', 'questionnaire')),
    -- a leaf's points; a branch's is the sum the catalogue states (may be NULL)
    max_points       numeric(5, 1) CHECK (max_points > 0 AND max_points <= 1000),
    standard         text NOT NULL DEFAULT '',
    -- field indicators: the point categories they are checked at
    point_categories text[] NOT NULL DEFAULT '{}',
    lead_unit        text REFERENCES units (code),
    co_units         text[] NOT NULL DEFAULT '{}',
    -- the rule that turns an unfixed finding into a task: a finding of this
    -- indicator whose case is still open at its deadline spawns a task for the
    -- case's unit, due this many days later (NULL: no task)
    task_days        integer CHECK (task_days BETWEEN 1 AND 365),
    position         integer NOT NULL DEFAULT 0,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT indicators_not_own_parent CHECK (parent_code <> code)
);
CREATE INDEX indicators_parent_idx ON indicators (parent_code);
CREATE INDEX indicators_categories_idx ON indicators USING gin (point_categories);

-- Deductions name their indicator: new ones carry indicator_code next to the
-- indicator's name; older free-text ones keep their "indicator" only.
CREATE INDEX inspections_deduction_codes_idx ON inspections USING gin (deductions jsonb_path_ops);

-- Special campaigns (专项行动): areas, point categories and a period.
CREATE TABLE campaigns (
    id               bigserial PRIMARY KEY,
    code             text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$'),
    name             text NOT NULL CHECK (name <> ''),
    description      text NOT NULL DEFAULT '',
    starts_on        date NOT NULL,
    ends_on          date NOT NULL,
    -- area codes of any level; empty: the whole city
    areas            text[] NOT NULL DEFAULT '{}',
    point_categories text[] NOT NULL DEFAULT '{}',
    lead_unit        text REFERENCES units (code),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT campaigns_period CHECK (ends_on >= starts_on)
);

-- Uploaded evidence (PDF, DOCX, XLSX, images), named by the SHA-256 of the bytes
-- like photos; the file lives under the data directory.
CREATE TABLE documents (
    id           text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
    content_type text NOT NULL CHECK (content_type IN ('application/pdf',
        'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
        'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
        'image/jpeg', 'image/png', 'image/webp')),
    size         integer NOT NULL CHECK (size > 0),
    filename     text NOT NULL DEFAULT '',
    uploaded_by  text NOT NULL,
    -- the unit of a unit token that uploaded it: its staff may read it back
    unit         text REFERENCES units (code),
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Task lists (任务清单): a person, a deadline and a responsibility per line.
CREATE TABLE tasks (
    id             bigserial PRIMARY KEY,
    title          text NOT NULL CHECK (title <> ''),
    description    text NOT NULL DEFAULT '',
    indicator_code text REFERENCES indicators (code),
    campaign_id    bigint REFERENCES campaigns (id),
    unit           text NOT NULL REFERENCES units (code),
    owner          text NOT NULL DEFAULT '',
    owner_phone    text NOT NULL DEFAULT '',
    areas          text[] NOT NULL DEFAULT '{}',
    point_codes    text[] NOT NULL DEFAULT '{}',
    -- where the task lies, for the map: its points, else its areas (NULL: the city)
    geom           geometry(Geometry, 4326),
    -- the most precise area code its place lies in: its first point's grid, or
    -- its first area (NULL: the whole city)
    area_code      text,
    due_at         timestamptz NOT NULL,
    status         text NOT NULL DEFAULT 'open'
                   CHECK (status IN ('open', 'in_progress', 'submitted', 'done', 'returned')),
    -- the unfixed inspection finding it was spawned from
    issue_id       bigint UNIQUE REFERENCES issues (id),
    photos         text[] NOT NULL DEFAULT '{}',
    documents      text[] NOT NULL DEFAULT '{}',
    created_by     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    submitted_at   timestamptz,
    done_at        timestamptz,
    version        integer NOT NULL DEFAULT 1,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_unit_idx ON tasks (unit, due_at);
CREATE INDEX tasks_campaign_idx ON tasks (campaign_id);
CREATE INDEX tasks_indicator_idx ON tasks (indicator_code);
CREATE INDEX tasks_open_due_idx ON tasks (due_at) WHERE status <> 'done';
CREATE INDEX tasks_geom_idx ON tasks USING gist (geom);
CREATE INDEX tasks_area_idx ON tasks (area_code text_pattern_ops);

-- Every step of a task, with who did it, when and what it carried.
CREATE TABLE task_events (
    id          bigserial PRIMARY KEY,
    task_id     bigint NOT NULL REFERENCES tasks (id),
    action      text NOT NULL CHECK (action IN ('create', 'assign', 'start', 'progress', 'submit',
                                                'accept', 'return')),
    from_status text,
    to_status   text NOT NULL,
    actor       text NOT NULL,
    note        text NOT NULL DEFAULT '',
    photos      text[] NOT NULL DEFAULT '{}',
    documents   text[] NOT NULL DEFAULT '{}',
    data        jsonb NOT NULL DEFAULT '{}',
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX task_events_task_idx ON task_events (task_id, at);

-- City leaders linked to streets and communities (挂钩定片).
CREATE TABLE leaders (
    id         bigserial PRIMARY KEY,
    name       text NOT NULL CHECK (name <> ''),
    post       text NOT NULL DEFAULT '',
    areas      text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT leaders_name_post UNIQUE (name, post)
);
CREATE INDEX leaders_areas_idx ON leaders USING gin (areas);

-- Tasks are a live layer.
ALTER TABLE changes DROP CONSTRAINT changes_layer_check;
ALTER TABLE changes ADD CONSTRAINT changes_layer_check
    CHECK (layer IN ('areas', 'grids', 'points', 'parking', 'issues', 'inspections', 'tasks'));

CREATE FUNCTION task_is_overdue(t tasks, at timestamptz) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN t.status <> 'done' AND t.due_at < at;

CREATE FUNCTION task_feature(t tasks) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN jsonb_build_object(
    'type', 'Feature',
    'id', t.id,
    'geometry', ST_AsGeoJSON(t.geom, 7)::jsonb,
    'properties', jsonb_build_object(
        'title', t.title,
        'description', t.description,
        'indicator', t.indicator_code,
        'campaign', t.campaign_id,
        'unit', t.unit,
        'owner', t.owner,
        'owner_phone', t.owner_phone,
        'areas', to_jsonb(t.areas),
        'points', to_jsonb(t.point_codes),
        'area', t.area_code,
        'grid', CASE WHEN length(t.area_code) = 14 THEN t.area_code END,
        'community', CASE WHEN length(t.area_code) >= 12 THEN left(t.area_code, 12) END,
        'street', CASE WHEN length(t.area_code) >= 9 THEN left(t.area_code, 9) END,
        'due_at', t.due_at,
        'status', t.status,
        'overdue', task_is_overdue(t, now()),
        'issue_id', t.issue_id,
        'photos', to_jsonb(t.photos),
        'documents', to_jsonb(t.documents),
        'created_by', t.created_by,
        'created_at', t.created_at,
        'submitted_at', t.submitted_at,
        'done_at', t.done_at,
        'updated_at', t.updated_at,
        'version', t.version));

-- Unit staff act for one responsible unit; the 创建办 reviews.
ALTER TABLE api_tokens ADD COLUMN unit text REFERENCES units (code);
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check
    CHECK (role IN ('admin', 'dispatcher', 'grid_manager', 'planner', 'viewer', 'reporter', 'unit', 'reviewer'));
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_unit CHECK ((role = 'unit') = (unit IS NOT NULL));

-- The departments the catalogue hands indicators to besides the city-management ones.
INSERT INTO units (code, name, kind) VALUES
    ('wmb', '市文明办',         'department'),
    ('xcb', '市委宣传部',       'department'),
    ('jyj', '市教育局',         'department'),
    ('mzj', '市民政局',         'department'),
    ('wjw', '市卫生健康委员会', 'department'),
    ('tw',  '团市委',           'department')
ON CONFLICT (code) DO NOTHING;
