package main

import (
	"flag"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"citymap/server/limit"
)

// limitOptions are serve's flags for the request limits (server/limit) and the
// database's statement timeout.
type limitOptions struct {
	cfg              limit.Config
	statementTimeout time.Duration
	env              map[string]string // flag → environment variable
}

func addLimitFlags(fs *flag.FlagSet) *limitOptions {
	o := &limitOptions{cfg: limit.Defaults(), env: map[string]string{}}
	for _, name := range limit.Classes {
		fs.Var(&classFlag{&o.cfg, name}, "limit-"+name, fmt.Sprintf(
			"%s requests served at once and their deadline, as N,DURATION (0 for no limit) (env %s)",
			name, o.envFor("limit-"+name)))
	}
	fs.DurationVar(&o.cfg.Wait, "limit-wait", o.cfg.Wait,
		"how long a request waits for a slot of its class or token before a 503 or 429 (env "+o.envFor("limit-wait")+")")
	fs.IntVar(&o.cfg.TokenConcurrency, "token-concurrency", o.cfg.TokenConcurrency,
		"requests of one token in flight at once; 0 for no limit (env "+o.envFor("token-concurrency")+")")
	fs.Float64Var(&o.cfg.TokenRate, "token-rate", 0,
		"requests per second of one token, in bursts of twice that; 0 for no limit (env "+o.envFor("token-rate")+")")
	fs.DurationVar(&o.statementTimeout, "statement-timeout", time.Minute,
		"PostgreSQL statement_timeout of the server's connections, under the request deadlines; 0 for none (env "+
			o.envFor("statement-timeout")+")")
	return o
}

// envFor names the environment variable of a flag: CITYMAP_ and the flag in
// capitals, e.g. CITYMAP_LIMIT_HEAVY.
func (o *limitOptions) envFor(flagName string) string {
	env := "CITYMAP_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
	o.env[flagName] = env
	return env
}

// config applies the environment under the flags (a flag given wins) and
// checks the values.
func (o *limitOptions) config(fs *flag.FlagSet) (limit.Config, error) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for name, env := range o.env {
		if v := envOr(env, ""); v != "" && !set[name] {
			if err := fs.Set(name, v); err != nil {
				return limit.Config{}, fmt.Errorf("%s: %w", env, err)
			}
		}
	}
	switch {
	case o.cfg.Wait < 0 || o.cfg.TokenConcurrency < 0 || o.statementTimeout < 0:
		return limit.Config{}, fmt.Errorf("--limit-wait, --token-concurrency and --statement-timeout must not be negative")
	case o.cfg.TokenRate < 0 || math.IsNaN(o.cfg.TokenRate) || math.IsInf(o.cfg.TokenRate, 0):
		return limit.Config{}, fmt.Errorf("--token-rate must be 0 or a positive number")
	}
	o.cfg.TokenBurst = int(math.Ceil(2 * o.cfg.TokenRate))
	return o.cfg, nil
}

// classFlag is a class's limits as N,DURATION (the duration may be left out).
type classFlag struct {
	cfg  *limit.Config
	name string
}

func (f *classFlag) String() string {
	if f == nil || f.cfg == nil {
		return ""
	}
	c := f.cfg.Classes[f.name]
	return fmt.Sprintf("%d,%s", c.Concurrency, c.Timeout)
}

func (f *classFlag) Set(s string) error {
	c := f.cfg.Classes[f.name]
	n, d, hasD := strings.Cut(s, ",")
	var err error
	if c.Concurrency, err = strconv.Atoi(strings.TrimSpace(n)); err != nil || c.Concurrency < 0 {
		return fmt.Errorf("%q: want N,DURATION, e.g. 4,30s", s)
	}
	if hasD {
		if c.Timeout, err = time.ParseDuration(strings.TrimSpace(d)); err != nil || c.Timeout < 0 {
			return fmt.Errorf("%q: want N,DURATION, e.g. 4,30s", s)
		}
	}
	f.cfg.Classes[f.name] = c
	return nil
}
