package activities

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Sign-ups per client address: a burst of SignupBurst, then one every
// 1/SignupRate seconds — a family signs up together, a script does not.
const (
	SignupRate  = rate.Limit(1.0 / 6)
	SignupBurst = 10
	// addresses idle this long are forgotten
	addressIdle = 30 * time.Minute
)

type addressLimiter struct {
	mu     sync.Mutex
	limit  rate.Limit
	burst  int
	byAddr map[string]*addressState
	pruned time.Time
}

type addressState struct {
	lim  *rate.Limiter
	seen time.Time
}

func newAddressLimiter(limit rate.Limit, burst int) *addressLimiter {
	return &addressLimiter{limit: limit, burst: burst, byAddr: map[string]*addressState{}}
}

// allow takes one sign-up of addr at now, or says how long to wait.
func (l *addressLimiter) allow(addr string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.pruned) > addressIdle {
		for a, s := range l.byAddr {
			if now.Sub(s.seen) > addressIdle {
				delete(l.byAddr, a)
			}
		}
		l.pruned = now
	}
	s := l.byAddr[addr]
	if s == nil {
		s = &addressState{lim: rate.NewLimiter(l.limit, l.burst)}
		l.byAddr[addr] = s
	}
	s.seen = now
	if s.lim.AllowN(now, 1) {
		return 0, true
	}
	return time.Duration(float64(time.Second) / float64(l.limit)), false
}

// clientAddress is the peer's IP (the listener's; a proxy in front should
// pass the connection through or be trusted by the HTTP server).
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
