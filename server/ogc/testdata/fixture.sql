-- A small city for developing the OGC API without the demo-city seeder:
--   scripts/db.sh createdb tpl_ogc
--   DATABASE_URL=$(scripts/db.sh url tpl_ogc) go run ./cmd/citymap migrate
--   psql "$(scripts/db.sh url tpl_ogc)" -f server/ogc/testdata/fixture.sql
--   CITYMAP_TEST_DATABASE_URL=$(scripts/db.sh url postgres) CITYMAP_TEST_TEMPLATE=tpl_ogc go test ./server/ogc/
-- The tests read codes and counts from the database, so they pass on the demo city too.
BEGIN;

CREATE FUNCTION pg_temp.box(x0 float8, y0 float8, x1 float8, y1 float8) RETURNS geometry
LANGUAGE sql RETURN ST_Multi(ST_MakeEnvelope(x0, y0, x1, y1, 4326));

INSERT INTO areas (code, name, level, parent_id, geom) VALUES
    ('320282', '宜兴市', 'district', NULL, pg_temp.box(119.70, 31.30, 119.90, 31.45));
INSERT INTO areas (code, name, level, parent_id, geom)
SELECT code, name, 'street', (SELECT id FROM areas WHERE code = '320282'), pg_temp.box(x0, 31.30, x0 + 0.10, 31.45)
FROM (VALUES ('320282001', '宜城街道', 119.70), ('320282002', '屺亭街道', 119.80)) s(code, name, x0);
INSERT INTO areas (code, name, level, parent_id, geom)
SELECT code, name, 'community', (SELECT id FROM areas WHERE code = left(c.code, 9)), pg_temp.box(x0, y0, x0 + 0.10, y1)
FROM (VALUES ('320282001001', '东珠社区', 119.70, 31.30, 31.375),
             ('320282001002', '南虹社区', 119.70, 31.375, 31.45),
             ('320282002001', '屺亭社区', 119.80, 31.30, 31.45)) c(code, name, x0, y0, y1);
-- four grids per community, its quadrants
INSERT INTO areas (code, name, level, parent_id, manager, geom)
SELECT c.code || lpad(q::text, 2, '0'), c.name || '第' || q || '网格', 'grid', c.id, '网格员' || q,
       pg_temp.box(ST_XMin(c.geom) + (q - 1) % 2 * w, ST_YMin(c.geom) + (q - 1) / 2 * h,
                   ST_XMin(c.geom) + ((q - 1) % 2 + 1) * w, ST_YMin(c.geom) + ((q - 1) / 2 + 1) * h)
FROM (SELECT *, (ST_XMax(geom) - ST_XMin(geom)) / 2 AS w, (ST_YMax(geom) - ST_YMin(geom)) / 2 AS h
      FROM areas WHERE level = 'community') c, generate_series(1, 4) q;

-- 1,200 points scattered over the city, every 50th a small square
INSERT INTO points (code, name, category, address, unit, person, geom)
SELECT 'P' || lpad(i::text, 5, '0'), '点位' || i,
       (SELECT code FROM point_categories ORDER BY code OFFSET i % 16 LIMIT 1),
       '宜兴市某路' || i || '号', (ARRAY['cgj', 'zjj', 'jtj', 'swgs'])[i % 4 + 1], '责任人' || i % 37,
       CASE WHEN i % 50 = 0 THEN ST_Expand(pt, 0.0003) ELSE pt END
FROM generate_series(1, 1200) i,
     LATERAL (SELECT ST_SetSRID(ST_MakePoint(119.7005 + (i * 7919 % 1000) * 0.000199,
                                             31.3005 + (i * 104729 % 997) * 0.0001495), 4326) AS pt) p;
UPDATE points p SET grid_code = a.code FROM areas a
WHERE a.level = 'grid' AND ST_Intersects(a.geom, ST_PointOnSurface(p.geom));

-- 60 parking zones, smart and tidal
INSERT INTO parking_zones (code, name, kind, capacity, occupied, occupancy_at, operator, geom)
SELECT 'PK' || lpad(i::text, 4, '0'), '停车场' || i, CASE WHEN i % 3 = 0 THEN 'tidal' ELSE 'smart' END,
       20 + i * 3, (20 + i * 3) * (i % 5) / 5, now() - i * interval '1 minute', '宜兴城投停车',
       ST_Expand(ST_SetSRID(ST_MakePoint(119.705 + i * 0.0031, 31.31 + (i * 37 % 60) * 0.0022), 4326), 0.0004)
FROM generate_series(1, 60) i;
UPDATE parking_zones z SET grid_code = a.code FROM areas a
WHERE a.level = 'grid' AND ST_Intersects(a.geom, ST_PointOnSurface(z.geom));

-- 3,000 issues over the last 125 days, in every status but merged
INSERT INTO issues (source, category, description, address, geom, status, unit, deadline, created_at,
                    dispatched_at, resolved_at, closed_at)
SELECT (ARRAY['hotline_12345', 'hotline_12319', 'grid_patrol', 'inspection', 'sensor', 'citizen_app', 'open311'])[i % 7 + 1],
       c.code, '案卷描述' || i, '宜兴市某街' || i % 300 || '号', pt, st,
       CASE WHEN st IN ('reported', 'registered', 'rejected') THEN NULL ELSE coalesce(c.unit, 'cgj') END,
       worktime_due(t, c.deadline_amount, c.deadline_unit), t,
       CASE WHEN st IN ('dispatched', 'in_progress', 'resolved', 'closed') THEN t + interval '1 hour' END,
       CASE WHEN st IN ('resolved', 'closed') THEN t + interval '5 hours' END,
       CASE WHEN st = 'closed' THEN t + interval '8 hours' END
FROM generate_series(1, 3000) i,
     LATERAL (SELECT (ARRAY['reported', 'registered', 'dispatched', 'in_progress', 'resolved', 'closed', 'closed',
                            'closed', 'rejected'])[i % 9 + 1] AS st,
                     timestamptz '2024-03-01 08:00+08' + i * interval '1 hour' AS t,
                     ST_SetSRID(ST_MakePoint(119.7002 + (i * 7907 % 1000) * 0.0001996,
                                             31.3002 + (i * 6007 % 1000) * 0.0001496), 4326) AS pt) x,
     LATERAL (SELECT * FROM issue_categories ORDER BY code OFFSET i % 22 LIMIT 1) c;
UPDATE issues i SET grid_code = a.code, community_code = left(a.code, 12), street_code = left(a.code, 9)
FROM areas a WHERE a.level = 'grid' AND ST_Intersects(a.geom, i.geom);

-- 600 inspections of the first 300 points
INSERT INTO inspections (point_id, inspected_at, inspector, deductions, score)
SELECT p.id, timestamptz '2024-04-01 09:00+08' + i * interval '5 hours', '督查员' || i % 7,
       CASE WHEN i % 4 = 0 THEN '[{"indicator": "exposed_garbage", "points": 2.0}]'::jsonb ELSE '[]' END,
       CASE WHEN i % 4 = 0 THEN 98 ELSE 100 - i % 3 END
FROM generate_series(1, 600) i JOIN points p ON p.code = 'P' || lpad((i % 300 + 1)::text, 5, '0');

COMMIT;
ANALYZE;
