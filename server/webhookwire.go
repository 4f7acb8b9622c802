package server

import (
	"context"

	"citymap/server/live"
	"citymap/server/webhooks"
)

// startWebhooks serves /api/v1/webhooks and delivers the feed to the
// subscriptions: the live hub, which already follows the feed, wakes the
// dispatcher at every change (its own poll covers the rest).
func (s *Server) startWebhooks(context.Context) (func(), error) {
	d := webhooks.New(s.cfg.Webhooks, s.store, s.obs.registry)
	s.mux.Add(webhooks.NewAPI(s.store, s.auth, d).Routes()...)
	s.obs.live.Observe(func(*live.Change) { d.FeedChanged() })
	d.Start()
	// what is under way at the stop is delivered again by whoever works the
	// subscription next
	return d.Close, nil
}
