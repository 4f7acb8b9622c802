package server

import "citymap/server/partitions"

// startPartitions keeps the month partitions ahead of the clock and their
// count in /metrics (citymap_partitions{table=...}).
func (s *Server) startPartitions() {
	s.parts = partitions.New(s.cfg.Partitions, s.store, s.obs.registry)
	s.parts.Start()
}
