package server

import (
	"context"

	"citymap/server/activities"
)

// startActivities serves the volunteer-activity menu, its sign-ups and its
// monthly report.
func (s *Server) startActivities(context.Context) (func(), error) {
	api := activities.New(s.store, s.auth)
	api.SetClock(s.cfg.Clock)
	api.Register(s.mux)
	return nil, nil
}
