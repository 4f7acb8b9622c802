package server

import (
	"log/slog"

	"citymap/server/surveys"
)

// startSurveys serves the questionnaires: their API, the public page
// /s/{survey} and its answers (Config.Surveys; the secret in DataDir unless
// set).
func (s *Server) startSurveys() {
	cfg := s.cfg.Surveys
	if cfg.DataDir == "" {
		cfg.DataDir = s.cfg.DataDir
	}
	api, err := surveys.New(s.store, s.auth, cfg)
	if err != nil {
		// citymap serve resolves the secret before it starts (and stops
		// when it cannot); here only a caller that skipped that gets a
		// secret of this process, which a restart forgets
		slog.Error("surveys: no secret kept; using one of this process", "err", err)
		cfg.Secret = surveys.EphemeralSecret()
		api, _ = surveys.New(s.store, s.auth, cfg)
	}
	api.SetClock(s.cfg.Clock)
	s.mux.Add(api.Routes()...)
}
