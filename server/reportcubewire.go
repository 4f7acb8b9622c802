package server

import (
	"citymap/server/live"
	"citymap/server/reportcube"
)

// startReportCube keeps the report cube (server/reportcube) when the config
// asks for one: it loads in the background, follows the feed the live hub
// tails (it needs startLive first), and answers the reports' evaluation
// figures in place of their SQL once loaded.
func (s *Server) startReportCube() {
	if s.cfg.ReportCube == nil {
		return
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
}

// stopReportCube stops following the feed; the store's reports go back to SQL.
func (s *Server) stopReportCube() {
	if s.cube != nil {
		s.store.Figures = nil
		s.cube.Close()
	}
}

// ReportCube is the instance's report cube, nil when it keeps none.
func (s *Server) ReportCube() *reportcube.Cube { return s.cube }
