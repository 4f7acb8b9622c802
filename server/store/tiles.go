package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"citymap/server/access"
)

// Vector tiles: one query per layer renders a Mapbox Vector Tile with
// ST_AsMVT(ST_AsMVTGeom(...)) and, in the same snapshot, the moment when the
// tile's content would change by time alone (an open issue's deadline, a tidal
// zone's window boundary), so that a cache can keep the tile exactly that long.
// Every query finds its rows by the GiST index on geom, testing the tile
// envelope transformed to WGS 84 (plus the MVT buffer) rather than transforming
// each row to Web Mercator first.

// Tile geometry: MVT coordinates per tile side and the buffer around it, in
// the same units. The buffer keeps lines and polygons continuous across tile
// edges; a change invalidates the tiles whose buffered envelope it touches.
const (
	TileExtent = 4096
	TileBuffer = 64
)

// TileLayers lists the layers RenderTile draws, in drawing order.
var TileLayers = []string{"areas", "grids", "parking", "points", "issues"}

// Zoom rules of the layers, which TileJSON and the style describe.
const (
	// IssueClusterMaxZoom is the deepest zoom at which open issues are
	// clustered into counts per cell (a sixteenth of a tile a side) rather
	// than drawn one by one.
	IssueClusterMaxZoom = 13
	// IssueClusterCells is the number of cluster cells along a tile side.
	IssueClusterCells = 16
	// SurfacePointMaxZoom is the deepest zoom at which points and parking
	// zones with an area are drawn as a point on their surface: smaller than
	// a few pixels, their outlines would vanish and the objects with them.
	SurfacePointMaxZoom = 14
)

// AreaLevelAt is the level of the hierarchy the areas layer shows at zoom z:
// the district when the whole city is a few tiles, streets, communities, and
// unit grids from z13 where a grid is a few hundred pixels across.
func AreaLevelAt(z uint32) string {
	switch {
	case z < 9:
		return "district"
	case z < 11:
		return "street"
	case z < 13:
		return "community"
	}
	return "grid"
}

// TileRequest names a tile to render.
type TileRequest struct {
	Layer   string
	Z, X, Y uint32
	// Scope limits every layer to these area codes and everything below them
	// (a grid manager's); the areas layer also shows the areas that contain
	// them, the map around its grids. Empty is the whole city.
	Scope []string
}

// RenderedTile is an MVT (empty when no feature falls in the tile) and when
// its content would change without any change to the data: zero when only a
// change can alter it.
type RenderedTile struct {
	MVT     []byte
	Expires time.Time
	// Seq is the changes feed's head in the snapshot the tile was drawn from:
	// it shows every change up to Seq and none after.
	Seq int64
	// Replica names the replica that drew it, "" for the primary.
	Replica string
}

// tileBounds is the common head of the tile queries: the tile envelope in Web
// Mercator (env), the buffered envelope in WGS 84 to search the index with (q)
// and, for clustering, the envelope's corner and cell size. Web-Mercator tile
// edges are meridians and parallels, so q's box is exact.
var tileBounds = `WITH bounds AS (
    SELECT e AS env,
           ST_Transform(ST_TileEnvelope($1, $2, $3, margin => 64.0 / 4096), 4326) AS q,
           ST_XMin(e) AS x0, ST_YMin(e) AS y0, (ST_XMax(e) - ST_XMin(e)) / ` + clusterCells + ` AS cell
    FROM ST_TileEnvelope($1, $2, $3) AS e)
`

// clusterCells is IssueClusterCells in SQL.
var clusterCells = fmt.Sprint(IssueClusterCells)

// mvtGeom draws geometry g (WGS 84) into the tile.
func mvtGeom(g string) string {
	return fmt.Sprintf("ST_AsMVTGeom(ST_Transform(%s, 3857), b.env, 4096, 64, true)", g)
}

// surfaceGeom is what the points and parking layers draw of geometry g:
// a point on its surface up to SurfacePointMaxZoom, the geometry itself deeper.
func surfaceGeom(g string) string {
	return mvtGeom(fmt.Sprintf("CASE WHEN $1 <= %d THEN ST_PointOnSurface(%s) ELSE %s END",
		SurfacePointMaxZoom, g, g))
}

