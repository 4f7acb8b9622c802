package webhooks

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"seq":7}`)
	sig := Signature("0123456789abcdef", now, body)
	if !strings.HasPrefix(sig, "t=1800000000,v1=") || len(sig) != len("t=1800000000,v1=")+64 {
		t.Fatalf("signature %q", sig)
	}
	for _, c := range []struct {
		name, secret, header string
		body                 []byte
		at                   time.Time
		want                 error
	}{
		{"good", "0123456789abcdef", sig, body, now.Add(time.Minute), nil},
		{"other secret", "fedcba9876543210", sig, body, now, ErrBadSignature},
		{"other body", "0123456789abcdef", sig, []byte(`{"seq":8}`), now, ErrBadSignature},
		{"replayed late", "0123456789abcdef", sig, body, now.Add(6 * time.Minute), ErrStale},
		{"from the future", "0123456789abcdef", sig, body, now.Add(-6 * time.Minute), ErrStale},
		{"no header", "0123456789abcdef", "", body, now, ErrBadSignature},
		{"timestamp changed", "0123456789abcdef", strings.Replace(sig, "t=1800000000", "t=1800000100", 1), body, now, ErrBadSignature},
	} {
		if err := Verify(c.secret, c.header, c.body, c.at, 5*time.Minute); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}
