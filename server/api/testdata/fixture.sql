-- A minimal city for the issue tests when the demo-city template is not available:
-- one district, street and community and two unit grids near 119.82,31.36, plus the
-- street office. Build a template with it:
--   scripts/db.sh createdb tpl_issues
--   DATABASE_URL=$(scripts/db.sh url tpl_issues) go run ./cmd/citymap migrate
--   psql "$(scripts/db.sh url tpl_issues)" -f server/api/testdata/fixture.sql
-- The tests discover codes from the database, so they pass on the demo city too.
INSERT INTO areas (code, name, level, parent_id, geom) VALUES
    ('320282', '宜兴市', 'district', NULL,
     ST_Multi(ST_MakeEnvelope(119.70, 31.20, 119.95, 31.50, 4326)));
INSERT INTO areas (code, name, level, parent_id, geom) VALUES
    ('320282001', '宜城街道', 'street', (SELECT id FROM areas WHERE code = '320282'),
     ST_Multi(ST_MakeEnvelope(119.78, 31.32, 119.86, 31.40, 4326)));
INSERT INTO areas (code, name, level, parent_id, geom) VALUES
    ('320282001001', '东庙社区', 'community', (SELECT id FROM areas WHERE code = '320282001'),
     ST_Multi(ST_MakeEnvelope(119.80, 31.34, 119.84, 31.38, 4326)));
INSERT INTO areas (code, name, level, parent_id, manager, geom) VALUES
    ('32028200100101', '东庙社区第1网格', 'grid', (SELECT id FROM areas WHERE code = '320282001001'), '张伟',
     ST_Multi(ST_MakeEnvelope(119.80, 31.34, 119.82, 31.38, 4326))),
    ('32028200100102', '东庙社区第2网格', 'grid', (SELECT id FROM areas WHERE code = '320282001001'), '李娜',
     ST_Multi(ST_MakeEnvelope(119.82, 31.34, 119.84, 31.38, 4326)));
INSERT INTO units (code, name, kind, area_code) VALUES
    ('jd320282001', '宜城街道办事处', 'street_office', '320282001');
-- a second community, so that a grid manager of the first has somewhere it may not act
INSERT INTO areas (code, name, level, parent_id, geom) VALUES
    ('320282001002', '南园社区', 'community', (SELECT id FROM areas WHERE code = '320282001'),
     ST_Multi(ST_MakeEnvelope(119.80, 31.38, 119.84, 31.40, 4326)));
INSERT INTO areas (code, name, level, parent_id, manager, geom) VALUES
    ('32028200100201', '南园社区第1网格', 'grid', (SELECT id FROM areas WHERE code = '320282001002'), '王芳',
     ST_Multi(ST_MakeEnvelope(119.80, 31.38, 119.84, 31.40, 4326)));
