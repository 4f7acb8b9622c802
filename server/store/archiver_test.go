package store_test

import (
	"testing"
	"time"

	"citymap/server/store"
)

func TestArchiverFailing(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC)
	t1 := t0.Add(time.Minute)
	for _, c := range []struct {
		name             string
		archived, failed *time.Time
		want             bool
	}{
		{"never ran", nil, nil, false},
		{"archived, never failed", &t0, nil, false},
		{"failed, then archived again", &t1, &t0, false},
		{"archived, then failed", &t0, &t1, true},
		{"failed, never archived", nil, &t0, true},
	} {
		a := store.ArchiverStatus{Enabled: true, LastArchived: c.archived, LastFailed: c.failed}
		if got := a.Failing(); got != c.want {
			t.Errorf("%s: Failing() = %v, want %v", c.name, got, c.want)
		}
	}
}
