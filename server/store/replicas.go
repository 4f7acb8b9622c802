package store

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"citymap/server/replica"
)

// Read replicas. The reads that may be a little stale (tiles, OGC reads,
// reports, lists) ask reads(ctx) for their pool rather than using Pool: it is
// a streaming replica's when the request may read one (replica.WithRead, set
// for GET and HEAD by replica.Handler) and a replica is up, within the bound
// and has replayed the reader's last write; else the primary's. Writes, the
// changes feed, LISTEN, token lookups and anything inside a transaction that
// writes use Pool, the primary, always. Each replica is checked every
// CheckEvery: whether it answers and is in recovery, what it has replayed,
// and so how far behind it is.

// ReplicaConfig names the replicas and how far behind they may be.
type ReplicaConfig struct {
	// URLs are the replicas' connection URLs, one server each (not a pooler
	// in front of several: the position checked must be the one read).
	URLs []string
	// Bound is how far behind the primary a replica may be and serve reads.
	Bound replica.Bound
	// CheckEvery is how often each replica is checked (1 s when zero).
	CheckEvery time.Duration
}

// DefaultReplicaBound is the bound of serve --replica-max-lag and
// --replica-max-lag-mb: five seconds of writes, or 64 MB of WAL (a bulk import).
var DefaultReplicaBound = replica.Bound{MaxLag: 5 * time.Second, MaxBytes: 64 << 20}

type replicaSet struct {
	cfg     ReplicaConfig
	members []*replicaMember
	turn    atomic.Uint64
	cancel  context.CancelFunc
	done    chan struct{}

	mu       sync.RWMutex
	statuses []replica.Status
	history  *replica.History
	// reads counts the reads routed, by server (the primary last) and reason
	reads []map[replica.Reason]*atomic.Uint64
}

type replicaMember struct {
	name string
	pool *pgxpool.Pool
}

// historySamples is how many of the primary's positions the lag is measured
// against: ten minutes of checks at one a second.
const historySamples = 600

// OpenReplicas connects the replicas (on first use: one that is down now is
// skipped until a check finds it up) and checks them once before returning,
// then every CheckEvery until Close. Call it before NewTileRenderer (before
// server.New), which opens its pools on the replicas it finds.
func (s *Store) OpenReplicas(ctx context.Context, cfg ReplicaConfig) error {
	if len(cfg.URLs) == 0 {
		return nil
	}
	if cfg.CheckEvery <= 0 {
		cfg.CheckEvery = time.Second
	}
	rs := &replicaSet{cfg: cfg, history: replica.NewHistory(historySamples), done: make(chan struct{})}
	for i, url := range cfg.URLs {
		pc, err := poolConfig(url, s.opts)
		if err != nil {
			rs.close()
			return fmt.Errorf("replica url %d: %w", i+1, err)
		}
		pc.ConnConfig.RuntimeParams["application_name"] = "citymap reads"
		pool, err := pgxpool.NewWithConfig(ctx, pc)
		if err != nil {
			rs.close()
			return fmt.Errorf("replica %d: %w", i+1, err)
		}
		name := net.JoinHostPort(pc.ConnConfig.Host, strconv.Itoa(int(pc.ConnConfig.Port)))
		rs.members = append(rs.members, &replicaMember{name: name, pool: pool})
		rs.statuses = append(rs.statuses, replica.Status{Name: name, Error: "not checked yet"})
	}
	for range len(rs.members) + 1 {
		rs.reads = append(rs.reads, map[replica.Reason]*atomic.Uint64{
			replica.OnReplica: {}, replica.NoReplica: {}, replica.Behind: {}})
	}
	rs.check(ctx, s.Pool)
	cctx, cancel := context.WithCancel(context.Background())
	rs.cancel = cancel
	go rs.loop(cctx, s.Pool)
	s.replicas = rs
	return nil
}

func (s *Store) closeReplicas() {
	if s.replicas != nil {
		s.replicas.close()
	}
}

func (rs *replicaSet) close() {
	if rs.cancel != nil {
		rs.cancel()
		<-rs.done
	}
	for _, m := range rs.members {
		m.pool.Close()
	}
}

func (rs *replicaSet) loop(ctx context.Context, primary *pgxpool.Pool) {
	defer close(rs.done)
	t := time.NewTicker(rs.cfg.CheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			rs.check(ctx, primary)
		}
	}
}

// check reads the primary's WAL position, then each replica's replay
// position: a replica that has replayed what the primary had written before
// the question lacks nothing.
func (rs *replicaSet) check(ctx context.Context, primary *pgxpool.Pool) {
	timeout := max(rs.cfg.CheckEvery, time.Second)
	pctx, cancel := context.WithTimeout(ctx, timeout)
	head, perr := walPosition(pctx, primary)
	cancel()
	now := time.Now()
	rs.mu.Lock()
	if perr == nil {
		rs.history.Add(now, head)
	}
	rs.mu.Unlock()
	var wg sync.WaitGroup
	fresh := make([]replica.Status, len(rs.members))
	for i, m := range rs.members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			fresh[i] = m.status(mctx)
		}()
	}
	wg.Wait()
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for i := range fresh {
		st := &fresh[i]
		if st.Up {
			if perr == nil {
				st.LagBytes = max(0, int64(head)-int64(st.Replayed))
			} else {
				st.LagBytes = rs.statuses[i].LagBytes
			}
			st.Lag = rs.history.Lag(st.Replayed, st.CheckedAt)
			st.LagSeconds = st.Lag.Seconds()
		}
		st.InUse = rs.cfg.Bound.Usable(*st)
		if st.InUse != rs.statuses[i].InUse && ctx.Err() == nil {
			slog.Info("replica: reads", "replica", st.Name, "in_use", st.InUse, "lag", st.Lag.Round(time.Millisecond),
				"lag_bytes", st.LagBytes, "error", st.Error)
		}
		rs.statuses[i] = *st
	}
}

