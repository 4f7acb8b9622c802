package reports_test

import (
	"testing"

	"citymap/server/access"
	"citymap/server/apitest"
)

// clockFixture: a district of its own (329998, one street, community and
// grid) with cases of June 2020 that were extended or suspended, their events
// written by hand. Evaluated over June (cut = July 1st, 00:00):
//
//	#  status       deadline now  what happened to the clock                        due  closed  on time  ext.  susp.
//	A  closed       06-03 14:00   extended at 06-02 12:00 from 06-02 14:00;         yes  yes     yes      yes   —
//	                              resolved 06-03 10:00: late without the extension
//	B  closed       06-05 14:00   extended at 06-04 10:00 from 06-04 14:00;         yes  yes     no       yes   —
//	                              resolved 06-05 16:00: late even so
//	C  dispatched   06-10 14:00   suspended since 06-10 12:00 (at the cut too)      no   —       —        —     yes
//	D  closed       06-16 14:00   suspended 06-15 10:00–06-16 10:00, deadline moved yes  yes     yes      —     yes
//	                              from 06-15 14:00; resolved 06-16 12:00
//	E  in_progress  07-05 14:00   suspended 06-20 11:00–06-29 10:00, deadline moved no   —       —        —     yes
//	                              from 06-20 14:00 to after the cut
//	F  dispatched   06-25 14:00   nothing: overdue                                  yes  —       —        —     —
//	G  in_progress  07-10 14:00   extended on 07-02, after the cut, from 06-28      yes  —       —        no    —
//	                              14:00: at the cut its deadline had passed
//	H  dispatched   06-26 14:00   suspended on 07-03, after the cut                 yes  —       —        —     no
//
// So: new 8, due 6, closed 3, on time 2 (A, D), extended 2 (A, B), suspended 3
// (C, D, E); closure 0.5, on time 0.3333.
const clockFixture = `
INSERT INTO areas (code, name, level, parent_id, geom)
	VALUES ('329998', '时钟区', 'district', NULL, ST_Multi(ST_MakeEnvelope(122.0, 30.0, 122.1, 30.1, 4326)));
INSERT INTO areas (code, name, level, parent_id, geom)
	SELECT '329998001', '时钟街道', 'street', id, geom FROM areas WHERE code = '329998';
INSERT INTO areas (code, name, level, parent_id, geom)
	SELECT '329998001001', '时钟社区', 'community', id, geom FROM areas WHERE code = '329998001';
INSERT INTO areas (code, name, level, parent_id, geom)
	SELECT '32999800100101', '时钟网格', 'grid', id, geom FROM areas WHERE code = '329998001001';

CREATE TEMP TABLE cx (n text, status text, created timestamptz, deadline timestamptz, resolved timestamptz,
	closed timestamptz, suspended timestamptz, extensions int, suspensions int);
INSERT INTO cx VALUES
	('A', 'closed', '2020-06-02 10:00+08', '2020-06-03 14:00+08', '2020-06-03 10:00+08', '2020-06-03 11:00+08', NULL, 1, 0),
	('B', 'closed', '2020-06-04 10:00+08', '2020-06-05 14:00+08', '2020-06-05 16:00+08', '2020-06-05 17:00+08', NULL, 1, 0),
	('C', 'dispatched', '2020-06-10 10:00+08', '2020-06-10 14:00+08', NULL, NULL, '2020-06-10 12:00+08', 0, 1),
	('D', 'closed', '2020-06-15 09:00+08', '2020-06-16 14:00+08', '2020-06-16 12:00+08', '2020-06-16 13:00+08', NULL, 0, 1),
	('E', 'in_progress', '2020-06-20 10:00+08', '2020-07-05 14:00+08', NULL, NULL, NULL, 0, 1),
	('F', 'dispatched', '2020-06-25 10:00+08', '2020-06-25 14:00+08', NULL, NULL, NULL, 0, 0),
	('G', 'in_progress', '2020-06-28 10:00+08', '2020-07-10 14:00+08', NULL, NULL, NULL, 1, 0),
	('H', 'dispatched', '2020-06-26 10:00+08', '2020-06-26 14:00+08', NULL, NULL, '2020-07-03 09:00+08', 0, 1);
INSERT INTO issues (source, category, description, geom, grid_code, community_code, street_code, status, unit,
		deadline, created_at, dispatched_at, resolved_at, closed_at, suspended_at, extensions, suspensions, external_id)
	SELECT 'grid_patrol', 'exposed_garbage', 'clock ' || n, ST_SetSRID(ST_MakePoint(122.05, 30.05), 4326),
		'32999800100101', '329998001001', '329998001', status, 'cgj', deadline, created,
		created + interval '30 minutes', resolved, closed, suspended, extensions, suspensions, 'clock-' || n
	FROM cx;
INSERT INTO issue_events (issue_id, action, from_status, to_status, actor, data, at)
	SELECT i.id, v.action, v.st, v.st, 'dispatcher:fixture', v.data::jsonb, v.at::timestamptz FROM (VALUES
		('A', 'extend_grant', 'dispatched', '{"deadline_from": "2020-06-02T14:00:00+08:00", "deadline_to": "2020-06-03T14:00:00+08:00"}', '2020-06-02 12:00+08'),
		('B', 'extend_grant', 'dispatched', '{"deadline_from": "2020-06-04T14:00:00+08:00", "deadline_to": "2020-06-05T14:00:00+08:00"}', '2020-06-04 10:00+08'),
		('C', 'suspend', 'dispatched', '{}', '2020-06-10 12:00+08'),
		('D', 'suspend', 'in_progress', '{}', '2020-06-15 10:00+08'),
		('D', 'resume', 'in_progress', '{"deadline_from": "2020-06-15T14:00:00+08:00", "deadline_to": "2020-06-16T14:00:00+08:00"}', '2020-06-16 10:00+08'),
		('E', 'suspend', 'in_progress', '{}', '2020-06-20 11:00+08'),
		('E', 'resume', 'in_progress', '{"deadline_from": "2020-06-20T14:00:00+08:00", "deadline_to": "2020-07-05T14:00:00+08:00"}', '2020-06-29 10:00+08'),
		('G', 'extend_grant', 'in_progress', '{"deadline_from": "2020-06-28T14:00:00+08:00", "deadline_to": "2020-07-10T14:00:00+08:00"}', '2020-07-02 10:00+08'),
		('H', 'suspend', 'dispatched', '{}', '2020-07-03 09:00+08')
	) v(n, action, st, data, at) JOIN issues i ON i.external_id = 'clock-' || v.n;
`

