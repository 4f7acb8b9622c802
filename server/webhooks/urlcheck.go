package webhooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Where deliveries may go: a partner's public address, never the instance's own
// network. A URL is checked when it is subscribed (its host and what the name
// resolves to) and again at every connection, on the address actually dialled,
// so that a name that resolves elsewhere later (DNS rebinding) reaches nothing
// inside either.

// ErrPrivateAddress says an address is refused.
var ErrPrivateAddress = errors.New("the address is loopback, private, link-local, unique-local, multicast or unspecified")

// publicIP reports whether deliveries may go to ip.
func publicIP(ip netip.Addr) bool {
	ip = ip.Unmap()
	return ip.IsValid() && !ip.IsLoopback() && !ip.IsPrivate() && !ip.IsLinkLocalUnicast() &&
		!ip.IsLinkLocalMulticast() && !ip.IsInterfaceLocalMulticast() && !ip.IsMulticast() &&
		!ip.IsUnspecified() && !sharedOrReserved(ip)
}

// sharedOrReserved covers the ranges netip does not name: carrier-grade NAT
// (100.64/10), "this network" (0/8), the IETF and benchmark ranges, and
// 240/4 with the broadcast address.
func sharedOrReserved(ip netip.Addr) bool {
	for _, p := range reserved {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
}

// URLProblem says what is wrong with a subscription's URL, "" when nothing:
// http or https only, a host, no user or password in it, and (unless
// allowPrivate) no host that is or resolves to a refused address. The host
// must resolve.
func URLProblem(ctx context.Context, raw string, allowPrivate bool) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs():
		return "must be an absolute http or https URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return "must be an http or https URL, not " + u.Scheme
	case u.User != nil:
		return "must not carry a user name or password (sign with the secret instead)"
	case u.Hostname() == "":
		return "must name a host"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "must not have a fragment"
	case len(raw) > 2048:
		return "must be at most 2048 characters"
	}
	host := u.Hostname()
	if ip, err := netip.ParseAddr(host); err == nil {
		if !allowPrivate && !publicIP(ip) {
			return fmt.Sprintf("%s: %v", host, ErrPrivateAddress)
		}
		return ""
	}
	if !allowPrivate && (strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost")) {
		return host + ": " + ErrPrivateAddress.Error()
	}
	rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(rctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return fmt.Sprintf("the host %s does not resolve", host)
	}
	if !allowPrivate {
		for _, ip := range addrs {
			if !publicIP(ip) {
				return fmt.Sprintf("%s resolves to %s: %v", host, ip.Unmap(), ErrPrivateAddress)
			}
		}
	}
	return ""
}

// dialControl refuses, at connect time, an address a delivery may not reach.
func dialControl(allowPrivate bool) func(network, address string, _ syscall.RawConn) error {
	return func(network, address string, _ syscall.RawConn) error {
		if allowPrivate {
			return nil
		}
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("webhook dial %s: %w", address, err)
		}
		if !publicIP(ap.Addr()) {
			return fmt.Errorf("webhook dial %s: %w", address, ErrPrivateAddress)
		}
		return nil
	}
}
