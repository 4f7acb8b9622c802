package replica

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParseLSN(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want LSN
		ok   bool
	}{
		{"0/0", 0, true},
		{"16/B374D848", 0x16_B374D848, true},
		{"ffffffff/FFFFFFFF", Unknown, true},
		{"", 0, false},
		{"16", 0, false},
		{"/1", 0, false},
		{"1/", 0, false},
		{"1/2/3", 0, false},
		{"g/1", 0, false},
		{"100000000/0", 0, false},
		{"-1/0", 0, false},
	} {
		got, err := ParseLSN(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseLSN(%q) = %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
		if tc.ok && !strings.EqualFold(got.String(), tc.in) {
			t.Errorf("%q comes back as %q", tc.in, got.String())
		}
	}
}

// TestPick is the routing decision: a usable replica that has replayed what
// the reader needs, round robin among such; else the primary, saying why.
func TestPick(t *testing.T) {
	b := Bound{MaxLag: 5 * time.Second, MaxBytes: 1 << 20}
	up := func(replayed LSN) Status { return Status{Up: true, Replayed: replayed} }
	lagging := Status{Up: true, Replayed: 900, Lag: 6 * time.Second}
	far := Status{Up: true, Replayed: 900, LagBytes: 2 << 20}
	down := Status{Error: "connection refused"}
	cases := []struct {
		name     string
		replicas []Status
		need     LSN
		turn     uint64
		want     int
		reason   Reason
	}{
		{"no replicas", nil, 0, 0, -1, NoReplica},
		{"one up, nothing needed", []Status{up(100)}, 0, 7, 0, OnReplica},
		{"replayed exactly what is needed", []Status{up(100)}, 100, 0, 0, OnReplica},
		{"behind the reader's write", []Status{up(99)}, 100, 0, -1, Behind},
		{"down", []Status{down}, 0, 0, -1, NoReplica},
		{"lagging in time", []Status{lagging}, 0, 0, -1, NoReplica},
		{"lagging in bytes", []Status{far}, 0, 0, -1, NoReplica},
		{"down and behind", []Status{down, up(50)}, 100, 0, -1, Behind},
		{"skips the one behind", []Status{up(50), up(200)}, 100, 0, 1, OnReplica},
		{"skips the one down", []Status{down, up(200)}, 100, 0, 1, OnReplica},
		{"round robin, turn 0", []Status{up(200), up(200)}, 100, 0, 0, OnReplica},
		{"round robin, turn 1", []Status{up(200), up(200)}, 100, 1, 1, OnReplica},
		{"round robin wraps", []Status{up(200), up(200), up(200)}, 0, 5, 2, OnReplica},
	}
	for _, tc := range cases {
		got, reason := Pick(tc.replicas, b, tc.need, tc.turn)
		if got != tc.want || reason != tc.reason {
			t.Errorf("%s: Pick = %d (%s), want %d (%s)", tc.name, got, reason, tc.want, tc.reason)
		}
	}
	if got, _ := Pick([]Status{lagging}, Bound{}, 0, 0); got != 0 {
		t.Error("a zero bound refused a lagging replica")
	}
}

func TestHistoryLag(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	h := NewHistory(3)
	if got := h.Lag(0, t0); got != 0 {
		t.Errorf("no samples: %v", got)
	}
	h.Add(t0, 1000)
	h.Add(t0.Add(time.Second), 2000)
	h.Add(t0.Add(2*time.Second), 3000)
	now := t0.Add(2 * time.Second)
	for _, tc := range []struct {
		replayed LSN
		want     time.Duration
	}{
		{3000, 0},
		{4000, 0},
		{2500, 500 * time.Millisecond}, // the primary passed 2500 half way between the last two checks
		{2000, time.Second},
		{1000, 2 * time.Second},
		{500, 2 * time.Second}, // behind every sample: at least as old as the oldest
	} {
		if got := h.Lag(tc.replayed, now); got != tc.want {
			t.Errorf("Lag(%d) = %v, want %v", tc.replayed, got, tc.want)
		}
	}
	h.Add(t0.Add(3*time.Second), 4000) // the oldest sample goes
	if got := h.Lag(1000, t0.Add(3*time.Second)); got != 2*time.Second {
		t.Errorf("after the oldest went: %v", got)
	}
}

