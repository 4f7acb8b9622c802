package bulletins_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"citymap/server"
	"citymap/server/bulletins"
	"citymap/server/period"
)

// At each period's end a draft is prepared once, whoever runs it and however
// often: several instances at once insert one draft per period.
func TestPrepare(t *testing.T) {
	e := withFixture(t, server.Config{})
	// Wednesday 1 April 2020, 00:30 in the city: March, Q1, the week of
	// 23–29 March and 2019 have ended
	now := time.Date(2020, 4, 1, 0, 30, 0, 0, period.Zone)
	var wg sync.WaitGroup
	made := make([][]int64, 3)
	for i := range made {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids, err := bulletins.Prepare(context.Background(), e.Store, now, bulletins.DefaultThresholds)
			if err != nil {
				t.Error(err)
			}
			made[i] = ids
		}()
	}
	wg.Wait()
	if n := len(made[0]) + len(made[1]) + len(made[2]); n != 4 {
		t.Errorf("three instances prepared %d drafts, want 4", n)
	}
	rows := map[string]string{}
	for _, k := range []string{"week", "month", "quarter", "year"} {
		var from time.Time
		var status string
		e.Scan(`SELECT period_from, status FROM bulletins WHERE kind = $1 AND created_by = $2`,
			[]any{k, bulletins.PreparedBy}, &from, &status)
		rows[k] = from.In(period.Zone).Format(time.DateOnly) + " " + status
	}
	want := map[string]string{"week": "2020-03-23 draft", "month": "2020-03-01 draft", "quarter": "2020-01-01 draft",
		"year": "2019-01-01 draft"}
	for k, w := range want {
		if rows[k] != w {
			t.Errorf("%s: %s, want %s", k, rows[k], w)
		}
	}
	// later that day nothing new has ended; at the next week's end only the
	// week's draft is new
	if ids, _ := bulletins.Prepare(context.Background(), e.Store, now.Add(20*time.Hour), bulletins.DefaultThresholds); len(ids) != 0 {
		t.Errorf("later the same day: %d drafts", len(ids))
	}
	if ids, _ := bulletins.Prepare(context.Background(), e.Store, time.Date(2020, 4, 6, 0, 0, 1, 0, period.Zone),
		bulletins.DefaultThresholds); len(ids) != 1 {
		t.Errorf("at the next week's end: %d drafts, want 1", len(ids))
	}
	// freezing the month publishes its draft, numbered
	var b bulletin
	e.Must(201, "POST", "/api/v1/bulletins", "reviewer", map[string]string{"period": "month", "date": "2020-03-01"}).Decode(t, &b)
	if b.Issue != "2020年第1期" || e.Int(`SELECT count(*) FROM bulletins WHERE kind = 'month' AND year = 2020`) != 1 {
		t.Errorf("freezing the drafted month: %s", b.Issue)
	}
}

// citymap serve prepares the drafts by itself at its interval, on its clock.
func TestServePreparesDrafts(t *testing.T) {
	e := withFixture(t, server.Config{BulletinChecks: 50 * time.Millisecond,
		Clock: func() time.Time { return time.Date(2020, 4, 1, 0, 30, 0, 0, period.Zone) }})
	deadline := time.Now().Add(30 * time.Second)
	for e.Int(`SELECT count(*) FROM bulletins WHERE created_by = $1 AND status = 'draft'`, bulletins.PreparedBy) < 4 {
		if time.Now().After(deadline) {
			t.Fatal("no drafts prepared by the instance")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
