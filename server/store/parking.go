package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"citymap/invalid"
	"citymap/server/access"
)

// ParkingReading is one occupancy reading of a zone, from a sensor or a lot
// system.
type ParkingReading struct {
	Zone     string // zone code
	Occupied int
	At       time.Time
}

// What became of a reading.
const (
	// ReadingApplied: the zone now shows the reading.
	ReadingApplied = "applied"
	// ReadingClamped: applied, but the count was over the capacity and the zone
	// shows it full: occupancy never leaves [0, capacity].
	ReadingClamped = "clamped"
	// ReadingStale: no newer than what the zone shows (late or repeated); the
	// zone keeps its occupancy, the history keeps the reading.
	ReadingStale = "stale"
	// ReadingRejected: not a valid reading; nothing of it is written.
	ReadingRejected = "rejected"
)

// MaxReadingSkew is how far in the future a reading's time may lie: clocks of
// sensors drift, but a reading from the future would freeze the zone until then.
const MaxReadingSkew = 5 * time.Minute

// ReadingOutcome is what became of one reading.
type ReadingOutcome struct {
	Status   string
	Occupied int // the occupancy recorded (after clamping); 0 when rejected
	// Err says why a reading was rejected.
	Err *invalid.Error
}

// parkingZoneState is what deciding about readings needs of a zone.
type parkingZoneState struct {
	id       int64
	capacity int
	last     time.Time // occupancy_at; zero when the zone has had no reading
}

// readingPlan is what a batch of readings writes.
type readingPlan struct {
	outcomes []ReadingOutcome
	// latest is the reading each zone ends at, by zone id
	latest map[int64]ParkingReading
	// history holds every valid reading, once per (zone, at)
	history []zoneReading
}

type zoneReading struct {
	zone     int64
	at       time.Time
	occupied int
}

// planReadings decides about readings as if they came one at a time in order:
// a reading applies when it is newer than the zone's occupancy and than every
// earlier reading of the batch for that zone; out-of-order ones are stale.
func planReadings(rs []ParkingReading, zones map[string]*parkingZoneState, now time.Time) readingPlan {
	p := readingPlan{outcomes: make([]ReadingOutcome, len(rs)), latest: map[int64]ParkingReading{}}
	seen := map[[2]int64]bool{} // (zone, at in µs)
	for i, r := range rs {
		z := zones[r.Zone]
		if o, bad := rejectReading(r, z, now); bad {
			p.outcomes[i] = o
			continue
		}
		at := r.At.Truncate(time.Microsecond) // what timestamptz keeps
		o := ReadingOutcome{Status: ReadingApplied, Occupied: min(r.Occupied, z.capacity)}
		switch {
		case !z.last.IsZero() && !at.After(z.last):
			o.Status = ReadingStale
		case o.Occupied < r.Occupied:
			o.Status = ReadingClamped
		}
		if o.Status != ReadingStale {
			z.last = at
			p.latest[z.id] = ParkingReading{Zone: r.Zone, Occupied: o.Occupied, At: at}
		}
		if key := [2]int64{z.id, at.UnixMicro()}; !seen[key] {
			seen[key] = true
			p.history = append(p.history, zoneReading{z.id, at, o.Occupied})
		}
		p.outcomes[i] = o
	}
	return p
}

// rejectReading says why a reading is not valid, if it is not.
func rejectReading(r ParkingReading, z *parkingZoneState, now time.Time) (ReadingOutcome, bool) {
	bad := func(field, code, msg string) (ReadingOutcome, bool) {
		return ReadingOutcome{Status: ReadingRejected, Err: &invalid.Error{Field: field, Code: code, Message: msg}}, true
	}
	switch {
	case r.Zone == "":
		return bad("zone", "required", "zone (a parking zone code) is required")
	case z == nil:
		return bad("zone", "unknown_zone", fmt.Sprintf("no parking zone has the code %q", r.Zone))
	case r.Occupied < 0:
		return bad("occupied", "out_of_range", "occupied must not be negative")
	case r.At.IsZero():
		return bad("at", "required", "at (an RFC 3339 time) is required")
	case r.At.After(now.Add(MaxReadingSkew)):
		return bad("at", "in_future", fmt.Sprintf("at lies more than %s in the future", MaxReadingSkew))
	}
	return ReadingOutcome{}, false
}

