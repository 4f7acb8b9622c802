package server

import "context"

// startAuth makes the instance hear the database's announcements of token
// changes (server/auth/watch.go): its cache drops the tokens and /live closes
// their sockets. Its stop ends the listener.
func (s *Server) startAuth(context.Context) (func(), error) {
	s.auth.OnChange(s.obs.live.Revalidate)
	s.auth.Watch(s.store, s.obs.registry)
	return s.auth.Close, nil
}
