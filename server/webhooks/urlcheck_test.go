package webhooks

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestPublicIP(t *testing.T) {
	for addr, want := range map[string]bool{
		"93.184.215.14": true, "2606:2800:21f:cb07:6820:80da:af6b:8b2c": true, "8.8.8.8": true,
		"127.0.0.1": false, "127.8.9.10": false, "::1": false, "10.0.0.1": false, "172.16.5.4": false,
		"192.168.0.10": false, "169.254.169.254": false, "fe80::1": false, "fc00::1": false, "fd12::1": false,
		"224.0.0.251": false, "ff02::1": false, "0.0.0.0": false, "::": false, "100.64.0.1": false,
		"255.255.255.255": false, "::ffff:10.0.0.1": false, "::ffff:127.0.0.1": false,
	} {
		if got := publicIP(netip.MustParseAddr(addr)); got != want {
			t.Errorf("publicIP(%s) = %v, want %v", addr, got, want)
		}
	}
}

func TestURLProblem(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		url          string
		allowPrivate bool
		want         string // part of the problem, "" for none
	}{
		{"https://93.184.215.14/hook", false, ""},
		{"http://127.0.0.1:9/hook", false, "loopback"},
		{"http://127.0.0.1:9/hook", true, ""},
		{"http://localhost/hook", false, "loopback"},
		{"http://api.localhost/hook", false, "loopback"},
		{"http://[fe80::1%25eth0]/hook", false, "link-local"},
		{"gopher://93.184.215.14/", false, "http or https"},
		{"gopher://127.0.0.1/", true, "http or https"},
		{"https://a:b@93.184.215.14/", true, "user name"},
		{"https:///nohost", false, "must name a host"},
		{"https://93.184.215.14/#frag", false, "fragment"},
		{"not a url", false, "absolute"},
		{"https://no-such-host.invalid/hook", false, "does not resolve"},
		{"https://no-such-host.invalid/hook", true, "does not resolve"},
	} {
		got := URLProblem(ctx, c.url, c.allowPrivate)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("URLProblem(%q, %v) = %q, want %q", c.url, c.allowPrivate, got, c.want)
		}
	}
}

// The dialer checks the address it connects to, whatever the URL said: a name
// that resolves to a private address at delivery time (DNS rebinding) is
// refused before a byte is sent.
func TestDialRefusesPrivate(t *testing.T) {
	hit := false
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hit = true }))
	defer srv.Close()
	strict := newClient(Config{Timeout: time.Second})
	for _, u := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		_, err := strict.Post(u, "application/json", strings.NewReader("{}"))
		if !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("POST %s: %v, want %v", u, err, ErrPrivateAddress)
		}
	}
	if hit {
		t.Error("the receiver was reached")
	}
	res, err := newClient(Config{Timeout: time.Second, AllowPrivate: true}).Post(srv.URL, "application/json", strings.NewReader("{}"))
	if err != nil || !hit {
		t.Fatalf("with private addresses allowed: %v", err)
	}
	res.Body.Close()
}

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

func TestBackoff(t *testing.T) {
	d := &Dispatcher{cfg: Config{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second}.withDefaults()}
	for attempt, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond,
		3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 30: time.Second} {
		for range 20 {
			if got := d.backoff(attempt); got < want/2 || got > want {
				t.Errorf("backoff(%d) = %v, want within [%v, %v]", attempt, got, want/2, want)
			}
		}
	}
}

func TestEventOf(t *testing.T) {
	for _, c := range []struct {
		op, action, to, want string
	}{
		{"upsert", "", "", "upsert"}, {"delete", "", "", "delete"},
		{"upsert", "report", "reported", "reported"}, {"upsert", "register", "registered", "registered"},
		{"upsert", "dispatch", "dispatched", "dispatched"}, {"upsert", "start", "in_progress", "started"},
		{"upsert", "resolve", "resolved", "handled"}, {"upsert", "verify", "closed", "closed"},
		{"upsert", "verify", "dispatched", "reopened"}, {"upsert", "reject", "rejected", "rejected"},
		{"upsert", "merge", "merged", "merged"}, {"upsert", "update", "registered", "updated"},
	} {
		if got := eventOf(c.op, [2]string{c.action, c.to}); got != c.want {
			t.Errorf("eventOf(%s, %s→%s) = %s, want %s", c.op, c.action, c.to, got, c.want)
		}
	}
}

// A worker waiting to retry keeps its lease: it renews it every third of it,
// however long the backoff.
func TestLeaseOutlastsTheWait(t *testing.T) {
	for _, c := range []Config{{}, {Timeout: time.Minute, MaxBackoff: time.Hour}} {
		c = c.withDefaults()
		if ttl := c.leaseTTL(); ttl < c.Timeout+ttl/3 || ttl < 30*time.Second {
			t.Errorf("%+v: lease %v does not outlast an attempt and a third of itself", c, ttl)
		}
	}
}
