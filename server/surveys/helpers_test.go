package surveys_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/paulmach/orb"

	"citymap/geo/coordsys"
	"citymap/server"
	"citymap/server/access"
	"citymap/server/apitest"
	"citymap/server/surveys"
)

// testSecret keys the test instance's respondents.
const testSecret = "test-survey-secret-0123456789"

// env is an instance whose survey rate is counted per X-Forwarded-For
// address, so that each test answers from an address of its own, with a
// street of the test's own far from the demo city: two square communities
// side by side, West and East, whose border is the meridian borderLon.
type env struct {
	*apitest.Env
	street, west, east string
	addr               atomic.Int64
}

// The test street's place: in China (GCJ-02 shifts it), away from the demo city.
const (
	borderLon = 100.0
	southLat  = 30.0
	side      = 0.01
)

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{Env: apitest.NewWith(t, server.Config{Surveys: surveys.Config{Secret: testSecret, PerMinute: 6, Burst: 3,
		ForwardedFor: true}})}
	var district string
	e.Scan(`SELECT min(code) FROM areas WHERE level = 'district'`, nil, &district)
	e.street, e.west, e.east = district+"990", district+"990001", district+"990002"
	square := func(w float64) string {
		return fmt.Sprintf("MULTIPOLYGON(((%[1]f %[2]f, %[3]f %[2]f, %[3]f %[4]f, %[1]f %[4]f, %[1]f %[2]f)))",
			w, southLat, w+side, southLat+side)
	}
	e.Exec(`INSERT INTO areas (code, name, level, parent_id, geom)
		SELECT $1, '测试街道', 'street', id, ST_GeomFromText($2, 4326) FROM areas WHERE code = $3`,
		e.street, fmt.Sprintf("MULTIPOLYGON(((%[1]f %[2]f, %[3]f %[2]f, %[3]f %[4]f, %[1]f %[4]f, %[1]f %[2]f)))",
			borderLon-side, southLat, borderLon+side, southLat+side), district)
	for _, c := range []struct{ code, name, geom string }{
		{e.west, "西社区", square(borderLon - side)}, {e.east, "东社区", square(borderLon)},
	} {
		e.Exec(`INSERT INTO areas (code, name, level, parent_id, geom)
			SELECT $1, $2, 'community', id, ST_GeomFromText($3, 4326) FROM areas WHERE code = $4`,
			c.code, c.name, c.geom, e.street)
	}
	return e
}

// from is a fresh client address.
func (e *env) from() []string {
	return []string{"X-Forwarded-For", fmt.Sprintf("198.51.100.%d", e.addr.Add(1))}
}

// definition is a survey of the test street: Q1 awareness (yes positive),
// Q2 a satisfaction rating, Q3 multiple choice, Q4 free text.
func (e *env) definition(code string) map[string]any {
	return map[string]any{"code": code, "title": "测试问卷", "intro": "说明", "areas": []string{e.street},
		"questions": []any{
			map[string]any{"id": "Q1", "kind": "single", "text": "知道吗？", "required": true, "indicator": "C01",
				"measure": "awareness", "options": []any{
					map[string]any{"id": "yes", "text": "知道", "positive": true}, map[string]any{"id": "no", "text": "不知道"}}},
			map[string]any{"id": "Q2", "kind": "rating", "text": "满意吗？", "required": true, "scale": 5, "measure": "satisfaction"},
			map[string]any{"id": "Q3", "kind": "multiple", "text": "改进哪些？", "options": []any{
				map[string]any{"id": "a", "text": "卫生"}, map[string]any{"id": "b", "text": "交通"}, map[string]any{"id": "c", "text": "市场"}}},
			map[string]any{"id": "Q4", "kind": "text", "text": "建议"},
		}}
}

// published creates and publishes a survey; it returns its id.
func (e *env) published(def map[string]any) int64 {
	e.T.Helper()
	var sv struct{ ID int64 }
	e.Must(http.StatusCreated, "POST", "/api/v1/surveys", access.Reviewer, def).Decode(e.T, &sv)
	e.Must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/surveys/%d/publish", sv.ID), access.Reviewer, nil)
	return sv.ID
}

// answer posts an answer without a token from a fresh address.
func (e *env) answer(id int64, body any) apitest.Reply {
	e.T.Helper()
	return e.Call("POST", fmt.Sprintf("/api/v1/surveys/%d/responses", id), "", body, e.from()...)
}

var phones atomic.Int64

// phone is a fresh valid mobile number.
func phone() string { return fmt.Sprintf("139%08d", phones.Add(1)) }

func (e *env) responses() int64 { return e.Int(`SELECT count(*) FROM survey_responses`) }

// gcjNearBorder is a point of West, 1/2 the GCJ-02 shift from the border,
// and its GCJ-02 coordinates, which taken as WGS-84 lie in East.
func gcjNearBorder(t *testing.T) (wgs, gcj orb.Point) {
	t.Helper()
	mid := southLat + side/2
	dx := coordsys.WGS84ToGCJ02(orb.Point{borderLon, mid})[0] - borderLon
	if dx < 0.001 || dx > side/2 {
		t.Fatalf("the GCJ-02 shift at the test street is %f degrees of longitude: the test's place is wrong", dx)
	}
	wgs = orb.Point{borderLon - dx/2, mid}
	return wgs, coordsys.WGS84ToGCJ02(wgs)
}
