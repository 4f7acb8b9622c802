-- Online material declaration (网上申报 / 台账申报): for every declaration
-- indicator and period, the lead unit owes a declaration with materials (text,
-- photos, documents), reviewed level by level: the unit's leader approves
-- (分管领导审核), the 创建办 accepts (创建办会审), either may return it.

-- How often a declaration indicator is declared and how many days after the
-- period ends it is due.
ALTER TABLE indicators ADD COLUMN declare_every text NOT NULL DEFAULT 'month'
    CHECK (declare_every IN ('month', 'quarter'));
ALTER TABLE indicators ADD COLUMN declare_due_days integer NOT NULL DEFAULT 10
    CHECK (declare_due_days BETWEEN 0 AND 90);

-- One declaration per indicator, unit and period (2026-11 or 2026-Q4).
CREATE TABLE declarations (
    id             bigserial PRIMARY KEY,
    indicator_code text NOT NULL REFERENCES indicators (code),
    unit           text NOT NULL REFERENCES units (code),
    period         text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$'),
    -- the period's first and last day, the city's dates
    period_start   date NOT NULL,
    period_end     date NOT NULL,
    due_at         timestamptz NOT NULL,
    status         text NOT NULL DEFAULT 'draft'
                   CHECK (status IN ('draft', 'submitted', 'unit_approved', 'accepted', 'returned')),
    -- the review step that last returned it: unit_leader or reviewer
    returned_by    text CHECK (returned_by IN ('unit_leader', 'reviewer')),
    times_returned integer NOT NULL DEFAULT 0,
    -- the unit's statement, given with the submission
    text           text NOT NULL DEFAULT '',
    -- the latest submission (a resubmission after a return moves it)
    submitted_at   timestamptz,
    approved_at    timestamptz,
    accepted_at    timestamptz,
    -- the last reminder threshold announced on the live stream and the instant
    -- the row was last judged (its changes-feed feature tells the reminder as
    -- of then)
    reminder       text CHECK (reminder IN ('due_7d', 'due_3d', 'overdue')),
    checked_at     timestamptz NOT NULL DEFAULT now(),
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT declarations_once UNIQUE (indicator_code, unit, period),
    CONSTRAINT declarations_period CHECK (period_end >= period_start)
);
CREATE INDEX declarations_unit_idx ON declarations (unit, due_at);
CREATE INDEX declarations_due_idx ON declarations (due_at) WHERE status <> 'accepted';
CREATE INDEX declarations_period_idx ON declarations (period_start);

-- What a declaration carries. A detached material stays, marked, so that the
-- history of a resubmission keeps what was shown before.
CREATE TABLE declaration_materials (
    id             bigserial PRIMARY KEY,
    declaration_id bigint NOT NULL REFERENCES declarations (id),
    kind           text NOT NULL CHECK (kind IN ('text', 'photo', 'document')),
    text           text NOT NULL DEFAULT '',
    document_id    text REFERENCES documents (id),
    photo_id       text REFERENCES photos (id),
    caption        text NOT NULL DEFAULT '',
    attached_by    text NOT NULL,
    attached_at    timestamptz NOT NULL DEFAULT now(),
    detached_by    text,
    detached_at    timestamptz,
    CONSTRAINT declaration_materials_kind CHECK (
        (kind = 'document') = (document_id IS NOT NULL) AND (kind = 'photo') = (photo_id IS NOT NULL)
        AND (kind <> 'text' OR text <> ''))
);
CREATE INDEX declaration_materials_decl_idx ON declaration_materials (declaration_id);
CREATE INDEX declaration_materials_doc_idx ON declaration_materials (document_id) WHERE document_id IS NOT NULL;
CREATE INDEX declaration_materials_photo_idx ON declaration_materials (photo_id) WHERE photo_id IS NOT NULL;

