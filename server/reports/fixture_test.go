package reports_test

import (
	"testing"

	"citymap/server/apitest"
)

// The fixture: a district of its own far from the demo city (329999, street
// 329999001 whose name holds a comma, community 329999001001, grids …01 and
// …02) with issues of March 2020 whose outcomes are known, three points and
// their inspections in February and March.
//
// Evaluated over March (cut = April 1st, 00:00):
//
//	#  grid status       created  deadline  dispatched→resolved  closed    rework  unit  in March?  due  closed  on time
//	1  01   closed       03-02    03-02 14h 2 h                  03-02     0       cgj   yes        yes  yes     yes
//	2  01   closed       03-03    03-03 14h 10 h (late)          03-03     0       cgj   yes        yes  yes     no
//	3  01   closed       03-04    03-05     4 h                  03-04     1       cgj   yes        yes  yes     yes
//	4  01   in_progress  03-10    03-10     —                    —         0       cgj   yes        yes  no      —
//	5  01   dispatched   03-31    04-03     —                    —         0       cgj   yes        no   no      —
//	6  01   rejected     03-05    03-05     —                    —         0       —     yes        no   no      —
//	7  01   merged       03-06    03-06     —                    —         0       —     yes        no   no      —
//	8  02   closed       03-31    04-07     3 h                  03-31     0       zjj   yes        yes  yes     yes
//	9  01   closed       02-28    02-28     1 h                  02-28     0       cgj   no (Feb)
//	10 01   closed       03-20    03-20     (04-02)              04-02     0       zjj   yes        yes  no      —
//
// So the street: new 9, due 6, closed 4, on time 3, reworked 1: closure 0.6667,
// on time 0.5, rework 0.25, median handling (2, 3, 4, 10 h) 3.5 h.
const fixture = `
INSERT INTO areas (code, name, level, parent_id, geom)
	VALUES ('329999', '测试区', 'district', NULL, ST_Multi(ST_MakeEnvelope(121.0, 30.0, 121.2, 30.1, 4326)));
INSERT INTO areas (code, name, level, parent_id, geom)
	SELECT '329999001', '测试街道,东区', 'street', id, geom FROM areas WHERE code = '329999';
INSERT INTO areas (code, name, level, parent_id, geom)
	SELECT '329999001001', '测试社区', 'community', id, geom FROM areas WHERE code = '329999001';
INSERT INTO areas (code, name, level, parent_id, geom)
	SELECT '32999900100101', '测试网格一', 'grid', id, ST_Multi(ST_MakeEnvelope(121.0, 30.0, 121.1, 30.1, 4326))
	FROM areas WHERE code = '329999001001';
INSERT INTO areas (code, name, level, parent_id, geom)
	SELECT '32999900100102', '测试网格二', 'grid', id, ST_Multi(ST_MakeEnvelope(121.1, 30.0, 121.2, 30.1, 4326))
	FROM areas WHERE code = '329999001001';

CREATE TEMP TABLE fx (n int, grid text, status text, category text, unit text, created timestamptz,
	deadline timestamptz, dispatched timestamptz, resolved timestamptz, closed timestamptz, rework int);
INSERT INTO fx VALUES
	(1, '01', 'closed', 'exposed_garbage', 'cgj', '2020-03-02 10:00+08', '2020-03-02 14:00+08', '2020-03-02 10:30+08', '2020-03-02 12:30+08', '2020-03-02 13:00+08', 0),
	(2, '01', 'closed', 'exposed_garbage', 'cgj', '2020-03-03 10:00+08', '2020-03-03 14:00+08', '2020-03-03 10:00+08', '2020-03-03 20:00+08', '2020-03-03 21:00+08', 0),
	(3, '01', 'closed', 'exposed_garbage', 'cgj', '2020-03-04 10:00+08', '2020-03-05 10:00+08', '2020-03-04 11:00+08', '2020-03-04 15:00+08', '2020-03-04 16:00+08', 1),
	(4, '01', 'in_progress', 'exposed_garbage', 'cgj', '2020-03-10 10:00+08', '2020-03-10 14:00+08', '2020-03-10 10:30+08', NULL, NULL, 0),
	(5, '01', 'dispatched', 'exposed_garbage', 'cgj', '2020-03-31 22:00+08', '2020-04-03 22:00+08', '2020-03-31 22:30+08', NULL, NULL, 0),
	(6, '01', 'rejected', 'exposed_garbage', NULL, '2020-03-05 10:00+08', '2020-03-05 14:00+08', NULL, NULL, NULL, 0),
	(8, '02', 'closed', 'illegal_construction', 'zjj', '2020-03-31 20:00+08', '2020-04-07 20:00+08', '2020-03-31 20:30+08', '2020-03-31 23:30+08', '2020-03-31 23:45+08', 0),
	(9, '01', 'closed', 'exposed_garbage', 'cgj', '2020-02-28 10:00+08', '2020-02-28 14:00+08', '2020-02-28 10:30+08', '2020-02-28 11:30+08', '2020-02-28 12:00+08', 0),
	(10, '01', 'closed', 'exposed_garbage', 'zjj', '2020-03-20 10:00+08', '2020-03-20 14:00+08', '2020-03-20 10:30+08', '2020-04-02 10:00+08', '2020-04-02 11:00+08', 0);
INSERT INTO issues (source, category, description, geom, grid_code, community_code, street_code, status, unit,
		deadline, created_at, dispatched_at, resolved_at, closed_at, rework_count, external_id)
	SELECT 'grid_patrol', category, 'fixture ' || n,
		ST_SetSRID(ST_MakePoint(CASE grid WHEN '01' THEN 121.05 ELSE 121.15 END, 30.05), 4326),
		'329999001001' || grid, '329999001001', '329999001', status, unit, deadline, created, dispatched,
		resolved, closed, rework, 'fixture-' || n
	FROM fx;
INSERT INTO issues (source, category, description, geom, grid_code, community_code, street_code, status,
		deadline, created_at, duplicate_of, external_id)
	SELECT 'grid_patrol', 'exposed_garbage', 'fixture 7', geom, grid_code, community_code, street_code, 'merged',
		'2020-03-06 14:00+08', '2020-03-06 10:00+08', id, 'fixture-7'
	FROM issues WHERE external_id = 'fixture-1';

-- points: P1 and P2 of unit 甲 in grid 01, P3 of unit 乙 in grid 02
INSERT INTO points (code, name, category, grid_code, unit, geom) VALUES
	('FX-P1', '测试点一', 'back_alley', '32999900100101', '测试单位甲', ST_SetSRID(ST_MakePoint(121.02, 30.02), 4326)),
	('FX-P2', '测试点二', 'back_alley', '32999900100101', '测试单位甲', ST_SetSRID(ST_MakePoint(121.03, 30.03), 4326)),
	('FX-P3', '测试点三', 'park', '32999900100102', '测试单位乙', ST_SetSRID(ST_MakePoint(121.13, 30.03), 4326));
INSERT INTO inspections (point_id, inspected_at, inspector, score)
	SELECT p.id, v.at::timestamptz, '测试督查员', v.score FROM (VALUES
		('FX-P1', '2020-03-03 10:00+08', 95), ('FX-P1', '2020-03-20 10:00+08', 97), ('FX-P1', '2020-02-10 10:00+08', 80),
		('FX-P2', '2020-03-04 10:00+08', 90), ('FX-P2', '2020-02-11 10:00+08', 92),
		('FX-P3', '2020-03-05 10:00+08', 70), ('FX-P3', '2020-02-12 10:00+08', 75)) v(code, at, score)
	JOIN points p ON p.code = v.code;
`

// March 2020, the fixture's range.
const march = "from=2020-03-01&to=2020-03-31"

func withFixture(t *testing.T) *apitest.Env {
	t.Helper()
	e := apitest.New(t)
	e.Exec(fixture)
	return e
}
