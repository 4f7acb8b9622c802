package webhooks_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"citymap/server/store"
)

// A partner's token subscribes for itself and receives only what its reads
// show: its own source's cases in its areas, never another source's or
// another area's, whatever its filters say.
func TestPartnerScope(t *testing.T) {
	e := newEnv(t, fast())
	e.Tokens["partner"] = e.TokenFor(store.Token{Name: "hotline", Role: "reporter", Source: "hotline_12345",
		Areas: []string{e.Community}})
	e.Tokens["other"] = e.TokenFor(store.Token{Name: "12319", Role: "reporter", Source: "hotline_12319"})
	e.Tokens["keyless"] = e.TokenFor(store.Token{Name: "lot", Role: "reporter"})
	in := []int64{e.report("hotline_12345", e.GridIn), e.report("hotline_12345", e.GridIn)}
	outArea := []int64{e.report("hotline_12345", e.GridOut)}
	otherSource := []int64{e.report("grid_patrol", e.GridIn)}
	rc, all := newReceiver(t), newReceiver(t)
	mine := e.subscribe("partner", rc, nil)
	theirs := e.subscribe("other", newReceiver(t), nil)
	e.subscribe("admin", all, nil)
	seqs := e.touch(in[0], outArea[0], otherSource[0], in[1])
	waitFor(t, "the admin's four deliveries", func() bool { return len(all.accepted()) >= 4 })
	waitFor(t, "the partner's deliveries", func() bool { return len(rc.accepted()) >= 2 })
	time.Sleep(100 * time.Millisecond) // anything more would come now
	if got := rc.accepted(); !slices.Equal(got, []int64{seqs[0], seqs[3]}) {
		t.Errorf("the partner received %v, want only %v and %v", got, seqs[0], seqs[3])
	}
	for _, r := range rc.requests() {
		if r.body["source"] != "hotline_12345" {
			t.Errorf("the partner received a case of %v", r.body["source"])
		}
	}
	// the same rule as its reads: it receives what it may read, no more, no less
	for i, id := range []int64{in[0], outArea[0], otherSource[0], in[1]} {
		read := e.Call("GET", fmt.Sprintf("/api/v1/issues/%d", id), "partner", nil).Status == http.StatusOK
		if got := slices.Contains(rc.accepted(), seqs[i]); got != read {
			t.Errorf("issue %d: delivered %v, readable %v", id, got, read)
		}
	}

	// its own subscriptions only: another's is not found, the list holds its own
	for _, c := range []struct {
		method, path, role string
		body               any
		status             int
	}{
		{"GET", fmt.Sprintf("/api/v1/webhooks/%d", theirs), "partner", nil, http.StatusNotFound},
		{"PATCH", fmt.Sprintf("/api/v1/webhooks/%d", theirs), "partner", map[string]any{"events": []string{"closed"}}, http.StatusNotFound},
		{"DELETE", fmt.Sprintf("/api/v1/webhooks/%d", theirs), "partner", nil, http.StatusNotFound},
		{"POST", fmt.Sprintf("/api/v1/webhooks/%d/replay", theirs), "partner", map[string]any{"from_seq": 1}, http.StatusNotFound},
		{"POST", fmt.Sprintf("/api/v1/webhooks/%d/resume", theirs), "partner", nil, http.StatusNotFound},
		{"GET", fmt.Sprintf("/api/v1/webhooks/%d/deliveries", theirs), "partner", nil, http.StatusNotFound},
		{"GET", fmt.Sprintf("/api/v1/webhooks/%d", mine), "partner", nil, http.StatusOK},
		{"GET", fmt.Sprintf("/api/v1/webhooks/%d", theirs), "admin", nil, http.StatusOK},
		{"GET", "/api/v1/webhooks", "keyless", nil, http.StatusForbidden},
		{"GET", "/api/v1/webhooks", "dispatcher", nil, http.StatusForbidden},
		{"GET", "/api/v1/webhooks", "grid_manager", nil, http.StatusForbidden},
		{"POST", "/api/v1/webhooks", "viewer", map[string]any{"url": rc.srv.URL, "secret": secret}, http.StatusForbidden},
		{"GET", "/api/v1/webhooks", "", nil, http.StatusUnauthorized},
		// a partner cannot widen what it receives
		{"POST", "/api/v1/webhooks", "partner", map[string]any{"url": rc.srv.URL, "secret": secret,
			"sources": []string{"hotline_12319"}}, http.StatusUnprocessableEntity},
		{"POST", "/api/v1/webhooks", "partner", map[string]any{"url": rc.srv.URL, "secret": secret,
			"layers": []string{"points"}}, http.StatusUnprocessableEntity},
		{"POST", "/api/v1/webhooks", "partner", map[string]any{"url": rc.srv.URL, "secret": secret,
			"areas": []string{e.GridOut}}, http.StatusUnprocessableEntity},
	} {
		e.Must(c.status, c.method, c.path, c.role, c.body)
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	e.Get("/api/v1/webhooks", "partner").Decode(t, &list)
	if len(list.Items) != 1 || list.Items[0]["id"] != float64(mine) || list.Items[0]["secret"] != nil {
		t.Errorf("the partner lists %v", list.Items)
	}
	e.Get("/api/v1/webhooks", "admin").Decode(t, &list)
	if len(list.Items) != 3 {
		t.Errorf("the admin lists %d subscriptions, want 3", len(list.Items))
	}
}

// A subscription's filters: events, areas and sources narrow what it hears.
func TestFilters(t *testing.T) {
	e := newEnv(t, fast())
	in, out := e.report("hotline_12345", e.GridIn), e.report("hotline_12345", e.GridOut)
	reported := e.report("hotline_12319", e.GridIn)
	byEvent, byArea, all := newReceiver(t), newReceiver(t), newReceiver(t)
	e.subscribe("admin", byEvent, map[string]any{"events": []string{"registered"}})
	e.subscribe("admin", byArea, map[string]any{"areas": []string{e.Community}, "sources": []string{"hotline_12345"}})
	e.subscribe("admin", all, nil)
	seqs := e.touch(in, out)
	e.Must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/issues/%d/actions", reported), "admin", map[string]any{"action": "register"})
	waitFor(t, "every delivery", func() bool { return len(all.accepted()) >= 3 })
	waitFor(t, "the registration", func() bool { return len(byEvent.accepted()) >= 1 })
	time.Sleep(100 * time.Millisecond)
	if got := byEvent.accepted(); len(got) != 1 || got[0] != e.head() {
		t.Errorf("registrations: %v", got)
	}
	if got := byArea.accepted(); !slices.Equal(got, seqs[:1]) {
		t.Errorf("in the area from hotline_12345: %v, want %v", got, seqs[:1])
	}
}

// Bad subscriptions are refused with the field named, and nothing is written.
func TestBadSubscriptions(t *testing.T) {
	cfg := fast()
	cfg.AllowPrivate = false
	e := newEnv(t, cfg)
	ok := map[string]any{"url": "https://93.184.215.14/hook", "secret": secret}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k, v := range ok {
			m[k] = v
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for _, c := range []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"loopback", with("url", "http://127.0.0.1:8080/hook"), 422, "url"},
		{"loopback v6", with("url", "http://[::1]/hook"), 422, "url"},
		{"localhost", with("url", "http://localhost/hook"), 422, "url"},
		{"private 10/8", with("url", "http://10.1.2.3/hook"), 422, "url"},
		{"private 192.168/16", with("url", "https://192.168.1.1/hook"), 422, "url"},
		{"private 172.16/12", with("url", "https://172.20.0.1/hook"), 422, "url"},
		{"link-local", with("url", "http://169.254.169.254/latest/meta-data"), 422, "url"},
		{"unique-local", with("url", "http://[fd00::1]/hook"), 422, "url"},
		{"multicast", with("url", "http://224.0.0.1/hook"), 422, "url"},
		{"unspecified", with("url", "http://0.0.0.0/hook"), 422, "url"},
		{"v4-mapped loopback", with("url", "http://[::ffff:127.0.0.1]/hook"), 422, "url"},
		{"not http", with("url", "ftp://93.184.215.14/hook"), 422, "url"},
		{"file", with("url", "file:///etc/passwd"), 422, "url"},
		{"relative", with("url", "/hook"), 422, "url"},
		{"userinfo", with("url", "https://user:pw@93.184.215.14/hook"), 422, "url"},
		{"no url", with("url", nil), 422, "url"},
		{"no secret", with("secret", nil), 422, "secret"},
		{"short secret", with("secret", "short"), 422, "secret"},
		{"unknown layer", with("layers", []string{"roads"}), 422, "layers"},
		{"no layers", with("layers", []string{}), 422, "layers"},
		{"unknown event", with("events", []string{"teleported"}), 422, "events"},
		{"unknown source", with("sources", []string{"fax"}), 422, "sources"},
		{"unknown area", with("areas", []string{"999999"}), 422, "areas"},
		{"unknown field", with("callback", "x"), 400, ""},
		{"not JSON", "{", 400, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.Call("POST", "/api/v1/webhooks", "admin", c.body)
			if r.Status != c.status {
				t.Fatalf("%d, want %d\n%s", r.Status, c.status, r.Body)
			}
			if _, fields := r.ErrorOf(t); c.field != "" && fields[c.field] == nil {
				t.Errorf("fields %v do not name %s", fields, c.field)
			}
		})
	}
	if n := e.Int(`SELECT count(*) FROM webhooks`); n != 0 {
		t.Errorf("%d subscriptions written", n)
	}
	// a public address is taken, and a PATCH is checked the same way
	var hook struct {
		ID int64 `json:"id"`
	}
	e.Must(http.StatusCreated, "POST", "/api/v1/webhooks", "admin", ok).Decode(t, &hook)
	path := fmt.Sprintf("/api/v1/webhooks/%d", hook.ID)
	e.Must(http.StatusUnprocessableEntity, "PATCH", path, "admin", map[string]any{"url": "http://127.0.0.1/"})
	e.Must(http.StatusBadRequest, "PATCH", path, "admin", map[string]any{"status": "active"})
	got := e.Must(http.StatusOK, "PATCH", path, "admin", map[string]any{"events": []string{"closed", "handled"}}).JSON(t)
	if got["url"] != ok["url"] || fmt.Sprint(got["events"]) != "[closed handled]" || got["secret"] != nil {
		t.Errorf("patched: %v", got)
	}
	e.Must(http.StatusNoContent, "DELETE", path, "admin", nil)
	e.Must(http.StatusNotFound, "GET", path, "admin", nil)
	e.Must(http.StatusNotFound, "GET", "/api/v1/webhooks/x", "admin", nil)
	e.Must(http.StatusBadRequest, "GET", "/api/v1/webhooks/1/deliveries?limit=0", "admin", nil)
}

