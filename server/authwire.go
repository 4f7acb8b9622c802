package server

// startAuth makes the instance hear the database's announcements of token
// changes (server/auth/watch.go): its cache drops the tokens and /live closes
// their sockets. Call it after startLive, which makes the registry and the hub.
func (s *Server) startAuth() {
	s.auth.OnChange(s.obs.live.Revalidate)
	s.auth.Watch(s.store, s.obs.registry)
}

// stopAuth stops the listener.
func (s *Server) stopAuth() { s.auth.Close() }
