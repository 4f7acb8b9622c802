package store

import (
	"context"
	"encoding/json"
	"math"
	"sync"

	"golang.org/x/sync/errgroup"
)

// The shapes the hotspot report prints of its hexagons — the centre's lon and
// lat, and the polygon as GeoJSON — depend on nothing but the cell and the
// edge: PostGIS builds them (ST_Hexagon, ST_Transform to EPSG:4326,
// ST_Centroid, ST_AsGeoJSON) once per cell and the store keeps them. A year of
// issues in 100 m hexagons is about 45,000 cells at scale 20, and shaping them
// took PostGIS about 400 ms of each such report, many times what counting the
// issues takes in the report cube; kept, a cell costs a map lookup. The shapes
// come out of the very statement the report ran before they were kept, so a
// kept answer is byte for byte the one PostGIS gives (TestHexagonShapes).

// hexShapeBudget bounds the bytes kept; a cell with its polygon takes about
// 300. Past it, the shapes of the edge used longest ago go first, and an edge
// that alone needs more keeps what fits and shapes the rest on each report.
const hexShapeBudget = 64 << 20

// hexShapeOverhead is what a cell costs besides its GeoJSON: the key, the
// centre and the map's own share.
const hexShapeOverhead = 64

// hexFillChunk is the fewest cells worth a statement of their own: below it,
// a second connection costs more than it saves.
const hexFillChunk = 4000

// hexFillConns is how many connections shape a report's missing cells at
// once: the statement is pure CPU in PostgreSQL, so more than the cores a
// database usually has for one report would only queue.
const hexFillConns = 2

// hexShape is one cell as the report prints it; geometry is nil until a
// GeoJSON answer needed it.
type hexShape struct {
	lon, lat float64
	geometry json.RawMessage
}

func (h hexShape) bytes() int { return hexShapeOverhead + len(h.geometry) }

type hexCell struct{ i, j int32 }

// hexEdgeShapes are the shapes of one edge length.
type hexEdgeShapes struct {
	cells map[hexCell]hexShape
	bytes int
	used  uint64 // the cache's clock at the last report of this edge
}

// hexShapes is the store's cache of shapes; its zero value is ready to use.
type hexShapes struct {
	// budget is hexShapeBudget unless a test sets a smaller one
	budget int
	mu     sync.Mutex
	edges  map[uint64]*hexEdgeShapes // by the edge's float64 bits
	bytes  int
	clock  uint64
}

// lookup fills out[n] with the kept shape of cells[n] and returns the indexes
// of those it lacks (or lacks the polygon of, when geometry is asked).
func (c *hexShapes) lookup(edge float64, cells []HexagonCount, geometry bool, out []hexShape) (missing []int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.clock++
	e := c.edges[math.Float64bits(edge)]
	if e != nil {
		e.used = c.clock
	}
	for n, h := range cells {
		var s hexShape
		ok := false
		if e != nil {
			s, ok = e.cells[hexCell{int32(h.I), int32(h.J)}]
		}
		if !ok || (geometry && s.geometry == nil) {
			missing = append(missing, n)
			continue
		}
		out[n] = s
	}
	return missing
}

// keep adds the shapes of cells[n] for each n of which, within the budget.
func (c *hexShapes) keep(edge float64, cells []HexagonCount, which []int, shapes []hexShape) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.edges == nil {
		c.edges = map[uint64]*hexEdgeShapes{}
	}
	key := math.Float64bits(edge)
	e := c.edges[key]
	if e == nil {
		e = &hexEdgeShapes{cells: map[hexCell]hexShape{}}
		c.edges[key] = e
	}
	e.used = c.clock
	for _, n := range which {
		k, s := hexCell{int32(cells[n].I), int32(cells[n].J)}, shapes[n]
		grow := s.bytes()
		if old, had := e.cells[k]; had {
			grow -= old.bytes()
		}
		if c.bytes+grow > c.limit() && !c.evictOther(key, grow) {
			return
		}
		e.cells[k] = s
		e.bytes += grow
		c.bytes += grow
	}
}

func (c *hexShapes) limit() int {
	if c.budget > 0 {
		return c.budget
	}
	return hexShapeBudget
}

// evictOther drops the edges other than keep, the longest unused first,
// until need more bytes fit; false when they do not even then.
func (c *hexShapes) evictOther(keep uint64, need int) bool {
	for c.bytes+need > c.limit() {
		var oldest uint64
		var found *hexEdgeShapes
		for k, e := range c.edges {
			if k != keep && (found == nil || e.used < found.used) {
				oldest, found = k, e
			}
		}
		if found == nil {
			return false
		}
		c.bytes -= found.bytes
		delete(c.edges, oldest)
	}
	return true
}

// hexagonShapes returns the shapes of cells for edge (EPSG:3857 units),
// asking PostGIS for those not kept.
func (s *Store) hexagonShapes(ctx context.Context, edge float64, cells []HexagonCount, geometry bool) ([]hexShape, error) {
	out := make([]hexShape, len(cells))
	missing := s.hexShapes.lookup(edge, cells, geometry, out)
	if len(missing) == 0 {
		return out, nil
	}
	g, gctx := errgroup.WithContext(ctx)
	parts := min(hexFillConns, max(1, len(missing)/hexFillChunk))
	per := (len(missing) + parts - 1) / parts
	for lo := 0; lo < len(missing); lo += per {
		part := missing[lo:min(lo+per, len(missing))]
		g.Go(func() error { return s.shapeHexagons(gctx, edge, cells, part, geometry, out) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	s.hexShapes.keep(edge, cells, missing, out)
	return out, nil
}

// hexShapeSQL is how the report prints a hexagon: $1 the edge, $2 and $3 the
// cells' i and j, $4 whether to write the polygon.
const hexShapeSQL = `SELECT u.n,
		round(ST_X(ST_Centroid(x.hex))::numeric, 6)::float8 AS lon,
		round(ST_Y(ST_Centroid(x.hex))::numeric, 6)::float8 AS lat,
		CASE WHEN $4 THEN ST_AsGeoJSON(x.hex, 6) END AS geometry
	FROM unnest($2::int4[], $3::int4[]) WITH ORDINALITY AS u(i, j, n)
	CROSS JOIN LATERAL (SELECT ST_Transform(ST_SetSRID(ST_Hexagon($1::float8, u.i, u.j), 3857), 4326) AS hex) x`

// shapeHexagons asks PostGIS for the shapes of cells[n], n in part, into out.
func (s *Store) shapeHexagons(ctx context.Context, edge float64, cells []HexagonCount, part []int, geometry bool, out []hexShape) error {
	is, js := make([]int32, len(part)), make([]int32, len(part))
	for k, n := range part {
		is[k], js[k] = int32(cells[n].I), int32(cells[n].J)
	}
	rows, err := s.reads(ctx).Query(ctx, hexShapeSQL, edge, is, js, geometry)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var ord int64
		var sh hexShape
		var geom *string
		if err := rows.Scan(&ord, &sh.lon, &sh.lat, &geom); err != nil {
			return err
		}
		if geom != nil {
			sh.geometry = json.RawMessage(*geom)
		}
		out[part[ord-1]] = sh
	}
	return rows.Err()
}
