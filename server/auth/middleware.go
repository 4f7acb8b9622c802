package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"citymap/server/respond"
	"citymap/server/store"
)

// Lookup finds the token with this hash.
type Lookup func(ctx context.Context, hash []byte) (store.Token, error)

// cacheTTL bounds how long a revoked token keeps working on an instance; a wall
// fetching hundreds of tiles must not cost a database round trip each.
const cacheTTL = 30 * time.Second

// Authenticator resolves bearer tokens, caching recent answers.
type Authenticator struct {
	lookup Lookup
	mu     sync.Mutex
	cache  map[string]cached
}

type cached struct {
	p       *Principal
	expires time.Time
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
	token := bearer(r)
	if token == "" {
		return nil, ErrNoToken
	}
	key := string(Hash(token))
	now := time.Now()
	a.mu.Lock()
	c, ok := a.cache[key]
	a.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.p, nil
	}
	t, err := a.lookup(r.Context(), []byte(key))
	if err != nil {
		return nil, err
	}
	p := &Principal{TokenID: t.ID, Name: t.Name, Role: t.Role, Areas: t.Areas, Unit: t.Unit}
	a.mu.Lock()
	if len(a.cache) > 10000 {
		clear(a.cache)
	}
	a.cache[key] = cached{p, now.Add(cacheTTL)}
	a.mu.Unlock()
	return p, nil
}

func bearer(r *http.Request) string {
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
			respond.Fail(w, r, respond.ErrForbidden)
			return
		}
		next.ServeHTTP(w, r.WithContext(With(r.Context(), p)))
	})
}

// Authenticate resolves the request's token; without a valid one it answers 401
// (or 500 when the lookup failed) and reports false.
func (a *Authenticator) Authenticate(w http.ResponseWriter, r *http.Request) (*Principal, bool) {
	p, err := a.Principal(r)
	switch {
	case errors.Is(err, ErrNoToken), errors.Is(err, store.ErrNoToken):
		w.Header().Set("WWW-Authenticate", `Bearer realm="citymap"`)
		respond.Fail(w, r, respond.ErrUnauthorized)
		return nil, false
	case err != nil:
		respond.Fail(w, r, err)
		return nil, false
	}
	return p, true
}
