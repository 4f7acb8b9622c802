package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"citymap/invalid"
	"citymap/server/access"
	"citymap/server/ogc/cql2"
)

// The OGC API – Features collections: which rows each reads, how it builds its
// GeoJSON Feature, and the properties filters may use, with their SQL. Every
// statement aliases the collection's table as o.
type ogcCollection struct {
	from       string // FROM clause
	where      string // the collection's own condition, "" for none
	feature    string // the Feature as jsonb (from the 0009_features functions)
	geom       string // the geometry, SRID 4326
	key        string // what an item id is compared with
	numericKey bool   // ids are numbers (issues, inspections), not codes
	version    string // the optimistic-concurrency version, "" for none
	// scope is the area code a token's areas must prefix for it to see the
	// object; context also shows the areas that contain its own (the
	// district, street and community around a grid manager's grids).
	scope      string
	context    bool
	timeProp   string // the queryable the datetime parameter filters on
	queryables []cql2.Queryable
	// layers are the changes feed's layers whose changes are all the writes
	// of this collection's rows: its counts may be cached (ogccount.go). Nil
	// for a collection written without the feed.
	layers []string
	// volatile are the queryables whose value moves with the clock: a filter
	// on them is counted afresh every time.
	volatile []string
}

// inspectionFeature builds an inspection's Feature where no SQL function does
// yet: it sits at its point's geometry.
const inspectionFeature = `jsonb_build_object(
	'type', 'Feature',
	'id', o.id,
	'geometry', ST_AsGeoJSON(p.geom, 7)::jsonb,
	'properties', jsonb_build_object(
		'point', p.code,
		'point_name', p.name,
		'category', p.category,
		'grid', p.grid_code,
		'inspected_at', o.inspected_at,
		'inspector', o.inspector,
		'score', o.score,
		'deductions', o.deductions,
		'photos', to_jsonb(o.photos),
		'note', o.note,
		'created_at', o.created_at))`

// Queryable shorthands.
func qs(name, sql, desc string, enum ...string) cql2.Queryable {
	return cql2.Queryable{Name: name, Type: cql2.TypeString, SQL: sql, Description: desc, Enum: enum}
}

func qt(name string, t cql2.Type, sql, desc string) cql2.Queryable {
	return cql2.Queryable{Name: name, Type: t, SQL: sql, Description: desc}
}

var (
	qGeometry = qt("geometry", cql2.TypeGeometry, "o.geom", "the feature's geometry (WGS 84)")
	qUpdated  = qt("updated_at", cql2.TypeTimestamp, "o.updated_at", "time of the last change")
	qVersion  = qt("version", cql2.TypeInteger, "o.version", "version, raised by every change")
)

func areaQueryables(levels ...string) []cql2.Queryable {
	return []cql2.Queryable{
		qs("code", "o.code", "area code (district 6 digits, street 9, community 12, grid 14)"),
		qs("name", "o.name", "name"),
		qs("level", "o.level", "level in the hierarchy", levels...),
		qs("parent", `left(o.code, CASE o.level WHEN 'street' THEN 6 WHEN 'community' THEN 9
			WHEN 'grid' THEN 12 END)`, "code of the parent area"),
		qs("manager", "o.manager", "responsible manager"),
		qUpdated, qVersion, qGeometry,
	}
}

// areaLayers: areas and grids are rows of one table, each written to its
// own layer.
var areaLayers = []string{"areas", "grids"}

