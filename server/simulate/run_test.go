package simulate_test

import (
	"citymap/server/dbtest"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"testing"
	"time"

	"citymap/server"
	"citymap/server/apitest"
	"citymap/server/simulate"
)

var cst = time.FixedZone("CST", 8*3600)

// counts are the rows the simulation writes, by what wrote them.
type counts struct {
	hotline, open311, patrol, patrolPhotos, steps, reworks, readings, inspections, contacts, tokens int64
}

func count(e *apitest.Env, since time.Time) counts {
	var c counts
	e.Scan(`SELECT
		(SELECT count(*) FROM issues WHERE source = 'hotline_12345' AND created_at >= $1),
		(SELECT count(*) FROM issues WHERE source = 'hotline_12319' AND created_at >= $1),
		(SELECT count(*) FROM issues WHERE source = 'grid_patrol' AND created_at >= $1),
		(SELECT count(*) FROM issues WHERE source = 'grid_patrol' AND created_at >= $1 AND cardinality(photos) = 1),
		(SELECT count(*) FROM issue_events WHERE action <> 'report' AND at >= $1 AND actor LIKE '%:simulate-%'),
		(SELECT count(*) FROM issues WHERE rework_count > 0 AND created_at >= $1),
		(SELECT count(*) FROM parking_readings WHERE at >= $1),
		(SELECT count(*) FROM inspections WHERE inspector = 'simulate-grid-manager' AND inspected_at >= $1),
		(SELECT count(*) FROM issue_contacts WHERE created_at >= $1),
		(SELECT count(*) FROM api_tokens WHERE name LIKE 'simulate-%' AND revoked_at IS NULL)`,
		[]any{since}, &c.hotline, &c.open311, &c.patrol, &c.patrolPhotos, &c.steps, &c.reworks, &c.readings,
		&c.inspections, &c.contacts, &c.tokens)
	return c
}

// TestSimulate plays busy hours at high speed against a real server on its
// own demo city, the readings over MQTT or over HTTP, and checks that every
// channel's rows arrived as the run counted them: hotline batches, Open311
// posts (with the citizen's contact kept), patrol reports with their photos,
// workflow steps by the roles (reworks too), parking readings and
// inspections, with the cases their deductions open; and that its tokens are
// revoked at the end.
func TestSimulate(t *testing.T) {
	broker := dbtest.Env(t, "CITYMAP_TEST_MQTT_URL", "Mosquitto")
	for _, tt := range []struct {
		name     string
		mqtt     bool
		from     time.Time
		duration time.Duration
		reworks  bool // whether the window is long enough for a failed verification
	}{
		{"readings over MQTT", true, time.Date(2026, 5, 12, 9, 0, 0, 0, cst), 4 * time.Hour, true},
		{"readings over HTTP, from half past", false, time.Date(2026, 5, 13, 14, 30, 0, 0, cst), 90 * time.Minute, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := make([]byte, 6)
			_, _ = rand.Read(b)
			prefix := "citymap-sim-" + hex.EncodeToString(b)
			e := apitest.NewWith(t, server.Config{MQTTURL: broker, MQTTClientID: prefix, MQTTTopicPrefix: prefix})
			c := simulate.Config{URL: e.URL, Speed: float64(tt.duration/time.Second) / 3, From: tt.from,
				Duration: tt.duration, Seed: 5, CasesPerDay: 900, InspectionsPerDay: 80, Wait: 10 * time.Second,
				Log: slog.New(slog.NewTextHandler(t.Output(), nil))}
			if tt.mqtt {
				c.MQTTURL, c.TopicPrefix = broker, prefix
			}
			checkRun(t, e, c, tt.reworks)
		})
	}
}

// checkRun runs c and compares the rows written with the run's totals.
func checkRun(t *testing.T, e *apitest.Env, c simulate.Config, reworks bool) {
	t0 := time.Now()
	before := count(e, t0)
	total, err := simulate.Main(t.Context(), e.Store, c)
	if err != nil {
		t.Fatal(err)
	}
	if total.Errors != 0 {
		t.Errorf("%d steps failed", total.Errors)
	}
	if total.Batches == 0 || total.Open311 == 0 || total.Patrol == 0 || total.Actions == 0 || (reworks && total.Reworks == 0) ||
		total.Readings == 0 || total.Inspections == 0 || total.Deductions == 0 {
		t.Fatalf("the run did too little to prove anything: %+v", total)
	}
	// readings over MQTT go through the broker: wait for the subscriber to commit them
	var after counts
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		after = count(e, t0)
		if after.readings-before.readings >= int64(total.Readings) || time.Now().After(deadline) {
			break
		}
	}
	var deductionCases int64
	e.Scan(`SELECT count(*) FROM issues WHERE source = 'inspection' AND created_at >= $1`, []any{t0}, &deductionCases)
	for _, c := range []struct {
		what      string
		got, want int64
	}{
		{"hotline cases", after.hotline - before.hotline, int64(total.BatchCases)},
		{"Open311 requests", after.open311 - before.open311, int64(total.Open311)},
		{"their contacts", after.contacts - before.contacts, int64(total.Open311)},
		{"patrol reports", after.patrol - before.patrol, int64(total.Patrol)},
		{"patrol reports with a photo", after.patrolPhotos - before.patrolPhotos, int64(total.Photos)},
		{"workflow steps", after.steps - before.steps, int64(total.Actions)},
		{"reworked cases", after.reworks - before.reworks, int64(total.Reworks)},
		{"parking readings", after.readings - before.readings, int64(total.Readings)},
		{"inspections", after.inspections - before.inspections, int64(total.Inspections)},
		{"cases opened by deductions", deductionCases, int64(total.Deductions)},
		{"tokens left live", after.tokens, 0},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d rows, the run counted %d", c.what, c.got, c.want)
		}
	}
}

// TestSimulateRefuses: a database without the demo seeder's marker is refused
// before anything is written, tokens included.
func TestSimulateRefuses(t *testing.T) {
	e := apitest.New(t)
	e.Exec(`DELETE FROM settings WHERE key = 'demo_city'`)
	t0 := time.Now()
	before := count(e, t0)
	var tokens int64
	e.Scan(`SELECT count(*) FROM api_tokens`, nil, &tokens)
	_, err := simulate.Main(t.Context(), e.Store, simulate.Config{URL: e.URL, Speed: 1e6, From: time.Now(),
		Duration: time.Hour, Wait: time.Second})
	if !errors.Is(err, simulate.ErrNotDemoCity) {
		t.Fatalf("simulate on a database that is not the demo city: %v", err)
	}
	if after := count(e, t0); after != before {
		t.Errorf("the refused run wrote %+v → %+v", before, after)
	}
	var tokensAfter int64
	e.Scan(`SELECT count(*) FROM api_tokens`, nil, &tokensAfter)
	if tokensAfter != tokens {
		t.Errorf("the refused run made %d tokens", tokensAfter-tokens)
	}
}