// walPosition is the primary's WAL write position. After a commit returns
// (synchronous_commit on, the default) the commit record is written, so the
// position is at or past every write committed before the question.
func walPosition(ctx context.Context, q Querier) (replica.LSN, error) {
	var pos int64
	err := q.QueryRow(ctx, `SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint`).Scan(&pos)
	return replica.LSN(pos), err
}

// status checks one replica.
func (m *replicaMember) status(ctx context.Context) replica.Status {
	st := replica.Status{Name: m.name}
	var recovering bool
	var replayed int64
	err := m.pool.QueryRow(ctx, `SELECT pg_is_in_recovery(),
		coalesce((pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint, 0)`).Scan(&recovering, &replayed)
	st.CheckedAt = time.Now()
	switch {
	case err != nil:
		st.Error = err.Error()
	case !recovering:
		st.Error = "not in recovery: not a standby (promoted?)"
	default:
		st.Up, st.Replayed = true, replica.LSN(replayed)
	}
	return st
}

// replayed asks replica i again what it has replayed, for a reader whose
// last write the previous check did not cover yet.
func (rs *replicaSet) replayed(ctx context.Context, i int) {
	ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	var replayed int64
	err := rs.members[i].pool.QueryRow(ctx,
		`SELECT coalesce((pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint, 0)`).Scan(&replayed)
	if err != nil {
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if st := &rs.statuses[i]; replica.LSN(replayed) > st.Replayed {
		st.Replayed = replica.LSN(replayed)
	}
}

// pick chooses the server of a request's reads: a replica that has replayed
// need, asking those the last check found behind once more before settling
// for the primary (a reader who has just written).
func (rs *replicaSet) pick(ctx context.Context, need replica.LSN) (int, replica.Reason) {
	turn := rs.turn.Add(1)
	i, reason := rs.choose(need, turn)
	if reason == replica.Behind {
		for _, j := range rs.behind(need) {
			rs.replayed(ctx, j)
		}
		i, reason = rs.choose(need, turn)
	}
	server := i
	if i < 0 {
		server = len(rs.members)
	}
	rs.reads[server][reason].Add(1)
	return i, reason
}

func (rs *replicaSet) choose(need replica.LSN, turn uint64) (int, replica.Reason) {
	rs.mu.RLock()
	defer rs.mu.RUnlock()
	return replica.Pick(rs.statuses, rs.cfg.Bound, need, turn)
}

// behind lists the usable replicas that have not replayed need.
func (rs *replicaSet) behind(need replica.LSN) []int {
	rs.mu.RLock()
	defer rs.mu.RUnlock()
	var out []int
	for i, st := range rs.statuses {
		if st.InUse && st.Replayed < need {
			out = append(out, i)
		}
	}
	return out
}

// readServer is the index of the replica that serves ctx's reads that may be
// stale, or -1 for the primary, chosen at the request's first such read.
func (s *Store) readServer(ctx context.Context) int {
	r := replica.From(ctx)
	if s.replicas == nil || r == nil {
		return -1
	}
	i, _ := r.Server(func(need replica.LSN) (int, replica.Reason) { return s.replicas.pick(ctx, need) })
	return i
}

// reads is the pool of ctx's reads that may be a little stale.
func (s *Store) reads(ctx context.Context) *pgxpool.Pool {
	if i := s.readServer(ctx); i >= 0 {
		return s.replicas.members[i].pool
	}
	return s.Pool
}

// WALPosition is the primary's WAL position now: a write committed before
// the call is at or before it (replica.Handler hands it to the writer).
func (s *Store) WALPosition(ctx context.Context) (replica.LSN, error) {
	return walPosition(ctx, s.Pool)
}

// HasReplicas reports whether the store reads from replicas.
func (s *Store) HasReplicas() bool { return s.replicas != nil }

// Replicas are the replicas as the last check saw them.
func (s *Store) Replicas() []replica.Status {
	if s.replicas == nil {
		return nil
	}
	s.replicas.mu.RLock()
	defer s.replicas.mu.RUnlock()
	return append([]replica.Status(nil), s.replicas.statuses...)
}

// RoutedReads counts the reads that could have gone to a replica, by the
// server that served them ("primary" or a replica's name) and why.
func (s *Store) RoutedReads() map[string]map[replica.Reason]uint64 {
	out := map[string]map[replica.Reason]uint64{}
	if s.replicas == nil {
		return out
	}
	for i, byReason := range s.replicas.reads {
		name := "primary"
		if i < len(s.replicas.members) {
			name = s.replicas.members[i].name
		}
		out[name] = map[replica.Reason]uint64{}
		for r, n := range byReason {
			if v := n.Load(); v > 0 {
				out[name][r] = v
			}
		}
	}
	return out
}

// PoolStat is the usage of one connection pool.
type PoolStat struct {
	// Server is "primary" or a replica's name; Pool what the pool serves:
	// "queries", "tiles", "probe" (the readiness check).
	Server, Pool string
	Stat         *pgxpool.Stat
}

// PoolStats are the usage figures of the store's pools.
func (s *Store) PoolStats() []PoolStat {
	out := []PoolStat{{Server: "primary", Pool: "queries", Stat: s.Pool.Stat()}}
	if s.probe != nil {
		out = append(out, PoolStat{Server: "primary", Pool: "probe", Stat: s.probe.Stat()})
	}
	if s.replicas != nil {
		for _, m := range s.replicas.members {
			out = append(out, PoolStat{Server: m.name, Pool: "queries", Stat: m.pool.Stat()})
		}
	}
	return out
}