// tileScope is the condition that the area code col lies in the scope ($4,
// its access.Scope.Patterns).
func tileScope(col string) string { return access.SQL(col, "$4") }

// areaScope is tileScope for the areas layer, which also draws the areas that
// contain the scope's ($5, the codes themselves): a grid manager sees its
// street and district around its grids.
var areaScope = "(" + tileScope("a.code") + " OR " + access.ContainsSQL("a.code", "$5") + ")"

// Each query takes z, x, y as $1..$3, the scope as $4 (and its own parameters
// after them) and returns the MVT and the expiry.
var (
	areasTileSQL = tileBounds + `, f AS (
    SELECT a.code, a.name, a.level,
           left(a.code, CASE a.level WHEN 'street' THEN 6 WHEN 'community' THEN 9 WHEN 'grid' THEN 12 END) AS parent,
           ` + mvtGeom("a.geom") + ` AS geom
    FROM areas a, bounds b
    WHERE a.geom && b.q AND a.level = $6 AND ` + areaScope + `)
SELECT ST_AsMVT(f, 'areas', 4096, 'geom'), NULL::timestamptz FROM f WHERE f.geom IS NOT NULL`

	gridsTileSQL = tileBounds + `, f AS (
    SELECT a.code, a.name, a.manager, ` + mvtGeom("a.geom") + ` AS geom
    FROM areas a, bounds b
    WHERE a.geom && b.q AND a.level = 'grid' AND ` + tileScope("a.code") + `)
SELECT ST_AsMVT(f, 'grids', 4096, 'geom'), NULL::timestamptz FROM f WHERE f.geom IS NOT NULL`

	pointsTileSQL = tileBounds + `, f AS (
    SELECT p.code, p.name, p.category, p.unit, p.grid_code AS grid, ` + surfaceGeom("p.geom") + ` AS geom
    FROM points p, bounds b
    WHERE p.geom && b.q AND ` + tileScope("p.grid_code") + `)
SELECT ST_AsMVT(f, 'points', 4096, 'geom'), NULL::timestamptz FROM f WHERE f.geom IS NOT NULL`

	// open_now and its expiry are computed from one now(): the statement's.
	parkingTileSQL = tileBounds + `, f AS MATERIALIZED (
    SELECT z.id, z.code, z.name, z.kind, z.capacity, z.occupied, z.capacity - z.occupied AS free,
           z.kind = 'smart' OR coalesce(parking_open_at(z.id, now()), false) AS open_now,
           ` + surfaceGeom("z.geom") + ` AS geom
    FROM parking_zones z, bounds b
    WHERE z.geom && b.q AND ` + tileScope("z.grid_code") + `)
SELECT (SELECT ST_AsMVT(m, 'parking', 4096, 'geom') FROM (
            SELECT code, name, kind, capacity, occupied, free, open_now, geom FROM f WHERE geom IS NOT NULL) m),
       (SELECT min(parking_next_change(f.id, now())) FROM f WHERE f.kind = 'tidal' AND f.geom IS NOT NULL)`

	issueScope = tileScope("i.grid_code")

	// Open issues one by one, with the issue number as the feature id. The
	// expiry is the next deadline among them: that issue turns overdue then.
	// A suspended issue's clock stands: it is never overdue and its deadline
	// is no expiry (issue_overdue's rule; resuming it is a change, which
	// invalidates the tile).
	issuesTileSQL = tileBounds + `, f AS MATERIALIZED (
    SELECT i.id, i.status, i.category, i.source, i.deadline, i.grid_code, i.suspended_at IS NOT NULL AS suspended,
           ` + mvtGeom("i.geom") + ` AS geom
    FROM issues i, bounds b
    WHERE i.geom && b.q AND issue_is_open(i.status) AND ` + issueScope + `)
SELECT (SELECT ST_AsMVT(m, 'issues', 4096, 'geom', 'fid') FROM (
            SELECT id AS fid, id, status, category, source, NOT suspended AND deadline < now() AS overdue,
                   suspended,
                   to_char(deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS deadline,
                   grid_code AS grid, geom
            FROM f WHERE geom IS NOT NULL) m),
       (SELECT min(deadline) FROM f WHERE deadline > now() AND NOT suspended AND geom IS NOT NULL)`

	// Open issues counted per cell, a sixteenth of the tile a side, each cell
	// drawn at the centroid of its issues. Cells do not reach past the tile:
	// an issue counts in the one tile that holds it, so a change to it
	// invalidates every tile whose numbers it is part of.
	issueClustersTileSQL = tileBounds + `, o AS MATERIALIZED (
    SELECT CASE WHEN i.suspended_at IS NULL THEN i.deadline END AS deadline, g.m, -- suspended: no deadline
           floor((ST_X(g.m) - b.x0) / b.cell) AS cx, floor((ST_Y(g.m) - b.y0) / b.cell) AS cy
    FROM issues i CROSS JOIN bounds b
    CROSS JOIN LATERAL (SELECT ST_Transform(i.geom, 3857) AS m) g
    WHERE i.geom && b.q AND issue_is_open(i.status) AND ` + issueScope + `),
inside AS (
    SELECT * FROM o WHERE cx >= 0 AND cx < ` + clusterCells + ` AND cy >= 0 AND cy < ` + clusterCells + `),
cells AS (
    SELECT count(*) AS count, count(*) FILTER (WHERE deadline < now()) AS overdue_count,
           ST_Centroid(ST_Collect(m)) AS m
    FROM inside GROUP BY cx, cy)
SELECT (SELECT ST_AsMVT(t, 'issues', 4096, 'geom') FROM (
            SELECT true AS cluster, c.count, c.overdue_count,
                   ST_AsMVTGeom(c.m, b.env, 4096, 64, true) AS geom
            FROM cells c, bounds b) t),
       (SELECT min(deadline) FROM inside WHERE deadline > now())`
)

