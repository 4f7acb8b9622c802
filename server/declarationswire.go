package server

import (
	"context"

	"citymap/server/declarations"
)

// startDeclarations serves the declarations API and, when
// Config.DeclarationChecks is set, opens the declarations owed and announces
// their reminders in the background at that interval.
func (s *Server) startDeclarations(context.Context) (func(), error) {
	api := declarations.New(s.store, s.auth)
	api.SetClock(s.cfg.Clock)
	s.mux.Add(api.Routes()...)
	ctx, cancel := context.WithCancel(context.Background())
	if s.cfg.DeclarationChecks > 0 {
		go api.Run(ctx, s.cfg.DeclarationChecks)
	}
	return cancel, nil
}