var ogcCollections = map[string]*ogcCollection{
	"areas": {
		from: "areas o", where: "o.level <> 'grid'", feature: "area_feature(o)", geom: "o.geom",
		key: "o.code", version: "o.version", scope: "o.code", context: true, timeProp: "updated_at",
		queryables: areaQueryables("district", "street", "community"), layers: areaLayers,
	},
	"grids": {
		from: "areas o", where: "o.level = 'grid'", feature: "area_feature(o)", geom: "o.geom",
		key: "o.code", version: "o.version", scope: "o.code", timeProp: "updated_at",
		queryables: areaQueryables("grid"), layers: areaLayers,
	},
	"points": {
		from: "points o", feature: "point_feature(o)", geom: "o.geom",
		key: "o.code", version: "o.version", scope: "o.grid_code", timeProp: "updated_at", layers: []string{"points"},
		queryables: []cql2.Queryable{
			qs("code", "o.code", "point code"),
			qs("name", "o.name", "name"),
			qs("category", "o.category", "point category (farmers_market, residential, back_alley, ...)"),
			qs("address", "o.address", "address"),
			qs("grid", "o.grid_code", "code of the unit grid it lies in"),
			qs("unit", "o.unit", "responsible unit (责任单位)"),
			qs("person", "o.person", "responsible person"),
			qUpdated, qVersion, qGeometry,
		},
	},
	"parking": {
		from: "parking_zones o", feature: "parking_feature(o)", geom: "o.geom",
		key: "o.code", version: "o.version", scope: "o.grid_code", timeProp: "updated_at",
		layers: []string{"parking"}, volatile: []string{"open_now"},
		queryables: []cql2.Queryable{
			qs("code", "o.code", "zone code"),
			qs("name", "o.name", "name"),
			qs("kind", "o.kind", "smart lot or tidal zone (潮汐车位)", "smart", "tidal"),
			qt("capacity", cql2.TypeInteger, "o.capacity", "number of spaces"),
			qt("occupied", cql2.TypeInteger, "o.occupied", "occupied spaces at the last reading"),
			qt("free", cql2.TypeInteger, "(o.capacity - o.occupied)", "free spaces at the last reading"),
			qt("occupancy_at", cql2.TypeTimestamp, "o.occupancy_at", "time of the last reading"),
			qt("open_now", cql2.TypeBoolean, "(o.kind = 'smart' OR parking_open_at(o.id, now()))",
				"open to the public now (tidal zones: their windows and the holiday calendar)"),
			qs("address", "o.address", "address"),
			qs("operator", "o.operator", "operator"),
			qs("grid", "o.grid_code", "code of the unit grid it lies in"),
			qUpdated, qVersion, qGeometry,
		},
	},
	"issues": {
		from: "issues o", feature: "issue_feature(o)", geom: "o.geom",
		key: "o.id", numericKey: true, version: "o.version", scope: "o.grid_code", timeProp: "created_at",
		layers: []string{"issues"}, volatile: []string{"overdue"},
		queryables: []cql2.Queryable{
			qt("id", cql2.TypeInteger, "o.id", "issue number"),
			qs("source", "o.source", "where the issue came from", "hotline_12345", "hotline_12319",
				"grid_patrol", "inspection", "sensor", "citizen_app", "open311"),
			qs("external_id", "o.external_id", "the source's own reference"),
			qs("category", "o.category", "issue category (component or event class)"),
			qs("description", "o.description", "description"),
			qs("address", "o.address", "address"),
			qs("status", "o.status", "workflow status", "reported", "registered", "dispatched",
				"in_progress", "resolved", "closed", "rejected", "merged"),
			qs("grid", "o.grid_code", "unit grid code"),
			qs("community", "o.community_code", "community code"),
			qs("street", "o.street_code", "street code"),
			qs("unit", "o.unit", "unit it is dispatched to"),
			qt("deadline", cql2.TypeTimestamp, "o.deadline", "when it must be resolved"),
			qt("overdue", cql2.TypeBoolean, "issue_overdue(o, now())", "open, not suspended and past its deadline"),
			qt("created_at", cql2.TypeTimestamp, "o.created_at", "intake time"),
			qt("dispatched_at", cql2.TypeTimestamp, "o.dispatched_at", "dispatch time"),
			qt("resolved_at", cql2.TypeTimestamp, "o.resolved_at", "resolution time"),
			qt("closed_at", cql2.TypeTimestamp, "o.closed_at", "closing time"),
			qt("rework_count", cql2.TypeInteger, "o.rework_count", "failed verifications"),
			qt("duplicate_of", cql2.TypeInteger, "o.duplicate_of", "the issue it was merged into"),
			qt("point_id", cql2.TypeInteger, "o.point_id", "inspection point it concerns"),
			qUpdated, qVersion, qGeometry,
		},
	},
	"inspections": {
		from: "inspections o JOIN points p ON p.id = o.point_id", feature: inspectionFeature, geom: "p.geom",
		key: "o.id", numericKey: true, scope: "p.grid_code", timeProp: "inspected_at",
		queryables: []cql2.Queryable{
			qt("id", cql2.TypeInteger, "o.id", "inspection number"),
			qs("point", "p.code", "code of the inspected point"),
			qs("category", "p.category", "category of the inspected point"),
			qs("grid", "p.grid_code", "unit grid of the inspected point"),
			qt("inspected_at", cql2.TypeTimestamp, "o.inspected_at", "time of the visit"),
			qs("inspector", "o.inspector", "inspector"),
			qt("score", cql2.TypeNumber, "o.score", "score, 100 minus the deductions"),
			qt("geometry", cql2.TypeGeometry, "p.geom", "the inspected point's geometry (WGS 84)"),
		},
	},
	"activities": {
		from: "activities o", feature: "activity_feature(o)", geom: "o.geom",
		key: "o.id", numericKey: true, version: "o.version", scope: "o.community_code", timeProp: "starts_at",
		layers: []string{"activities"},
		queryables: []cql2.Queryable{
			qt("id", cql2.TypeInteger, "o.id", "activity number"),
			qs("title", "o.title", "title"),
			qs("community", "o.community_code", "code of the community whose menu it is on"),
			qs("street", "left(o.community_code, 9)", "code of the community's street"),
			qs("month", "o.month", "the menu's month (2026-11)"),
			qs("unit", "o.unit", "organising unit"),
			qs("place", "o.place", "place"),
			qs("status", "o.status", "status", "planned", "cancelled", "done"),
			qt("capacity", cql2.TypeInteger, "o.capacity", "places (null: no limit)"),
			qt("signups", cql2.TypeInteger, "o.signups", "people signed up"),
			qt("attended", cql2.TypeInteger, "o.attended", "people who attended"),
			qt("starts_at", cql2.TypeTimestamp, "o.starts_at", "start"),
			qt("ends_at", cql2.TypeTimestamp, "o.ends_at", "end"),
			qUpdated, qVersion, qGeometry,
		},
	},
}

