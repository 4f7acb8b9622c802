package limit

import (
	"errors"
	"net/http"
	"testing"

	"citymap/server/respond"
)

// TestKeyed: a key has its burst, then 429 with the wait; keys do not share.
func TestKeyed(t *testing.T) {
	k := NewKeyed(1, 2) // one a minute, bursts of two
	for i := range 2 {
		if err := k.Allow("a"); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	var e *respond.Error
	if err := k.Allow("a"); !errors.As(err, &e) || e.Status != http.StatusTooManyRequests || e.RetryAfter.Seconds() < 50 {
		t.Fatalf("past the burst: %v", err)
	}
	if err := k.Allow("b"); err != nil {
		t.Fatalf("another key: %v", err)
	}
	var none *Keyed
	if NewKeyed(0, 1).Allow("a") != nil || none.Allow("a") != nil {
		t.Fatal("no rate limits")
	}
}
