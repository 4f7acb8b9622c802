package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Bulk imports of map layers (citymap import). Each import is one transaction:
// PostGIS judges every geometry, references are checked, rows are upserted by
// code and the changes feed is written last, so a file lands whole or not at all.

// AreaRow is one area to import. Optional fields are pointers: nil keeps what
// is stored (or the column default for a new area), so a file without manager
// columns does not wipe the managers assigned in the app.
type AreaRow struct {
	Code, Name, Level     string
	Manager, ManagerPhone *string
	Geom                  []byte // EWKB, SRID 4326: Polygon or MultiPolygon
}

// PointRow is one inspection point to import. A nil GridCode is found by
// point-in-polygon among the stored grids.
type PointRow struct {
	Code, Name, Category, Unit string
	Address, Person, Phone     *string
	GridCode                   *string
	Geom                       []byte // EWKB, SRID 4326
}

// ParkingRow is one parking zone to import. Its windows replace the stored
// ones; Occupied nil keeps the live occupancy (capped at the new capacity).
type ParkingRow struct {
	Code, Name, Kind  string
	Capacity          int32
	Occupied          *int32
	Address, Operator *string
	GridCode          *string
	Windows           []ParkingWindow
	Geom              []byte // EWKB, SRID 4326
}

// ParkingWindow is one weekly opening of a tidal zone; windows past midnight
// arrive already split, so Opens < Closes ("HH:MM", Closes may be "24:00").
type ParkingWindow struct {
	Weekday       int32 // ISO: 1 = Monday
	Opens, Closes string
}

// ImportCount says how many objects of one kind an import created and updated.
type ImportCount struct {
	Kind             string // "districts", "streets", "communities", "grids", "points", "parking"
	Created, Updated int
}

// ImportError says which row (index into the rows passed in) the database
// refused, and why; nothing of the import was written.
type ImportError struct {
	Row    int
	Field  string // "geometry" (Reason from ST_IsValidReason), "parent", "properties.category", ...
	Reason string
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("row %d: %s: %s", e.Row, e.Field, e.Reason)
}

// errImportDryRun rolls back a dry run after every check and write has succeeded.
var errImportDryRun = errors.New("dry run")

// importTx runs an import in one transaction; a dry run does all the work,
// including the writes whose constraints might fail, and then rolls back.
func (s *Store) importTx(ctx context.Context, dryRun bool, fn func(pgx.Tx) ([]ImportCount, error)) ([]ImportCount, error) {
	var counts []ImportCount
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var err error
		if counts, err = fn(tx); err != nil {
			return err
		}
		if dryRun {
			return errImportDryRun
		}
		return nil
	})
	if errors.Is(err, errImportDryRun) {
		err = nil
	}
	return counts, err
}

// checkImportGeoms lets PostGIS judge every geometry and reports the first invalid one.
func checkImportGeoms(ctx context.Context, tx pgx.Tx, geoms [][]byte) error {
	var row int
	var reason string
	err := tx.QueryRow(ctx, `SELECT u.ord - 1, ST_IsValidReason(g.geom)
		FROM unnest($1::bytea[]) WITH ORDINALITY AS u(wkb, ord)
		CROSS JOIN LATERAL (SELECT ST_GeomFromEWKB(u.wkb) AS geom) g
		WHERE NOT ST_IsValid(g.geom)
		ORDER BY u.ord LIMIT 1`, geoms).Scan(&row, &reason)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return &ImportError{Row: row, Field: "geometry", Reason: reason}
}

// firstUnknownRef reports the first of values ("" skipped) that query, given
// the value as $1, finds nothing for.
func firstUnknownRef(ctx context.Context, tx pgx.Tx, values []string, exists string) (int, string, error) {
	var row int
	var value string
	err := tx.QueryRow(ctx, `SELECT u.ord - 1, u.v FROM unnest($1::text[]) WITH ORDINALITY AS u(v, ord)
		WHERE u.v <> '' AND NOT EXISTS (`+exists+`)
		ORDER BY u.ord LIMIT 1`, values).Scan(&row, &value)
	if errors.Is(err, pgx.ErrNoRows) {
		return -1, "", nil
	}
	return row, value, err
}

