package main

import (
	"testing"
	"time"

	"citymap/server/limit"
)

// The limit flags take their defaults from limit.Defaults, the environment
// under them, and refuse what is not a limit.
func TestLimitFlags(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		args []string
		ok   bool
		want func(limit.Config) bool
	}{
		{"defaults", nil, nil, true, func(c limit.Config) bool {
			return c.Classes[limit.Heavy] == limit.Defaults().Classes[limit.Heavy] && c.TokenConcurrency == 8 && c.TokenRate == 0
		}},
		{"a flag", nil, []string{"--limit-heavy", "2,5s", "--token-rate", "1.5"}, true, func(c limit.Config) bool {
			return c.Classes[limit.Heavy] == limit.ClassConfig{Concurrency: 2, Timeout: 5 * time.Second} &&
				c.TokenRate == 1.5 && c.TokenBurst == 3
		}},
		{"concurrency only", nil, []string{"--limit-medium", "3"}, true, func(c limit.Config) bool {
			return c.Classes[limit.Medium] == limit.ClassConfig{Concurrency: 3, Timeout: 15 * time.Second}
		}},
		{"the environment", map[string]string{"CITYMAP_LIMIT_LIGHT": "10,1s", "CITYMAP_TOKEN_CONCURRENCY": "0"}, nil, true,
			func(c limit.Config) bool {
				return c.Classes[limit.Light] == limit.ClassConfig{Concurrency: 10, Timeout: time.Second} && c.TokenConcurrency == 0
			}},
		{"a flag over the environment", map[string]string{"CITYMAP_LIMIT_WAIT": "9s"}, []string{"--limit-wait", "1s"}, true,
			func(c limit.Config) bool { return c.Wait == time.Second }},
		{"not a number", nil, []string{"--limit-heavy", "many"}, false, nil},
		{"negative", nil, []string{"--limit-heavy", "-1,5s"}, false, nil},
		{"a bad duration", nil, []string{"--limit-heavy", "4,soon"}, false, nil},
		{"a bad environment", map[string]string{"CITYMAP_LIMIT_UPLOAD": "x"}, nil, false, nil},
		{"a negative rate", nil, []string{"--token-rate", "-1"}, false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			fs := newFlags("serve")
			o := addLimitFlags(fs)
			err := fs.Parse(c.args)
			var cfg limit.Config
			if err == nil {
				cfg, err = o.config(fs)
			}
			if (err == nil) != c.ok {
				t.Fatalf("error %v, want ok=%v", err, c.ok)
			}
			if c.ok && !c.want(cfg) {
				t.Errorf("config %+v", cfg)
			}
		})
	}
}