func TestReadChoosesOnce(t *testing.T) {
	ctx := WithRead(context.Background(), 42)
	r := From(ctx)
	calls := 0
	pick := func(need LSN) (int, Reason) {
		calls++
		if need != 42 {
			t.Errorf("need %v", need)
		}
		return 1, OnReplica
	}
	for range 3 {
		if i, _ := r.Server(pick); i != 1 {
			t.Errorf("server %d", i)
		}
	}
	if calls != 1 {
		t.Errorf("chose %d times", calls)
	}
	if From(OnPrimary(ctx)) != nil || From(context.Background()) != nil {
		t.Error("a primary context may read a replica")
	}
}

// TestHandler: reads get the permission with the position they present,
// writes' answers carry the position, bad positions are a 400.
func TestHandler(t *testing.T) {
	var seen *Read
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = From(r.Context())
		if r.Method == http.MethodPost {
			w.WriteHeader(http.StatusCreated)
		}
	})
	positions := func(context.Context) (LSN, error) { return 0x1_00000010, nil }
	h := Handler(next, positions)
	serve := func(r *http.Request) *httptest.ResponseRecorder {
		seen = nil
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}

	w := serve(httptest.NewRequest(http.MethodPost, "/api/v1/issues", nil))
	if w.Code != http.StatusCreated || w.Header().Get(Header) != "1/10" {
		t.Fatalf("write: %d %q", w.Code, w.Header().Get(Header))
	}
	cookie := w.Result().Cookies()
	if len(cookie) != 1 || cookie[0].Name != Cookie || cookie[0].Value != "1/10" || !cookie[0].HttpOnly {
		t.Fatalf("write's cookie: %v", cookie)
	}
	if seen != nil {
		t.Error("a write may read a replica")
	}

	r := httptest.NewRequest(http.MethodGet, "/api/v1/issues", nil)
	r.AddCookie(cookie[0])
	if serve(r); seen == nil || seen.Need != 0x1_00000010 {
		t.Errorf("read with the cookie: %+v", seen)
	}
	r = httptest.NewRequest(http.MethodGet, "/tiles/issues/1/0/0.mvt", nil)
	r.Header.Set(Header, "2/0")
	r.AddCookie(cookie[0])
	if serve(r); seen == nil || seen.Need != 0x2_00000000 {
		t.Errorf("the header goes before the cookie: %+v", seen)
	}
	if serve(httptest.NewRequest(http.MethodHead, "/", nil)); seen == nil || seen.Need != 0 {
		t.Errorf("read without a position: %+v", seen)
	}
	r = httptest.NewRequest(http.MethodGet, "/", nil)
	r.Header.Set(Header, "yesterday")
	if w := serve(r); w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), `"invalid_position"`) {
		t.Errorf("bad position: %d %s", w.Code, w.Body)
	}

	failing := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }),
		func(context.Context) (LSN, error) { return 0, errors.New("primary gone") })
	w = httptest.NewRecorder()
	failing.ServeHTTP(w, httptest.NewRequest(http.MethodPut, "/x", nil))
	if w.Header().Get(Header) != Unknown.String() {
		t.Errorf("an unknown position: %q", w.Header().Get(Header))
	}
	refused := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusConflict) }), positions)
	w = httptest.NewRecorder()
	refused.ServeHTTP(w, httptest.NewRequest(http.MethodPatch, "/x", nil))
	if w.Header().Get(Header) != "" {
		t.Error("a refused write carries a position")
	}
}
