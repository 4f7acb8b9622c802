-- The citizen's contact details of a report (Open311's email, first_name,
-- last_name, phone, device_id, account_id), kept for the call-back apart from
-- the issue and its events: every read of those (Open311, OGC, tiles,
-- exports, /live, webhooks) is public or wide, while this table is read only
-- for the issue's detail as a dispatcher, an admin or the owning partner sees it.
CREATE TABLE issue_contacts (
    issue_id   bigint PRIMARY KEY REFERENCES issues (id) ON DELETE CASCADE,
    contact    jsonb NOT NULL CHECK (jsonb_typeof(contact) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Until now the report event kept them in its data, which the issue's timeline
-- shows to everyone who may read the issue: move them here.
INSERT INTO issue_contacts (issue_id, contact)
SELECT DISTINCT ON (issue_id) issue_id, data->'contact'
FROM issue_events
WHERE action = 'report' AND jsonb_typeof(data->'contact') = 'object'
ORDER BY issue_id, at, id;
UPDATE issue_events SET data = data - 'contact' WHERE data ? 'contact';

-- Facts about the database as a whole. The demo-city seeder leaves
-- demo_city here (its seed, scale and time), which citymap simulate checks
-- before it writes anything: it never plays a day on a real city.
CREATE TABLE settings (
    key        text PRIMARY KEY CHECK (key ~ '^[a-z][a-z0-9_]{0,62}$'),
    value      jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