// checkImportGridCodes reports the first given grid code that names no grid.
func checkImportGridCodes(ctx context.Context, tx pgx.Tx, codes []*string) error {
	row, code, err := firstUnknownRef(ctx, tx, stringsOrEmpty(codes),
		`SELECT 1 FROM areas a WHERE a.code = u.v AND a.level = 'grid'`)
	if err != nil || row < 0 {
		return err
	}
	return &ImportError{Row: row, Field: "properties.grid_code", Reason: fmt.Sprintf("no grid has the code %s", code)}
}

// collectImportUpserts returns the ids an upsert returned and how many it created.
func collectImportUpserts(rows pgx.Rows) (ids []int64, created int, err error) {
	type upsert struct {
		ID      int64
		Created bool
	}
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[upsert])
	for _, u := range got {
		ids = append(ids, u.ID)
		if u.Created {
			created++
		}
	}
	return ids, created, err
}

func stringsOrEmpty(ps []*string) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		if p != nil {
			out[i] = *p
		}
	}
	return out
}

// importAreaParents maps each level to its parent's level and code length: a code's
// prefix is its ancestry (see migrations/0002_areas.sql).
var importAreaParents = map[string]struct {
	level  string
	digits int
}{"street": {"district", 6}, "community": {"street", 9}, "grid": {"community", 12}}

// importAreaKinds names each level's count in an import report.
var importAreaKinds = map[string]string{
	"district": "districts", "street": "streets", "community": "communities", "grid": "grids",
}

// ImportAreas upserts areas by code in one transaction. Rows must come parent
// first: each parent must be stored already or appear earlier in rows. A
// rejected row comes back as an *ImportError and nothing is written.
func (s *Store) ImportAreas(ctx context.Context, rows []AreaRow, dryRun bool) ([]ImportCount, error) {
	return s.importTx(ctx, dryRun, func(tx pgx.Tx) ([]ImportCount, error) {
		geoms := make([][]byte, len(rows))
		for i, r := range rows {
			geoms[i] = r.Geom
		}
		if err := checkImportGeoms(ctx, tx, geoms); err != nil {
			return nil, err
		}
		if err := checkAreaParents(ctx, tx, rows); err != nil {
			return nil, err
		}
		return upsertImportedAreas(ctx, tx, rows, dryRun)
	})
}

// checkAreaParents reports the first row whose parent is neither stored nor
// earlier in rows, before the insert would fail on the parent constraint
// with a message that names no code.
func checkAreaParents(ctx context.Context, tx pgx.Tx, rows []AreaRow) error {
	var parents []string
	for _, r := range rows {
		if p, ok := importAreaParents[r.Level]; ok && len(r.Code) >= p.digits {
			parents = append(parents, r.Code[:p.digits])
		}
	}
	stored, err := tx.Query(ctx, `SELECT code FROM areas WHERE code = ANY($1)`, parents)
	if err != nil {
		return err
	}
	codes, err := pgx.CollectRows(stored, pgx.RowTo[string])
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(codes)+len(rows))
	for _, c := range codes {
		known[c] = true
	}
	for i, r := range rows {
		p, ok := importAreaParents[r.Level]
		if ok && len(r.Code) >= p.digits && !known[r.Code[:p.digits]] {
			return &ImportError{Row: i, Field: "parent",
				Reason: fmt.Sprintf("parent %s %s does not exist", p.level, r.Code[:p.digits])}
		}
		known[r.Code] = true
	}
	return nil
}

