package tilecache

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"citymap/geo/tile"
)

const buffer = 64.0 / 4096

// yixing is a point in the demo city; yixingTile(z) is the tile holding it.
var yixing = orb.Point{119.82, 31.36}

func yixingTile(z maptile.Zoom) Key {
	t := maptile.At(yixing, z)
	return Key{Layer: "issues", Z: z, X: t.X, Y: t.Y}
}

func armed(maxBytes int64) *Cache {
	c := New(maxBytes)
	c.Reset(0)
	return c
}

// body renders a tile whose gzip body has exactly n bytes.
func body(n int) Render {
	return func(context.Context) (Tile, error) {
		return Tile{Body: bytes.Repeat([]byte{1}, n), ETag: `"x"`}, nil
	}
}

// counting renders tiles and counts the renderings.
type counting struct{ n atomic.Int64 }

func (c *counting) render(context.Context) (Tile, error) {
	c.n.Add(1)
	return Tile{Body: []byte("mvt"), ETag: `"e"`}, nil
}

func get(t *testing.T, c *Cache, k Key, r Render) Outcome {
	t.Helper()
	_, out, err := c.Get(context.Background(), k, r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func key(layer string, z maptile.Zoom, x, y uint32) Key {
	return Key{Layer: layer, Z: z, X: x, Y: y}
}

func TestHitsAndMisses(t *testing.T) {
	c := armed(1 << 20)
	var r counting
	k := key("points", 14, 1, 2)
	if out := get(t, c, k, r.render); out != Miss {
		t.Fatalf("first get: %v, want a miss", out)
	}
	if out := get(t, c, k, r.render); out != Hit {
		t.Fatalf("second get: %v, want a hit", out)
	}
	if out := get(t, c, Key{Layer: "points", Z: 14, X: 1, Y: 2, Variant: "areas=3202"}, r.render); out != Miss {
		t.Fatalf("another variant: %v, want a miss", out)
	}
	if r.n.Load() != 2 {
		t.Errorf("%d renderings, want 2", r.n.Load())
	}
	s := c.Stats()
	if s.Hits != 1 || s.Misses != 2 || s.Entries != 2 {
		t.Errorf("stats %+v", s)
	}
}

func TestBoundedByBytesEvictingLeastRecentlyUsed(t *testing.T) {
	const size = 1000 // bytes.Repeat allocates exactly
	per := int64(size+len(`"x"`)+len("issues")) + entryOverhead
	c := armed(3 * per)
	a, b, d, e := key("issues", 14, 0, 0), key("issues", 14, 1, 0), key("issues", 14, 2, 0), key("issues", 14, 3, 0)
	for _, k := range []Key{a, b, d} {
		get(t, c, k, body(size))
	}
	if s := c.Stats(); s.Bytes != 3*per || s.Entries != 3 {
		t.Fatalf("three tiles: %+v, want %d bytes", s, 3*per)
	}
	get(t, c, a, body(size)) // a is now the most recently used, b the least
	get(t, c, e, body(size))
	s := c.Stats()
	if s.Entries != 3 || s.Evictions != 1 || s.Bytes > 3*per {
		t.Fatalf("after a fourth tile: %+v", s)
	}
	// hits first: the miss of b evicts again
	for i, k := range []Key{a, d, e, b} {
		want := Hit
		if k == b {
			want = Miss
		}
		if out := get(t, c, k, body(size)); out != want {
			t.Errorf("%d %v: %v, want %v", i, k, out, want)
		}
	}
}

func TestTooLargeForTheBudgetIsNotStored(t *testing.T) {
	c := armed(500)
	k := key("areas", 10, 0, 0)
	get(t, c, k, body(1000))
	if out := get(t, c, k, body(1000)); out != Miss {
		t.Errorf("a tile over the budget was cached (%v)", out)
	}
}

func TestDisabledAndUnarmed(t *testing.T) {
	var r counting
	off := New(0)
	k := key("points", 12, 0, 0)
	for range 2 {
		if out := get(t, off, k, r.render); out != Bypassed {
			t.Errorf("disabled cache: %v", out)
		}
	}
	// before the first Reset nothing is stored: no change could reach it yet
	unarmed := New(1 << 20)
	get(t, unarmed, k, r.render)
	if out := get(t, unarmed, k, r.render); out != Miss {
		t.Errorf("unarmed cache: %v, want a miss", out)
	}
	unarmed.Reset(0)
	get(t, unarmed, k, r.render)
	if out := get(t, unarmed, k, r.render); out != Hit {
		t.Errorf("armed cache: %v, want a hit", out)
	}
}

func TestSingleflight(t *testing.T) {
	c := armed(1 << 20)
	release := make(chan struct{})
	var renders atomic.Int64
	slow := func(context.Context) (Tile, error) {
		renders.Add(1)
		<-release
		return Tile{Body: []byte("mvt"), ETag: `"e"`}, nil
	}
	k := key("issues", 13, 5, 5)
	const n = 20
	var wg sync.WaitGroup
	outcomes := make(chan Outcome, n)
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tl, out, err := c.Get(context.Background(), k, slow)
			if err != nil || string(tl.Body) != "mvt" {
				t.Errorf("get: %v %q", err, tl.Body)
			}
			outcomes <- out
		}()
	}
	waitUntil(t, func() bool { s := c.Stats(); return s.Misses+s.Shared == n })
	close(release)
	wg.Wait()
	close(outcomes)
	count := map[Outcome]int{}
	for o := range outcomes {
		count[o]++
	}
	if renders.Load() != 1 || count[Miss] != 1 || count[Shared] != n-1 {
		t.Errorf("%d renderings, outcomes %v", renders.Load(), count)
	}
}

