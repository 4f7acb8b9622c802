package auth

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"citymap/server/access"
	"citymap/server/store"
)

func TestNewTokenIsRandomAndHashed(t *testing.T) {
	a, ha, err := NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, hb, _ := NewToken()
	if a == b || bytes.Equal(ha, hb) {
		t.Fatal("two tokens are equal")
	}
	if !strings.HasPrefix(a, tokenPrefix) || len(a) < 40 {
		t.Errorf("token %q is too short or unmarked", a)
	}
	if !bytes.Equal(Hash(a), ha) || len(ha) != 32 {
		t.Error("the hash is not SHA-256 of the token")
	}
}

func TestCovers(t *testing.T) {
	cases := []struct {
		areas []string
		code  string
		want  bool
	}{
		{nil, "32028200100101", true},
		{[]string{"320282001001"}, "32028200100101", true},
		{[]string{"320282001001"}, "320282001001", true},
		{[]string{"320282001001"}, "32028200100201", false},
		{[]string{"320282001001"}, "320282001", false},
		{[]string{"320282002", "320282001001"}, "32028200200305", true},
		{[]string{"320282001001"}, "", false},
	}
	for _, c := range cases {
		p := &Principal{Role: access.GridManager, Areas: c.areas}
		if got := p.Covers(c.code); got != c.want {
			t.Errorf("areas %v covers %q = %v, want %v", c.areas, c.code, got, c.want)
		}
	}
}

func TestRequire(t *testing.T) {
	good, hash, _ := NewToken()
	lookups := 0
	authn := NewAuthenticator(func(_ context.Context, h []byte) (store.Token, error) {
		lookups++
		if bytes.Equal(h, hash) {
			return store.Token{ID: 7, Name: "wall", Role: access.Viewer}, nil
		}
		return store.Token{}, store.ErrNoToken
	})
	authn.setUp(&watcher{up: true}, true) // as while a listener hears token changes
	var seen *Principal
	h := authn.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = From(r.Context())
	}), access.Viewer, access.Admin)
	cases := []struct {
		name   string
		header string
		query  string
		status int
	}{
		{"no token", "", "", http.StatusUnauthorized},
		{"wrong token", "Bearer cm_nope", "", http.StatusUnauthorized},
		{"wrong scheme", "Basic " + good, "", http.StatusUnauthorized},
		{"bearer header", "Bearer " + good, "", http.StatusOK},
		{"lower-case scheme", "bearer " + good, "", http.StatusOK},
		{"query parameter", "", "?access_token=" + good, http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			seen = nil
			r := httptest.NewRequest("GET", "/x"+c.query, nil)
			if c.header != "" {
				r.Header.Set("Authorization", c.header)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d (%s)", w.Code, c.status, w.Body)
			}
			if c.status == http.StatusOK && (seen == nil || seen.TokenID != 7) {
				t.Errorf("principal %+v not passed on", seen)
			}
			if c.status == http.StatusUnauthorized && !strings.Contains(w.Body.String(), `"unauthorized"`) {
				t.Errorf("body %s lacks the error code", w.Body)
			}
		})
	}
	if lookups > 3 {
		t.Errorf("%d lookups: valid tokens are not cached", lookups)
	}
}