// ApplyParkingReadings records a batch of occupancy readings in one transaction:
// each zone moves to its newest reading (unless it already shows a newer one),
// every valid reading joins the history, and the changed zones go to the changes
// feed, from which the live stream and the tile caches follow. The outcomes are
// in the order of rs.
func (s *Store) ApplyParkingReadings(ctx context.Context, rs []ParkingReading, now time.Time) ([]ReadingOutcome, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	var plan readingPlan
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		zones, err := lockParkingZones(ctx, tx, rs)
		if err != nil {
			return err
		}
		plan = planReadings(rs, zones, now)
		if err := insertParkingHistory(ctx, tx, plan.history); err != nil {
			return err
		}
		changed, err := updateParkingOccupancy(ctx, tx, plan.latest)
		if err != nil {
			return err
		}
		_, err = AppendUpserts(ctx, tx, "parking", changed)
		return err
	})
	return plan.outcomes, err
}

// lockParkingZones reads the zones the readings name and locks them until
// commit, in id order: concurrent batches (HTTP, several MQTT subscribers) then
// decide one after another and never deadlock among themselves.
func lockParkingZones(ctx context.Context, tx pgx.Tx, rs []ParkingReading) (map[string]*parkingZoneState, error) {
	codes := make([]string, 0, len(rs))
	for _, r := range rs {
		codes = append(codes, r.Zone)
	}
	rows, err := tx.Query(ctx, `SELECT id, code, capacity, occupancy_at FROM parking_zones
		WHERE code = ANY($1) ORDER BY id FOR NO KEY UPDATE`, codes)
	if err != nil {
		return nil, err
	}
	zones := map[string]*parkingZoneState{}
	for rows.Next() {
		var z parkingZoneState
		var code string
		var last *time.Time
		if err := rows.Scan(&z.id, &code, &z.capacity, &last); err != nil {
			return nil, err
		}
		if last != nil {
			z.last = *last
		}
		zones[code] = &z
	}
	return zones, rows.Err()
}

func insertParkingHistory(ctx context.Context, tx pgx.Tx, h []zoneReading) error {
	if len(h) == 0 {
		return nil
	}
	ids, ats, occ := make([]int64, len(h)), make([]time.Time, len(h)), make([]int32, len(h))
	for i, r := range h {
		ids[i], ats[i], occ[i] = r.zone, r.at, int32(r.occupied)
	}
	_, err := tx.Exec(ctx, `INSERT INTO parking_readings (zone_id, at, occupied)
		SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::int[])
		ON CONFLICT DO NOTHING`, ids, ats, occ)
	return err
}

// updateParkingOccupancy moves zones to their latest readings and returns the
// ids of those it changed. The guard on occupancy_at repeats the plan's check so
// that no path can move a zone back in time.
func updateParkingOccupancy(ctx context.Context, tx pgx.Tx, latest map[int64]ParkingReading) ([]int64, error) {
	if len(latest) == 0 {
		return nil, nil
	}
	ids, ats, occ := make([]int64, 0, len(latest)), make([]time.Time, 0, len(latest)), make([]int32, 0, len(latest))
	for id, r := range latest {
		ids, ats, occ = append(ids, id), append(ats, r.At), append(occ, int32(r.Occupied))
	}
	rows, err := tx.Query(ctx, `UPDATE parking_zones z
		SET occupied = u.occupied, occupancy_at = u.at, version = z.version + 1, updated_at = now()
		FROM unnest($1::bigint[], $2::timestamptz[], $3::int[]) AS u(id, at, occupied)
		WHERE z.id = u.id AND (z.occupancy_at IS NULL OR z.occupancy_at < u.at)
		RETURNING z.id`, ids, ats, occ)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[int64])
}

// ErrParkingZoneNotFound says no zone has the code asked for.
var ErrParkingZoneNotFound = errors.New("parking zone not found")

// ParkingQuery asks for zones open to the public near a point.
type ParkingQuery struct {
	Lon, Lat float64 // WGS-84
	Radius   float64 // metres
	At       time.Time
	Timezone string // IANA name of the city's time zone
	Limit    int
	// Scope limits the zones to those in the caller's areas (empty: all).
	Scope []string
}

// ParkingZone is a zone as the parking API serves it.
type ParkingZone struct {
	ID       int64
	Code     string
	Kind     string // smart or tidal
	Feature  json.RawMessage
	Distance float64 // metres from the query point
}