func TestSingleflightSurvivesTheFirstAskerLeaving(t *testing.T) {
	c := armed(1 << 20)
	release := make(chan struct{})
	started := make(chan struct{})
	slow := func(ctx context.Context) (Tile, error) {
		close(started)
		<-release
		return Tile{Body: []byte("mvt")}, ctx.Err()
	}
	k := key("issues", 13, 5, 5)
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() { _, _, err := c.Get(ctx, k, slow); first <- err }()
	<-started
	second := make(chan error, 1)
	go func() { _, _, err := c.Get(context.Background(), k, slow); second <- err }()
	waitUntil(t, func() bool { return c.Stats().Shared == 1 })
	cancel()
	close(release)
	if err := <-second; err != nil {
		t.Errorf("the waiting request failed with the first one's cancellation: %v", err)
	}
	<-first
}

func TestRenderErrorsAreNotCached(t *testing.T) {
	c := armed(1 << 20)
	k := key("points", 12, 0, 0)
	boom := errors.New("database gone")
	if _, _, err := c.Get(context.Background(), k, func(context.Context) (Tile, error) { return Tile{}, boom }); !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}
	var r counting
	if out := get(t, c, k, r.render); out != Miss {
		t.Errorf("after an error: %v, want a miss", out)
	}
}

func TestExpiry(t *testing.T) {
	c := armed(1 << 20)
	now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	k := key("parking", 15, 1, 1)
	expiring := func(context.Context) (Tile, error) {
		return Tile{Body: []byte("mvt"), Expires: now.Add(time.Minute)}, nil
	}
	get(t, c, k, expiring)
	now = now.Add(59 * time.Second)
	if out := get(t, c, k, expiring); out != Hit {
		t.Errorf("before expiry: %v", out)
	}
	now = now.Add(time.Second)
	if out := get(t, c, k, expiring); out != Miss {
		t.Errorf("at expiry: %v, want a miss", out)
	}
	if c.Stats().Expired != 1 {
		t.Errorf("stats %+v", c.Stats())
	}
	// a rendering that is already past its expiry is served but not kept
	past := func(context.Context) (Tile, error) { return Tile{Body: []byte("mvt"), Expires: now}, nil }
	k2 := key("parking", 15, 2, 2)
	get(t, c, k2, past)
	if out := get(t, c, k2, past); out != Miss {
		t.Errorf("an expired rendering was cached: %v", out)
	}
}

