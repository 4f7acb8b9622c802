package tiles_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"citymap/server/access"
	"citymap/server/store"
)

// fresh is the promise: a tile fetched a second after a change committed shows it.
const fresh = time.Second

// send makes a request with a JSON body.
func (e *env) send(method, path, tok string, body any) answer {
	e.T.Helper()
	return e.Call(method, path, "", body, "Authorization", "Bearer "+tok)
}

// warm fetches tiles until the cache holds them.
func (e *env) warm(layer string, tok string, tiles ...maptile.Tile) {
	e.T.Helper()
	for _, tl := range tiles {
		e.fetch(layer, tl, tok)
		if got := e.fetch(layer, tl, tok); got.outcome != "hit" {
			e.T.Fatalf("%s: %s the second time, want a hit", tilePath(layer, tl), got.outcome)
		}
	}
}

// TestFreshAfterIntake takes in an issue where a cached tile shows the city
// and checks that the tile shows it within a second, at z15 and in the z12
// clusters, while a cached tile elsewhere stays cached; then the issue is
// rejected and leaves the tiles again.
func TestFreshAfterIntake(t *testing.T) {
	t.Parallel()
	e := newEnv(t, cached)
	e.waitFollowing()
	// no deadline expires a cached tile while the test expects it cached
	e.QuietDeadlines(time.Hour)
	viewer := e.Tokens[access.Viewer]
	p := e.busiest()
	near, cluster := tileAt(p, 15), tileAt(p, 12)
	far := tileAt(orb.Point{p[0] + 0.2, p[1]}, 15)
	e.warm("issues", viewer, near, cluster, far)
	before := sum(e.fetch("issues", cluster, viewer).layer)

	a := e.send(http.MethodPost, "/api/v1/issues", e.Tokens[access.Dispatcher], map[string]any{
		"category": "exposed_garbage", "source": "grid_patrol", "description": "tile freshness",
		"location": map[string]any{"type": "Point", "coordinates": []float64{p[0] + 1e-5, p[1]}},
	})
	if a.Status != http.StatusCreated {
		t.Fatalf("intake: %d %s", a.Status, a.Body)
	}
	var issue struct{ ID int64 }
	if err := json.Unmarshal(a.Body, &issue); err != nil {
		t.Fatal(err)
	}
	took := waitFor(t, "the new issue in the z15 tile", fresh, func() bool {
		_, ok := ids(e.fetch("issues", near, viewer).layer)[issue.ID]
		return ok
	})
	t.Logf("the new issue showed after %v", took)
	waitFor(t, "the new issue in the z12 clusters", fresh, func() bool {
		return sum(e.fetch("issues", cluster, viewer).layer) == before+1
	})
	if got := e.fetch("issues", far, viewer); got.outcome != "hit" {
		t.Errorf("a tile 20 km away: %s, want it still cached", got.outcome)
	}

	a = e.send(http.MethodPost, fmt.Sprintf("/api/v1/issues/%d/actions", issue.ID), e.Tokens[access.Dispatcher],
		map[string]any{"action": "reject", "note": "not an issue"})
	if a.Status != http.StatusOK {
		t.Fatalf("reject: %d %s", a.Status, a.Body)
	}
	waitFor(t, "the rejected issue to leave the z15 tile", fresh, func() bool {
		_, ok := ids(e.fetch("issues", near, viewer).layer)[issue.ID]
		return !ok
	})
	waitFor(t, "the rejected issue to leave the z12 clusters", fresh, func() bool {
		return sum(e.fetch("issues", cluster, viewer).layer) == before
	})
}