// upsertImportedAreas writes each run of rows of one level with one statement, so
// that a level finds the parents the previous statement wrote.
func upsertImportedAreas(ctx context.Context, tx pgx.Tx, rows []AreaRow, dryRun bool) ([]ImportCount, error) {
	var counts []ImportCount
	var gridIDs, areaIDs []int64
	before, err := PreviousGeoms(ctx, tx, "areas", areaRowCodes(rows))
	if err != nil {
		return nil, err
	}
	for start := 0; start < len(rows); {
		end := start + 1
		for end < len(rows) && rows[end].Level == rows[start].Level {
			end++
		}
		ids, created, err := upsertImportedAreaRun(ctx, tx, rows[start:end])
		if err != nil {
			return nil, err
		}
		counts = addImportCount(counts, importAreaKinds[rows[start].Level], created, len(ids)-created)
		if rows[start].Level == "grid" {
			gridIDs = append(gridIDs, ids...)
		} else {
			areaIDs = append(areaIDs, ids...)
		}
		start = end
	}
	if dryRun {
		return counts, nil
	}
	if _, err := AppendUpsertsMoved(ctx, tx, "areas", areaIDs, before); err != nil {
		return nil, err
	}
	_, err = AppendUpsertsMoved(ctx, tx, "grids", gridIDs, before)
	return counts, err
}

func areaRowCodes(rows []AreaRow) []string {
	codes := make([]string, len(rows))
	for i, r := range rows {
		codes[i] = r.Code
	}
	return codes
}

func upsertImportedAreaRun(ctx context.Context, tx pgx.Tx, rows []AreaRow) ([]int64, int, error) {
	n := len(rows)
	codes, names, geoms := make([]string, n), make([]string, n), make([][]byte, n)
	managers, phones := make([]*string, n), make([]*string, n)
	for i, r := range rows {
		codes[i], names[i], geoms[i] = r.Code, r.Name, r.Geom
		managers[i], phones[i] = r.Manager, r.ManagerPhone
	}
	parentDigits := 0
	if p, ok := importAreaParents[rows[0].Level]; ok {
		parentDigits = p.digits
	}
	// The statement reads the current row (cur) so that absent optional fields
	// keep their stored values; xmax = 0 marks a row the statement inserted.
	res, err := tx.Query(ctx, `WITH src AS (
			SELECT u.code, u.name, (SELECT id FROM areas WHERE $7 > 0 AND code = left(u.code, $7)) AS parent_id,
				coalesce(u.manager, cur.manager, '') AS manager,
				coalesce(u.phone, cur.manager_phone, '') AS phone,
				ST_Multi(ST_GeomFromEWKB(u.wkb)) AS geom
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[])
				AS u(code, name, manager, phone, wkb)
			LEFT JOIN areas cur ON cur.code = u.code)
		INSERT INTO areas AS a (code, name, level, parent_id, manager, manager_phone, geom)
		SELECT code, name, $6, parent_id, manager, phone, geom FROM src
		ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, parent_id = EXCLUDED.parent_id,
			manager = EXCLUDED.manager, manager_phone = EXCLUDED.manager_phone, geom = EXCLUDED.geom,
			version = a.version + 1, updated_at = now()
		RETURNING a.id, a.xmax = 0`,
		codes, names, managers, phones, geoms, rows[0].Level, parentDigits)
	if err != nil {
		return nil, 0, err
	}
	return collectImportUpserts(res)
}

// addImportCount adds to the count of kind, appending it the first time.
func addImportCount(counts []ImportCount, kind string, created, updated int) []ImportCount {
	for i := range counts {
		if counts[i].Kind == kind {
			counts[i].Created += created
			counts[i].Updated += updated
			return counts
		}
	}
	return append(counts, ImportCount{Kind: kind, Created: created, Updated: updated})
}

// ImportPoints upserts inspection points by code in one transaction. A
// rejected row comes back as an *ImportError and nothing is written.
func (s *Store) ImportPoints(ctx context.Context, rows []PointRow, dryRun bool) ([]ImportCount, error) {
	return s.importTx(ctx, dryRun, func(tx pgx.Tx) ([]ImportCount, error) {
		n := len(rows)
		geoms, categories, grids := make([][]byte, n), make([]string, n), make([]*string, n)
		for i, r := range rows {
			geoms[i], categories[i], grids[i] = r.Geom, r.Category, r.GridCode
		}
		if err := checkImportGeoms(ctx, tx, geoms); err != nil {
			return nil, err
		}
		if err := checkPointCategories(ctx, tx, categories); err != nil {
			return nil, err
		}
		if err := checkImportGridCodes(ctx, tx, grids); err != nil {
			return nil, err
		}
		codes := make([]string, n)
		for i, r := range rows {
			codes[i] = r.Code
		}
		before, err := PreviousGeoms(ctx, tx, "points", codes)
		if err != nil {
			return nil, err
		}
		ids, created, err := upsertImportedPoints(ctx, tx, rows)
		if err != nil {
			return nil, err
		}
		if !dryRun {
			_, err = AppendUpsertsMoved(ctx, tx, "points", ids, before)
		}
		return []ImportCount{{Kind: "points", Created: created, Updated: len(ids) - created}}, err
	})
}

