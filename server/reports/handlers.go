package reports

import (
	"net/http"
	"net/url"
	"strconv"

	"citymap/server/respond"
	"citymap/server/store"
	"citymap/server/table"
)

// areas is GET /api/v1/reports/areas?level=&from=&to=[&category&source&area]:
// the evaluation figures of every area of a level.
func (rp *Reports) areas(w http.ResponseWriter, r *http.Request) {
	req, err := read(r, "areas", append([]string{"level"}, issueParams...), always)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	level, err := oneOf(req.q, "level", "street", "district", "community", "grid")
	if err == nil && req.filter.Area != "" && store.AreaLevels[level] < len(req.filter.Area) {
		err = respond.Field("level", "invalid", "level lies above the area: choose the area's level or one below")
	}
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	t, err := rp.store.AreaReport(r.Context(), level, req.filter)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	t.IDColumn = "code"
	req.write(w, r, t, req.judged(map[string]any{"level": level}))
}

// hotspots is GET /api/v1/reports/hotspots?from&to[&size=metres|&by=grid]: the
// issues counted per hexagon or per unit grid.
func (rp *Reports) hotspots(w http.ResponseWriter, r *http.Request) {
	req, err := read(r, "hotspots", append([]string{"size", "by"}, issueParams...), always)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	by, err := oneOf(req.q, "by", "hexagon", "grid")
	meta := map[string]any{"by": by}
	var t *table.Table
	switch {
	case err != nil:
	case by == "grid":
		t, err = rp.gridHotspots(r, req)
	default:
		t, err = rp.hexagons(r, req, meta)
	}
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	req.write(w, r, t, meta)
}

func (rp *Reports) gridHotspots(r *http.Request, req *request) (*table.Table, error) {
	if req.q.Has("size") {
		return nil, respond.Field("size", "invalid", "size is the hexagons' edge: not with by=grid")
	}
	t, err := rp.store.GridHotspotReport(r.Context(), req.filter)
	if err != nil {
		return nil, err
	}
	t.IDColumn = "code"
	return t, nil
}

func (rp *Reports) hexagons(r *http.Request, req *request, meta map[string]any) (*table.Table, error) {
	size, err := hexagonSize(req.q)
	if err != nil {
		return nil, err
	}
	meta["size"] = size
	t, err := rp.store.HexagonReport(r.Context(), size, req.filter)
	if err != nil {
		return nil, err
	}
	t.IDColumn = "cell"
	return t, nil
}

func hexagonSize(q url.Values) (float64, error) {
	s := q.Get("size")
	if s == "" {
		return store.DefaultHexagon, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v >= store.MinHexagon && v <= store.MaxHexagon) {
		return 0, respond.Field("size", "invalid", "size is the hexagons' edge in metres, from "+
			strconv.Itoa(store.MinHexagon)+" to "+strconv.Itoa(store.MaxHexagon))
	}
	return v, nil
}

// categories is GET /api/v1/reports/categories: the evaluation figures per
// issue category.
func (rp *Reports) categories(w http.ResponseWriter, r *http.Request) {
	req, err := read(r, "categories", issueParams, never)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	t, err := rp.store.CategoryReport(r.Context(), req.filter)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	req.write(w, r, t, req.judged(nil))
}

// trends is GET /api/v1/reports/trends?interval=day|week: the range's figures
// split by the day or week the issues were created in.
func (rp *Reports) trends(w http.ResponseWriter, r *http.Request) {
	req, err := read(r, "trends", append([]string{"interval"}, issueParams...), never)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	interval, err := oneOf(req.q, "interval", store.TrendIntervals...)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	t, err := rp.store.TrendReport(r.Context(), interval, req.filter)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	req.write(w, r, t, req.judged(map[string]any{"interval": interval}))
}

// parking is GET /api/v1/reports/parking?from&to[&zone=codes][&by=hour|zone]:
// utilization by zone and hour of day, or a summary per zone.
func (rp *Reports) parking(w http.ResponseWriter, r *http.Request) {
	byZone := func(q url.Values) bool { return q.Get("by") == "zone" }
	req, err := read(r, "parking", []string{"zone", "by"}, byZone)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	by, err := oneOf(req.q, "by", "hour", "zone")
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	zones, _ := respond.List(req.q, "zone", func(string) bool { return true })
	f := store.ParkingFilter{From: req.rng.From, To: req.rng.To, Zones: zones, Scope: req.filter.Scope,
		Geometry: req.filter.Geometry, Zone: req.filter.Zone}
	var t *table.Table
	if by == "zone" {
		t, err = rp.store.ParkingZoneReport(r.Context(), f)
	} else {
		t, err = rp.store.ParkingHourReport(r.Context(), f)
	}
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	t.IDColumn = "zone"
	req.write(w, r, t, map[string]any{"by": by})
}
