package main

import (
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"citymap/server/store"
)

// replicaOptions are serve's flags for the read replicas.
type replicaOptions struct {
	urls   urlList
	maxLag time.Duration
	maxMB  int64
}

// urlList is a flag given several times, each time one URL or several
// separated by commas.
type urlList []string

func (l *urlList) String() string { return strings.Join(*l, ",") }

func (l *urlList) Set(v string) error {
	for _, u := range strings.Split(v, ",") {
		if u = strings.TrimSpace(u); u != "" {
			*l = append(*l, u)
		}
	}
	return nil
}

func addReplicaFlags(fs *flag.FlagSet) *replicaOptions {
	o := &replicaOptions{}
	fs.Var(&o.urls, "replica-url", "a streaming replica's database URL for the reads that may be a little stale "+
		"(tiles, OGC reads, reports, lists); repeat it or separate URLs by commas (env CITYMAP_REPLICA_URL)")
	fs.DurationVar(&o.maxLag, "replica-max-lag", store.DefaultReplicaBound.MaxLag,
		"a replica further behind the primary than this serves no reads until it catches up (env CITYMAP_REPLICA_MAX_LAG)")
	fs.Int64Var(&o.maxMB, "replica-max-lag-mb", store.DefaultReplicaBound.MaxBytes>>20,
		"nor one whose replay is more than this many MB of WAL behind (env CITYMAP_REPLICA_MAX_LAG_MB)")
	return o
}

// config applies the environment under the flags: a flag given wins.
func (o *replicaOptions) config(fs *flag.FlagSet) (store.ReplicaConfig, error) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if v := envOr("CITYMAP_REPLICA_URL", ""); v != "" && !set["replica-url"] {
		_ = o.urls.Set(v)
	}
	if v := envOr("CITYMAP_REPLICA_MAX_LAG", ""); v != "" && !set["replica-max-lag"] {
		d, err := time.ParseDuration(v)
		if err != nil {
			return store.ReplicaConfig{}, fmt.Errorf("CITYMAP_REPLICA_MAX_LAG: %w", err)
		}
		o.maxLag = d
	}
	if v := envOr("CITYMAP_REPLICA_MAX_LAG_MB", ""); v != "" && !set["replica-max-lag-mb"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return store.ReplicaConfig{}, fmt.Errorf("CITYMAP_REPLICA_MAX_LAG_MB: %w", err)
		}
		o.maxMB = n
	}
	if o.maxLag <= 0 || o.maxMB <= 0 {
		return store.ReplicaConfig{}, fmt.Errorf("--replica-max-lag and --replica-max-lag-mb must be above zero")
	}
	cfg := store.ReplicaConfig{URLs: o.urls}
	cfg.Bound.MaxLag, cfg.Bound.MaxBytes = o.maxLag, o.maxMB<<20
	return cfg, nil
}
