package democity

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"
)

// SRID of every geometry written.
const SRID = 4326

func wkb(g orb.Geometry) []byte { return ewkb.MustMarshal(g, SRID) }

// copyRows COPYs n rows made by row into table.
func copyRows(ctx context.Context, tx pgx.Tx, table string, cols []string, n int, row func(i int) []any) (int64, error) {
	src := pgx.CopyFromSlice(n, func(i int) ([]any, error) { return row(i), nil })
	count, err := tx.CopyFrom(ctx, pgx.Identifier{table}, cols, src)
	if err != nil {
		return count, fmt.Errorf("copy %s: %w", table, err)
	}
	return count, nil
}

func nullTime(t interface{ IsZero() bool }) any {
	if t.IsZero() {
		return nil
	}
	return t
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// writeAreas builds every area as the union of its cells: the cells go to a
// temporary table, and PostGIS unions them level by level, parents first.
func (c *City) writeAreas(ctx context.Context, tx pgx.Tx) (int64, error) {
	_, err := tx.Exec(ctx, `
		CREATE TEMP TABLE seed_cells (district int, street int, community int, grid int, geom geometry) ON COMMIT DROP;
		CREATE TEMP TABLE seed_areas (id bigint, code text, name text, level text, parent_id bigint,
			manager text, manager_phone text) ON COMMIT DROP`)
	if err != nil {
		return 0, err
	}
	var cells [][]any
	for sq, lv := range c.CellGeometry {
		cells = append(cells, []any{lv[0] + 1, lv[1] + 1, lv[2] + 1, lv[3] + 1, wkb(sq)})
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"seed_cells"}, []string{"district", "street", "community", "grid", "geom"},
		pgx.CopyFromRows(cells)); err != nil {
		return 0, fmt.Errorf("copy cells: %w", err)
	}
	_, err = copyRows(ctx, tx, "seed_areas", []string{"id", "code", "name", "level", "parent_id", "manager", "manager_phone"},
		len(c.Areas), func(i int) []any {
			a := c.Areas[i]
			return []any{a.ID, a.Code, a.Name, a.Level, nullID(int64(a.Parent + 1)), a.Manager, a.Phone}
		})
	if err != nil {
		return 0, err
	}
	return c.unionAreas(ctx, tx)
}

func (c *City) unionAreas(ctx context.Context, tx pgx.Tx) (int64, error) {
	var total int64
	for _, level := range []string{"district", "street", "community", "grid"} {
		col := level
		tag, err := tx.Exec(ctx, fmt.Sprintf(`
			INSERT INTO areas (id, code, name, level, parent_id, manager, manager_phone, geom, updated_at)
			SELECT a.id, a.code, a.name, a.level, a.parent_id, a.manager, a.manager_phone,
			       ST_Multi(ST_Union(c.geom)), $1
			FROM seed_areas a JOIN seed_cells c ON c.%s = a.id
			WHERE a.level = $2
			GROUP BY a.id, a.code, a.name, a.level, a.parent_id, a.manager, a.manager_phone
			ORDER BY a.id`, pgx.Identifier{col}.Sanitize()), c.Opt.Now, level)
		if err != nil {
			return total, fmt.Errorf("areas (%s): %w", level, err)
		}
		total += tag.RowsAffected()
	}
	return total, nil
}

