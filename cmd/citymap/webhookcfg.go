package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"citymap/server/webhooks"
)

// webhookOptions are serve's settings of the deliveries to partner systems.
type webhookOptions struct {
	timeout, pauseAfter, minBackoff, maxBackoff, poll time.Duration
	concurrency                                       int
	off                                               bool
}

func addWebhookFlags(fs *flag.FlagSet) *webhookOptions {
	o := &webhookOptions{}
	fs.DurationVar(&o.timeout, "webhook-timeout", 10*time.Second,
		"time a webhook receiver has to answer a delivery (env CITYMAP_WEBHOOK_TIMEOUT)")
	fs.DurationVar(&o.pauseAfter, "webhook-pause-after", time.Hour,
		"how long a webhook may fail before it is paused (env CITYMAP_WEBHOOK_PAUSE_AFTER)")
	fs.DurationVar(&o.minBackoff, "webhook-min-backoff", time.Second,
		"first wait before a failed delivery is retried (env CITYMAP_WEBHOOK_MIN_BACKOFF)")
	fs.DurationVar(&o.maxBackoff, "webhook-max-backoff", 5*time.Minute,
		"longest wait between retries (env CITYMAP_WEBHOOK_MAX_BACKOFF)")
	fs.DurationVar(&o.poll, "webhook-poll", 5*time.Second,
		"how often the instance looks for webhooks with work besides the feed's notifications (env CITYMAP_WEBHOOK_POLL)")
	fs.IntVar(&o.concurrency, "webhook-concurrency", 16,
		"webhooks this instance delivers to at once (env CITYMAP_WEBHOOK_CONCURRENCY)")
	fs.BoolVar(&o.off, "webhook-off", false,
		"deliver no webhooks from this instance; the API still answers (env CITYMAP_WEBHOOK_OFF)")
	return o
}

var webhookEnv = map[string]string{
	"webhook-timeout":     "CITYMAP_WEBHOOK_TIMEOUT",
	"webhook-pause-after": "CITYMAP_WEBHOOK_PAUSE_AFTER",
	"webhook-min-backoff": "CITYMAP_WEBHOOK_MIN_BACKOFF",
	"webhook-max-backoff": "CITYMAP_WEBHOOK_MAX_BACKOFF",
	"webhook-poll":        "CITYMAP_WEBHOOK_POLL",
	"webhook-concurrency": "CITYMAP_WEBHOOK_CONCURRENCY",
	"webhook-off":         "CITYMAP_WEBHOOK_OFF",
}

// config applies the environment under the flags (a flag given wins) and
// CITYMAP_WEBHOOK_ALLOW_PRIVATE, which has no flag: it is for tests and for
// partners on the city's own network, never a default.
func (o *webhookOptions) config(fs *flag.FlagSet) (webhooks.Config, error) {
	if err := setFromEnv(fs, webhookEnv); err != nil {
		return webhooks.Config{}, err
	}
	for name, d := range map[string]time.Duration{"webhook-timeout": o.timeout, "webhook-pause-after": o.pauseAfter,
		"webhook-min-backoff": o.minBackoff, "webhook-max-backoff": o.maxBackoff, "webhook-poll": o.poll} {
		if d <= 0 {
			return webhooks.Config{}, fmt.Errorf("--%s must be positive", name)
		}
	}
	if o.concurrency <= 0 {
		return webhooks.Config{}, fmt.Errorf("--webhook-concurrency must be positive")
	}
	allow := false
	if v := os.Getenv("CITYMAP_WEBHOOK_ALLOW_PRIVATE"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return webhooks.Config{}, fmt.Errorf("CITYMAP_WEBHOOK_ALLOW_PRIVATE: %w", err)
		}
		allow = b
	}
	return webhooks.Config{Timeout: o.timeout, PauseAfter: o.pauseAfter, MinBackoff: o.minBackoff,
		MaxBackoff: o.maxBackoff, PollEvery: o.poll, Concurrency: o.concurrency, Off: o.off, AllowPrivate: allow}, nil
}