// TestInvalidateByCovering fills the cache with the tiles around the demo city
// at several zooms and checks that a change drops exactly the tiles its
// buffered covering names, in every variant, and nothing of other layers.
func TestInvalidateByCovering(t *testing.T) {
	c := armed(1 << 30)
	var r counting
	for z := maptile.Zoom(10); z <= 18; z++ {
		center := yixingTile(z)
		for dx := -2; dx <= 2; dx++ {
			for dy := -2; dy <= 2; dy++ {
				k := key("issues", z, uint32(int(center.X)+dx), uint32(int(center.Y)+dy))
				get(t, c, k, r.render)
				get(t, c, Key{Layer: k.Layer, Z: z, X: k.X, Y: k.Y, Variant: "areas=320282"}, r.render)
				k.Layer = "points"
				get(t, c, k, r.render)
			}
		}
	}
	before := c.Stats().Entries
	b := yixing.Bound()
	dropped := c.Invalidate(1, "issues", b, buffer)
	want := map[Key]bool{}
	for z := maptile.Zoom(10); z <= 18; z++ {
		for _, tl := range tile.Covering(b, z, buffer) {
			want[key("issues", z, tl.X, tl.Y)] = true
		}
	}
	if dropped != 2*len(want) || c.Stats().Entries != before-dropped {
		t.Errorf("dropped %d tiles, want %d (both variants of %d tiles)", dropped, 2*len(want), len(want))
	}
	for z := maptile.Zoom(10); z <= 18; z++ {
		center := yixingTile(z)
		for dx := -2; dx <= 2; dx++ {
			for dy := -2; dy <= 2; dy++ {
				k := key("issues", z, uint32(int(center.X)+dx), uint32(int(center.Y)+dy))
				_, cached := c.entries[k]
				if cached == want[k] {
					t.Errorf("%v: cached %v after the change", k, cached)
				}
				k.Layer = "points"
				if _, ok := c.entries[k]; !ok {
					t.Errorf("%v of another layer was dropped", k)
				}
			}
		}
	}
}

// TestInvalidateLargeChangeScansTheCache checks the other strategy: a change
// whose covering is far larger than what a zoom holds (a district boundary at
// z18: tens of thousands of tiles) tests the few cached tiles instead.
func TestInvalidateLargeChangeScansTheCache(t *testing.T) {
	c := armed(1 << 20)
	var r counting
	district := orb.Bound{Min: orb.Point{119.55, 31.15}, Max: orb.Point{119.96, 31.56}}
	inside, outside := yixingTile(18), key("areas", 18, 1, 1)
	inside.Layer = "areas"
	get(t, c, inside, r.render)
	get(t, c, outside, r.render)
	if n := tile.CoveringCount(district, 18, 18, buffer); n < 10000 {
		t.Fatalf("the covering has only %d tiles", n)
	}
	start := time.Now()
	if dropped := c.Invalidate(1, "areas", district, buffer); dropped != 1 {
		t.Errorf("dropped %d tiles, want 1", dropped)
	}
	if time.Since(start) > 50*time.Millisecond {
		t.Errorf("invalidation took %v: it enumerated the covering", time.Since(start))
	}
	if _, ok := c.entries[outside]; !ok {
		t.Error("a tile far away was dropped")
	}
}

// TestInvalidationOvertakesRendering is the race between a rendering that read
// the database before a change committed and the change's invalidation: the
// rendering's result goes to the requests already waiting for it but is not
// stored, and a request after the invalidation renders afresh.
func TestInvalidationOvertakesRendering(t *testing.T) {
	c := armed(1 << 20)
	k := yixingTile(15)
	release := make(chan struct{})
	started := make(chan struct{})
	old := func(context.Context) (Tile, error) {
		close(started)
		<-release
		return Tile{Body: []byte("before the change")}, nil
	}
	done := make(chan Tile)
	go func() {
		tl, _, _ := c.Get(context.Background(), k, old)
		done <- tl
	}()
	<-started
	if n := c.Invalidate(1, "issues", yixing.Bound(), buffer); n != 0 {
		t.Errorf("dropped %d cached tiles, none were cached", n)
	}
	// a request after the change must not join the rendering that predates it
	fresh := func(context.Context) (Tile, error) { return Tile{Body: []byte("after the change"), Seq: 1}, nil }
	tl, out, err := c.Get(context.Background(), k, fresh)
	if err != nil || out != Miss || string(tl.Body) != "after the change" {
		t.Errorf("request after the change: %v %q %v", out, tl.Body, err)
	}
	close(release)
	if tl := <-done; string(tl.Body) != "before the change" {
		t.Errorf("the first request got %q", tl.Body)
	}
	tl, out, _ = c.Get(context.Background(), k, old)
	if out != Hit || string(tl.Body) != "after the change" {
		t.Errorf("cached: %v %q, want the rendering after the change", out, tl.Body)
	}
}

