package main

import (
	"slices"
	"testing"
	"time"
)

func TestReplicaFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		urls    []string
		maxLag  time.Duration
		maxByte int64
		bad     bool
	}{
		{name: "none", urls: nil, maxLag: 5 * time.Second, maxByte: 64 << 20},
		{name: "repeated and comma-separated", args: []string{"--replica-url", "postgres://a/x, postgres://b/x", "--replica-url=postgres://c/x"},
			urls: []string{"postgres://a/x", "postgres://b/x", "postgres://c/x"}, maxLag: 5 * time.Second, maxByte: 64 << 20},
		{name: "from the environment", env: map[string]string{"CITYMAP_REPLICA_URL": "postgres://a/x,postgres://b/x",
			"CITYMAP_REPLICA_MAX_LAG": "2s", "CITYMAP_REPLICA_MAX_LAG_MB": "8"},
			urls: []string{"postgres://a/x", "postgres://b/x"}, maxLag: 2 * time.Second, maxByte: 8 << 20},
		{name: "a flag wins over the environment", args: []string{"--replica-url", "postgres://f/x", "--replica-max-lag", "1s"},
			env:  map[string]string{"CITYMAP_REPLICA_URL": "postgres://e/x", "CITYMAP_REPLICA_MAX_LAG": "9s"},
			urls: []string{"postgres://f/x"}, maxLag: time.Second, maxByte: 64 << 20},
		{name: "bad lag in the environment", env: map[string]string{"CITYMAP_REPLICA_MAX_LAG": "soon"}, bad: true},
		{name: "no bound", args: []string{"--replica-max-lag", "0s"}, bad: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, k := range []string{"CITYMAP_REPLICA_URL", "CITYMAP_REPLICA_MAX_LAG", "CITYMAP_REPLICA_MAX_LAG_MB"} {
				t.Setenv(k, tc.env[k])
			}
			fs := newFlags("serve")
			o := addReplicaFlags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			cfg, err := o.config(fs)
			if tc.bad {
				if err == nil {
					t.Fatal("accepted")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(cfg.URLs, tc.urls) || cfg.Bound.MaxLag != tc.maxLag || cfg.Bound.MaxBytes != tc.maxByte {
				t.Errorf("got %v %v %d", cfg.URLs, cfg.Bound.MaxLag, cfg.Bound.MaxBytes)
			}
		})
	}
}