// checkPointCategories reports the first category missing from point_categories,
// listing the known ones since the file's author cannot see the table.
func checkPointCategories(ctx context.Context, tx pgx.Tx, categories []string) error {
	row, cat, err := firstUnknownRef(ctx, tx, categories,
		`SELECT 1 FROM point_categories c WHERE c.code = u.v`)
	if err != nil || row < 0 {
		return err
	}
	var known string
	err = tx.QueryRow(ctx, `SELECT string_agg(code, ', ' ORDER BY code) FROM point_categories`).Scan(&known)
	if err != nil {
		return err
	}
	return &ImportError{Row: row, Field: "properties.category",
		Reason: fmt.Sprintf("unknown category %q (known: %s)", cat, known)}
}

// gridOfGeom finds the grid of geometry g by a position inside it, the same rule
// as issue intake; a position on a shared edge goes to the lower code.
const gridOfGeom = `(SELECT a.code FROM areas a WHERE a.level = 'grid'
	AND ST_Intersects(a.geom, ST_PointOnSurface(g.geom)) ORDER BY a.code LIMIT 1)`

func upsertImportedPoints(ctx context.Context, tx pgx.Tx, rows []PointRow) ([]int64, int, error) {
	n := len(rows)
	codes, names, cats, units := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	addrs, grids, persons, phones := make([]*string, n), make([]*string, n), make([]*string, n), make([]*string, n)
	geoms := make([][]byte, n)
	for i, r := range rows {
		codes[i], names[i], cats[i], units[i] = r.Code, r.Name, r.Category, r.Unit
		addrs[i], grids[i], persons[i], phones[i] = r.Address, r.GridCode, r.Person, r.Phone
		geoms[i] = r.Geom
	}
	res, err := tx.Query(ctx, `WITH src AS (
			SELECT u.code, u.name, u.category, coalesce(u.address, cur.address, '') AS address,
				coalesce(u.grid, `+gridOfGeom+`) AS grid_code, u.unit,
				coalesce(u.person, cur.person, '') AS person, coalesce(u.phone, cur.phone, '') AS phone, g.geom
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
				$7::text[], $8::text[], $9::bytea[])
				AS u(code, name, category, address, grid, unit, person, phone, wkb)
			CROSS JOIN LATERAL (SELECT ST_GeomFromEWKB(u.wkb) AS geom) g
			LEFT JOIN points cur ON cur.code = u.code)
		INSERT INTO points AS p (code, name, category, address, grid_code, unit, person, phone, geom)
		SELECT code, name, category, address, grid_code, unit, person, phone, geom FROM src
		ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, category = EXCLUDED.category,
			address = EXCLUDED.address, grid_code = EXCLUDED.grid_code, unit = EXCLUDED.unit,
			person = EXCLUDED.person, phone = EXCLUDED.phone, geom = EXCLUDED.geom,
			version = p.version + 1, updated_at = now()
		RETURNING p.id, p.xmax = 0`,
		codes, names, cats, addrs, grids, units, persons, phones, geoms)
	if err != nil {
		return nil, 0, err
	}
	return collectImportUpserts(res)
}

