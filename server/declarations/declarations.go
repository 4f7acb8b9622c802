// Package declarations serves the online material declaration (网上申报 /
// 台账申报): for every declaration indicator and period the unit that owes it
// prepares a declaration with materials (text, photos, documents) and submits
// it, the unit's leader approves it, the 创建办 accepts it, and either review
// step may return it with a comment. It serves the reminders (due within 7
// days, 3 days, overdue) as a list filter and on the live stream, and the
// completeness report for the 创建办's meeting.
package declarations

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/declflow"
	"citymap/server/limit"
	"citymap/server/respond"
	"citymap/server/routes"
	"citymap/server/store"
)

// API is the declarations API of one instance.
type API struct {
	store *store.Store
	auth  *auth.Authenticator
	// now is the clock of writes and of reminders (tests fix it).
	now func() time.Time
}

// New returns the API over st.
func New(st *store.Store, a *auth.Authenticator) *API {
	return &API{store: st, auth: a, now: time.Now}
}

// SetClock makes the API judge deadlines and stamp writes by now (nil
// keeps time.Now); tests fix it.
func (a *API) SetClock(now func() time.Time) {
	if now != nil {
		a.now = now
	}
}

// Routes lists the routes and who may call them: a unit's staff prepare their
// declarations, its leader and the 创建办 review them, everyone else with a
// city-wide view reads. The preparers change a declaration's materials while
// declflow.Editable says its unit holds it; the web map offers them the same
// (webmap/flowrules).
func (a *API) Routes() []routes.Route {
	return []routes.Route{
		routes.For("GET /api/v1/declarations", a.list, limit.Medium, access.UnitReaders),
		routes.For("POST /api/v1/declarations/open", a.open, limit.Light, access.Managers),
		routes.For("GET /api/v1/declarations/{id}", a.get, limit.Light, access.UnitReaders),
		routes.For("POST /api/v1/declarations/{id}/materials", a.attach, limit.Light, access.Preparers),
		routes.For("DELETE /api/v1/declarations/{id}/materials/{mid}", a.detach, limit.Light, access.Preparers),
		routes.For("POST /api/v1/declarations/{id}/actions", a.step, limit.Light, access.DeclarationSteppers),
		routes.For("GET /api/v1/reports/declarations", a.report, limit.Heavy, access.UnitReaders),
	}
}

func actor(p *auth.Principal) store.DeclarationActor {
	return store.DeclarationActor{Actor: p.Actor(), Role: p.Role, Unit: p.Unit, Scope: p.Areas}
}

// errOtherUnit answers a unit acting on, or asking for, another unit's
// declaration, and a token limited to areas (declarations lie nowhere).
var errOtherUnit = &respond.Error{Status: http.StatusForbidden, Code: "out_of_scope",
	Message: "the declaration belongs to another unit",
	Fields:  map[string]string{"unit": "not your unit's declaration"}}

func etag(version int) string { return fmt.Sprintf(`"%d"`, version) }

// fail answers the store's errors.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	var version *store.DeclarationVersionError
	var state *store.DeclarationStateError
	var na *declflow.NotAllowedError
	switch {
	case errors.As(err, &version):
		w.Header().Set("ETag", etag(version.Current))
		respond.Fail(w, r, respond.Errorf(http.StatusPreconditionFailed, "version_mismatch", version.Error()))
	case errors.As(err, &na):
		conflict(w, "transition_not_allowed", fmt.Sprintf("%s is not allowed on a %s declaration", na.Action, na.Status),
			na.Status, na.Allowed)
	case errors.As(err, &state):
		conflict(w, "not_editable", state.Error(), state.Status, []declflow.Action{})
	case errors.Is(err, store.ErrDeclarationNotFound), errors.Is(err, store.ErrMaterialNotFound):
		respond.Fail(w, r, respond.ErrNotFound)
	case errors.Is(err, store.ErrDeclarationOutOfScope):
		respond.Fail(w, r, errOtherUnit)
	default:
		respond.Fail(w, r, err)
	}
}

// conflict is the 409 of a step out of order: the status it is in and what
// the caller may do instead.
func conflict(w http.ResponseWriter, code, msg string, status declflow.Status, allowed []declflow.Action) {
	respond.JSON(w, http.StatusConflict, map[string]any{"error": map[string]any{"code": code, "message": msg,
		"fields": map[string]string{"action": msg}, "status": status, "allowed": allowed}})
}

// pathID reads a positive integer path value.
func pathID(r *http.Request, name, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, respond.Field(name, "invalid", fmt.Sprintf("a %s id is a positive integer", what))
	}
	return id, nil
}

// writeDoc answers one declaration's document with its version as ETag.
func writeDoc(w http.ResponseWriter, status, version int, doc []byte) {
	w.Header().Set("ETag", etag(version))
	respond.RawJSON(w, status, doc)
}

// open is POST /api/v1/declarations/open: creates the declarations owed now
// and announces the reminders crossed, as the periodic job and `citymap
// declarations open` do; {"created": [ids], "reminded": [ids]}.
func (a *API) open(w http.ResponseWriter, r *http.Request) {
	created, reminded, err := Tick(r.Context(), a.store, a.now())
	if err != nil {
		fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, map[string]any{"created": created, "reminded": reminded})
}

// Tick opens the declarations owed at now and announces the reminders
// crossed: the periodic job, the cron command and POST
// /api/v1/declarations/open.
func Tick(ctx context.Context, st *store.Store, now time.Time) (created, reminded []int64, err error) {
	if created, err = st.OpenDeclarations(ctx, now); err != nil {
		return nil, nil, err
	}
	if reminded, err = st.RemindDeclarations(ctx, now); err != nil {
		return nil, nil, err
	}
	return nonNil(created), nonNil(reminded), nil
}

func nonNil(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// Run calls Tick at once and then every interval until ctx ends. Every
// instance may run it: opening is idempotent and a reminder is announced once.
func (a *API) Run(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		created, reminded, err := Tick(ctx, a.store, a.now())
		switch {
		case err != nil && ctx.Err() == nil:
			slog.Error("declarations", "err", err)
		case len(created)+len(reminded) > 0:
			slog.Info("declarations: opened and reminded", "opened", len(created), "reminded", len(reminded))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