// TileRenderer renders tiles through pools of its own, whose sessions plan
// the tile queries once (plan_cache_mode = force_generic_plan) rather than for
// every tile: planning a custom plan for the parameters of each tile took
// about two thirds of the time of a small tile (85 µs of 120 µs), and the
// generic plan of every tile query is the custom one (the GiST index on the
// envelope's box). JIT is off: it only pays for queries far longer than a tile.
// It has such a pool on the primary and on each replica, and draws a tile
// where the store sends the request's reads (Store.reads).
type TileRenderer struct {
	s        *Store
	pool     *pgxpool.Pool
	replicas []*pgxpool.Pool
}

// NewTileRenderer opens the tile pools, sized and configured like the store's
// but for those two settings; they connect on first use.
func (s *Store) NewTileRenderer() (*TileRenderer, error) {
	r := &TileRenderer{s: s}
	var err error
	if r.pool, err = tilePool(s.Pool); err != nil {
		return nil, err
	}
	if s.replicas != nil {
		for _, m := range s.replicas.members {
			p, err := tilePool(m.pool)
			if err != nil {
				r.Close()
				return nil, err
			}
			r.replicas = append(r.replicas, p)
		}
	}
	return r, nil
}

// tilePool is a pool of like's server with the tile sessions' settings.
func tilePool(like *pgxpool.Pool) (*pgxpool.Pool, error) {
	cfg := like.Config().Copy()
	params := cfg.ConnConfig.RuntimeParams
	params["plan_cache_mode"] = "force_generic_plan"
	params["jit"] = "off"
	params["application_name"] = "citymap tiles"
	return pgxpool.NewWithConfig(context.Background(), cfg)
}

// Close releases the pools' connections.
func (r *TileRenderer) Close() {
	r.pool.Close()
	for _, p := range r.replicas {
		p.Close()
	}
}

// PoolStats are the usage figures of the tile pools.
func (r *TileRenderer) PoolStats() []PoolStat {
	out := []PoolStat{{Server: "primary", Pool: "tiles", Stat: r.pool.Stat()}}
	for i, p := range r.replicas {
		out = append(out, PoolStat{Server: r.s.replicas.members[i].name, Pool: "tiles", Stat: p.Stat()})
	}
	return out
}

