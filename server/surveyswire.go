package server

import (
	"context"

	"citymap/server/surveys"
)

// startSurveys serves the questionnaires: their API, the public page
// /s/{survey} and its answers (Config.Surveys; the secret in DataDir unless
// set; citymap serve resolves it before it starts, and an instance that
// cannot read or keep it does not start: a secret of this process alone would
// void every pending answer link at the next restart).
func (s *Server) startSurveys(context.Context) (func(), error) {
	cfg := s.cfg.Surveys
	if cfg.DataDir == "" {
		cfg.DataDir = s.cfg.DataDir
	}
	api, err := surveys.New(s.store, s.auth, cfg)
	if err != nil {
		return nil, err
	}
	api.SetClock(s.cfg.Clock)
	s.mux.Add(api.Routes()...)
	return nil, nil
}
