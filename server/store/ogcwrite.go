package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"citymap/invalid"
)

// The collections OGC API – Features Part 4 may write, and the columns a client
// sets; grid_code, version and updated_at are the server's.
var ogcWritable = map[string]struct {
	table, layer string
	columns      []string
}{
	"points":  {"points", "points", []string{"code", "name", "category", "address", "unit", "person", "phone"}},
	"parking": {"parking_zones", "parking", []string{"code", "name", "kind", "capacity", "occupied", "address", "operator"}},
}

// OGCWritableColumns lists the columns a client sets on a writable collection
// (nil when the collection is read-only).
func OGCWritableColumns(collection string) []string {
	return ogcWritable[collection].columns
}

// OGCValues is the new state of a point or parking zone.
type OGCValues struct {
	// Columns holds a value for every writable column.
	Columns map[string]any
	// Geometry is a GeoJSON geometry, already checked by geo/validate.
	Geometry []byte
}

// OGCRecord is the stored state a write starts from.
type OGCRecord struct {
	Version int
	Grid    string // "" when outside every grid
	Feature []byte // the current Feature (WGS 84 lon/lat)
}

// OGCScope decides whether the caller may have an object in this grid ("" when
// it lies in none); an error stops the write.
type OGCScope func(grid string) error

// Errors of writes, besides ErrOGCNotFound.
var (
	ErrOGCExists     = errors.New("ogc: a feature with this code exists")
	ErrOGCReferenced = errors.New("ogc: other records refer to this feature")
)

// OGCCreate inserts a feature and records it in the changes feed, all in one
// transaction. It returns the new Feature and its version.
func (s *Store) OGCCreate(ctx context.Context, collection string, v OGCValues, scope OGCScope) ([]byte, int, error) {
	w, ok := ogcWritable[collection]
	if !ok {
		return nil, 0, ErrOGCUnknownCollection
	}
	var feature []byte
	var version int
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		grid, err := ogcGrid(ctx, tx, v.Geometry, scope)
		if err != nil {
			return err
		}
		cols, vals, args, err := ogcColumns(w.columns, v, grid)
		if err != nil {
			return err
		}
		var id int64
		err = tx.QueryRow(ctx, fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) RETURNING id",
			w.table, strings.Join(cols, ", "), strings.Join(vals, ", ")), args...).Scan(&id)
		if err != nil {
			return ogcWriteError(err)
		}
		feature, version, err = ogcFeatureByID(ctx, tx, collection, id)
		if err != nil {
			return err
		}
		_, err = AppendUpserts(ctx, tx, w.layer, []int64{id})
		return err
	})
	return feature, version, err
}

// OGCUpdate replaces a feature with what change makes of its current state
// (PUT and PATCH), under a row lock, and records the change in the feed.
func (s *Store) OGCUpdate(ctx context.Context, collection, code string, change func(OGCRecord) (OGCValues, error), scope OGCScope) ([]byte, int, error) {
	w, ok := ogcWritable[collection]
	if !ok {
		return nil, 0, ErrOGCUnknownCollection
	}
	var feature []byte
	var version int
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		id, cur, err := ogcLock(ctx, tx, collection, code)
		if err != nil {
			return err
		}
		if err := scope(cur.Grid); err != nil {
			return err
		}
		before, err := PreviousGeoms(ctx, tx, w.table, []string{code})
		if err != nil {
			return err
		}
		v, err := change(cur)
		if err != nil {
			return err
		}
		grid, err := ogcGrid(ctx, tx, v.Geometry, scope)
		if err != nil {
			return err
		}
		cols, vals, args, err := ogcColumns(w.columns, v, grid)
		if err != nil {
			return err
		}
		sets := make([]string, len(cols))
		for i := range cols {
			sets[i] = cols[i] + " = " + vals[i]
		}
		_, err = tx.Exec(ctx, fmt.Sprintf("UPDATE %s SET %s, version = version + 1, updated_at = now() WHERE id = %d",
			w.table, strings.Join(sets, ", "), id), args...)
		if err != nil {
			return ogcWriteError(err)
		}
		feature, version, err = ogcFeatureByID(ctx, tx, collection, id)
		if err != nil {
			return err
		}
		_, err = AppendUpsertsMoved(ctx, tx, w.layer, []int64{id}, before)
		return err
	})
	return feature, version, err
}

// OGCDelete removes a feature once check approves of its current state, and
// records the deletion with its last geometry.
func (s *Store) OGCDelete(ctx context.Context, collection, code string, check func(OGCRecord) error) error {
	w, ok := ogcWritable[collection]
	if !ok {
		return ErrOGCUnknownCollection
	}
	return s.InTx(ctx, func(tx pgx.Tx) error {
		id, cur, err := ogcLock(ctx, tx, collection, code)
		if err != nil {
			return err
		}
		if err := check(cur); err != nil {
			return err
		}
		var geom []byte
		err = tx.QueryRow(ctx, fmt.Sprintf("DELETE FROM %s WHERE id = $1 RETURNING geom", w.table), id).Scan(&geom)
		if err != nil {
			return ogcWriteError(err)
		}
		_, err = AppendDelete(ctx, tx, w.layer, code, geom)
		return err
	})
}