func TestResetSpoilsRenderingsInProgress(t *testing.T) {
	c := armed(1 << 20)
	var r counting
	get(t, c, key("points", 12, 0, 0), r.render)
	release := make(chan struct{})
	started := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _, _ = c.Get(context.Background(), key("points", 12, 1, 1), func(context.Context) (Tile, error) {
			close(started)
			<-release
			return Tile{Body: []byte("old")}, nil
		})
	}()
	<-started
	c.Reset(0)
	close(release)
	<-done
	if s := c.Stats(); s.Entries != 0 {
		t.Errorf("after a reset: %+v", s)
	}
}

func TestInvalidateLayer(t *testing.T) {
	c := armed(1 << 20)
	var r counting
	for i := range uint32(5) {
		get(t, c, key("parking", 14, i, i), r.render)
		get(t, c, key("points", 14, i, i), r.render)
	}
	if n := c.InvalidateLayer(1, "parking"); n != 5 {
		t.Errorf("dropped %d", n)
	}
	if s := c.Stats(); s.Entries != 5 {
		t.Errorf("stats %+v", s)
	}
}

func TestEncode(t *testing.T) {
	mvt := bytes.Repeat([]byte("layer"), 1000)
	a, err := Encode(mvt, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Encode(append([]byte(nil), mvt...), time.Time{})
	c, _ := Encode(mvt[1:], time.Time{})
	if a.ETag != b.ETag || a.ETag == c.ETag || a.Size != len(mvt) || !a.Gzipped || len(a.Body) >= len(mvt) {
		t.Errorf("etags %s %s %s, gzipped %v", a.ETag, b.ETag, c.ETag, a.Gzipped)
	}
	back, err := a.MVT()
	if err != nil || !bytes.Equal(back, mvt) {
		t.Errorf("round trip: %v", err)
	}
	small, _ := Encode(mvt[:MinGzip-1], time.Time{})
	if small.Gzipped || !bytes.Equal(small.Body, mvt[:MinGzip-1]) {
		t.Errorf("a tile under %d bytes was compressed", MinGzip)
	}
	empty, _ := Encode(nil, time.Time{})
	if !empty.Empty() || empty.ETag == "" {
		t.Errorf("empty tile %+v", empty)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}

func BenchmarkHit(b *testing.B) {
	c := armed(1 << 30)
	var r counting
	keys := make([]Key, 1000)
	for i := range keys {
		keys[i] = key("issues", 16, uint32(i), 7)
		_, _, _ = c.Get(context.Background(), keys[i], r.render)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			_, _, _ = c.Get(context.Background(), keys[i%len(keys)], r.render)
			i++
		}
	})
}

func BenchmarkInvalidate(b *testing.B) {
	c := armed(1 << 30)
	var r counting
	for z := maptile.Zoom(12); z <= 16; z++ {
		center := yixingTile(z)
		for dx := range uint32(30) {
			for dy := range uint32(30) {
				_, _, _ = c.Get(context.Background(), key("issues", z, center.X+dx, center.Y+dy), r.render)
			}
		}
	}
	b.ResetTimer()
	for i := range b.N {
		p := orb.Point{119.8 + float64(i%100)*0.001, 31.3}
		c.Invalidate(1, "issues", p.Bound(), buffer)
	}
}
