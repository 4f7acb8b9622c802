package parking

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"citymap/geo/coordsys"
	"citymap/server/auth"
	"citymap/server/respond"
	"citymap/server/store"
)

// Limits of GET /api/v1/parking/available.
const (
	DefaultRadius = 1000  // metres
	MaxRadius     = 10000 // metres
	DefaultLimit  = 20
	MaxLimit      = 200
)

// availableParams are the query parameters of GET /api/v1/parking/available;
// unknown ones are refused, since a misspelt one would silently change the answer.
var availableParams = []string{"lon", "lat", "radius", "at", "limit", "coord_sys", "access_token"}

// availableQuery reads the query parameters into the store's query.
func (p *Parking) availableQuery(q url.Values) (store.ParkingQuery, error) {
	if err := respond.KnownParams(q, availableParams...); err != nil {
		return store.ParkingQuery{}, err
	}
	sq := store.ParkingQuery{Timezone: p.loc.String()}
	pt, err := queryPoint(q)
	if err != nil {
		return sq, err
	}
	sq.Lon, sq.Lat = pt[0], pt[1]
	if sq.Radius, err = queryNumber(q, "radius", DefaultRadius, MaxRadius); err != nil {
		return sq, err
	}
	limit, err := queryNumber(q, "limit", DefaultLimit, MaxLimit)
	if err != nil || limit != math.Trunc(limit) {
		return sq, respond.Field("limit", "invalid", fmt.Sprintf("limit is a whole number from 1 to %d", MaxLimit))
	}
	sq.Limit = int(limit)
	sq.At, err = p.queryTime(q)
	return sq, err
}

// queryPoint reads lon and lat, in the coordinate system coord_sys says.
func queryPoint(q url.Values) (orb.Point, error) {
	sys, err := coordsys.Parse(q.Get("coord_sys"))
	if err != nil {
		return orb.Point{}, respond.Field("coord_sys", "invalid", err.Error())
	}
	var pt orb.Point
	for i, c := range []struct {
		name  string
		bound float64
	}{{"lon", 180}, {"lat", 90}} {
		s := q.Get(c.name)
		if s == "" {
			return pt, respond.Field(c.name, "required", c.name+" is required")
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || v < -c.bound || v > c.bound {
			return pt, respond.Field(c.name, "invalid", fmt.Sprintf("%s is a number within [-%g, %g]", c.name, c.bound, c.bound))
		}
		pt[i] = v
	}
	return coordsys.ToWGS84(sys, pt), nil
}

// queryNumber reads a positive number up to max, def when absent.
func queryNumber(q url.Values, name string, def, max float64) (float64, error) {
	s := q.Get(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v > 0 && v <= max) {
		return 0, respond.Field(name, "invalid", fmt.Sprintf("%s is a number above 0 and at most %g", name, max))
	}
	return v, nil
}

// queryTime reads at (RFC 3339), now when absent.
func (p *Parking) queryTime(q url.Values) (time.Time, error) {
	s := q.Get("at")
	if s == "" {
		return p.now(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, respond.Field("at", "invalid", "at must be an RFC 3339 time such as 2026-05-01T20:00:00+08:00")
	}
	return t, nil
}

// available is GET /api/v1/parking/available: a GeoJSON FeatureCollection of
// the zones open to the public at `at` with a free space, nearest first, each
// with distance_m, open_now and closes_at (null for smart lots, which do not
// close, and for tidal zones open beyond the next two weeks).
func (p *Parking) available(w http.ResponseWriter, r *http.Request) {
	q, err := p.availableQuery(r.URL.Query())
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	q.Scope = auth.From(r.Context()).Areas
	zones, err := p.store.AvailableParking(r.Context(), q)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	sched, err := p.schedules(r.Context(), zones, q.At)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	features := make([]json.RawMessage, 0, len(zones))
	for _, z := range zones {
		extra := map[string]any{"distance_m": math.Round(z.Distance*10) / 10, "open_now": true,
			"closes_at": sched.closesAt(z, q.At)}
		f, err := withProperties(z.Feature, extra)
		if err != nil {
			respond.Fail(w, r, err)
			return
		}
		features = append(features, f)
	}
	writeGeoJSON(w, map[string]any{"type": "FeatureCollection", "features": features,
		"numberReturned": len(features), "at": q.At.In(p.loc).Format(time.RFC3339)})
}

// zone is GET /api/v1/parking/zones/{code}: the zone as a Feature with, in
// its properties, its weekly windows, whether it is open now and until when
// (or when it opens next), and its readings of the last 24 hours.
func (p *Parking) zone(w http.ResponseWriter, r *http.Request) {
	z, err := p.store.ParkingZoneByCode(r.Context(), r.PathValue("code"), auth.From(r.Context()).Areas)
	if errors.Is(err, store.ErrParkingZoneNotFound) {
		respond.Fail(w, r, respond.ErrNotFound)
		return
	}
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	now := p.now()
	sched, err := p.schedules(r.Context(), []store.ParkingZone{z}, now)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	history, err := p.store.ParkingHistory(r.Context(), z.ID, now.Add(-24*time.Hour))
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	extra := sched.status(z, now)
	extra["windows"] = sched.windowsOf(z)
	extra["readings"] = history
	f, err := withProperties(z.Feature, extra)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	writeGeoJSON(w, f)
}

// withProperties adds members to the properties of a Feature that the store
// built in SQL.
func withProperties(feature json.RawMessage, extra map[string]any) (json.RawMessage, error) {
	var f map[string]json.RawMessage
	if err := json.Unmarshal(feature, &f); err != nil {
		return nil, err
	}
	var props map[string]json.RawMessage
	if err := json.Unmarshal(f["properties"], &props); err != nil {
		return nil, err
	}
	for k, v := range extra {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		props[k] = b
	}
	b, err := json.Marshal(props)
	if err != nil {
		return nil, err
	}
	f["properties"] = b
	return json.Marshal(f)
}

func writeGeoJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/geo+json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(v)
}
