package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"citymap/server/simulate"
)

func init() {
	register("simulate", "play a day of the demo city through a running server's interfaces", runSimulate)
}

func runSimulate(ctx context.Context, args []string) error {
	fs := newFlags("simulate")
	c := simulate.Config{}
	fs.StringVar(&c.URL, "url", envOr("CITYMAP_SIMULATE_URL", "http://localhost:8080"), "the running server (env CITYMAP_SIMULATE_URL)")
	speed := fs.String("speed", envOr("CITYMAP_SIMULATE_SPEED", "1"),
		"simulated seconds per real second: 1 is real time, 60 a minute a second (env CITYMAP_SIMULATE_SPEED)")
	from := fs.String("from", "now", "the simulated instant to start at (RFC 3339); its hour sets the rhythm")
	fs.DurationVar(&c.Duration, "duration", 24*time.Hour, "how much simulated time to play; 0 is day after day until stopped")
	fs.Uint64Var(&c.Seed, "seed", 1, "the seed of the plan: the same seed, start and city play the same day")
	fs.Float64Var(&c.CasesPerDay, "cases-per-day", simulate.DefaultCasesPerDay, "cases a day over all channels")
	fs.Float64Var(&c.InspectionsPerDay, "inspections-per-day", simulate.DefaultInspectionsPerDay, "inspections a day")
	fs.StringVar(&c.TokenFile, "token-file", "",
		"name=token lines for dispatcher, grid_manager, hotline_12345, hotline_12319; default: create them in the database, revoke them at the end")
	fs.StringVar(&c.MQTTURL, "mqtt-url", envOr("CITYMAP_MQTT_URL", ""),
		"the parking sensors' broker the server subscribes to; empty sends the readings over HTTP (env CITYMAP_MQTT_URL)")
	fs.StringVar(&c.TopicPrefix, "mqtt-topic-prefix", "citymap", "the first level of the readings' topics")
	fs.DurationVar(&c.Wait, "wait", time.Minute, "how long to wait for the server's /readyz")
	if err := parse(fs, args); err != nil {
		return err
	}
	var err error
	if c.Speed, err = strconv.ParseFloat(*speed, 64); err != nil || !(c.Speed > 0) {
		return fmt.Errorf("--speed %q: want a positive number", *speed)
	}
	c.From = time.Now()
	if *from != "now" {
		if c.From, err = time.Parse(time.RFC3339, *from); err != nil {
			return fmt.Errorf("--from: %w", err)
		}
	}
	if c.Duration < 0 {
		return fmt.Errorf("--duration %s: want 0 or more", c.Duration)
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	_, err = simulate.Main(ctx, st, c)
	if ctx.Err() != nil {
		return nil // stopped, with the server
	}
	return err
}