// ImportParking upserts parking zones by code and replaces their windows, in
// one transaction. A rejected row comes back as an *ImportError and nothing
// is written.
func (s *Store) ImportParking(ctx context.Context, rows []ParkingRow, dryRun bool) ([]ImportCount, error) {
	return s.importTx(ctx, dryRun, func(tx pgx.Tx) ([]ImportCount, error) {
		geoms, grids := make([][]byte, len(rows)), make([]*string, len(rows))
		for i, r := range rows {
			geoms[i], grids[i] = r.Geom, r.GridCode
		}
		if err := checkImportGeoms(ctx, tx, geoms); err != nil {
			return nil, err
		}
		if err := checkImportGridCodes(ctx, tx, grids); err != nil {
			return nil, err
		}
		codes := make([]string, len(rows))
		for i, r := range rows {
			codes[i] = r.Code
		}
		before, err := PreviousGeoms(ctx, tx, "parking_zones", codes)
		if err != nil {
			return nil, err
		}
		ids, created, err := upsertImportedParking(ctx, tx, rows)
		if err != nil {
			return nil, err
		}
		if err := replaceParkingWindows(ctx, tx, ids, rows); err != nil {
			return nil, err
		}
		if !dryRun {
			_, err = AppendUpsertsMoved(ctx, tx, "parking", ids, before)
		}
		return []ImportCount{{Kind: "parking", Created: created, Updated: len(ids) - created}}, err
	})
}

func upsertImportedParking(ctx context.Context, tx pgx.Tx, rows []ParkingRow) ([]int64, int, error) {
	n := len(rows)
	codes, names, kinds := make([]string, n), make([]string, n), make([]string, n)
	capacities, occupied := make([]int32, n), make([]*int32, n)
	addrs, operators, grids := make([]*string, n), make([]*string, n), make([]*string, n)
	geoms := make([][]byte, n)
	for i, r := range rows {
		codes[i], names[i], kinds[i], capacities[i], occupied[i] = r.Code, r.Name, r.Kind, r.Capacity, r.Occupied
		addrs[i], operators[i], grids[i], geoms[i] = r.Address, r.Operator, r.GridCode, r.Geom
	}
	// Occupancy is live sensor data: a file that does not state it keeps the
	// stored value, capped so that a smaller capacity still holds.
	res, err := tx.Query(ctx, `WITH src AS (
			SELECT u.code, u.name, u.kind, u.capacity,
				coalesce(u.occupied, least(cur.occupied, u.capacity), 0) AS occupied,
				coalesce(u.address, cur.address, '') AS address, coalesce(u.operator, cur.operator, '') AS operator,
				coalesce(u.grid, `+gridOfGeom+`) AS grid_code, g.geom
			FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[],
				$8::text[], $9::bytea[])
				AS u(code, name, kind, capacity, occupied, address, operator, grid, wkb)
			CROSS JOIN LATERAL (SELECT ST_GeomFromEWKB(u.wkb) AS geom) g
			LEFT JOIN parking_zones cur ON cur.code = u.code)
		INSERT INTO parking_zones AS z (code, name, kind, capacity, occupied, address, operator, grid_code, geom)
		SELECT code, name, kind, capacity, occupied, address, operator, grid_code, geom FROM src
		ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,
			capacity = EXCLUDED.capacity, occupied = EXCLUDED.occupied, address = EXCLUDED.address,
			operator = EXCLUDED.operator, grid_code = EXCLUDED.grid_code, geom = EXCLUDED.geom,
			version = z.version + 1, updated_at = now()
		RETURNING z.id, z.xmax = 0`,
		codes, names, kinds, capacities, occupied, addrs, operators, grids, geoms)
	if err != nil {
		return nil, 0, err
	}
	return collectImportUpserts(res)
}

// replaceParkingWindows makes the windows of the imported zones those of the file.
func replaceParkingWindows(ctx context.Context, tx pgx.Tx, ids []int64, rows []ParkingRow) error {
	if _, err := tx.Exec(ctx, `DELETE FROM parking_windows WHERE zone_id = ANY($1)`, ids); err != nil {
		return err
	}
	var codes, opens, closes []string
	var weekdays []int32
	for _, r := range rows {
		for _, w := range r.Windows {
			codes, weekdays = append(codes, r.Code), append(weekdays, w.Weekday)
			opens, closes = append(opens, w.Opens), append(closes, w.Closes)
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO parking_windows (zone_id, weekday, opens, closes)
		SELECT z.id, u.weekday, u.opens::time, u.closes::time
		FROM unnest($1::text[], $2::smallint[], $3::text[], $4::text[]) AS u(code, weekday, opens, closes)
		JOIN parking_zones z ON z.code = u.code`, codes, weekdays, opens, closes)
	return err
}
