package server

import (
	"context"

	"citymap/server/bulletins"
)

// startBulletins serves the bulletins API and, when Config.BulletinChecks is
// set, prepares the draft bulletin of each period that ended in the
// background at that interval.
func (s *Server) startBulletins(context.Context) (func(), error) {
	th := s.cfg.BulletinThresholds
	if th == (bulletins.Thresholds{}) {
		th = bulletins.DefaultThresholds
	}
	api := bulletins.New(s.store, s.auth, th, bulletins.NewPrinter(s.cfg.Chromium))
	api.SetClock(s.cfg.Clock)
	s.mux.Add(api.Routes()...)
	ctx, cancel := context.WithCancel(context.Background())
	if s.cfg.BulletinChecks > 0 {
		go api.Run(ctx, s.cfg.BulletinChecks)
	}
	return cancel, nil
}
