package store

import (
	"context"
	"time"

	"citymap/server/table"
)

// ParkingFilter selects the zones and readings of a parking report.
type ParkingFilter struct {
	From, To time.Time // readings taken in [From, To)
	Zones    []string  // zone codes; empty: every zone
	// Scope limits the report to zones whose grid lies in the caller's areas.
	Scope    []string
	Geometry bool
	Zone     string // the city's time zone (PostgreSQL name), for hours of day
}

// parkingReadingsSQL selects the filter's readings (zone_id, hour of the local
// day, occupied).
func parkingReadingsSQL(q *issueQuery, f ParkingFilter) string {
	where := "r.at >= " + q.arg(f.From) + " AND r.at < " + q.arg(f.To)
	if len(f.Zones) > 0 {
		where += " AND z.code = ANY(" + q.arg(f.Zones) + ")"
	}
	if len(f.Scope) > 0 {
		where += " AND " + inScope("z.grid_code", f.Scope, q.arg)
	}
	return `SELECT r.zone_id, extract(hour FROM r.at AT TIME ZONE ` + q.arg(f.Zone) + `)::int AS hour, r.occupied
		FROM parking_readings r JOIN parking_zones z ON z.id = r.zone_id WHERE ` + where
}

// ParkingHourReport is the utilization of each zone by hour of the local day:
// the average of occupied / capacity over the readings taken in that hour of any
// day of the range. Capacity is the zone's current one.
func (s *Store) ParkingHourReport(ctx context.Context, f ParkingFilter) (*table.Table, error) {
	q := &issueQuery{}
	sql := `WITH r AS (` + parkingReadingsSQL(q, f) + `)
		SELECT z.code AS zone, z.name, z.kind, z.capacity, r.hour, count(*) AS readings,
			round(avg(r.occupied), 2)::float8 AS avg_occupied,
			round(avg(r.occupied) / z.capacity, 4)::float8 AS utilization,
			max(r.occupied) AS max_occupied
		FROM r JOIN parking_zones z ON z.id = r.zone_id
		GROUP BY z.id, r.hour
		ORDER BY z.code, r.hour`
	return s.queryTable(ctx, sql, q.args...)
}

// ParkingZoneReport is a flat summary per zone (every zone of the filter, also
// those without readings): the number of readings, average occupancy and
// utilization, the highest occupancy seen, and the peak hour of the local day
// (highest average utilization; the earliest on a tie) with its utilization.
func (s *Store) ParkingZoneReport(ctx context.Context, f ParkingFilter) (*table.Table, error) {
	q := &issueQuery{}
	sql := `WITH r AS MATERIALIZED (` + parkingReadingsSQL(q, f) + `),
		zs AS (SELECT zone_id, count(*) AS n, avg(occupied) AS occ, max(occupied) AS mx FROM r GROUP BY zone_id),
		pk AS (SELECT DISTINCT ON (zone_id) zone_id, hour, occ FROM (
			SELECT zone_id, hour, avg(occupied) AS occ FROM r GROUP BY zone_id, hour) h
			ORDER BY zone_id, occ DESC, hour)
		SELECT z.code AS zone, z.name, z.kind, z.capacity, coalesce(zs.n, 0) AS readings,
			round(zs.occ, 2)::float8 AS avg_occupied, round(zs.occ / z.capacity, 4)::float8 AS utilization,
			zs.mx AS max_occupied, pk.hour AS peak_hour,
			round(pk.occ / z.capacity, 4)::float8 AS peak_utilization` + geometryColumn(ReportFilter{Geometry: f.Geometry}, "z.geom") + `
		FROM parking_zones z LEFT JOIN zs ON zs.zone_id = z.id LEFT JOIN pk ON pk.zone_id = z.id
		WHERE ` + parkingZonesWhere(q, f) + `
		ORDER BY z.code`
	return s.queryTable(ctx, sql, q.args...)
}

func parkingZonesWhere(q *issueQuery, f ParkingFilter) string {
	where := "true"
	if len(f.Zones) > 0 {
		where += " AND z.code = ANY(" + q.arg(f.Zones) + ")"
	}
	if len(f.Scope) > 0 {
		where += " AND " + inScope("z.grid_code", f.Scope, q.arg)
	}
	return where
}
