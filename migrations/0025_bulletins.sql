-- Bulletins (通报): a period's figures assembled from the reports and stored
-- as they were (figures are never recomputed). A draft is prepared at the
-- period's end by the scheduler; freezing publishes it with its number, 第N期,
-- counted per kind and year (the year the period starts in).
CREATE TABLE bulletins (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('week', 'month', 'quarter', 'year')),
    period_from  timestamptz NOT NULL,
    period_to    timestamptz NOT NULL CHECK (period_to > period_from),
    year         int NOT NULL,
    number       int CHECK (number > 0),
    status       text NOT NULL CHECK (status IN ('draft', 'published')),
    title        text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    notes        text NOT NULL DEFAULT '' CHECK (char_length(notes) <= 4000),
    figures      jsonb NOT NULL CHECK (jsonb_typeof(figures) = 'object'),
    -- the PDF, printed once from the frozen figures and kept
    pdf          bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text NOT NULL,
    published_at timestamptz,
    published_by text,
    CHECK ((status = 'published') = (number IS NOT NULL AND published_at IS NOT NULL)),
    -- one bulletin per period: several instances preparing the same draft
    -- insert it once
    UNIQUE (kind, period_from),
    UNIQUE (kind, year, number)
);
CREATE INDEX bulletins_published ON bulletins (published_at DESC) WHERE status = 'published';
