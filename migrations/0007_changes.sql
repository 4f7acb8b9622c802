-- The changes feed: one row per change to a mapped object, written in the same
-- transaction as the change. Sequence numbers are gap-free and in commit order:
-- change_counter is a single row that each writing transaction updates last, so its
-- row lock orders writers and is held until the writer's commit is visible.
CREATE TABLE change_counter (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    seq      bigint NOT NULL
);
INSERT INTO change_counter (seq) VALUES (0);

CREATE TABLE changes (
    seq          bigint PRIMARY KEY,
    layer        text NOT NULL CHECK (layer IN ('areas', 'grids', 'points', 'parking', 'issues', 'inspections')),
    op           text NOT NULL CHECK (op IN ('upsert', 'delete')),
    object_id    text NOT NULL,
    -- the object as clients see it (GeoJSON Feature); NULL for a delete
    feature      jsonb,
    -- what tile caches must invalidate: the geometry before and after the change
    geom         geometry(Geometry, 4326),
    old_geom     geometry(Geometry, 4326),
    committed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX changes_committed_idx ON changes (committed_at);