// withFeedHead adds the feed's head in the same snapshot to a tile query.
func withFeedHead(sql string) string {
	return `SELECT t.mvt, t.expires, c.seq FROM (` + sql + `) AS t(mvt, expires), change_counter c`
}

// Render renders one tile of a layer where ctx's reads go. An unknown layer
// is an error; the caller checks layers first.
func (r *TileRenderer) Render(ctx context.Context, req TileRequest) (RenderedTile, error) {
	sql, args, err := tileQuery(req)
	if err != nil {
		return RenderedTile{}, err
	}
	var t RenderedTile
	pool := r.pool
	// a renderer made before the replicas were opened has no pools on them
	if i := r.s.readServer(ctx); i >= 0 && i < len(r.replicas) {
		pool, t.Replica = r.replicas[i], r.s.replicas.members[i].name
	}
	var expires *time.Time
	if err := pool.QueryRow(ctx, withFeedHead(sql), args...).Scan(&t.MVT, &expires, &t.Seq); err != nil {
		return RenderedTile{}, fmt.Errorf("render %s/%d/%d/%d: %w", req.Layer, req.Z, req.X, req.Y, err)
	}
	if expires != nil {
		t.Expires = *expires
	}
	return t, nil
}

// tileQuery picks the layer's query and its arguments.
func tileQuery(r TileRequest) (string, []any, error) {
	args := []any{int32(r.Z), int64(r.X), int64(r.Y), access.Scope(r.Scope).Patterns()}
	var sql string
	switch r.Layer {
	case "areas":
		sql = areasTileSQL
		args = append(args, r.Scope, AreaLevelAt(r.Z))
	case "grids":
		sql = gridsTileSQL
	case "points":
		sql = pointsTileSQL
	case "parking":
		sql = parkingTileSQL
	case "issues":
		sql = issuesTileSQL
		if r.Z <= IssueClusterMaxZoom {
			sql = issueClustersTileSQL
		}
	default:
		return "", nil, fmt.Errorf("tiles: unknown layer %q", r.Layer)
	}
	return sql, args, nil
}

// BaselineTiler renders tiles the way the common PostGIS tile servers (Martin,
// pg_tileserv) publish a table: one ST_AsMVT(ST_AsMVTGeom(...)) query over the
// whole table with every other column as a property. The tile benchmark runs
// it next to citymap's tiles on the same data.
type BaselineTiler struct {
	table string
	sql   string
}

// NewBaselineTiler reads the columns of table (issues or points) from the
// catalog of the database q reaches.
func NewBaselineTiler(ctx context.Context, q Querier, table string) (*BaselineTiler, error) {
	rows, err := q.Query(ctx, `SELECT a.attname FROM pg_attribute a
		WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
		  AND a.attname <> 'geom' ORDER BY a.attnum`, table)
	if err != nil {
		return nil, err
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("baseline: no table %q", table)
	}
	props := make([]string, len(cols))
	for i, c := range cols {
		props[i] = "t." + pgx.Identifier{c}.Sanitize()
	}
	name := pgx.Identifier{table}.Sanitize()
	// Martin's table query, which pg_tileserv's matches but for its feature limit.
	sql := fmt.Sprintf(`SELECT ST_AsMVT(tile, %s, 4096, 'geom') FROM (
		SELECT ST_AsMVTGeom(ST_Transform(ST_CurveToLine(t.geom), 3857), ST_TileEnvelope($1::integer, $2::integer, $3::integer),
		       4096, 64, true) AS geom, %s
		FROM %s t
		WHERE t.geom && ST_Transform(ST_TileEnvelope($1::integer, $2::integer, $3::integer, margin => (64.0 / 4096)), 4326)
	) AS tile`, quoteLiteral(table), strings.Join(props, ", "), name)
	return &BaselineTiler{table: table, sql: sql}, nil
}

// Render renders one tile.
func (b *BaselineTiler) Render(ctx context.Context, q Querier, z, x, y uint32) ([]byte, error) {
	var mvt []byte
	err := q.QueryRow(ctx, b.sql, int32(z), int64(x), int64(y)).Scan(&mvt)
	return mvt, err
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