func TestRequireRole(t *testing.T) {
	tok, hash, _ := NewToken()
	authn := NewAuthenticator(func(_ context.Context, h []byte) (store.Token, error) {
		if bytes.Equal(h, hash) {
			return store.Token{ID: 1, Name: "hotline", Role: access.Reporter}, nil
		}
		return store.Token{}, errors.New("unexpected")
	})
	h := authn.Require(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), access.Admin, access.Dispatcher)
	r := httptest.NewRequest("GET", "/x", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"forbidden"`) {
		t.Errorf("status %d body %s, want 403 forbidden", w.Code, w.Body)
	}
}

// lookups counts the lookups of one valid token, which can be made to expire or
// to wait for a signal.
type lookups struct {
	n       atomic.Int32
	hash    []byte
	expires *time.Time
	started chan struct{} // when not nil, each lookup says it started...
	proceed chan struct{} // ...and waits for this
}

func (l *lookups) lookup(_ context.Context, h []byte) (store.Token, error) {
	l.n.Add(1)
	if l.started != nil {
		l.started <- struct{}{}
		<-l.proceed
	}
	if !bytes.Equal(h, l.hash) {
		return store.Token{}, store.ErrNoToken
	}
	return store.Token{ID: 3, Name: "wall", Role: access.Viewer, ExpiresAt: l.expires}, nil
}

func request(tok string) *http.Request {
	r := httptest.NewRequest("GET", "/x", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	return r
}

// The cache is believed only while a listener hears token changes; what it
// holds never outlives the token, and a change drops it.
func TestCacheTrust(t *testing.T) {
	tok, hash, _ := NewToken()
	soon := time.Now().Add(200 * time.Millisecond)
	cases := []struct {
		name      string
		listening bool
		expires   *time.Time
		between   func(a *Authenticator)
		want      int32 // lookups for three requests
	}{
		{"listening", true, nil, nil, 1},
		{"no listener", false, nil, nil, 3},
		{"listener lost", true, nil, func(a *Authenticator) { a.setUp(a.watch, false) }, 2},
		{"token changed", true, nil, func(a *Authenticator) { a.invalidate(Change{ID: 3}) }, 2},
		{"another token changed", true, nil, func(a *Authenticator) { a.invalidate(Change{ID: 4}) }, 1},
		{"every token changed", true, nil, func(a *Authenticator) { a.invalidate(Change{All: true}) }, 2},
		{"token expired", true, &soon, func(*Authenticator) { time.Sleep(time.Until(soon)) }, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := &lookups{hash: hash, expires: c.expires}
			a := NewAuthenticator(l.lookup)
			a.watch = &watcher{}
			a.setUp(a.watch, c.listening)
			for i := range 3 {
				if _, err := a.Principal(request(tok)); err != nil {
					t.Fatal(err)
				}
				if i == 1 && c.between != nil {
					c.between(a)
				}
			}
			if got := l.n.Load(); got != c.want {
				t.Errorf("%d lookups, want %d", got, c.want)
			}
		})
	}
}

// A lookup that overlapped a change to its token does not cache what it read,
// which may predate the change.
func TestNoCachingAcrossAChange(t *testing.T) {
	tok, hash, _ := NewToken()
	l := &lookups{hash: hash, started: make(chan struct{}), proceed: make(chan struct{})}
	a := NewAuthenticator(l.lookup)
	a.watch = &watcher{}
	a.setUp(a.watch, true)
	done := make(chan error)
	go func() { _, err := a.Principal(request(tok)); done <- err }()
	<-l.started
	a.invalidate(Change{ID: 3}) // the revocation is heard while the lookup reads
	close(l.proceed)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	l.started = nil
	if _, err := a.Principal(request(tok)); err != nil {
		t.Fatal(err)
	}
	if got := l.n.Load(); got != 2 {
		t.Errorf("%d lookups, want 2: the answer read across the change was cached", got)
	}
}

// A refusal before the body leaves the body unread and ends the connection.
func TestRefusalClosesWithABody(t *testing.T) {
	authn := NewAuthenticator(func(context.Context, []byte) (store.Token, error) {
		return store.Token{}, store.ErrNoToken
	})
	h := authn.Require(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		t.Error("the handler ran")
	}))
	for _, body := range []string{"", `{"a":1}`} {
		r := httptest.NewRequest("POST", "/x", strings.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		want := ""
		if body != "" {
			want = "close"
		}
		if w.Code != http.StatusUnauthorized || w.Header().Get("Connection") != want {
			t.Errorf("body %q: status %d, Connection %q; want 401, %q", body, w.Code, w.Header().Get("Connection"), want)
		}
	}
}

func TestParseChange(t *testing.T) {
	cases := []struct {
		payload string
		want    Change
		err     bool
	}{
		{"17", Change{ID: 17}, false},
		{"*", Change{All: true}, false},
		{"x", Change{All: true}, true},
	}
	for _, c := range cases {
		got, err := parseChange(c.payload)
		if got != c.want || (err != nil) != c.err {
			t.Errorf("parseChange(%q) = %+v, %v; want %+v (error %v)", c.payload, got, err, c.want, c.err)
		}
	}
}
