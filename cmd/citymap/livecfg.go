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
}

func addLiveFlags(fs *flag.FlagSet) *liveOptions {
	o := &liveOptions{}
	fs.DurationVar(&o.retention, "live-retention", 7*24*time.Hour,
		"how long the changes feed is kept for /live clients to resume (env CITYMAP_LIVE_RETENTION)")
	fs.IntVar(&o.queue, "live-queue", 1024,
		"changes queued per /live client before it is closed as too slow (env CITYMAP_LIVE_QUEUE)")
	fs.StringVar(&o.origins, "live-origins", envOr("CITYMAP_LIVE_ORIGINS", ""),
		"comma-separated browser origins allowed on /live besides this host, * for any (env CITYMAP_LIVE_ORIGINS)")
	return o
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
	return live.Config{Retention: o.retention, QueueSize: o.queue, AllowedOrigins: trimAll(o.origins)}, nil
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
