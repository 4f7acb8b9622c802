package limit

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
	"golang.org/x/time/rate"

	"citymap/server/auth"
	"citymap/server/respond"
)

// tokenKey identifies the token of a request without looking it up: the hash
// of its bearer token, access_token or Open311 api_key in the query. Requests
// without one (an Open311 form carries its key in the body) have no token
// limit; their class limits them all the same. An invalid token gets a bucket
// of its own, then a 401.
func tokenKey(r *http.Request) string {
	t := auth.Bearer(r)
	if t == "" {
		t = r.URL.Query().Get("api_key")
	}
	if t == "" {
		return ""
	}
	return string(auth.Hash(t))
}

// tokens are the per-token limits.
type tokens struct {
	concurrency int
	rate        rate.Limit
	burst       int

	mu sync.Mutex
	m  map[string]*tokenState
}

// tokenState is one token's: its slots and its rate. It is dropped when no
// request holds or waits for it and its rate has recovered.
type tokenState struct {
	sem   *semaphore.Weighted // nil: no concurrency limit
	rate  *rate.Limiter       // nil: no rate
	users int
}

// maxTokens bounds the states kept for idle tokens with a rate (random
// invalid tokens must not grow the map without end).
const maxTokens = 10000

func newTokens(concurrency int, perSecond float64, burst int) *tokens {
	t := &tokens{concurrency: concurrency, m: map[string]*tokenState{}}
	if perSecond > 0 {
		t.rate, t.burst = rate.Limit(perSecond), max(burst, 1)
	}
	return t
}

func (t *tokens) limited() bool { return t.concurrency > 0 || t.rate > 0 }

// acquire takes a slot of key's token within ctx, or says why not: the reason
// for the metrics and the 429 to answer.
func (t *tokens) acquire(ctx context.Context, key string, wait time.Duration) (func(), string, error) {
	if !t.limited() {
		return func() {}, "", nil
	}
	st := t.use(key)
	if st.rate != nil {
		res := st.rate.Reserve()
		if d := res.Delay(); d > 0 {
			deadline, _ := ctx.Deadline()
			if time.Until(deadline) < d {
				res.Cancel()
				t.done(key)
				return nil, reasonTokenRate, tooMany(fmt.Sprintf(
					"this token sends more than %g requests a second", float64(t.rate)), d)
			}
			timer := time.NewTimer(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				timer.Stop()
				res.Cancel()
				t.done(key)
				return nil, reasonTokenRate, tooMany("this token sends requests too fast", d)
			}
		}
	}
	if st.sem != nil {
		if err := st.sem.Acquire(ctx, 1); err != nil {
			t.done(key)
			return nil, reasonTokenBusy, tooMany(fmt.Sprintf(
				"this token has %d requests in flight; wait for their answers", t.concurrency), max(wait, time.Second))
		}
	}
	return func() {
		if st.sem != nil {
			st.sem.Release(1)
		}
		t.done(key)
	}, "", nil
}

// use returns key's state, counting the caller as its user.
func (t *tokens) use(key string) *tokenState {
	t.mu.Lock()
	defer t.mu.Unlock()
	st, ok := t.m[key]
	if !ok {
		if len(t.m) >= maxTokens {
			t.prune()
		}
		st = &tokenState{}
		if t.concurrency > 0 {
			st.sem = semaphore.NewWeighted(int64(t.concurrency))
		}
		if t.rate > 0 {
			st.rate = rate.NewLimiter(t.rate, t.burst)
		}
		t.m[key] = st
	}
	st.users++
	return st
}

// done ends a user of key's state, dropping the state when nothing needs it.
func (t *tokens) done(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.m[key]
	st.users--
	if st.users == 0 && st.rate == nil {
		delete(t.m, key)
	}
}

// prune drops idle states whose rate has recovered, then, if that was not
// enough, every idle state (forgetting a rate errs towards the client).
func (t *tokens) prune() {
	for k, st := range t.m {
		if st.users == 0 && (st.rate == nil || st.rate.Tokens() >= float64(t.burst)) {
			delete(t.m, k)
		}
	}
	if len(t.m) < maxTokens {
		return
	}
	for k, st := range t.m {
		if st.users == 0 {
			delete(t.m, k)
		}
	}
}

// tooMany is the answer to a token over its limit.
func tooMany(message string, retry time.Duration) *respond.Error {
	return &respond.Error{Status: http.StatusTooManyRequests, Code: "too_many_requests", Message: message,
		RetryAfter: max(retry, time.Second)}
}
