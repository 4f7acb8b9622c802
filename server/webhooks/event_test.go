package webhooks

import (
	"testing"

	"citymap/server/store"
)

func TestEventOf(t *testing.T) {
	for _, c := range []struct {
		op, action, to, want string
	}{
		{"upsert", "", "", "upsert"}, {"delete", "", "", "delete"},
		{"upsert", "report", "reported", "reported"}, {"upsert", "register", "registered", "registered"},
		{"upsert", "dispatch", "dispatched", "dispatched"}, {"upsert", "start", "in_progress", "started"},
		{"upsert", "resolve", "resolved", "handled"}, {"upsert", "verify", "closed", "closed"},
		{"upsert", "verify", "dispatched", "reopened"}, {"upsert", "reject", "rejected", "rejected"},
		{"upsert", "merge", "merged", "merged"}, {"upsert", "update", "registered", "updated"},
	} {
		if got := eventOf(c.op, [2]string{c.action, c.to}); got != c.want {
			t.Errorf("eventOf(%s, %s→%s) = %s, want %s", c.op, c.action, c.to, got, c.want)
		}
	}
}

// A scoped owner is shown a case where it lies now, as its reads are: not one
// that left its areas, though the feed names where it was too.
func TestOwnerScopeIsWhereTheCaseIs(t *testing.T) {
	feature := func(grid string) []byte {
		return []byte(`{"type":"Feature","properties":{"source":"hotline_12345","grid":"` + grid +
			`","community":"` + grid[:12] + `","street":"` + grid[:9] + `"}}`)
	}
	const in, out = "32028200100101", "32028200200101"
	partner := store.Viewer{Reporter: true, Source: "hotline_12345", Scope: []string{in[:12]}}
	f := filter{hook: store.Webhook{Layers: []string{"issues"}}, owner: partner}
	for _, c := range []struct {
		name  string
		grid  string
		codes []string // the feed's: now and before
		want  bool
	}{
		{"inside", in, []string{in, in[:12], in[:9]}, true},
		{"moved in", in, []string{in, in[:12], in[:9], out}, true},
		{"moved out", out, []string{out, out[:12], out[:9], in}, false},
		{"outside", out, []string{out, out[:12], out[:9]}, false},
	} {
		it := newItem(store.Change{Layer: "issues", Op: "upsert", Feature: feature(c.grid), Codes: c.codes}, [2]string{})
		if got := f.match(it); got != c.want {
			t.Errorf("%s: match %v, want %v", c.name, got, c.want)
		}
	}
}