// writeUnits adds (or refreshes) the street offices.
func (c *City) writeUnits(ctx context.Context, tx pgx.Tx) (int64, error) {
	var code, name, kind, area []string
	for _, u := range c.Units {
		code, name, kind, area = append(code, u.Code), append(name, u.Name), append(kind, u.Kind), append(area, u.AreaCode)
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO units (code, name, kind, area_code)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
		ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, area_code = EXCLUDED.area_code`,
		code, name, kind, area)
	return tag.RowsAffected(), err
}

func (c *City) writePoints(ctx context.Context, tx pgx.Tx) (int64, error) {
	cols := []string{"id", "code", "name", "category", "address", "grid_code", "unit", "person", "phone", "geom", "updated_at"}
	return copyRows(ctx, tx, "points", cols, len(c.Points), func(i int) []any {
		p := c.Points[i]
		return []any{p.ID, p.Code, p.Name, p.Category, p.Address, c.Areas[p.Grid].Code, p.Unit, p.Person, p.Phone,
			wkb(p.Geom), c.Opt.Now}
	})
}

func (c *City) writeInspections(ctx context.Context, tx pgx.Tx) (int64, error) {
	cols := []string{"id", "point_id", "inspected_at", "inspector", "deductions", "score", "photos", "note", "created_at"}
	return copyRows(ctx, tx, "inspections", cols, len(c.Inspections), func(i int) []any {
		in := c.Inspections[i]
		deductions, _ := json.Marshal(in.Deductions)
		return []any{in.ID, c.Points[in.Point].ID, in.At, in.Inspector, deductions, in.Score, in.Photos, in.Note, in.At}
	})
}

func (c *City) writeZones(ctx context.Context, tx pgx.Tx) (int64, error) {
	cols := []string{"id", "code", "name", "kind", "capacity", "occupied", "occupancy_at", "address", "operator",
		"grid_code", "geom", "updated_at"}
	return copyRows(ctx, tx, "parking_zones", cols, len(c.Zones), func(i int) []any {
		z := c.Zones[i]
		return []any{z.ID, z.Code, z.Name, z.Kind, z.Capacity, z.Occupied, z.OccupancyAt, z.Address, z.Operator,
			c.Areas[z.Grid].Code, wkb(z.Geom), c.Opt.Now}
	})
}

func (c *City) writeWindows(ctx context.Context, tx pgx.Tx) (int64, error) {
	var rows [][]any
	for _, z := range c.Zones {
		for _, w := range z.Windows {
			rows = append(rows, []any{z.ID, w.Weekday, clock(w.Opens), clock(w.Closes)})
		}
	}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"parking_windows"}, []string{"zone_id", "weekday", "opens", "closes"},
		pgx.CopyFromRows(rows))
	if err != nil {
		return n, fmt.Errorf("copy parking_windows: %w", err)
	}
	return n, nil
}

// clock is a time of day from minutes since midnight (1440 is 24:00).
func clock(minutes int) pgtype.Time {
	return pgtype.Time{Microseconds: int64(minutes) * 60_000_000, Valid: true}
}

func (c *City) writeReadings(ctx context.Context, tx pgx.Tx) (int64, error) {
	z, k := 0, 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		for z < len(c.Zones) && k == len(c.Zones[z].Readings) {
			z, k = z+1, 0
		}
		if z == len(c.Zones) {
			return nil, nil
		}
		r := c.Zones[z].Readings[k]
		k++
		return []any{c.Zones[z].ID, r.At, r.Occupied}, nil
	})
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"parking_readings"}, []string{"zone_id", "at", "occupied"}, src)
	if err != nil {
		return n, fmt.Errorf("copy parking_readings: %w", err)
	}
	return n, nil
}

// writeCalendar adds the holidays and make-up workdays, keeping rows already there.
func (c *City) writeCalendar(ctx context.Context, tx pgx.Tx) (int64, error) {
	var days, kinds, names []string
	for _, d := range c.Calendar {
		days, kinds, names = append(days, d.Day.Format("2006-01-02")), append(kinds, d.Kind), append(names, d.Name)
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO calendar_days (day, kind, name)
		SELECT d::date, k, n FROM unnest($1::text[], $2::text[], $3::text[]) AS u(d, k, n)
		ON CONFLICT (day) DO NOTHING`, days, kinds, names)
	return tag.RowsAffected(), err
}

var issueCols = []string{"id", "source", "external_id", "category", "description", "address", "photos", "reporter",
	"geom", "grid_code", "community_code", "street_code", "status", "unit", "deadline", "created_at",
	"dispatched_at", "resolved_at", "closed_at", "rework_count", "duplicate_of", "inspection_id", "point_id",
	"version", "updated_at"}

var eventCols = []string{"id", "issue_id", "action", "from_status", "to_status", "actor", "note", "data", "at"}

// writeIssues COPYs one chunk of issues, then their events, adding the rows and
// time taken to the counts.
func (c *City) writeIssues(ctx context.Context, tx pgx.Tx, chunk []Issue, issues, events *TableCount) error {
	t0 := time.Now()
	n, err := copyRows(ctx, tx, "issues", issueCols, len(chunk), func(i int) []any { return c.issueRow(&chunk[i]) })
	issues.Rows, issues.Took = issues.Rows+n, issues.Took+time.Since(t0)
	if err != nil {
		return err
	}
	t0 = time.Now()
	i, k := 0, 0
	src := pgx.CopyFromFunc(func() ([]any, error) {
		for i < len(chunk) && k == len(chunk[i].Events) {
			i, k = i+1, 0
		}
		if i == len(chunk) {
			return nil, nil
		}
		e := chunk[i].Events[k]
		k++
		return []any{e.ID, e.Issue, e.Action, nullText(e.From), e.To, e.Actor, e.Note, e.Data, e.At}, nil
	})
	n, err = tx.CopyFrom(ctx, pgx.Identifier{"issue_events"}, eventCols, src)
	events.Rows, events.Took = events.Rows+n, events.Took+time.Since(t0)
	if err != nil {
		return fmt.Errorf("copy issue_events: %w", err)
	}
	return nil
}

func (c *City) issueRow(is *Issue) []any {
	grid := c.Areas[is.Grid]
	comm := c.Areas[grid.Parent]
	street := c.Areas[comm.Parent]
	return []any{is.ID, is.Source, nullText(is.ExternalID), is.Category, is.Description, is.Address, is.Photos,
		is.Reporter, wkb(is.At), grid.Code, comm.Code, street.Code, is.Status, is.Unit, is.Deadline, is.Created,
		nullTime(is.Dispatched), nullTime(is.Resolved), nullTime(is.Closed), is.Rework, nullID(is.DuplicateOf),
		nullID(is.Inspection), nullID(is.Point), is.Version, is.Updated}
}
