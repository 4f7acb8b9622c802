package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"time"

	"citymap/server/live"
)

// liveOptions are serve's flags for the /live stream.
type liveOptions struct {
	retention time.Duration
	queue     int
	origins   string
	// caps on sockets; 0 is no cap
	perToken, total int
}

func addLiveFlags(fs *flag.FlagSet) *liveOptions {
	o := &liveOptions{}
	fs.DurationVar(&o.retention, "live-retention", 7*24*time.Hour,
		"how long the changes feed is kept for /live clients to resume (env CITYMAP_LIVE_RETENTION)")
	fs.IntVar(&o.queue, "live-queue", 1024,
		"changes queued per /live client before it is closed as too slow (env CITYMAP_LIVE_QUEUE)")
	fs.StringVar(&o.origins, "live-origins", envOr("CITYMAP_LIVE_ORIGINS", ""),
		"comma-separated browser origins allowed on /live besides this host, * for any (env CITYMAP_LIVE_ORIGINS)")
	fs.IntVar(&o.perToken, "live-max-per-token", live.DefaultMaxPerToken,
		"most /live sockets one token may hold on this instance; 0 is no cap (env CITYMAP_LIVE_MAX_PER_TOKEN)")
	fs.IntVar(&o.total, "live-max", live.DefaultMaxClients,
		"most /live sockets this instance serves; 0 is no cap (env CITYMAP_LIVE_MAX)")
	return o
}

// liveCapsEnv maps the caps' flags to their environment variables.
var liveCapsEnv = map[string]string{
	"live-max-per-token": "CITYMAP_LIVE_MAX_PER_TOKEN",
	"live-max":           "CITYMAP_LIVE_MAX",
}

// liveCap turns a flag's cap (0: none) into live.Config's (below 0: none).
func liveCap(n int) int {
	if n == 0 {
		return -1
	}
	return n
}

// config applies the environment under the flags: a flag given wins.
func (o *liveOptions) config(fs *flag.FlagSet) (live.Config, error) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if v := os.Getenv("CITYMAP_LIVE_RETENTION"); v != "" && !set["live-retention"] {
		d, err := time.ParseDuration(v)
		if err != nil {
			return live.Config{}, fmt.Errorf("CITYMAP_LIVE_RETENTION: %w", err)
		}
		o.retention = d
	}
	if v := os.Getenv("CITYMAP_LIVE_QUEUE"); v != "" && !set["live-queue"] {
		if _, err := fmt.Sscan(v, &o.queue); err != nil {
			return live.Config{}, fmt.Errorf("CITYMAP_LIVE_QUEUE: %w", err)
		}
	}
	if o.retention <= 0 || o.queue <= 0 {
		return live.Config{}, fmt.Errorf("--live-retention and --live-queue must be positive")
	}
	if err := setFromEnv(fs, liveCapsEnv); err != nil {
		return live.Config{}, err
	}
	if o.perToken < 0 || o.total < 0 {
		return live.Config{}, fmt.Errorf("--live-max-per-token and --live-max must be 0 (no cap) or more")
	}
	return live.Config{Retention: o.retention, QueueSize: o.queue, AllowedOrigins: trimAll(o.origins),
		MaxPerToken: liveCap(o.perToken), MaxClients: liveCap(o.total)}, nil
}

// raiseFileLimit lifts the soft limit of open files to the hard one: every
// websocket is a file, and a command center's walls and phones are thousands.
func raiseFileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			slog.Warn("raising the open file limit", "err", err)
		}
	}
	_ = syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim)
	return lim.Cur
}

// trimAll splits a comma-separated list, dropping blanks.
func trimAll(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// setFromEnv sets each flag from its environment variable, unless the flag was
// given: a flag given wins.
func setFromEnv(fs *flag.FlagSet, env map[string]string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, key := range env {
		if v := os.Getenv(key); v != "" && !set[name] {
			if err := fs.Set(name, v); err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
		}
	}
	return nil
}
