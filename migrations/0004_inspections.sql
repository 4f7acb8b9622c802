-- Inspections (督查): a visit to a point with per-indicator deductions and the score
-- that follows (100 minus the deductions, never below 0).
CREATE TABLE inspections (
    id           bigserial PRIMARY KEY,
    point_id     bigint NOT NULL REFERENCES points (id),
    inspected_at timestamptz NOT NULL,
    inspector    text NOT NULL CHECK (inspector <> ''),
    -- [{"indicator": "...", "points": 2.0, "note": "..."}]
    deductions   jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(deductions) = 'array'),
    score        numeric(5, 1) NOT NULL CHECK (score BETWEEN 0 AND 100),
    photos       text[] NOT NULL DEFAULT '{}',
    note         text NOT NULL DEFAULT '',
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inspections_point_idx ON inspections (point_id, inspected_at DESC);
CREATE INDEX inspections_time_idx ON inspections (inspected_at);
