package server

import (
	"context"

	"citymap/server/live"
	"citymap/server/reportcube"
)

// startReportCube keeps the report cube (server/reportcube) when the config
// asks for one: it loads in the background, follows the feed the live hub
// tails, and answers the reports' evaluation figures in place of their SQL
// once loaded. Its stop ends the following; the store's reports go back to SQL.
func (s *Server) startReportCube(context.Context) (func(), error) {
	if s.cfg.ReportCube == nil {
		return nil, nil
	}
	c := reportcube.New(s.store, *s.cfg.ReportCube)
	s.cube = c
	s.store.Figures = c
	c.Start()
	s.obs.live.Observe(func(ch *live.Change) {
		if ch.Layer == "issues" || ch.IsReset() {
			c.Nudge()
		}
	})
	return func() {
		s.store.Figures = nil
		c.Close()
	}, nil
}

// ReportCube is the instance's report cube, nil when it keeps none.
func (s *Server) ReportCube() *reportcube.Cube { return s.cube }
