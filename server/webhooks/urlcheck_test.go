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