// OGCCollectionIDs lists the collections in the order the API presents them.
var OGCCollectionIDs = []string{"areas", "grids", "points", "parking", "issues", "inspections", "activities"}

// OGCQueryables returns the filterable properties of a collection (nil for an
// unknown one).
func OGCQueryables(collection string) []cql2.Queryable {
	if c := ogcCollections[collection]; c != nil {
		return c.queryables
	}
	return nil
}

// OGCTimeProperty names the property the datetime parameter filters on.
func OGCTimeProperty(collection string) string {
	if c := ogcCollections[collection]; c != nil {
		return c.timeProp
	}
	return ""
}

// OGCNumericIDs reports whether a collection's item ids are numbers.
func OGCNumericIDs(collection string) bool {
	c := ogcCollections[collection]
	return c != nil && c.numericKey
}

// OGCOutput says in which CRS features are written.
type OGCOutput struct {
	// SRID is 4326 (the default, also for CGCS2000) or 3857.
	SRID int
	// LatLon swaps the axes to latitude, longitude, the EPSG order of 4326
	// and 4490; the default is longitude, latitude (CRS84, as in GeoJSON).
	LatLon bool
}

// featureSQL is the Feature's text in the requested CRS, with only the named
// properties when there are any. The feature functions write WGS 84 lon/lat;
// other CRSs replace the geometry member.
func (c *ogcCollection) featureSQL(out OGCOutput, properties []string, params *cql2.Params) string {
	f := c.feature
	switch {
	case out.SRID == 3857:
		// metres: two decimals are centimetres; option 0 leaves out the
		// pre-RFC 7946 "crs" member, the CRS is in the Content-Crs header
		f = fmt.Sprintf("(%s || jsonb_build_object('geometry', ST_AsGeoJSON(ST_Transform(%s, 3857), 2, 0)::jsonb))",
			f, c.geom)
	case out.LatLon:
		f = fmt.Sprintf("(%s || jsonb_build_object('geometry', ST_AsGeoJSON(ST_FlipCoordinates(%s), 7, 0)::jsonb))",
			f, c.geom)
	}
	if properties != nil {
		f = fmt.Sprintf(`(SELECT jsonb_set(x.f, '{properties}', coalesce((SELECT jsonb_object_agg(p.key, p.value)
			FROM jsonb_each(x.f->'properties') p WHERE p.key = ANY(%s::text[])), '{}'))
			FROM (SELECT %s AS f) x)`, params.Add(properties), f)
	}
	return "(" + f + ")::text"
}

