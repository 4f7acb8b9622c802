package limit

import (
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"citymap/server/respond"
)

// Keyed is a rate per key — a client address for the public forms, which
// carry no token — with bursts. Idle keys whose rate has recovered are
// forgotten once maxTokens keys are kept.
type Keyed struct {
	rate  rate.Limit
	burst int
	mu    sync.Mutex
	m     map[string]*rate.Limiter
}

// NewKeyed allows perMinute requests a minute per key with bursts of burst;
// perMinute 0 allows everything.
func NewKeyed(perMinute float64, burst int) *Keyed {
	return &Keyed{rate: rate.Limit(perMinute / 60), burst: max(burst, 1), m: map[string]*rate.Limiter{}}
}

// Allow takes one request of key now, or answers 429 with the wait.
func (k *Keyed) Allow(key string) error {
	if k == nil || k.rate <= 0 {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	l, ok := k.m[key]
	if !ok {
		if len(k.m) >= maxTokens {
			k.prune()
		}
		l = rate.NewLimiter(k.rate, k.burst)
		k.m[key] = l
	}
	res := l.Reserve()
	if d := res.Delay(); d > 0 {
		res.Cancel()
		return &respond.Error{Status: http.StatusTooManyRequests, Code: "too_many_requests",
			Message: "too many answers from this address; wait a little", RetryAfter: max(d.Round(time.Second), time.Second)}
	}
	return nil
}

func (k *Keyed) prune() {
	for key, l := range k.m {
		if l.Tokens() >= float64(k.burst) {
			delete(k.m, key)
		}
	}
	if len(k.m) >= maxTokens { // a flood of fresh addresses: start over
		k.m = map[string]*rate.Limiter{}
	}
}

// ClientAddr is the address a request came from: the TCP peer's IP (behind
// a load balancer, the balancer's own unless it limits per client itself).
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
