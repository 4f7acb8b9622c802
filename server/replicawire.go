package server

import (
	"context"
	"net/http"

	"citymap/server/metrics"
	"citymap/server/replica"
	"citymap/server/store"
)

// Read replicas (store.OpenReplicas): the requests' positions for
// read-your-writes, and the pools' and replicas' figures in /metrics.

// withPositions hands reads their permission to read a replica and writes
// their WAL position (replica.Handler), when the store has replicas.
func (s *Server) withPositions(next http.Handler) http.Handler {
	if !s.store.HasReplicas() {
		return next
	}
	return replica.Handler(next, s.store.WALPosition)
}

// poolStats are the usage figures of every pool: the store's and the tile
// renderer's.
func (s *Server) poolStats() []store.PoolStat {
	stats := s.store.PoolStats()
	if s.tiles != nil {
		stats = append(stats, s.tiles.PoolStats()...)
	}
	return stats
}

// startReplicaMetrics registers the pools' usage and the replicas' lag.
func (s *Server) startReplicaMetrics(context.Context) (func(), error) {
	reg := s.obs.registry
	pool := func(name, help string, f func(store.PoolStat) float64) {
		reg.GaugeVecFunc(name, help, func() []metrics.Sample {
			var out []metrics.Sample
			for _, p := range s.poolStats() {
				out = append(out, metrics.Sample{Labels: []string{p.Server, p.Pool}, Value: f(p)})
			}
			return out
		}, "server", "pool")
	}
	pool("citymap_db_pool_acquired_connections", "Connections in use, by server (primary or a replica) and pool.",
		func(p store.PoolStat) float64 { return float64(p.Stat.AcquiredConns()) })
	pool("citymap_db_pool_idle_connections", "Connections open and idle, by server and pool.",
		func(p store.PoolStat) float64 { return float64(p.Stat.IdleConns()) })
	pool("citymap_db_pool_total_connections", "Connections open or being opened, by server and pool.",
		func(p store.PoolStat) float64 { return float64(p.Stat.TotalConns()) })
	pool("citymap_db_pool_max_connections", "The most connections the pool opens, by server and pool.",
		func(p store.PoolStat) float64 { return float64(p.Stat.MaxConns()) })
	reg.CounterVecFunc("citymap_db_pool_empty_acquires_total",
		"Connections asked for when none was idle (the asker waited for one to be opened or released), by server and pool.",
		func() []metrics.Sample {
			var out []metrics.Sample
			for _, p := range s.poolStats() {
				out = append(out, metrics.Sample{Labels: []string{p.Server, p.Pool}, Value: float64(p.Stat.EmptyAcquireCount())})
			}
			return out
		}, "server", "pool")
	if !s.store.HasReplicas() {
		return nil, nil
	}
	replicaGauge := func(name, help string, f func(replica.Status) float64) {
		reg.GaugeVecFunc(name, help, func() []metrics.Sample {
			var out []metrics.Sample
			for _, st := range s.store.Replicas() {
				out = append(out, metrics.Sample{Labels: []string{st.Name}, Value: f(st)})
			}
			return out
		}, "replica")
	}
	replicaGauge("citymap_replica_up", "1 when the replica answered its last check as a standby.",
		func(st replica.Status) float64 { return boolGauge(st.Up) })
	replicaGauge("citymap_replica_in_use", "1 when the replica serves reads: up and within the lag bound.",
		func(st replica.Status) float64 { return boolGauge(st.InUse) })
	replicaGauge("citymap_replica_lag_bytes", "WAL the primary has written and the replica not yet replayed.",
		func(st replica.Status) float64 { return float64(st.LagBytes) })
	replicaGauge("citymap_replica_lag_seconds", "How long ago the primary was where the replica's replay is.",
		func(st replica.Status) float64 { return st.LagSeconds })
	reg.CounterVecFunc("citymap_db_routed_reads_total",
		"Requests whose reads could go to a replica, by the server that served them and why "+
			"(replica; behind: the replicas had not replayed the client's last write; unavailable: none usable).",
		func() []metrics.Sample {
			var out []metrics.Sample
			for server, byReason := range s.store.RoutedReads() {
				for reason, n := range byReason {
					out = append(out, metrics.Sample{Labels: []string{server, string(reason)}, Value: float64(n)})
				}
			}
			return out
		}, "server", "reason")
	return nil, nil
}
