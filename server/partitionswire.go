package server

import (
	"context"

	"citymap/server/partitions"
)

// startPartitions keeps the month partitions ahead of the clock and their
// count in /metrics (citymap_partitions{table=...}).
func (s *Server) startPartitions(context.Context) (func(), error) {
	k := partitions.New(s.cfg.Partitions, s.store, s.obs.registry)
	k.Start()
	return k.Close, nil
}
