// Package routes is the route table: every URL the server serves, with its
// handler, who may call it and its limit class. Each HTTP package lists its
// routes (a Routes method, in one place), the server adds them to one Table,
// and the limits read a request's class from the route it matches, so that a
// URL, its roles and its cost are written once.
package routes

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Auth says how a route checks its caller.
type Auth int

const (
	// Token routes run for a valid token of one of their Roles (any role
	// when Roles is empty); the table wraps them in its guard.
	Token Auth = iota
	// Public routes take no token: they serve what anyone may see (the web
	// map's files, the health checks, the questionnaires' public answers).
	Public
	// OwnCheck routes resolve the token themselves, because what a caller
	// without one gets depends on the request (Open311's public reads, the
	// /live stream's websocket).
	OwnCheck
)

// Route is one served URL.
type Route struct {
	// Pattern is the http.ServeMux pattern, with its method.
	Pattern string
	Handler http.Handler
	Auth    Auth
	// Roles may call a Token route; empty is every role.
	Roles []string
	// Class is the route's limit class (limit.Heavy and so on); "" is never
	// limited.
	Class string
	// ClassOf, when set, picks the class of each request (a batch by its
	// size, a bulletin by its format); Class is then the usual one. It runs
	// before the mux serves the request, so r.PathValue is still empty.
	ClassOf func(*http.Request) string
}

// For is a Token route for the roles (none: every role).
func For(pattern string, h http.HandlerFunc, class string, roles []string) Route {
	return Route{Pattern: pattern, Handler: h, Class: class, Roles: roles}
}

// Open is a Public route.
func Open(pattern string, h http.Handler, class string) Route {
	return Route{Pattern: pattern, Handler: h, Auth: Public, Class: class}
}

// Checked is an OwnCheck route.
func Checked(pattern string, h http.Handler, class string) Route {
	return Route{Pattern: pattern, Handler: h, Auth: OwnCheck, Class: class}
}

// By returns r with its class picked per request by classOf.
func (r Route) By(classOf func(*http.Request) string) Route {
	r.ClassOf = classOf
	return r
}

// Guard wraps h so that it runs only for a valid token of one of roles (any
// role when roles is empty): auth.Authenticator.Require.
type Guard func(h http.Handler, roles ...string) http.Handler

// Table serves the routes added to it.
type Table struct {
	mux    *http.ServeMux
	guard  Guard
	routes map[string]Route // by pattern
}

// New returns an empty table whose Token routes are wrapped in guard.
func New(guard Guard) *Table {
	return &Table{mux: http.NewServeMux(), guard: guard, routes: map[string]Route{}}
}

// Add serves the routes; it is called before the table serves (it takes no
// lock). A pattern added twice panics, as http.ServeMux does.
func (t *Table) Add(rs ...Route) {
	for _, r := range rs {
		h := r.Handler
		if r.Auth == Token {
			h = t.guard(h, r.Roles...)
		}
		t.mux.Handle(r.Pattern, h)
		t.routes[r.Pattern] = r
	}
}

// ServeHTTP serves the route that r matches.
func (t *Table) ServeHTTP(w http.ResponseWriter, r *http.Request) { t.mux.ServeHTTP(w, r) }

// Class is the limit class of r: that of the route it matches, "" when it
// matches none (a 404 or a redirect costs nothing).
func (t *Table) Class(r *http.Request) string {
	_, pattern := t.mux.Handler(r)
	route, ok := t.routes[pattern]
	switch {
	case !ok:
		return ""
	case route.ClassOf != nil:
		return route.ClassOf(r)
	}
	return route.Class
}

// Routes lists the routes, sorted by pattern.
func (t *Table) Routes() []Route {
	out := make([]Route, 0, len(t.routes))
	for _, r := range t.routes {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Route) int { return strings.Compare(a.Pattern, b.Pattern) })
	return out
}

// Patterns lists the routes' patterns, sorted.
func (t *Table) Patterns() []string {
	var out []string
	for _, r := range t.Routes() {
		out = append(out, r.Pattern)
	}
	return out
}

// String is the route as the route list shows it: pattern, who may call it,
// limit class.
func (r Route) String() string {
	who := "public"
	switch {
	case r.Auth == OwnCheck:
		who = "checked by the handler"
	case r.Auth == Token && len(r.Roles) == 0:
		who = "any role"
	case r.Auth == Token:
		who = strings.Join(r.Roles, ",")
	}
	class := r.Class
	if class == "" {
		class = "unlimited"
	}
	if r.ClassOf != nil {
		class += " (by request)"
	}
	return fmt.Sprintf("%s\t%s\t%s", r.Pattern, who, class)
}
