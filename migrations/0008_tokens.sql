-- API tokens, stored as SHA-256 hashes; the token itself is shown once at creation.
CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL CHECK (name <> ''),
    role         text NOT NULL CHECK (role IN ('admin', 'dispatcher', 'grid_manager', 'planner',
                                               'viewer', 'reporter')),
    -- area codes (any level) the token may act on; empty means the whole city
    areas        text[] NOT NULL DEFAULT '{}',
    token_hash   bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    CONSTRAINT api_tokens_scope CHECK (role <> 'grid_manager' OR cardinality(areas) > 0)
);
