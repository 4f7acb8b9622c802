-- Questionnaires (问卷调查): a survey's definition (its questions as JSON,
-- checked by the server before they are stored), published to the public
-- page /s/{code}, and its answers, each located to a community. A
-- respondent is kept only as an HMAC of a phone number or device key under
-- the server's secret: one answer per respondent, and no number in clear.
CREATE TABLE surveys (
    id           bigserial PRIMARY KEY,
    code         text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$'),
    title        text NOT NULL,
    intro        text NOT NULL DEFAULT '',
    questions    jsonb NOT NULL CHECK (jsonb_typeof(questions) = 'array'),
    -- where it runs: area codes of any level; empty is the whole city
    areas        text[] NOT NULL DEFAULT '{}',
    opens_at     timestamptz,
    closes_at    timestamptz,
    status       text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published')),
    published_at timestamptz,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT surveys_window CHECK (closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at)
);

CREATE TABLE survey_responses (
    id             bigserial PRIMARY KEY,
    survey_id      bigint NOT NULL REFERENCES surveys (id),
    -- HMAC-SHA256 of the normalised phone number or device key
    respondent     bytea NOT NULL CHECK (length(respondent) = 32),
    community_code text NOT NULL CHECK (community_code ~ '^[0-9]{12}$'),
    -- how the community was found: chosen from the list or from a position
    located_by     text NOT NULL CHECK (located_by IN ('chosen', 'position')),
    -- question id → option id, [option ids], rating or text
    answers        jsonb NOT NULL CHECK (jsonb_typeof(answers) = 'object'),
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT survey_responses_once UNIQUE (survey_id, respondent)
);
CREATE INDEX survey_responses_community_idx ON survey_responses (survey_id, community_code);
