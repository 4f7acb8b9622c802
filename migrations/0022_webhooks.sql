-- Outbound webhooks: partner systems (the 12345 hotline, 网格通, 12319) subscribe
-- to the changes feed and hear of every matching change as a signed POST
-- (server/webhooks, docs/WEBHOOKS.md).

CREATE TABLE webhooks (
    id             bigserial PRIMARY KEY,
    url            text NOT NULL CHECK (url <> ''),
    -- the HMAC key; kept as given because signing needs it, never answered back
    secret         text NOT NULL CHECK (length(secret) >= 16),
    layers         text[] NOT NULL DEFAULT '{issues}',
    -- event kinds (docs/WEBHOOKS.md); empty is every one
    events         text[] NOT NULL DEFAULT '{}',
    -- area codes (any level) the changes must lie in; empty is the whole city
    areas          text[] NOT NULL DEFAULT '{}',
    -- issue sources; empty is every source
    sources        text[] NOT NULL DEFAULT '{}',
    -- the token that created it: deliveries see what it may read, no more. No
    -- foreign key: a token deleted (or the table truncated) pauses its
    -- subscriptions, as a revoked one does, rather than take them with it
    owner_token_id bigint NOT NULL,
    -- active: delivering; paused: failed for longer than the pause-after time
    -- (or its owner's token lost its power); gap: changes it still needed were
    -- pruned from the feed. Only resume or replay makes a subscription active again.
    status         text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused', 'gap')),
    -- the last feed seq done with (delivered, or not matching)
    cursor         bigint NOT NULL CHECK (cursor >= 0),
    failing_since  timestamptz,
    last_error     text NOT NULL DEFAULT '',
    -- which instance works the subscription, until when (renewed as it works)
    lease_owner    text,
    lease_until    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_owner_idx ON webhooks (owner_token_id);

-- Every attempt at a delivery, failed or not: what the operator lists.
CREATE TABLE webhook_deliveries (
    id          bigserial PRIMARY KEY,
    webhook_id  bigint NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    seq         bigint NOT NULL,
    event       text NOT NULL,
    attempt     integer NOT NULL CHECK (attempt >= 1),
    ok          boolean NOT NULL,
    http_status integer,
    error       text NOT NULL DEFAULT '',
    duration_ms integer NOT NULL DEFAULT 0,
    instance    text NOT NULL DEFAULT '',
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_hook_idx ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_at_idx ON webhook_deliveries (at);