// OGCQuery selects one page of a collection.
type OGCQuery struct {
	Collection string
	// Filter combines what the client asked for (bbox, datetime, property
	// filters, CQL2), geometry literals already in WGS 84 lon/lat; nil is all.
	Filter cql2.Expr
	// Areas is the caller's area scope (empty: the whole city).
	Areas         []string
	Limit, Offset int
	// After, when above zero, starts the page after the feature with this row
	// id instead of at Offset: keyset paging, which next links use because its
	// cost does not grow with the depth of the page.
	After int64
	// SortBy orders the page by these queryables, then by the row id; empty is
	// by the row id alone.
	SortBy []OGCSortKey
	// Properties are the properties each feature keeps (queryable names);
	// nil keeps them all.
	Properties []string
	Output     OGCOutput
}

// OGCSortKey is one key of sortby.
type OGCSortKey struct {
	Name string // a queryable
	Desc bool
}

// OGCSink receives a page as it streams from the database: first how many
// features match in all, then each feature's row id and JSON text (valid only
// during the call).
type OGCSink interface {
	Matched(n int64) error
	Feature(id int64, json []byte) error
}

// ErrOGCUnknownCollection says no collection has that id.
var ErrOGCUnknownCollection = errors.New("ogc: unknown collection")

// ogcLocation is the city's time zone, where DATE('2024-05-01') begins and
// ends: China Standard Time has had no daylight saving since 1991.
var ogcLocation = time.FixedZone("CST", 8*3600)

// where compiles the collection's own condition, the caller's scope and the
// client's filter into one WHERE clause.
func (c *ogcCollection) whereSQL(filter cql2.Expr, areas []string, params *cql2.Params) (string, error) {
	var conds []string
	if c.where != "" {
		conds = append(conds, c.where)
	}
	if len(areas) > 0 {
		conds = append(conds, c.scopeSQL(areas, params))
	}
	if filter != nil {
		props := make(map[string]cql2.Queryable, len(c.queryables))
		for _, q := range c.queryables {
			props[q.Name] = q
		}
		sql, err := cql2.Compile(filter, props, params, cql2.Options{Location: ogcLocation})
		if err != nil {
			return "", err
		}
		conds = append(conds, sql)
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), nil
}

// scopeSQL limits the collection to a token's areas: every collection is
// scoped, so that a grid manager reads through the OGC API no more than the
// REST API, the tiles and the live stream show it.
func (c *ogcCollection) scopeSQL(areas []string, params *cql2.Params) string {
	cond := access.SQL(c.scope, params.Add(access.Scope(areas).Patterns()))
	if c.context {
		cond = "(" + cond + " OR " + access.ContainsSQL(c.scope, params.Add(areas)) + ")"
	}
	return cond
}

// OGCItems streams one page of a collection into sink and returns how many
// features it wrote. The count comes from the cache of counts when the
// changes feed confirms it (ogccount.go); paging is by the primary key, so
// pages do not overlap while nothing is written.
func (s *Store) OGCItems(ctx context.Context, q OGCQuery, sink OGCSink) (int, error) {
	n, err := s.ogcItems(ctx, q, sink)
	if q.Filter != nil {
		err = ogcFilterError(err)
	}
	return n, err
}

