package api

import (
	"net/http"

	"citymap/server/auth"
	"citymap/server/respond"
)

// principal is GET /api/v1/me: who the token belongs to.
type principal struct {
	Name string `json:"name"`
	Role string `json:"role"`
	// Areas are the codes the principal is limited to; empty: the whole city.
	Areas []string `json:"areas"`
	// Unit is the unit a unit token acts for (absent for other roles).
	Unit string `json:"unit,omitempty"`
}

// me is GET /api/v1/me: the caller's name, role and area scope, so that a
// client (the web map's sign-in) can check a token and show the workspace that
// fits it.
func (a *API) me(w http.ResponseWriter, r *http.Request) {
	p := auth.From(r.Context())
	areas := p.Areas
	if areas == nil {
		areas = []string{}
	}
	respond.JSON(w, http.StatusOK, principal{Name: p.Name, Role: p.Role, Areas: areas, Unit: p.Unit})
}
