package live

import (
	"time"

	"citymap/server/metrics"
)

// hubMetrics are the stream's figures in /metrics; changes per second is the rate
// of citymap_live_changes_total.
type hubMetrics struct {
	changes, queued, delivered metrics.Counter
	overflows, slow, resets    metrics.Counter
	writeTimeouts              metrics.Counter
	reconnects                 metrics.Counter
	gaps, pruned               metrics.Counter
	replayed                   metrics.CounterVec
	delay                      metrics.Histogram
	published                  metrics.Gauge
}

var delayBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

func newHubMetrics(reg *metrics.Registry, h *Hub) *hubMetrics {
	if reg == nil {
		reg = metrics.NewRegistry()
	}
	m := &hubMetrics{
		changes:   reg.Counter("citymap_live_changes_total", "Changes read from the feed and matched against subscriptions."),
		queued:    reg.Counter("citymap_live_queued_total", "Changes queued for clients."),
		delivered: reg.Counter("citymap_live_delivered_total", "Change frames written to clients, replays included."),
		overflows: reg.Counter("citymap_live_overflows_total",
			"Clients whose queue overflowed and who caught up from the ring of recent changes."),
		slow: reg.Counter("citymap_live_slow_closed_total",
			"Clients closed as too slow (4000): they fell further behind than the ring of recent changes, or a write to them timed out."),
		writeTimeouts: reg.Counter("citymap_live_write_timeouts_total",
			"Clients whose write timed out (they stopped reading): they are closed as slow."),
		resets:     reg.Counter("citymap_live_resets_total", "Resets sent: resumes from changes no longer kept."),
		reconnects: reg.Counter("citymap_live_feed_reconnects_total", "Reconnections of the feed listener."),
		gaps:       reg.Counter("citymap_live_feed_gaps_total", "Reads of the feed that showed a hole and were repeated."),
		pruned:     reg.Counter("citymap_live_pruned_total", "Changes dropped past the retention by this instance (whole months of the feed)."),
		replayed: reg.CounterVec("citymap_live_replayed_total",
			"Changes examined for replays, by where they came from (memory or database).", "source"),
		delay: reg.Histogram("citymap_live_feed_delay_seconds",
			"From the start of the writing transaction to the change being queued for clients.", delayBuckets),
		published: reg.Gauge("citymap_live_published_seq", "Sequence number up to which changes are queued."),
	}
	reg.GaugeFunc("citymap_live_subscribers", "Connected websocket clients.",
		func() float64 { return float64(h.Subscribers()) })
	reg.GaugeFunc("citymap_live_subscriptions", "Clients subscribed and streaming live (not replaying).",
		func() float64 { return float64(h.liveCount()) })
	reg.GaugeFunc("citymap_live_queue_depth", "Changes waiting in all clients' queues.",
		func() float64 { sum, _ := h.queueDepth(); return float64(sum) })
	reg.GaugeFunc("citymap_live_queue_depth_max", "Changes waiting in the fullest client queue.",
		func() float64 { _, most := h.queueDepth(); return float64(most) })
	reg.GaugeFunc("citymap_live_feed_head_seq", "Highest sequence number the feed has announced.",
		func() float64 { return float64(h.announced.Load()) })
	reg.GaugeFunc("citymap_live_feed_lag", "Changes announced by the feed and not yet queued for clients.",
		func() float64 { return float64(max(0, h.announced.Load()-h.Published())) })
	return m
}

func (m *hubMetrics) observePublished(batch []*Change, queued int, now time.Time) {
	for _, ch := range batch {
		if ch.reset {
			continue
		}
		m.changes.Inc()
		m.delay.Observe(max(0, now.Sub(ch.committed).Seconds()))
	}
	m.queued.Add(float64(queued))
	if len(batch) > 0 {
		m.published.Set(float64(batch[len(batch)-1].Seq))
	}
}

func (h *Hub) liveCount() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.live)
}

// queueDepth sums and maximises the clients' queue lengths.
func (h *Hub) queueDepth() (sum, most int) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for c := range h.clients {
		n := len(c.queue)
		sum += n
		most = max(most, n)
	}
	return sum, most
}
