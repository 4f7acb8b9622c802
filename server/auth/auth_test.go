package auth

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
		p := &Principal{Role: GridManager, Areas: c.areas}
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
			return store.Token{ID: 7, Name: "wall", Role: Viewer}, nil
		}
		return store.Token{}, store.ErrNoToken
	})
	var seen *Principal
	h := authn.Require(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = From(r.Context())
	}), Viewer, Admin)
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
			return store.Token{ID: 1, Name: "hotline", Role: Reporter}, nil
		}
		return store.Token{}, errors.New("unexpected")
	})
	h := authn.Require(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), Admin, Dispatcher)
	r := httptest.NewRequest("GET", "/x", nil)
	r.Header.Set("Authorization", "Bearer "+tok)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), `"forbidden"`) {
		t.Errorf("status %d body %s, want 403 forbidden", w.Code, w.Body)
	}
}
