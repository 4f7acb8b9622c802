package main

import (
	"testing"
	"time"
)

// The limits of serve (and its compression switch) come from flags, else the
// environment, else defaults; a cap of 0 on /live sockets is no cap.
func TestServeLimits(t *testing.T) {
	cases := []struct {
		name        string
		args        []string
		env         map[string]string
		readTimeout time.Duration
		idle        time.Duration
		perToken    int
		total       int
		compressOff bool
		wantErr     bool
	}{
		{"defaults", nil, nil, time.Minute, 2 * time.Minute, 50, 20000, false, false},
		{"environment", nil, map[string]string{"CITYMAP_READ_TIMEOUT": "5s", "CITYMAP_LIVE_MAX_PER_TOKEN": "0",
			"CITYMAP_COMPRESS_OFF": "true"}, 5 * time.Second, 2 * time.Minute, -1, 20000, true, false},
		{"a flag wins", []string{"--read-timeout", "7s", "--live-max", "0", "--idle-timeout", "1s", "--compress-off"},
			map[string]string{"CITYMAP_READ_TIMEOUT": "5s", "CITYMAP_LIVE_MAX": "9"}, 7 * time.Second, time.Second, 50, -1, true, false},
		{"a false flag wins", []string{"--compress-off=false"}, map[string]string{"CITYMAP_COMPRESS_OFF": "true"},
			time.Minute, 2 * time.Minute, 50, 20000, false, false},
		{"bad environment", nil, map[string]string{"CITYMAP_IDLE_TIMEOUT": "soon"}, 0, 0, 0, 0, false, true},
		{"bad switch", nil, map[string]string{"CITYMAP_COMPRESS_OFF": "maybe"}, 0, 0, 0, 0, false, true},
		{"negative cap", []string{"--live-max-per-token", "-1"}, nil, 0, 0, 0, 0, false, true},
		{"zero timeout", []string{"--read-timeout", "0s"}, nil, 0, 0, 0, 0, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, k := range []string{"CITYMAP_READ_TIMEOUT", "CITYMAP_IDLE_TIMEOUT", "CITYMAP_LIVE_MAX_PER_TOKEN", "CITYMAP_LIVE_MAX",
				"CITYMAP_COMPRESS_OFF"} {
				t.Setenv(k, c.env[k])
			}
			fs := newFlags("serve")
			httpOpts, liveOpts := addHTTPFlags(fs), addLiveFlags(fs)
			if err := fs.Parse(c.args); err != nil {
				t.Fatal(err)
			}
			hc, err := httpConfig(fs, httpOpts)
			lc, lerr := liveOpts.config(fs)
			if err == nil {
				err = lerr
			}
			if (err != nil) != c.wantErr {
				t.Fatalf("error %v, want one: %v", err, c.wantErr)
			}
			if c.wantErr {
				return
			}
			if hc.ReadTimeout != c.readTimeout || hc.IdleTimeout != c.idle || hc.ReadHeaderTimeout != 10*time.Second ||
				hc.MaxHeaderBytes != 64<<10 || hc.CompressOff != c.compressOff {
				t.Errorf("HTTP %+v", hc)
			}
			if lc.MaxPerToken != c.perToken || lc.MaxClients != c.total {
				t.Errorf("live caps %d per token, %d in all; want %d, %d", lc.MaxPerToken, lc.MaxClients, c.perToken, c.total)
			}
		})
	}
}
