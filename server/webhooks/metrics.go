package webhooks

import (
	"strconv"
	"sync"

	"citymap/server/metrics"
	"citymap/server/store"
)

// dispatchMetrics are the deliveries' figures in /metrics, by subscription id
// (few: one per partner system). Depth and lag come from the database, so
// every instance shows the same whoever works the subscription; the counters
// are this instance's.
type dispatchMetrics struct {
	depth, lag, paused  metrics.GaugeVec
	delivered, failures metrics.CounterVec
	mu                  sync.Mutex
	seen                map[int64]bool
}

func newMetrics(reg *metrics.Registry) *dispatchMetrics {
	if reg == nil {
		reg = metrics.NewRegistry()
	}
	return &dispatchMetrics{
		depth: reg.GaugeVec("citymap_webhook_queue_depth",
			"Changes of the feed after the subscription's cursor (feed head - cursor).", "webhook"),
		lag: reg.GaugeVec("citymap_webhook_lag_seconds",
			"Age of the oldest change the subscription is not done with; 0 when caught up.", "webhook"),
		paused: reg.GaugeVec("citymap_webhook_stopped",
			"1 while the subscription is paused or has a gap in the feed, else 0.", "webhook"),
		delivered: reg.CounterVec("citymap_webhook_deliveries_total",
			"Changes delivered (answered 2xx) by this instance.", "webhook"),
		failures: reg.CounterVec("citymap_webhook_failures_total",
			"Failed delivery attempts (non-2xx, connection errors, timeouts) by this instance.", "webhook"),
		seen: map[int64]bool{},
	}
}

// observe sets the gauges of every subscription, zeroing those of deleted ones.
func (m *dispatchMetrics) observe(states []store.WebhookState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := map[int64]bool{}
	for _, s := range states {
		id := strconv.FormatInt(s.ID, 10)
		now[s.ID] = true
		m.depth.With(id).Set(float64(max(0, s.Head-s.Cursor)))
		m.lag.With(id).Set(s.Lag.Seconds())
		stopped := 0.0
		if s.Status != store.WebhookActive {
			stopped = 1
		}
		m.paused.With(id).Set(stopped)
	}
	for id := range m.seen {
		if !now[id] {
			l := strconv.FormatInt(id, 10)
			m.depth.With(l).Set(0)
			m.lag.With(l).Set(0)
			m.paused.With(l).Set(0)
		}
	}
	m.seen = now
}
