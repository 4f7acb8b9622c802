package store

import (
	"testing"
	"time"
)

func TestPlanReadings(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	ago := func(m int) time.Time { return now.Add(time.Duration(m) * time.Minute) }
	zones := func() map[string]*parkingZoneState {
		return map[string]*parkingZoneState{
			"A": {id: 1, capacity: 10, last: ago(-30)},
			"B": {id: 2, capacity: 5},
		}
	}
	rs := []ParkingReading{
		{"A", 3, ago(-20)},    // applied
		{"A", 4, ago(-10)},    // applied: newer than the one before
		{"A", 9, ago(-15)},    // stale: out of order within the batch
		{"A", 2, ago(-30)},    // stale: no newer than the zone's
		{"B", 7, ago(-5)},     // clamped to 5
		{"B", 7, ago(-5)},     // stale: a repeat
		{"C", 1, ago(-5)},     // rejected: unknown zone
		{"A", -1, ago(-5)},    // rejected: negative
		{"A", 1, time.Time{}}, // rejected: no time
		{"A", 1, ago(6)},      // rejected: from the future
		{"A", 1, ago(4)},      // applied: within the allowed skew
		{"", 1, ago(-1)},      // rejected: no zone
	}
	want := []struct {
		status, field string
		occupied      int
	}{
		{ReadingApplied, "", 3}, {ReadingApplied, "", 4}, {ReadingStale, "", 9}, {ReadingStale, "", 2},
		{ReadingClamped, "", 5}, {ReadingStale, "", 5}, {ReadingRejected, "zone", 0},
		{ReadingRejected, "occupied", 0}, {ReadingRejected, "at", 0}, {ReadingRejected, "at", 0},
		{ReadingApplied, "", 1}, {ReadingRejected, "zone", 0},
	}
	p := planReadings(rs, zones(), now)
	for i, w := range want {
		o := p.outcomes[i]
		field := ""
		if o.Err != nil {
			field = o.Err.Field
		}
		if o.Status != w.status || field != w.field || o.Occupied != w.occupied {
			t.Errorf("reading %d: %+v, want %+v", i, o, w)
		}
	}
	if got := p.latest[1]; got.Occupied != 1 || !got.At.Equal(ago(4)) {
		t.Errorf("zone A ends at %+v, want 1 at %s", got, ago(4))
	}
	if got := p.latest[2]; got.Occupied != 5 || !got.At.Equal(ago(-5)) {
		t.Errorf("zone B ends at %+v, want 5 at %s", got, ago(-5))
	}
	// the history: every valid reading once per (zone, at), stale ones too
	if len(p.history) != 6 {
		t.Errorf("history has %d readings, want 6: %+v", len(p.history), p.history)
	}
}

func TestPlanReadingsTruncatesToMicroseconds(t *testing.T) {
	last := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	zones := map[string]*parkingZoneState{"A": {id: 1, capacity: 10, last: last}}
	// the database keeps microseconds: 500 ns later is the same instant there
	p := planReadings([]ParkingReading{{"A", 1, last.Add(500 * time.Nanosecond)}}, zones, last)
	if p.outcomes[0].Status != ReadingStale {
		t.Errorf("status %s, want stale", p.outcomes[0].Status)
	}
}
