-- Each mapped object as clients see it: a GeoJSON Feature built in one place, so the
-- REST API, OGC API, live stream and changes feed all say the same thing.
CREATE FUNCTION issue_is_open(status text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN status IN ('reported', 'registered', 'dispatched', 'in_progress', 'resolved');

CREATE FUNCTION issue_feature(i issues) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN jsonb_build_object(
    'type', 'Feature',
    'id', i.id,
    'geometry', ST_AsGeoJSON(i.geom, 7)::jsonb,
    'properties', jsonb_build_object(
        'source', i.source,
        'external_id', i.external_id,
        'category', i.category,
        'description', i.description,
        'address', i.address,
        'photos', to_jsonb(i.photos),
        'status', i.status,
        'grid', i.grid_code,
        'community', i.community_code,
        'street', i.street_code,
        'unit', i.unit,
        'deadline', i.deadline,
        'overdue', issue_is_open(i.status) AND i.deadline < now(),
        'created_at', i.created_at,
        'dispatched_at', i.dispatched_at,
        'resolved_at', i.resolved_at,
        'closed_at', i.closed_at,
        'rework_count', i.rework_count,
        'duplicate_of', i.duplicate_of,
        'inspection_id', i.inspection_id,
        'point_id', i.point_id,
        'updated_at', i.updated_at,
        'version', i.version));

CREATE FUNCTION area_feature(a areas) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN jsonb_build_object(
    'type', 'Feature',
    'id', a.code,
    'geometry', ST_AsGeoJSON(a.geom, 7)::jsonb,
    'properties', jsonb_build_object(
        'code', a.code,
        'name', a.name,
        'level', a.level,
        'parent', left(a.code, CASE a.level WHEN 'street' THEN 6 WHEN 'community' THEN 9
                                            WHEN 'grid' THEN 12 END),
        'manager', a.manager,
        'manager_phone', a.manager_phone,
        'updated_at', a.updated_at,
        'version', a.version));

CREATE FUNCTION point_feature(p points) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN jsonb_build_object(
    'type', 'Feature',
    'id', p.code,
    'geometry', ST_AsGeoJSON(p.geom, 7)::jsonb,
    'properties', jsonb_build_object(
        'code', p.code,
        'name', p.name,
        'category', p.category,
        'address', p.address,
        'grid', p.grid_code,
        'unit', p.unit,
        'person', p.person,
        'phone', p.phone,
        'updated_at', p.updated_at,
        'version', p.version));

CREATE FUNCTION parking_feature(z parking_zones) RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
RETURN jsonb_build_object(
    'type', 'Feature',
    'id', z.code,
    'geometry', ST_AsGeoJSON(z.geom, 7)::jsonb,
    'properties', jsonb_build_object(
        'code', z.code,
        'name', z.name,
        'kind', z.kind,
        'capacity', z.capacity,
        'occupied', z.occupied,
        'free', z.capacity - z.occupied,
        'occupancy_at', z.occupancy_at,
        'address', z.address,
        'operator', z.operator,
        'grid', z.grid_code,
        'updated_at', z.updated_at,
        'version', z.version));
