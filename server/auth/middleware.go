package auth

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"citymap/server/respond"
	"citymap/server/store"
)

// Lookup finds the live token with this hash.
type Lookup func(ctx context.Context, hash []byte) (store.Token, error)

// cacheTTL bounds how long an answer is reused. Revocations do not wait for it:
// the database announces every change to a token and each instance drops it at
// once (watch.go); the TTL backstops that and spaces the last_used_at writes.
const cacheTTL = 30 * time.Second

// maxCached bounds the cache, which starts over when full.
const maxCached = 10000

// Authenticator resolves bearer tokens, caching recent answers for as long as it
// hears the database's announcements of token changes (Watch). Without them
// (never watched, or its listener's connection is down) it looks every token up.
type Authenticator struct {
	lookup Lookup

	mu    sync.Mutex
	cache map[string]cached // by token hash
	// epoch counts invalidations: a lookup that overlapped one does not cache
	// its answer, which may predate the change
	epoch uint64
	// trustUntil is how long the cache may be believed: a listener that heard
	// from the database recently extends it; zero while no listener is up
	trustUntil time.Time
	onChange   []func(Change)

	watch *watcher // watch.go; nil until Watch
}

type cached struct {
	p     *Principal
	until time.Time
}

// Change says which tokens may have changed: the one with ID, or, when All is
// set, any (the listener was down and may have missed announcements).
type Change struct {
	ID  int64
	All bool
}

// NewAuthenticator returns an authenticator over lookup.
func NewAuthenticator(lookup Lookup) *Authenticator {
	return &Authenticator{lookup: lookup, cache: map[string]cached{}}
}

// ErrNoToken says the request carries no token.
var ErrNoToken = errors.New("no token")

// Principal resolves the request's token: the Authorization bearer header or, for
// clients that cannot set headers (browser websockets, GDAL URLs), the access_token
// query parameter.
func (a *Authenticator) Principal(r *http.Request) (*Principal, error) {
	token := Bearer(r)
	if token == "" {
		return nil, ErrNoToken
	}
	key := string(Hash(token))
	now := time.Now()
	a.mu.Lock()
	c, ok := a.cache[key]
	trusted, epoch := now.Before(a.trustUntil), a.epoch
	a.mu.Unlock()
	if ok && trusted && now.Before(c.until) {
		return c.p, nil
	}
	t, err := a.lookup(r.Context(), []byte(key))
	if err != nil {
		return nil, err
	}
	p := principalOf(t)
	a.remember(key, p, epoch, now)
	return p, nil
}

func principalOf(t store.Token) *Principal {
	p := &Principal{TokenID: t.ID, Name: t.Name, Role: t.Role, Areas: t.Areas, Source: t.Source, Unit: t.Unit}
	if t.ExpiresAt != nil {
		p.Expires = *t.ExpiresAt
	}
	return p
}

// remember caches p, looked up at now, unless the tokens changed since epoch or
// the cache is not trusted; the entry lasts no longer than the token.
func (a *Authenticator) remember(key string, p *Principal, epoch uint64, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.epoch != epoch || !time.Now().Before(a.trustUntil) {
		return
	}
	if len(a.cache) >= maxCached {
		clear(a.cache)
	}
	until := now.Add(cacheTTL)
	if !p.Expires.IsZero() && p.Expires.Before(until) {
		until = p.Expires
	}
	a.cache[key] = cached{p, until}
}

// OnChange registers fn to hear of token changes, after the cache has dropped
// them. fn runs on the listener's goroutine and must not block.
func (a *Authenticator) OnChange(fn func(Change)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.onChange = append(a.onChange, fn)
}

// invalidate drops what the cache holds of the change's tokens and tells the
// subscribers.
func (a *Authenticator) invalidate(ch Change) {
	a.mu.Lock()
	a.epoch++
	if ch.All {
		clear(a.cache)
	} else {
		for k, c := range a.cache {
			if c.p.TokenID == ch.ID {
				delete(a.cache, k)
			}
		}
	}
	subs := slices.Clone(a.onChange)
	a.mu.Unlock()
	for _, fn := range subs {
		fn(ch)
	}
}

// Trusted reports whether answers are being cached: a listener is up.
func (a *Authenticator) Trusted() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return time.Now().Before(a.trustUntil)
}

func (a *Authenticator) cached() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.cache)
}

// Bearer is the token a request carries: its Authorization bearer header, else
// its access_token query parameter; "" for none.
func Bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if scheme, tok, ok := strings.Cut(h, " "); ok && strings.EqualFold(scheme, "Bearer") {
		return strings.TrimSpace(tok)
	}
	return r.URL.Query().Get("access_token")
}

// Require wraps next so that it runs only for a valid token of one of roles (any
// role when roles is empty); the principal is in the request context.
func (a *Authenticator) Require(next http.Handler, roles ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := a.Authenticate(w, r)
		if !ok {
			return
		}
		if len(roles) > 0 && !p.Is(roles...) {
			CloseAfterReply(w, r)
			respond.Fail(w, r, respond.ErrForbidden)
			return
		}
		next.ServeHTTP(w, r.WithContext(With(r.Context(), p)))
	})
}

// Authenticate resolves the request's token, before anything reads the body;
// without a valid one it answers 401 (or 500 when the lookup failed), leaving the
// body unread, and reports false.
func (a *Authenticator) Authenticate(w http.ResponseWriter, r *http.Request) (*Principal, bool) {
	p, err := a.Principal(r)
	switch {
	case errors.Is(err, ErrNoToken), errors.Is(err, store.ErrNoToken):
		CloseAfterReply(w, r)
		w.Header().Set("WWW-Authenticate", `Bearer realm="citymap"`)
		respond.Fail(w, r, respond.ErrUnauthorized)
		return nil, false
	case err != nil:
		CloseAfterReply(w, r)
		respond.Fail(w, r, err)
		return nil, false
	}
	return p, true
}

// CloseAfterReply makes a request that is refused before its body was read end
// its connection after the answer, without reading the body: net/http would
// otherwise read up to 256 KiB of it, as slowly as the client sends it, to
// keep the connection. Call it before writing the answer.
func CloseAfterReply(w http.ResponseWriter, r *http.Request) {
	if r.ContentLength == 0 {
		return // no body: the connection can serve the next request
	}
	w.Header().Set("Connection", "close")
	// a read deadline in the past fails the discard at once
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
}