// ogcFilterError blames the filter for data exceptions (SQLSTATE class 22) and
// for GEOS failures on its geometry literals, which the compiler's checks did
// not foresee: they are the client's to fix, not internal errors.
func ogcFilterError(err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && (strings.HasPrefix(pg.Code, "22") || pg.Code == "XX000") {
		return &invalid.Error{Field: "filter", Code: "invalid_filter", Message: "the database rejected the filter: " + pg.Message}
	}
	return err
}

func (s *Store) ogcItems(ctx context.Context, q OGCQuery, sink OGCSink) (int, error) {
	c := ogcCollections[q.Collection]
	if c == nil {
		return 0, ErrOGCUnknownCollection
	}
	var params cql2.Params
	where, err := c.whereSQL(q.Filter, q.Areas, &params)
	if err != nil {
		return 0, err
	}
	matched, err := s.ogcMatched(ctx, c.countQuery(q, where, slices.Clone(params.Args())))
	if err != nil {
		return 0, err
	}
	if err := sink.Matched(matched); err != nil {
		return 0, err
	}
	offset := q.Offset
	if q.After > 0 {
		where = andWhere(where, "o.id > "+params.Add(q.After))
		offset = 0
	}
	// the page's ids first, from an index alone where the order has one, then
	// the features of those only: features in the select list of the OFFSET
	// query would be built for every skipped row too, and late pages would
	// cost seconds. Limit and offset are parameters, so that every page of a
	// query is one prepared statement.
	order, err := c.orderSQL(q.SortBy)
	if err != nil {
		return 0, err
	}
	page := fmt.Sprintf(`SELECT o.id, %s FROM %s JOIN unnest(ARRAY(
		SELECT o.id FROM %s%s ORDER BY %s LIMIT %s OFFSET %s)) WITH ORDINALITY AS pg(id, ord) ON pg.id = o.id
		ORDER BY pg.ord`,
		c.featureSQL(q.Output, q.Properties, &params), c.from, c.from, where, order, params.Add(q.Limit), params.Add(offset))
	var n int
	err = pgx.BeginTxFunc(ctx, s.reads(ctx), pgx.TxOptions{AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		// a page wants its first 1,000 rows: parallel workers, which the
		// planner picks for a filter it expects to scan much for, take longer
		// to start than the page takes to read. And the plan must know the
		// page's position and size: the generic plan of the prepared
		// statement, which PostgreSQL turns to after five pages, cannot, and
		// sorted every feature in a 2 km box for each page (1.2 s, not 15 ms).
		if _, err := tx.Exec(ctx, ogcPageSettings); err != nil {
			return err
		}
		n, err = streamFeatures(ctx, tx, page, params.Args(), sink)
		return err
	})
	return n, err
}

const ogcPageSettings = `SET LOCAL max_parallel_workers_per_gather = 0;
	SET LOCAL plan_cache_mode = force_custom_plan`

// streamFeatures hands each row of a page (id, feature text) to sink.
func streamFeatures(ctx context.Context, tx pgx.Tx, page string, args []any, sink OGCSink) (int, error) {
	rows, err := tx.Query(ctx, page, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id, nil); err != nil {
			return n, err
		}
		// the feature's raw text, straight from the wire to the client
		if err := sink.Feature(id, rows.RawValues()[1]); err != nil {
			return n, err
		}
		n++
	}
	return n, rows.Err()
}

// countQuery is the count of a page's query. Its cache key holds the
// compiled WHERE with its arguments, and with them the caller's area scope;
// a query the feed cannot vouch for gets no layers, and so no cache.
func (c *ogcCollection) countQuery(q OGCQuery, where string, args []any) ogcCountQuery {
	out := ogcCountQuery{from: c.from + where, args: args, layers: c.layers}
	// JSON tells every argument apart: times by their instant and offset
	// (fmt's %#v names only the zone), bytes in base64
	argText, err := json.Marshal(args)
	if err != nil {
		out.layers = nil
	}
	out.key = q.Collection + "\x00" + where + "\x00" + string(argText)
	for _, p := range cql2.Properties(q.Filter) {
		if slices.Contains(c.volatile, p) {
			out.layers = nil
		}
	}
	return out
}

