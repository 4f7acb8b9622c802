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
	s.mux.Add(api.Routes()...)
	return nil, nil
}
