package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"citymap/server/access"
	"citymap/server/live"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	in := startInstance(t, st, testConfig())
	viewer := token(t, st, access.Viewer)
	reporter := token(t, st, access.Reporter)

	tests := []struct {
		name   string
		header http.Header
		query  string
		status int
	}{
		{"no token", nil, "", http.StatusUnauthorized},
		{"unknown token", http.Header{"Authorization": {"Bearer cm_nope"}}, "", http.StatusUnauthorized},
		{"reporter", http.Header{"Authorization": {"Bearer " + reporter}}, "", http.StatusForbidden},
		{"foreign origin", http.Header{"Authorization": {"Bearer " + viewer},
			"Origin": {"https://elsewhere.example"}}, "", http.StatusForbidden},
		{"viewer", http.Header{"Authorization": {"Bearer " + viewer}}, "", http.StatusSwitchingProtocols},
		{"access_token", nil, "?access_token=" + viewer, http.StatusSwitchingProtocols},
		{"same origin", http.Header{"Authorization": {"Bearer " + viewer},
			"Origin": {in.ts.URL}}, "", http.StatusSwitchingProtocols},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conn, res, err := websocket.DefaultDialer.Dial(in.wsURL()+tc.query, tc.header)
			if conn != nil {
				conn.Close()
			}
			if res == nil {
				t.Fatalf("no answer: %v", err)
			}
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.status)
			}
		})
	}
	// a plain GET is told to speak websocket
	req, _ := http.NewRequest("GET", in.ts.URL+"/live", nil)
	req.Header.Set("Authorization", "Bearer "+viewer)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUpgradeRequired {
		t.Errorf("plain GET: status %d, want 426", res.StatusCode)
	}
}

