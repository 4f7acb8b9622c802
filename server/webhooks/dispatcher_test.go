package webhooks

import (
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	d := &Dispatcher{cfg: Config{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}.withDefaults()}
	for attempt, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond,
		3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 30: time.Second} {
		for range 20 {
			if got := d.backoff(attempt); got < want/2 || got > want {
				t.Errorf("backoff(%d) = %v, want within [%v, %v]", attempt, got, want/2, want)
			}
		}
	}
}

// A worker waiting to retry keeps its lease: it renews it every third of it,
// however long the backoff.
func TestLeaseOutlastsTheWait(t *testing.T) {
	for _, c := range []Config{{}, {Timeout: time.Minute, MaxBackoff: time.Hour}} {
		c = c.withDefaults()
		if ttl := c.leaseTTL(); ttl < c.Timeout+ttl/3 || ttl < 30*time.Second {
			t.Errorf("%+v: lease %v does not outlast an attempt and a third of itself", c, ttl)
		}
	}
}