// ogcLock reads and locks the row a write changes.
func ogcLock(ctx context.Context, tx pgx.Tx, collection, code string) (int64, OGCRecord, error) {
	c := ogcCollections[collection]
	var id int64
	var rec OGCRecord
	var grid *string
	err := tx.QueryRow(ctx, fmt.Sprintf("SELECT o.id, o.version, o.grid_code, %s FROM %s WHERE o.code = $1 FOR UPDATE",
		c.featureSQL(OGCOutput{}, nil, nil), c.from), code).Scan(&id, &rec.Version, &grid, &rec.Feature)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, rec, ErrOGCNotFound
	}
	if grid != nil {
		rec.Grid = *grid
	}
	return id, rec, err
}

// ogcGrid checks the geometry as PostGIS sees it and finds the unit grid it
// lies in, which the caller's scope must cover. A polygon belongs to the grid
// of its point on surface, a point inside it that ST_Centroid does not promise.
func ogcGrid(ctx context.Context, tx pgx.Tx, geojson []byte, scope OGCScope) (string, error) {
	var valid bool
	var reason string
	var grid *string
	err := tx.QueryRow(ctx, `SELECT ST_IsValid(g), ST_IsValidReason(g),
			CASE WHEN ST_IsValid(g) THEN (SELECT a.code FROM areas a
				WHERE a.level = 'grid' AND ST_Intersects(a.geom, ST_PointOnSurface(g))
				ORDER BY a.code LIMIT 1) END
		FROM (SELECT ST_SetSRID(ST_GeomFromGeoJSON($1::text), 4326) AS g) x`, string(geojson)).Scan(&valid, &reason, &grid)
	if err != nil {
		return "", ogcWriteError(err)
	}
	if !valid {
		return "", invalidValue("geometry", "invalid geometry: "+reason)
	}
	g := ""
	if grid != nil {
		g = *grid
	}
	return g, scope(g)
}

// ogcColumns lays out the writable columns, the grid and the geometry as
// column names, placeholders and values.
func ogcColumns(columns []string, v OGCValues, grid string) (cols, vals []string, args []any, err error) {
	for _, col := range columns {
		val, ok := v.Columns[col]
		if !ok {
			// the handler fills every column, defaults included
			return nil, nil, nil, fmt.Errorf("ogc write without a value for %s", col)
		}
		args = append(args, val)
		cols = append(cols, col)
		vals = append(vals, fmt.Sprintf("$%d", len(args)))
	}
	var g *string
	if grid != "" {
		g = &grid
	}
	args = append(args, g, string(v.Geometry))
	cols = append(cols, "grid_code", "geom")
	vals = append(vals, fmt.Sprintf("$%d", len(args)-1), fmt.Sprintf("ST_SetSRID(ST_GeomFromGeoJSON($%d::text), 4326)", len(args)))
	return cols, vals, args, nil
}

func ogcFeatureByID(ctx context.Context, tx pgx.Tx, collection string, id int64) ([]byte, int, error) {
	c := ogcCollections[collection]
	var feature []byte
	var version int
	err := tx.QueryRow(ctx, fmt.Sprintf("SELECT %s, o.version FROM %s WHERE o.id = $1",
		c.featureSQL(OGCOutput{}, nil, nil), c.from), id).Scan(&feature, &version)
	return feature, version, err
}

// invalidValue says the database rejected a value: a check constraint, an
// unknown category or an invalid geometry.
func invalidValue(field, message string) *invalid.Error {
	return &invalid.Error{Field: field, Code: "invalid_value", Message: message}
}

// ogcWriteError turns constraint violations into errors a client can act on.
func ogcWriteError(err error) error {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return err
	}
	switch pg.Code {
	case "23505": // unique_violation
		return ErrOGCExists
	case "23503": // foreign_key_violation
		if strings.Contains(pg.Message, "update or delete") {
			return ErrOGCReferenced
		}
		return invalidValue(ogcConstraintField(pg.ConstraintName), "unknown value: "+pg.Detail)
	case "23514", "23502", "22P02", "22003", "XX000":
		// check and not-null violations, bad input, and GEOS/GeoJSON parse errors
		return invalidValue(ogcConstraintField(pg.ConstraintName), pg.Message)
	}
	return err
}

// ogcConstraintField names the property behind a constraint, e.g.
// points_category_fkey → properties.category, parking_code_format →
// properties.code, parking_geom_valid → geometry.
func ogcConstraintField(constraint string) string {
	switch {
	case constraint == "":
		return "body"
	case strings.Contains(constraint, "geom"):
		return "geometry"
	case strings.HasPrefix(constraint, "parking_occupied"):
		return "properties.occupied"
	}
	name := constraint
	if i := strings.Index(name, "_"); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimPrefix(name, "zones_") // parking_zones_capacity_check
	for _, suffix := range []string{"_check", "_fkey", "_format", "_length"} {
		name = strings.TrimSuffix(name, suffix)
	}
	return "properties." + name
}
