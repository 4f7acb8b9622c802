package live_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"citymap/server/access"
)

// TestSinceOlderThanRetention: whether a since is still kept is the feed's
// answer, the same on every instance, whatever its ring holds. Instance A has
// been up through every change, so its ring still holds those the feed has
// pruned; instance B started after the prune, so its ring holds only what is
// kept. Both reset a since that needs a pruned change and replay one that does
// not.
func TestSinceOlderThanRetention(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	ctx := context.Background()
	a := startInstance(t, st, testConfig())
	tok := token(t, st, access.Viewer)
	id := newIssue(t, st, 119.80, 31.30, "manhole_cover", gridA)
	var seq [6]int64
	for i := range seq {
		seq[i] = mustTouch(t, st, id)
	}
	waitPublished(t, a, seq[5])

	// the pruner (of whichever instance) drops the months of what precedes
	// the fourth change, which are past a week's retention
	ageChanges(t, st, seq[3])
	if _, err := st.PruneChanges(ctx, time.Now().Add(-7*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if oldest, _, err := st.FeedBounds(ctx); err != nil || oldest != seq[3] {
		t.Fatalf("the feed keeps from %d (%v), want %d", oldest, err, seq[3])
	}
	b := startInstance(t, openAgain(t, st), testConfig())

	tests := []struct {
		name  string
		since int64
		reset bool
	}{
		{"before every change", seq[0] - 1, true},
		{"next change pruned", seq[1], true},
		{"last change pruned", seq[2], false},
		{"within what is kept", seq[4], false},
	}
	for name, in := range map[string]*instance{"up through the prune": a, "started after it": b} {
		for _, tc := range tests {
			t.Run(name+"/"+tc.name, func(t *testing.T) {
				h := head(t, st)
				waitPublished(t, in, h)
				c := dial(t, in.wsURL(), tok)
				c.subscribe(map[string]any{"since": tc.since})
				if !tc.reset {
					checkRun(t, c.changesThrough(h), tc.since+1, h)
					return
				}
				if f := c.expect("reset"); f.Seq != h {
					t.Fatalf("reset at %d, want the head %d", f.Seq, h)
				}
				next := mustTouch(t, st, id)
				checkRun(t, c.changesThrough(next), next, next)
			})
		}
	}
}

// waitPublished waits until the instance has queued every change up to seq.
func waitPublished(t *testing.T, in *instance, seq int64) {
	t.Helper()
	waitFor(t, fmt.Sprintf("the instance to publish %d", seq), func() bool {
		return in.metric(t, "citymap_live_published_seq") >= float64(seq)
	})
}
