package parking_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"citymap/server/apitest"
)

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// env is a running instance on its own clone of the demo city, with one token
// per role.
type env struct{ *apitest.Env }

func newEnv(t testing.TB) *env { return &env{apitest.New(t)} }

// zoneState is a zone's occupancy as stored.
type zoneState struct {
	ID                 int64
	Capacity, Occupied int
	At                 time.Time
	Version            int
}

func (e *env) zone(code string) zoneState {
	e.T.Helper()
	var z zoneState
	e.Scan(`SELECT id, capacity, occupied, occupancy_at, version FROM parking_zones WHERE code = $1`,
		[]any{code}, &z.ID, &z.Capacity, &z.Occupied, &z.At, &z.Version)
	return z
}

// site is a place away from every zone of the demo city, where the tests lay
// out zones of their own at known distances.
var site = [2]float64{121.0, 31.0}

// east is the point dist metres east of site.
func east(dist float64) (lon, lat float64) {
	const metresPerDegree = 6371008.8 * math.Pi / 180
	return site[0] + dist/(metresPerDegree*math.Cos(site[1]*math.Pi/180)), site[1]
}

// addZone adds a point zone dist metres east of site; windows are
// "weekday opens closes" rows.
func (e *env) addZone(code, kind string, capacity, occupied int, dist float64, windows ...string) int64 {
	e.T.Helper()
	lon, lat := east(dist)
	var id int64
	e.Scan(`INSERT INTO parking_zones (code, name, kind, capacity, occupied, occupancy_at, geom)
		VALUES ($1, $1, $2, $3, $4, now() - interval '1 hour', ST_SetSRID(ST_MakePoint($5, $6), 4326))
		RETURNING id`, []any{code, kind, capacity, occupied, lon, lat}, &id)
	for _, w := range windows {
		var wd int
		var opens, closes string
		if _, err := fmt.Sscan(w, &wd, &opens, &closes); err != nil {
			e.T.Fatal(err)
		}
		e.Exec(`INSERT INTO parking_windows (zone_id, weekday, opens, closes) VALUES ($1, $2, $3, $4)`,
			id, wd, opens, closes)
	}
	return id
}