const june = "from=2020-06-01&to=2020-06-30"

// TestExtendedSuspendedFigures checks the on-time rule for extended and
// suspended cases against the hand-worked fixture, in the areas, categories
// and units reports.
func TestExtendedSuspendedFigures(t *testing.T) {
	e := apitest.New(t)
	e.Exec(clockFixture)
	want := map[string]any{"new": 8.0, "due": 6.0, "closed": 3.0, "closed_on_time": 2.0,
		"extended": 2.0, "suspended": 3.0, "closure_rate": 0.5, "on_time_rate": 0.3333}
	a := get(e, "/api/v1/reports/areas?level=street&area=329998&"+june, access.Planner)
	if len(a.Rows) != 1 {
		t.Fatalf("rows %v", a.Rows)
	}
	expect(t, "street", a.Rows[0], want)

	c := get(e, "/api/v1/reports/categories?category=exposed_garbage&area=329998&"+june, access.Planner)
	expect(t, "category", row(t, c.Rows, "category", "exposed_garbage"), want)

	u := get(e, "/api/v1/reports/units?area=329998&"+june, access.Planner)
	expect(t, "unit", row(t, u.Rows, "unit", "cgj"), map[string]any{"cases_due": 6.0, "cases_closed": 3.0,
		"cases_extended": 2.0, "cases_suspended": 3.0, "on_time_rate": 0.3333})

	// the first ten days: A and B closed (extended), C suspended at the cut
	early := get(e, "/api/v1/reports/areas?level=street&area=329998&from=2020-06-01&to=2020-06-10", access.Planner)
	expect(t, "first ten days", early.Rows[0], map[string]any{"new": 3.0, "due": 2.0, "closed": 2.0,
		"closed_on_time": 1.0, "extended": 2.0, "suspended": 1.0})
}