-- Every step, attachment and detachment, with who, when and why.
CREATE TABLE declaration_events (
    id             bigserial PRIMARY KEY,
    declaration_id bigint NOT NULL REFERENCES declarations (id),
    action         text NOT NULL CHECK (action IN ('open', 'attach', 'detach', 'submit', 'approve',
                                                   'accept', 'return')),
    from_status    text,
    to_status      text NOT NULL,
    actor          text NOT NULL,
    note           text NOT NULL DEFAULT '',
    material_id    bigint REFERENCES declaration_materials (id),
    at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX declaration_events_decl_idx ON declaration_events (declaration_id, at);

-- The reminder of a declaration at an instant: not yet accepted and past due,
-- due within 3 days, or within 7.
CREATE FUNCTION declaration_reminder(d declarations, at timestamptz) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN d.status = 'accepted' THEN NULL
            WHEN d.due_at <= at THEN 'overdue'
            WHEN d.due_at <= at + interval '3 days' THEN 'due_3d'
            WHEN d.due_at <= at + interval '7 days' THEN 'due_7d' END;

-- Late: its latest submission came after the deadline, or it is past the
-- deadline and not submitted (a draft, or returned and not yet resubmitted).
CREATE FUNCTION declaration_is_late(d declarations, at timestamptz) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN CASE WHEN d.status IN ('draft', 'returned') THEN d.due_at < at
            ELSE coalesce(d.submitted_at > d.due_at, false) END;

-- A declaration as the list shows it, judged at an instant.
CREATE FUNCTION declaration_item(d declarations, at timestamptz) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN jsonb_build_object(
    'id', d.id,
    'indicator', d.indicator_code,
    'indicator_name', (SELECT i.name FROM indicators i WHERE i.code = d.indicator_code),
    'max_points', (SELECT i.max_points::float8 FROM indicators i WHERE i.code = d.indicator_code),
    'declare_every', (SELECT i.declare_every FROM indicators i WHERE i.code = d.indicator_code),
    'unit', d.unit,
    'unit_name', (SELECT u.name FROM units u WHERE u.code = d.unit),
    'period', d.period,
    'period_start', to_char(d.period_start, 'YYYY-MM-DD'),
    'period_end', to_char(d.period_end, 'YYYY-MM-DD'),
    'due_at', d.due_at,
    'status', d.status,
    'returned_by', d.returned_by,
    'times_returned', d.times_returned,
    'text', d.text,
    'material_count', (SELECT count(*) FROM declaration_materials m WHERE m.declaration_id = d.id AND m.detached_at IS NULL),
    'reminder', declaration_reminder(d, at),
    'late', declaration_is_late(d, at),
    'submitted_at', d.submitted_at,
    'approved_at', d.approved_at,
    'accepted_at', d.accepted_at,
    'created_at', d.created_at,
    'updated_at', d.updated_at,
    'version', d.version);

-- The changes feed's Feature: no geometry, the list item as properties, judged
-- when the row was last written or checked.
CREATE FUNCTION declaration_feature(d declarations) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN jsonb_build_object('type', 'Feature', 'id', d.id, 'geometry', NULL,
    'properties', declaration_item(d, d.checked_at));

-- Declarations are a live layer.
ALTER TABLE changes DROP CONSTRAINT changes_layer_check;
ALTER TABLE changes ADD CONSTRAINT changes_layer_check
    CHECK (layer IN ('areas', 'grids', 'points', 'parking', 'issues', 'inspections', 'tasks', 'declarations'));

-- The unit's leader (分管领导) approves its unit's declarations.
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_role_check;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check
    CHECK (role IN ('admin', 'dispatcher', 'grid_manager', 'planner', 'viewer', 'reporter', 'unit', 'reviewer',
                    'unit_leader'));
ALTER TABLE api_tokens DROP CONSTRAINT api_tokens_unit;
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_unit
    CHECK ((role IN ('unit', 'unit_leader')) = (unit IS NOT NULL));
