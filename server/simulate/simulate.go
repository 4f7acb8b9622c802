package simulate

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"citymap/server/store"
)

// Config is a whole simulation, as `citymap simulate` takes it.
type Config struct {
	URL   string
	Speed float64
	// From is the simulated instant it starts at; Duration how much it plays,
	// 0 for day after day until ctx ends.
	From     time.Time
	Duration time.Duration
	Seed     uint64
	// CasesPerDay, InspectionsPerDay: 0 for the defaults.
	CasesPerDay, InspectionsPerDay float64
	// TokenFile, when set, holds the tokens (name=token lines: dispatcher,
	// grid_manager, hotline_12345, hotline_12319); else they are created in
	// the database and revoked at the end.
	TokenFile string
	// MQTTURL, when set, carries the parking readings (to TopicPrefix, empty
	// "citymap"); else they go over HTTP.
	MQTTURL, TopicPrefix string
	// Wait is how long to wait for the server's /readyz.
	Wait time.Duration
	Log  *slog.Logger
}

// chunk is how much is planned at a time: a day, so that a run of any length
// holds one day's plan.
const chunk = 24 * time.Hour

// casesPerPlan spaces the case numbers of successive days' plans.
const casesPerPlan = 1_000_000

// Main runs a simulation on the database st, refusing one that is not the
// demo city before it writes anything, and returns what it did.
func Main(ctx context.Context, st *store.Store, c Config) (Totals, error) {
	log := c.Log
	if log == nil {
		log = slog.Default()
	}
	var total Totals
	marker, err := CheckDemoCity(ctx, st)
	if err != nil {
		return total, err
	}
	r := &Runner{URL: c.URL, Speed: c.Speed, Log: log, RunID: time.Now().UTC().Format("20060102t150405.000")}
	defer func() { log.Info("simulate: done", "totals", fmt.Sprintf("%+v", total)) }()
	if c.TokenFile != "" {
		if r.Tokens, err = ReadTokens(c.TokenFile); err != nil {
			return total, err
		}
	} else {
		var revoke func(context.Context)
		if r.Tokens, revoke, err = CreateTokens(ctx, st); err != nil {
			return total, fmt.Errorf("tokens: %w", err)
		}
		defer revoke(context.WithoutCancel(ctx))
	}
	if err := waitReady(ctx, c.URL, c.Wait); err != nil {
		return total, err
	}
	city, err := r.LoadCity(ctx)
	if err != nil {
		return total, err
	}
	if c.MQTTURL != "" {
		s, err := DialSensors(ctx, c.MQTTURL, c.TopicPrefix, "citymap-simulate-"+r.RunID)
		if err != nil {
			return total, err
		}
		defer s.Close()
		r.Sensors = s
	}
	r.Start, r.Started = c.From, time.Now()
	log.Info("simulate: playing the demo city", "demo_city", marker, "url", c.URL, "speed", c.Speed,
		"from", c.From.In(cityTime).Format(time.DateTime), "duration", c.Duration, "seed", c.Seed,
		"places", len(city.Places), "lots", len(city.Zones), "indicators", len(city.Indicators))
	end := c.From.Add(c.Duration)
	var late []Event // steps planned after the day they were planned for
	for day, from := uint64(0), c.From; c.Duration <= 0 || from.Before(end); day++ {
		// days end on the hour, so that each hour's summary is one line
		to := from.Truncate(time.Hour).Add(chunk)
		if c.Duration > 0 && to.After(end) {
			to = end
		}
		planned, err := Plan(city, Options{Seed: c.Seed + day, From: from, Duration: to.Sub(from),
			CasesPerDay: c.CasesPerDay, InspectionsPerDay: c.InspectionsPerDay, LateSteps: true,
			CaseBase: int(day) * casesPerPlan})
		if err != nil {
			return total, err
		}
		// the steps of the evening's cases are taken the next morning
		events := append(late, planned...)
		slices.SortStableFunc(events, func(a, b Event) int { return a.At.Compare(b.At) })
		cut, _ := slices.BinarySearchFunc(events, to, func(e Event, t time.Time) int { return e.At.Compare(t) })
		events, late = events[:cut], slices.Clone(events[cut:])
		got, err := r.Run(ctx, events)
		total.add(got)
		if err != nil {
			return total, err
		}
		from = to
	}
	return total, nil
}

// ReadTokens reads name=token lines.
func ReadTokens(file string) (Tokens, error) {
	var t Tokens
	f, err := os.Open(file)
	if err != nil {
		return t, err
	}
	defer f.Close()
	slots := map[string]*string{"dispatcher": &t.Dispatcher, "grid_manager": &t.GridManager,
		"hotline_12345": &t.Hotline, "hotline_12319": &t.Hotline311}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, tok, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok && slots[name] != nil {
			*slots[name] = tok
		}
	}
	if err := sc.Err(); err != nil {
		return t, err
	}
	for name, v := range slots {
		if *v == "" {
			return t, fmt.Errorf("%s has no %s= line", file, name)
		}
	}
	return t, nil
}

// waitReady polls the server's /readyz for up to wait.
func waitReady(ctx context.Context, url string, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		req, err := http.NewRequestWithContext(ctx, "GET", strings.TrimRight(url, "/")+"/readyz", nil)
		if err != nil {
			return err
		}
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the server at %s is not ready after %s (%v)", url, wait, err)
		}
		if err := sleepUntil(ctx, time.Now().Add(250*time.Millisecond)); err != nil {
			return err
		}
	}
}
