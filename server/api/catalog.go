package api

import (
	"net/http"

	"citymap/server/respond"
)

// categories is GET /api/v1/categories: the case categories with their deadline
// (hours from intake) and default unit (null: the street office).
func (a *API) categories(w http.ResponseWriter, r *http.Request) {
	cats, err := a.store.IssueCategories(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, map[string]any{"categories": cats})
}

// units is GET /api/v1/units: the units issues can be dispatched to.
func (a *API) units(w http.ResponseWriter, r *http.Request) {
	units, err := a.store.ResponsibleUnits(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, map[string]any{"units": units})
}