// TestMovedPoint moves an inspection point across the city with OGC API PUT:
// the tile where it was loses it and the tile where it went gains it, both
// cached before the move.
func TestMovedPoint(t *testing.T) {
	t.Parallel()
	e := newEnv(t, cached)
	e.waitFollowing()
	ctx := context.Background()
	viewer := e.Tokens[access.Viewer]
	var code string
	var from, to orb.Point
	err := e.Store.Pool.QueryRow(ctx, `SELECT p.code, ST_X(p.geom), ST_Y(p.geom), ST_X(q.geom), ST_Y(q.geom)
		FROM points p, points q WHERE GeometryType(p.geom) = 'POINT' AND GeometryType(q.geom) = 'POINT'
		ORDER BY ST_Distance(p.geom, q.geom) DESC LIMIT 1`).Scan(&code, &from[0], &from[1], &to[0], &to[1])
	if err != nil {
		t.Fatal(err)
	}
	to[0] += 1e-5
	was, goes := tileAt(from, 16), tileAt(to, 16)
	e.warm("points", viewer, was, goes)
	has := func(tl maptile.Tile) bool {
		for _, f := range e.fetch("points", tl, viewer).layer.features {
			if f.props["code"] == code {
				return true
			}
		}
		return false
	}
	if !has(was) || has(goes) {
		t.Fatalf("before the move: in the old tile %v, in the new %v", has(was), has(goes))
	}
	a := e.send(http.MethodPut, "/ogc/collections/points/items/"+code, e.Tokens[access.Admin], map[string]any{
		"type":       "Feature",
		"geometry":   map[string]any{"type": "Point", "coordinates": []float64{to[0], to[1]}},
		"properties": map[string]any{"code": code, "name": "moved", "category": "park", "unit": "cgj"},
	})
	if a.Status != http.StatusOK {
		t.Fatalf("PUT: %d %s", a.Status, a.Body)
	}
	waitFor(t, "the point to leave its old tile and reach the new one", fresh, func() bool {
		return !has(was) && has(goes)
	})
}