// The changes a subscription has not delivered are kept past the retention;
// if they are gone anyway, the subscription says so (gap) rather than skip
// them, and resuming reports what was lost.
func TestFeedKeptAndGap(t *testing.T) {
	e := newEnv(t, fast())
	rc := newReceiver(t)
	rc.failAll.Store(true)
	id := e.subscribe("admin", rc, nil)
	// another instance holds the subscription while the feed loses rows: a
	// worker that had already read them would deliver them from memory (nothing
	// lost, no gap to see); the wait lets a read begun before the lease end
	hold := func(d string) {
		e.Exec(`UPDATE webhooks SET lease_owner = 'elsewhere', lease_until = now() + $2::interval WHERE id = $1`, id, d)
	}
	hold("1 hour")
	time.Sleep(300 * time.Millisecond)
	seqs := e.touch(e.issues(`true`, 4)...)
	// months past the retention, in partitions of their own the pruner may drop
	e.Exec(`UPDATE changes SET committed_at = now() - interval '3 months'`)
	if _, err := e.Store.MaintainPartitions(t.Context(), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.PruneChanges(t.Context(), time.Now().Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := e.Int(`SELECT count(*) FROM changes WHERE seq >= $1`, seqs[0]); n != 4 {
		t.Fatalf("the pruner left %d of the 4 changes the subscription needs", n)
	}
	// rows lost anyway (a hand-made delete, a restore of an older backup)
	e.Exec(`DELETE FROM changes WHERE seq <= $1`, seqs[1])
	hold("-1 second")
	waitFor(t, "the gap", func() bool { s, _, _ := e.hook(id); return s == "gap" })
	_, lastErr, _ := e.hook(id)
	if !strings.Contains(lastErr, fmt.Sprintf("changes %d to %d were pruned", seqs[0], seqs[1])) {
		t.Errorf("the gap says %q", lastErr)
	}
	rc.failAll.Store(false)
	var res struct {
		Lost struct {
			From int64 `json:"from_seq"`
			To   int64 `json:"to_seq"`
		} `json:"lost"`
	}
	e.Must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/webhooks/%d/resume", id), "admin", nil).Decode(t, &res)
	if res.Lost.From != seqs[0] || res.Lost.To != seqs[1] {
		t.Errorf("resume reports %+v lost", res.Lost)
	}
	waitFor(t, "the rest", func() bool { return len(rc.accepted()) >= 2 })
	if got := rc.accepted(); !slices.Equal(got, seqs[2:]) {
		t.Errorf("after the gap: %v, want %v", got, seqs[2:])
	}
	e.caughtUp(id, seqs[3])
	e.Must(http.StatusConflict, "POST", fmt.Sprintf("/api/v1/webhooks/%d/replay", id), "admin", map[string]any{"from_seq": seqs[0]})
	// once delivered, the feed may be pruned again
	if _, err := e.Store.PruneChanges(t.Context(), time.Now().Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n := e.Int(`SELECT count(*) FROM changes`); n != 0 {
		t.Errorf("%d delivered changes kept past the retention", n)
	}
}

// A subscription acts with its owner's token: once that is revoked, it
// receives nothing more and is paused saying why.
func TestRevokedOwnerPauses(t *testing.T) {
	e := newEnv(t, fast())
	e.Tokens["partner"] = e.TokenFor(store.Token{Name: "hotline", Role: "reporter", Source: "hotline_12345"})
	rc := newReceiver(t)
	id := e.subscribe("partner", rc, nil)
	if _, err := e.Store.RevokeToken(t.Context(), "hotline"); err != nil {
		t.Fatal(err)
	}
	e.touch(e.report("hotline_12345", e.GridIn))
	waitFor(t, "the pause", func() bool { s, _, _ := e.hook(id); return s == "paused" })
	if _, lastErr, _ := e.hook(id); !strings.Contains(lastErr, "revoked") {
		t.Errorf("paused with %q", lastErr)
	}
	if n := len(rc.requests()); n != 0 {
		t.Errorf("%d deliveries for a revoked token", n)
	}
}

// While a subscription is behind, its queue depth and lag say by how much.
func TestBacklogMetrics(t *testing.T) {
	e := newEnv(t, fast())
	rc := newReceiver(t)
	rc.failAll.Store(true)
	id := e.subscribe("admin", rc, nil)
	e.touch(e.issues(`true`, 3)...)
	e.Exec(`UPDATE changes SET committed_at = now() - interval '1 hour'`)
	waitFor(t, "the backlog in the metrics", func() bool {
		m := string(e.Get("/metrics", "").Body)
		return strings.Contains(m, fmt.Sprintf(`citymap_webhook_queue_depth{webhook="%d"} 3`, id)) &&
			strings.Contains(m, fmt.Sprintf(`citymap_webhook_lag_seconds{webhook="%d"} 36`, id)) // 3600 and a bit
	})
}
