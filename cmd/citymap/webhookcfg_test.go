package main

import (
	"testing"
	"time"

	"citymap/server/webhooks"
)

// The webhook flags, the environment under them, and
// CITYMAP_WEBHOOK_ALLOW_PRIVATE, off unless said.
func TestWebhookFlags(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		args []string
		ok   bool
		want func(webhooks.Config) bool
	}{
		{"defaults", nil, nil, true, func(c webhooks.Config) bool {
			return c.Timeout == 10*time.Second && c.PauseAfter == time.Hour && !c.AllowPrivate && !c.Off
		}},
		{"flags", nil, []string{"--webhook-pause-after", "10m", "--webhook-timeout", "3s"}, true, func(c webhooks.Config) bool {
			return c.PauseAfter == 10*time.Minute && c.Timeout == 3*time.Second
		}},
		{"the environment", map[string]string{"CITYMAP_WEBHOOK_PAUSE_AFTER": "2h", "CITYMAP_WEBHOOK_ALLOW_PRIVATE": "true",
			"CITYMAP_WEBHOOK_OFF": "true"}, nil, true, func(c webhooks.Config) bool {
			return c.PauseAfter == 2*time.Hour && c.AllowPrivate && c.Off
		}},
		{"a flag over the environment", map[string]string{"CITYMAP_WEBHOOK_TIMEOUT": "9s"}, []string{"--webhook-timeout", "1s"}, true,
			func(c webhooks.Config) bool { return c.Timeout == time.Second }},
		{"zero", nil, []string{"--webhook-pause-after", "0s"}, false, nil},
		{"no concurrency", nil, []string{"--webhook-concurrency", "0"}, false, nil},
		{"a bad allow", map[string]string{"CITYMAP_WEBHOOK_ALLOW_PRIVATE": "maybe"}, nil, false, nil},
		{"a bad environment", map[string]string{"CITYMAP_WEBHOOK_POLL": "often"}, nil, false, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			fs := newFlags("serve")
			o := addWebhookFlags(fs)
			err := fs.Parse(c.args)
			var cfg webhooks.Config
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
