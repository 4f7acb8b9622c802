package migrations_test

import (
	"strings"
	"testing"

	"citymap/migrations"
	"citymap/server/dbtest"
)

// Migration 0024 moves the citizen's contact details out of the report events,
// where the timeline showed them to every reader, into issue_contacts.
// The test replays it on a demo city whose report event holds a contact, as
// the events of a database from before it did.
func TestContactsMovedOutOfEvents(t *testing.T) {
	st := dbtest.New(t)
	ctx := t.Context()
	all, err := migrations.All()
	if err != nil {
		t.Fatal(err)
	}
	var sql string
	for _, m := range all {
		if m.Version == 24 {
			sql = m.SQL
		}
	}
	if !strings.Contains(sql, "issue_contacts") {
		t.Fatal("no migration 0024 with issue_contacts")
	}
	// since 0028 the issues' ids are unique in issue_keys, not in the
	// month-partitioned issues, and what references an issue names them there
	sql = strings.Replace(sql, "REFERENCES issues (id)", "REFERENCES issue_keys (id)", 1)
	var id int64
	steps := []string{`DROP TABLE issue_contacts, settings`,
		`UPDATE issue_events SET data = data || '{"contact": {"phone": "13800000000"}, "media_url": "https://x"}'
		 WHERE id = (SELECT min(id) FROM issue_events WHERE action = 'report') RETURNING issue_id`, sql}
	for i, s := range steps {
		if i == 1 {
			err = st.Pool.QueryRow(ctx, s).Scan(&id)
		} else {
			_, err = st.Pool.Exec(ctx, s)
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	var phone string
	var left, media int
	err = st.Pool.QueryRow(ctx, `SELECT (SELECT contact->>'phone' FROM issue_contacts WHERE issue_id = $1),
		(SELECT count(*) FROM issue_events WHERE data ? 'contact'),
		(SELECT count(*) FROM issue_events WHERE issue_id = $1 AND data->>'media_url' = 'https://x')`, id).
		Scan(&phone, &left, &media)
	if err != nil || phone != "13800000000" || left != 0 || media != 1 {
		t.Errorf("after 0024: contact %q, %d events with a contact, media_url kept %d (%v)", phone, left, media, err)
	}
}