// orderSQL is the ORDER BY of sortby, the row id last so that the order is
// total and pages neither overlap nor skip.
func (c *ogcCollection) orderSQL(keys []OGCSortKey) (string, error) {
	var out []string
	for _, k := range keys {
		i := slices.IndexFunc(c.queryables, func(q cql2.Queryable) bool { return q.Name == k.Name })
		if i < 0 || c.queryables[i].Type == cql2.TypeGeometry {
			return "", invalid.Field("sortby", "invalid_value", "cannot sort by %s", k.Name)
		}
		dir := " ASC"
		if k.Desc {
			dir = " DESC"
		}
		out = append(out, c.queryables[i].SQL+dir)
	}
	return strings.Join(append(out, "o.id"), ", "), nil
}

// andWhere adds a condition to a WHERE clause that may be empty.
func andWhere(where, cond string) string {
	if where == "" {
		return " WHERE " + cond
	}
	return where + " AND " + cond
}

// ErrOGCNotFound says the collection has no item with that id (or none the
// caller may see).
var ErrOGCNotFound = errors.New("ogc: no such feature")

// OGCItem returns one feature's JSON text and its version (0 when the
// collection has none).
func (s *Store) OGCItem(ctx context.Context, collection, id string, areas []string, out OGCOutput) ([]byte, int, error) {
	c := ogcCollections[collection]
	if c == nil {
		return nil, 0, ErrOGCUnknownCollection
	}
	var key any = id
	if c.numericKey {
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil {
			return nil, 0, ErrOGCNotFound
		}
		key = n
	}
	var params cql2.Params
	cond := fmt.Sprintf("%s = %s", c.key, params.Add(key))
	where, err := c.whereSQL(nil, areas, &params)
	if err != nil {
		return nil, 0, err
	}
	where = andWhere(where, cond)
	version := "0"
	if c.version != "" {
		version = c.version
	}
	var feature []byte
	var v int
	err = s.reads(ctx).QueryRow(ctx, fmt.Sprintf("SELECT %s, %s FROM %s%s", c.featureSQL(out, nil, nil), version, c.from, where),
		params.Args()...).Scan(&feature, &v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, ErrOGCNotFound
	}
	return feature, v, err
}

// OGCExtent is the space and time a collection covers.
type OGCExtent struct {
	// BBox is [minLon, minLat, maxLon, maxLat]; nil when the collection is empty.
	BBox       []float64
	Start, End *time.Time
}

// OGCExtent computes a collection's extent from its data. It scans the table:
// callers cache the answer.
func (s *Store) OGCExtent(ctx context.Context, collection string) (OGCExtent, error) {
	c := ogcCollections[collection]
	if c == nil {
		return OGCExtent{}, ErrOGCUnknownCollection
	}
	var timeSQL string
	for _, q := range c.queryables {
		if q.Name == c.timeProp {
			timeSQL = q.SQL
		}
	}
	where := ""
	if c.where != "" {
		where = " WHERE " + c.where
	}
	var ext OGCExtent
	var xmin, ymin, xmax, ymax *float64
	err := s.reads(ctx).QueryRow(ctx, fmt.Sprintf(`SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), t0, t1
		FROM (SELECT ST_Extent(%s) AS e, min(%s) AS t0, max(%s) AS t1 FROM %s%s) x`,
		c.geom, timeSQL, timeSQL, c.from, where)).Scan(&xmin, &ymin, &xmax, &ymax, &ext.Start, &ext.End)
	if err != nil {
		return ext, err
	}
	if xmin != nil {
		ext.BBox = []float64{*xmin, *ymin, *xmax, *ymax}
	}
	return ext, nil
}