func TestProtocolErrors(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	in := startInstance(t, st, testConfig())
	c := dial(t, in.wsURL(), token(t, st, access.Viewer))
	tests := []struct {
		msg  string
		code string
	}{
		{`{"type":"subscribe","layer":["issues"]}`, "unknown_field"},
		{`{"type":"unsubscribe"}`, "unknown_type"},
		{`{"type":"subscribe","layers":["roads"]}`, "invalid_layer"},
		{`{"type":"subscribe","bbox":[120,31,119,32]}`, "invalid_bbox"},
		{`{"type":"subscribe","bbox":[119,31,120]}`, "invalid_bbox"},
		{`{"type":"subscribe","areas":["12ab"]}`, "invalid_areas"},
		{`{"type":"subscribe","since":-1}`, "invalid_since"},
		{`{"type":"subscribe","since":"7"}`, "invalid_type"},
		{`{"type":"subscribe"`, "invalid_json"},
		{`[]`, "invalid_type"},
	}
	for _, tc := range tests {
		c.send(tc.msg)
		f := c.expect("error")
		if f.Error.Code != tc.code || f.Error.Message == "" {
			t.Errorf("%s: error %+v, want code %s with a message", tc.msg, f.Error, tc.code)
		}
	}
	if err := c.conn.WriteMessage(websocket.BinaryMessage, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if f := c.expect("error"); f.Error.Code != "invalid_message" {
		t.Errorf("binary frame: error %+v", f.Error)
	}
	// the connection still works
	id := newIssue(t, st, 119.8, 31.3, "manhole_cover", gridA)
	c.subscribe(map[string]any{})
	seq := mustTouch(t, st, id)
	if got := c.changesThrough(seq); len(got) != 1 || got[0].ID != strconv.FormatInt(id, 10) {
		t.Fatalf("after errors: changes %+v", got)
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	in := startInstance(t, st, testConfig())
	viewer := token(t, st, access.Viewer)
	a1 := newIssue(t, st, 119.80, 31.30, "manhole_cover", gridA)
	a2 := newIssue(t, st, 119.81, 31.31, "street_vending", gridA)
	b1 := newIssue(t, st, 119.90, 31.40, "manhole_cover", gridB)
	area := newArea(t, st)

	tests := []struct {
		name string
		tok  string
		sub  map[string]any
		want []int64 // issue ids, or -1 for the area
	}{
		{"everything", viewer, map[string]any{}, []int64{a1, a2, b1, -1}},
		{"issues", viewer, map[string]any{"layers": []string{"issues"}}, []int64{a1, a2, b1}},
		{"areas layer", viewer, map[string]any{"layers": []string{"areas"}}, []int64{-1}},
		{"bbox", viewer, map[string]any{"layers": []string{"issues"}, "bbox": []float64{119.79, 31.29, 119.805, 31.305}}, []int64{a1}},
		{"bbox around b", viewer, map[string]any{"bbox": []float64{119.85, 31.35, 119.95, 31.45}}, []int64{b1}},
		{"street", viewer, map[string]any{"areas": []string{gridA[:9]}}, []int64{a1, a2, -1}},
		{"grid", viewer, map[string]any{"areas": []string{gridB}}, []int64{b1}},
		{"category", viewer, map[string]any{"layers": []string{"issues"}, "categories": []string{"manhole_cover"}}, []int64{a1, b1}},
		{"category and bbox", viewer, map[string]any{"categories": []string{"manhole_cover"},
			"bbox": []float64{119.7, 31.2, 119.85, 31.35}}, []int64{a1, -1}},
		{"grid manager of B", token(t, st, access.GridManager, gridB[:12]), map[string]any{}, []int64{b1}},
		{"grid manager asking beyond its scope", token(t, st, access.GridManager, gridB[:12]),
			map[string]any{"areas": []string{gridA[:9]}}, nil},
	}
	clients := make([]*wsClient, len(tests))
	for i, tc := range tests {
		clients[i] = dial(t, in.wsURL(), tc.tok)
		clients[i].subscribe(tc.sub)
	}
	mustTouch(t, st, a1, a2)
	mustTouch(t, st, b1)
	touchArea(t, st, area)
	last := mustTouch(t, st, a1) // again: a1 twice, in order

	for i, tc := range tests {
		got := clients[i].changesThrough(last)
		var want []string
		for _, id := range tc.want {
			if id == -1 {
				want = append(want, "999999001")
			} else {
				want = append(want, strconv.FormatInt(id, 10))
			}
		}
		if slices.Contains(tc.want, a1) {
			want = append(want, strconv.FormatInt(a1, 10))
		}
		if !slices.Equal(ids(got), want) {
			t.Errorf("%s: got %v, want %v", tc.name, ids(got), want)
		}
	}
}

func TestChangeFrame(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	in := startInstance(t, st, testConfig())
	c := dial(t, in.wsURL(), token(t, st, access.Viewer))
	c.subscribe(map[string]any{})
	id := newIssue(t, st, 119.8, 31.3, "manhole_cover", gridA)
	seq := mustTouch(t, st, id)
	got := c.changesThrough(seq)
	if len(got) != 1 {
		t.Fatalf("got %d changes", len(got))
	}
	f := got[0]
	if f.Seq != seq || f.Layer != "issues" || f.Op != "upsert" || f.ID != strconv.FormatInt(id, 10) {
		t.Errorf("frame %+v", f)
	}
	var feature struct {
		Type       string
		ID         int64
		Geometry   struct{ Coordinates []float64 }
		Properties map[string]any
	}
	if err := json.Unmarshal(f.Feature, &feature); err != nil {
		t.Fatal(err)
	}
	if feature.Type != "Feature" || feature.ID != id || feature.Properties["grid"] != gridA ||
		feature.Properties["category"] != "manhole_cover" || feature.Properties["version"] != 2.0 ||
		!slices.Equal(feature.Geometry.Coordinates, []float64{119.8, 31.3}) {
		t.Errorf("feature %s", f.Feature)
	}
}

func TestHeartbeatWhenNothingMatches(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	in := startInstance(t, st, testConfig())
	c := dial(t, in.wsURL(), token(t, st, access.Viewer))
	c.subscribe(map[string]any{"layers": []string{"parking"}})
	id := newIssue(t, st, 119.8, 31.3, "manhole_cover", gridA)
	seq := mustTouch(t, st, id)
	for {
		f := c.expect("heartbeat")
		if f.Seq >= seq {
			break
		}
	}
}

func TestResubscribe(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	in := startInstance(t, st, testConfig())
	c := dial(t, in.wsURL(), token(t, st, access.Viewer))
	a := newIssue(t, st, 119.80, 31.30, "manhole_cover", gridA)
	b := newIssue(t, st, 119.90, 31.40, "manhole_cover", gridB)
	c.subscribe(map[string]any{"areas": []string{gridA}})
	s1 := mustTouch(t, st, a, b)
	if got := c.changesThrough(s1); !slices.Equal(ids(got), []string{strconv.FormatInt(a, 10)}) {
		t.Fatalf("first filter: %v", ids(got))
	}
	// a new filter replaces the old one
	c.subscribe(map[string]any{"areas": []string{gridB}})
	s2 := mustTouch(t, st, a, b)
	if got := c.changesThrough(s2); !slices.Equal(ids(got), []string{strconv.FormatInt(b, 10)}) {
		t.Fatalf("second filter: %v", ids(got))
	}
	// and one with since replays under the new filter
	c.subscribe(map[string]any{"since": s1 - 2})
	got := c.changesThrough(s2)
	checkRun(t, got, s1-1, s2)
}

// TestOrderWithoutGaps: concurrent writers, one subscriber of everything, which
// must see every sequence number once and in order.
func TestOrderWithoutGaps(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	in := startInstance(t, st, testConfig())
	c := dial(t, in.wsURL(), token(t, st, access.Viewer))
	start := c.subscribe(map[string]any{})
	var issues []int64
	for i := range 20 {
		issues = append(issues, newIssue(t, st, 119.8+float64(i)/100, 31.3, "manhole_cover", gridA))
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// each writer its own issues: writers sharing rows could deadlock
			mine := issues[5*w : 5*w+5]
			for i := range 40 {
				if _, err := touch(context.Background(), st, mine[:1+(w+i)%5]...); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	end := head(t, st)
	checkRun(t, c.changesThrough(end), start+1, end)
}

// TestResume: a client away while changes are written comes back with since and
// receives exactly what it missed, from the ring and, when the ring is too small,
// from the database.
func TestResume(t *testing.T) {
	t.Parallel()
	for _, ring := range []int{0, 3} {
		t.Run("ring="+strconv.Itoa(ring), func(t *testing.T) {
			t.Parallel()
			st := newStore(t)
			cfg := testConfig()
			cfg.RingSize = ring
			in := startInstance(t, st, cfg)
			tok := token(t, st, access.Viewer)
			a := newIssue(t, st, 119.80, 31.30, "manhole_cover", gridA)
			b := newIssue(t, st, 119.90, 31.40, "manhole_cover", gridB)

			c := dial(t, in.wsURL(), tok)
			c.subscribe(map[string]any{"areas": []string{gridA}})
			seen := mustTouch(t, st, a)
			if got := c.changesThrough(seen); len(got) != 1 {
				t.Fatalf("before leaving: %v", ids(got))
			}
			c.conn.Close()

			var want []int64
			for range 5 {
				want = append(want, mustTouch(t, st, a))
				mustTouch(t, st, b) // not for this client
			}
			c = dial(t, in.wsURL(), tok)
			c.subscribe(map[string]any{"areas": []string{gridA}, "since": seen})
			// then live again, without a seam
			want = append(want, mustTouch(t, st, a, b)-1)
			got := c.changesThrough(want[len(want)-1])
			if !slices.Equal(seqs(got), want) {
				t.Fatalf("replayed %v, want %v", seqs(got), want)
			}
			src := "memory"
			if ring == 3 {
				src = "database"
			}
			if n := in.metric(t, `citymap_live_replayed_total{source="`+src+`"}`); n == 0 {
				t.Errorf("nothing replayed from %s", src)
			}
		})
	}
}

// TestReset: since older than what is kept, or beyond the head, gets a reset,
// then the live stream from the head.
func TestReset(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	cfg := testConfig()
	cfg.RingSize = 2
	in := startInstance(t, st, cfg)
	tok := token(t, st, access.Viewer)
	a := newIssue(t, st, 119.80, 31.30, "manhole_cover", gridA)
	first := mustTouch(t, st, a)
	for range 5 {
		mustTouch(t, st, a)
	}
	// everything committed so far is months old, and goes
	ageChanges(t, st, head(t, st)+1)
	if n, err := st.PruneChanges(context.Background(), time.Now().Add(-24*time.Hour)); err != nil || n < 6 {
		t.Fatalf("pruned %d: %v", n, err)
	}
	h := head(t, st)
	waitFor(t, "the hub to reach the head", func() bool { return in.metric(t, "citymap_live_published_seq") >= float64(h) })

	for _, since := range []int64{first - 1, h + 100} {
		// the reset names the hub's head: on a loaded machine it may trail the feed
		h := head(t, st)
		waitFor(t, "the hub to reach the head", func() bool { return in.metric(t, "citymap_live_published_seq") >= float64(h) })
		c := dial(t, in.wsURL(), tok)
		c.subscribe(map[string]any{"since": since})
		if f := c.expect("reset"); f.Seq != h {
			t.Fatalf("since %d: reset at %d, want the head %d", since, f.Seq, h)
		}
		next := mustTouch(t, st, a)
		checkRun(t, c.changesThrough(next), next, next)
	}
	// since at the head is no reset, even with nothing kept
	c := dial(t, in.wsURL(), tok)
	h = head(t, st)
	c.subscribe(map[string]any{"since": h})
	next := mustTouch(t, st, a)
	checkRun(t, c.changesThrough(next), next, next)
}

// TestSlowClient: a client that stops reading falls out of the ring and is closed
// with its last delivered sequence number, while a fast one receives everything;
// resuming from that number loses nothing.
func TestSlowClient(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	cfg := testConfig()
	cfg.QueueSize, cfg.RingSize = 16, 64
	cfg.Heartbeat = time.Hour // nothing but changes in the slow client's stream
	in := startInstance(t, st, cfg)
	tok := token(t, st, access.Viewer)
	// big features fill the socket buffers quickly
	id := newIssue(t, st, 119.80, 31.30, "manhole_cover", gridA)
	if _, err := st.Pool.Exec(context.Background(), `UPDATE issues SET description = repeat('x', 32000) WHERE id = $1`, id); err != nil {
		t.Fatal(err)
	}
	fast := dial(t, in.wsURL(), tok)
	start := fast.subscribe(map[string]any{})
	// the slow client subscribes, then reads nothing until it is far behind
	slow := dialQuiet(t, in.wsURL(), tok, nil)
	slow.send(map[string]any{"type": "subscribe"})
	waitFor(t, "the slow client's subscription", func() bool {
		return in.metric(t, "citymap_live_subscriptions") == 2
	})
	for i := 0; in.metric(t, "citymap_live_overflows_total") == 0; i++ {
		if i > 2000 {
			t.Fatal("the slow client's queue never overflowed")
		}
		mustTouch(t, st, id)
	}
	// Past what the ring holds, until the instance closes the slow client: how
	// many changes that takes depends on the socket buffers and on when the
	// session runs (after the overflow it may catch up from the ring and
	// rejoin), not on a count known here.
	var last int64
	for i := 0; i < cfg.RingSize+10 || in.metric(t, "citymap_live_slow_closed_total") == 0; i++ {
		if i > 5000 {
			t.Fatal("the slow client was never closed")
		}
		last = mustTouch(t, st, id)
	}
	checkRun(t, fast.changesThrough(last), start+1, last)

	slow.start()
	slow.expect("subscribed")
	var got []frame
	for done := false; !done; {
		select {
		case f, ok := <-slow.frames:
			if !ok {
				done = true
				break
			}
			got = append(got, f)
		case <-time.After(time.Minute):
			t.Fatalf("the slow client's connection is still open after %d frames", len(got))
		}
	}
	var ce *websocket.CloseError
	if !errors.As(slow.closeErr, &ce) || ce.Code != live.CloseSlow {
		t.Fatalf("slow client ended with %v, want close code %d", slow.closeErr, live.CloseSlow)
	}
	var reason struct {
		Type        string `json:"type"`
		ResumeSince int64  `json:"resume_since"`
	}
	if err := json.Unmarshal([]byte(ce.Text), &reason); err != nil || reason.Type != "slow" {
		t.Fatalf("close reason %q", ce.Text)
	}
	checkRun(t, got, start+1, reason.ResumeSince)
	if reason.ResumeSince >= last {
		t.Fatalf("the slow client was closed after everything (%d)", reason.ResumeSince)
	}
	if n := in.metric(t, "citymap_live_slow_closed_total"); n != 1 {
		t.Errorf("slow closes: %v, want 1", n)
	}
	again := dial(t, in.wsURL(), tok)
	again.subscribe(map[string]any{"since": reason.ResumeSince})
	checkRun(t, again.changesThrough(last), reason.ResumeSince+1, last)
}

// TestBurstCatchesUp: a burst far beyond a client's queue, such as a batch import
// in one transaction, overflows the queue; the client catches up from the ring
// and stays connected.
func TestBurstCatchesUp(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	cfg := testConfig()
	cfg.QueueSize = 8
	in := startInstance(t, st, cfg)
	c := dial(t, in.wsURL(), token(t, st, access.Viewer))
	start := c.subscribe(map[string]any{})
	burst := newIssues(t, st, 2000)
	var last int64
	for range 3 {
		last = mustTouch(t, st, burst...)
	}
	checkRun(t, c.changesThrough(last), start+1, last)
	if n := in.metric(t, "citymap_live_overflows_total"); n == 0 {
		t.Error("the queue never overflowed: the test proves nothing")
	}
	if n := in.metric(t, "citymap_live_slow_closed_total"); n != 0 {
		t.Errorf("%v clients closed as slow", n)
	}
	// and the client is live again
	next := mustTouch(t, st, burst[0])
	checkRun(t, c.changesThrough(next), next, next)
}

// TestTwoInstances: a change written through either instance's database
// connections reaches the subscribers of both.
func TestTwoInstances(t *testing.T) {
	t.Parallel()
	stA := newStore(t)
	stB := openAgain(t, stA)
	a := startInstance(t, stA, testConfig())
	b := startInstance(t, stB, testConfig())
	tok := token(t, stA, access.Viewer)
	ca, cb := dial(t, a.wsURL(), tok), dial(t, b.wsURL(), tok)
	start := ca.subscribe(map[string]any{})
	cb.subscribe(map[string]any{"since": start})
	id := newIssue(t, stA, 119.80, 31.30, "manhole_cover", gridA)
	mustTouch(t, stA, id)
	last := mustTouch(t, stB, id)
	checkRun(t, ca.changesThrough(last), start+1, last)
	checkRun(t, cb.changesThrough(last), start+1, last)
}

// TestServerRestart: an instance that stops tells its clients where to resume;
// they resume on another instance and miss nothing written in between.
func TestServerRestart(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	a := startInstance(t, st, testConfig())
	b := startInstance(t, openAgain(t, st), testConfig())
	tok := token(t, st, access.Viewer)
	id := newIssue(t, st, 119.80, 31.30, "manhole_cover", gridA)
	c := dial(t, a.wsURL(), tok)
	start := c.subscribe(map[string]any{})
	seen := mustTouch(t, st, id)
	checkRun(t, c.changesThrough(seen), start+1, seen)

	a.stop()
	code, text := c.closed()
	if code != websocket.CloseGoingAway || !strings.Contains(text, `"resume_since":`+strconv.FormatInt(seen, 10)) {
		t.Fatalf("closed with %d %q, want 1001 resuming from %d", code, text, seen)
	}
	for range 10 {
		mustTouch(t, st, id)
	}
	c = dial(t, b.wsURL(), tok)
	c.subscribe(map[string]any{"since": seen})
	last := mustTouch(t, st, id)
	checkRun(t, c.changesThrough(last), seen+1, last)
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	in := startInstance(t, st, testConfig())
	c := dial(t, in.wsURL(), token(t, st, access.Viewer))
	c.subscribe(map[string]any{})
	id := newIssue(t, st, 119.80, 31.30, "manhole_cover", gridA)
	seq := mustTouch(t, st, id)
	c.changesThrough(seq)
	if n := in.metric(t, "citymap_live_subscribers"); n != 1 {
		t.Errorf("subscribers %v", n)
	}
	waitFor(t, "the delivery count", func() bool { return in.metric(t, "citymap_live_delivered_total") >= 1 })
	for _, name := range []string{"citymap_live_changes_total", "citymap_live_feed_delay_seconds_count",
		`citymap_http_requests_total{route="GET /metrics",code="200"}`} {
		if in.metric(t, name) < 1 {
			t.Errorf("%s is 0", name)
		}
	}
	for _, name := range []string{"citymap_live_queue_depth", "citymap_live_feed_lag"} {
		in.metric(t, name) // present
	}
	// a websocket counts once it has ended: its handler has returned, a moment
	// after the subscriber left
	c.conn.Close()
	waitFor(t, "the websocket in the request count", func() bool {
		return in.metric(t, "citymap_live_subscribers") == 0 && in.has(t, `citymap_http_requests_total{route="GET /live",code="101"}`)
	})
	if n := in.metric(t, `citymap_http_requests_total{route="GET /live",code="101"}`); n != 1 {
		t.Errorf("GET /live counted %v times", n)
	}
}