// AvailableParking lists the zones within q.Radius of the point that are open
// to the public at q.At and have a free space, nearest first. The GiST index on
// geom::geography drives both the radius test and the order (KNN), so the scan
// stops after q.Limit matches; distances are on the sphere, like the order.
func (s *Store) AvailableParking(ctx context.Context, q ParkingQuery) ([]ParkingZone, error) {
	const point = `ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography`
	rows, err := s.reads(ctx).Query(ctx, `SELECT z.id, z.code, z.kind, parking_feature(z),
			ST_Distance(z.geom::geography, `+point+`, false)
		FROM parking_zones z
		WHERE ST_DWithin(z.geom::geography, `+point+`, $3, false)
			AND z.occupied < z.capacity AND parking_open_at(z.id, $4, $5) AND `+access.SQL("z.grid_code", "$7")+`
		ORDER BY z.geom::geography <-> `+point+`
		LIMIT $6`, q.Lon, q.Lat, q.Radius, q.At, q.Timezone, q.Limit, access.Scope(q.Scope).Patterns())
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ParkingZone, error) {
		var z ParkingZone
		err := r.Scan(&z.ID, &z.Code, &z.Kind, &z.Feature, &z.Distance)
		return z, err
	})
}

// ParkingZoneByCode returns the zone with this code if it lies in scope (the
// caller's areas; empty is all), else ErrParkingZoneNotFound.
func (s *Store) ParkingZoneByCode(ctx context.Context, code string, scope []string) (ParkingZone, error) {
	var z ParkingZone
	err := s.reads(ctx).QueryRow(ctx, `SELECT z.id, z.code, z.kind, parking_feature(z) FROM parking_zones z
		WHERE z.code = $1 AND `+access.SQL("z.grid_code", "$2"), code, access.Scope(scope).Patterns()).
		Scan(&z.ID, &z.Code, &z.Kind, &z.Feature)
	if errors.Is(err, pgx.ErrNoRows) {
		return z, ErrParkingZoneNotFound
	}
	return z, err
}

// ParkingOpening is one weekly window of a zone, times of day as durations
// since local midnight (Closes up to 24 hours).
type ParkingOpening struct {
	ZoneID        int64
	Weekday       int
	Opens, Closes time.Duration
}

// ParkingOpenings returns the weekly windows of the zones, by zone, in weekday
// and time order.
func (s *Store) ParkingOpenings(ctx context.Context, ids []int64) (map[int64][]ParkingOpening, error) {
	rows, err := s.Pool.Query(ctx, `SELECT zone_id, weekday, extract(epoch FROM opens)::bigint,
			extract(epoch FROM closes)::bigint
		FROM parking_windows WHERE zone_id = ANY($1) ORDER BY zone_id, weekday, opens`, ids)
	if err != nil {
		return nil, err
	}
	out := map[int64][]ParkingOpening{}
	var o ParkingOpening
	var opens, closes int64
	_, err = pgx.ForEachRow(rows, []any{&o.ZoneID, &o.Weekday, &opens, &closes}, func() error {
		o.Opens, o.Closes = time.Duration(opens)*time.Second, time.Duration(closes)*time.Second
		out[o.ZoneID] = append(out[o.ZoneID], o)
		return nil
	})
	return out, err
}

// OccupancySample is one reading of a zone's history.
type OccupancySample struct {
	At       time.Time `json:"at"`
	Occupied int       `json:"occupied"`
}

// ParkingHistory returns the zone's readings since a time, oldest first.
func (s *Store) ParkingHistory(ctx context.Context, zoneID int64, since time.Time) ([]OccupancySample, error) {
	rows, err := s.reads(ctx).Query(ctx, `SELECT at, occupied FROM parking_readings
		WHERE zone_id = $1 AND at >= $2 ORDER BY at`, zoneID, since)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowToStructByPos[OccupancySample])
}

// CityTimezone is the time zone the database reads windows in when it is not
// told one (the setting citymap.timezone, else Asia/Shanghai).
func (s *Store) CityTimezone(ctx context.Context) (string, error) {
	var tz string
	err := s.Pool.QueryRow(ctx, `SELECT city_timezone()`).Scan(&tz)
	return tz, err
}
