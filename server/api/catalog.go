package api

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"citymap/server/respond"
	"citymap/server/store"
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

// calendar is GET /api/v1/calendar?year=YYYY: the holidays and make-up
// workdays of a year (default the current one), and the years held, so that a
// page or a partner can count working time as citymap does.
func (a *API) calendar(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := respond.KnownParams(q, "year"); err != nil {
		fail(w, r, err)
		return
	}
	year := time.Now().Year()
	if v := q.Get("year"); v != "" {
		y, err := strconv.Atoi(v)
		if err != nil || y < 1949 || y > 2200 {
			fail(w, r, respond.Field("year", "invalid_year", "year: a year from 1949 to 2200"))
			return
		}
		year = y
	}
	days, err := a.store.CalendarDays(r.Context(), time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(year, 12, 31, 0, 0, 0, 0, time.UTC))
	if err != nil {
		fail(w, r, err)
		return
	}
	held, err := a.store.CalendarYears(r.Context())
	if err != nil {
		fail(w, r, err)
		return
	}
	type day struct {
		Date string `json:"date"`
		store.CalendarDay
	}
	out := make([]day, len(days))
	for i, d := range days {
		out[i] = day{d.Day.Format(time.DateOnly), d}
	}
	respond.JSON(w, http.StatusOK, map[string]any{"year": year, "held": slices.Contains(held, year), "years": held, "days": out})
}
