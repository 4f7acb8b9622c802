-- Uploaded photos, named by the SHA-256 of their bytes. The files live under the
-- data directory; this table is what every instance agrees on, so an issue can
-- only refer to photos that were really uploaded and each is served with the type
-- its content was sniffed as.
CREATE TABLE photos (
    id           text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{64}$'),
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    size         integer NOT NULL CHECK (size > 0),
    uploaded_by  text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Point-in-polygon against unit grids is the hot path of intake (every issue,
-- thousands per second from hotline batches). An index over the grids alone
-- answers it in about 40% of the time areas_geom_idx takes, whose large district,
-- street and community boxes every lookup must wade through.
CREATE INDEX areas_grid_geom_idx ON areas USING gist (geom) WHERE level = 'grid';