// insertIssue writes an open issue with this deadline through the feed, as
// intake does, and waits until the instance has heard of it.
func (e *env) insertIssue(p orb.Point, deadline string) int64 {
	e.T.Helper()
	ctx := context.Background()
	var id, seq int64
	err := e.Store.InTx(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO issues (source, category, geom, deadline, status, dispatched_at)
			VALUES ('sensor', 'manhole_cover', ST_SetSRID(ST_MakePoint($1, $2), 4326), now() + $3::interval,
			        'dispatched', now())
			RETURNING id`, p[0], p[1], deadline).Scan(&id); err != nil {
			return err
		}
		var err error
		seq, err = store.AppendUpserts(ctx, tx, "issues", []int64{id})
		return err
	})
	if err != nil {
		e.T.Fatal(err)
	}
	e.waitPublished(seq)
	return id
}

// waitPublished waits until the instance has handed the changes up to seq to
// its tile cache: a tile cached before that may yet be dropped by them.
func (e *env) waitPublished(seq int64) {
	e.T.Helper()
	waitFor(e.T, "the change to reach the instance", fresh, func() bool {
		return e.metric("citymap_live_published_seq") >= float64(seq)
	})
}

func (e *env) head() int64 {
	e.T.Helper()
	h, err := store.FeedHead(context.Background(), e.Store.Pool)
	if err != nil {
		e.T.Fatal(err)
	}
	return h
}

// TestOverdueExpires checks that an issue turns overdue in a cached tile when
// its deadline passes, with no change to the data: the tile expires then.
func TestOverdueExpires(t *testing.T) {
	t.Parallel()
	e := newEnv(t, cached)
	e.waitFollowing()
	viewer := e.Tokens[access.Viewer]
	// the only open issue of its z13 tile: what the demo city holds there
	// (overdue or not, and its deadlines) depends on the instant it was seeded at
	p := orb.Point{119.60, 31.18}
	near, cluster := tileAt(p, 16), tileAt(p, 13)
	e.clearIssues(cluster)
	id := e.insertIssue(p, "4 seconds")
	deadline := time.Now().Add(4 * time.Second)
	e.warm("issues", viewer, near, cluster)
	if f := ids(e.fetch("issues", near, viewer).layer)[id]; f.props["overdue"] != false {
		t.Fatalf("before the deadline: overdue %v", f.props["overdue"])
	}
	if n := overdueIn(e.fetch("issues", cluster, viewer).layer); n != 0 {
		t.Fatalf("before the deadline: %v overdue in the clusters", n)
	}
	head := e.head()
	time.Sleep(time.Until(deadline) + 50*time.Millisecond)
	got := e.fetch("issues", near, viewer)
	if f := ids(got.layer)[id]; f.props["overdue"] != true || got.outcome != "miss" {
		t.Errorf("after the deadline: overdue %v (%s)", f.props["overdue"], got.outcome)
	}
	if n := overdueIn(e.fetch("issues", cluster, viewer).layer); n != 1 {
		t.Errorf("after the deadline: %v overdue in the clusters", n)
	}
	if e.head() != head {
		t.Error("the feed moved: the tile may have been invalidated rather than expired")
	}
	if got := e.fetch("issues", near, viewer); got.outcome != "hit" {
		t.Errorf("once overdue the tile is cached again: %s", got.outcome)
	}
}

// clearIssues moves the issues in tile t (and its buffer) a degree south, out
// of the city, before the test caches any tile: the tile then holds what the
// test puts there and nothing else.
func (e *env) clearIssues(t maptile.Tile) {
	e.T.Helper()
	e.Exec(`UPDATE issues SET geom = ST_Translate(geom, 0, -1) WHERE geom && `+envelope, tileArgs(t)...)
	if n := e.Int(`SELECT count(*) FROM issues WHERE geom && `+envelope, tileArgs(t)...); n != 0 {
		e.T.Fatalf("%d issues left in %v", n, t)
	}
}

func overdueIn(l mvtLayer) float64 {
	var n float64
	for _, f := range l.features {
		n += f.props["overdue_count"].(float64)
	}
	return n
}

// TestTidalOpens checks that a tidal zone turns open_now in a cached tile when
// its window opens, with no change to the data.
func TestTidalOpens(t *testing.T) {
	t.Parallel()
	e := newEnv(t, cached)
	e.waitFollowing()
	ctx := context.Background()
	viewer := e.Tokens[access.Viewer]
	p := orb.Point{119.61, 31.19}
	// no zone of the demo city there opens or closes meanwhile (the tile would expire)
	e.quietParking(tileAt(p, 16))
	// a window opening in four seconds, local time, for a minute (to midnight
	// when that is sooner): a window to midnight opening just after it would be
	// open already on the evening before when both days are lived alike (a
	// Sunday and a holiday)
	var opens time.Time
	var seq int64
	err := e.Store.InTx(ctx, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, `INSERT INTO parking_zones (code, name, kind, capacity, geom)
			VALUES ('TIDE-1', 'test tidal zone', 'tidal', 20, ST_Buffer(ST_SetSRID(ST_MakePoint($1, $2), 4326), 0.0002))
			RETURNING id`, p[0], p[1]).Scan(&id); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `WITH t AS (SELECT date_trunc('second', now()) + interval '4 seconds' AS at),
				l AS (SELECT at, (at AT TIME ZONE city_timezone()) AS local FROM t)
			INSERT INTO parking_windows (zone_id, weekday, opens, closes)
			SELECT $1, parking_weekday(local::date), local::time,
			       CASE WHEN local::time < '23:59' THEN local::time + interval '1 minute' ELSE '24:00' END FROM l
			RETURNING (SELECT at FROM l)`, id).Scan(&opens); err != nil {
			return err
		}
		var err error
		seq, err = store.AppendUpserts(ctx, tx, "parking", []int64{id})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.waitPublished(seq)
	tl := tileAt(p, 16)
	openNow := func() (any, string) {
		got := e.fetch("parking", tl, viewer)
		for _, f := range got.layer.features {
			if f.props["code"] == "TIDE-1" {
				return f.props["open_now"], got.outcome
			}
		}
		t.Fatal("the zone is not in its tile")
		return nil, ""
	}
	if v, _ := openNow(); v != false {
		t.Fatalf("before the window: open_now %v", v)
	}
	if v, outcome := openNow(); v != false || outcome != "hit" {
		t.Fatalf("before the window: open_now %v (%s)", v, outcome)
	}
	head := e.head()
	time.Sleep(time.Until(opens) + 50*time.Millisecond)
	if v, outcome := openNow(); v != true || outcome != "miss" {
		t.Errorf("after the window opened: open_now %v (%s)", v, outcome)
	}
	if e.head() != head {
		t.Error("the feed moved: the tile may have been invalidated rather than expired")
	}
}

// TestFreshAfterClockSteps suspends, resumes and extends an overdue issue
// shown by a cached tile: each step is a change that invalidates the tile, so
// within a second the tile says it is suspended (and not overdue), overdue
// again, then on time with the deadline the grant moved.
func TestFreshAfterClockSteps(t *testing.T) {
	t.Parallel()
	e := newEnv(t, cached)
	e.waitFollowing()
	e.QuietDeadlines(time.Hour)
	viewer, dispatcher := e.Tokens[access.Viewer], e.Tokens[access.Dispatcher]
	p := e.busiest()
	near := tileAt(p, 15)
	a := e.send(http.MethodPost, "/api/v1/issues", dispatcher, map[string]any{
		"category": "manhole_cover", "source": "grid_patrol", "description": "tile clock",
		"location": map[string]any{"type": "Point", "coordinates": []float64{p[0] + 1e-5, p[1]}},
	})
	if a.Status != http.StatusCreated {
		t.Fatalf("intake: %d %s", a.Status, a.Body)
	}
	var issue struct{ ID int64 }
	if err := json.Unmarshal(a.Body, &issue); err != nil {
		t.Fatal(err)
	}
	act := func(body map[string]any) {
		t.Helper()
		if a := e.send(http.MethodPost, fmt.Sprintf("/api/v1/issues/%d/actions", issue.ID), dispatcher, body); a.Status != http.StatusOK {
			t.Fatalf("%v: %d %s", body, a.Status, a.Body)
		}
	}
	act(map[string]any{"action": "register"})
	// overdue by a day, written before the tile is cached
	e.Exec(`UPDATE issues SET deadline = now() - interval '1 day' WHERE id = $1`, issue.ID)
	shows := func(what string, cond func(props map[string]any) bool) {
		t.Helper()
		waitFor(t, what, fresh, func() bool {
			f, ok := ids(e.fetch("issues", near, viewer).layer)[issue.ID]
			return ok && cond(f.props)
		})
	}
	shows("the overdue issue", func(p map[string]any) bool { return p["overdue"] == true })
	e.warm("issues", viewer, near)

	act(map[string]any{"action": "suspend", "reason": "等待燃气公司"})
	shows("the suspended issue not overdue", func(p map[string]any) bool {
		return p["suspended"] == true && p["overdue"] == false
	})
	e.warm("issues", viewer, near)
	act(map[string]any{"action": "resume"})
	shows("the resumed issue overdue again", func(p map[string]any) bool {
		return p["suspended"] == false && p["overdue"] == true
	})
	e.warm("issues", viewer, near)
	var before string
	e.Scan(`SELECT to_char(deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM issues WHERE id = $1`,
		[]any{issue.ID}, &before)
	act(map[string]any{"action": "extend_request", "amount": 48, "reason": "需调配吊车"})
	act(map[string]any{"action": "extend_grant"})
	var after string
	e.Scan(`SELECT to_char(deadline AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM issues WHERE id = $1`,
		[]any{issue.ID}, &after)
	shows("the extended deadline", func(p map[string]any) bool {
		return p["deadline"] == after && p["deadline"] != before && p["overdue"] == false
	})
}
