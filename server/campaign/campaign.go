// Package campaign serves the evaluation system as work: the indicator
// catalogue and each point's checklist, the task lists (任务清单) that the
// 创建办 hands to the responsible units, the evidence documents they upload,
// the special campaigns (专项行动) with their reports, and the leaders linked
// to areas (挂钩定片). Unit staff (the unit role) see and act on their own
// unit's tasks only.
package campaign

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"citymap/server/routes"

	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/documents"
	"citymap/server/limit"
	"citymap/server/respond"
	"citymap/server/store"
)

// API is the campaign API of one instance.
type API struct {
	store *store.Store
	auth  *auth.Authenticator
	docs  *documents.Dir
	// now is the clock of writes and overdue judgements (tests fix it).
	now func() time.Time
}

// New returns the API over st, keeping documents under dataDir.
func New(st *store.Store, a *auth.Authenticator, dataDir string) *API {
	return &API{store: st, auth: a, docs: documents.NewDir(dataDir), now: time.Now}
}

// Routes lists the routes and who may call them. The 创建办 (reviewer) and
// admins hand out and judge tasks and run campaigns; unit staff work their
// unit's tasks; the command centre and planners read, and a unit's leader
// reads what its staff read; evidence files are stored by those who work
// tasks and cases.
func (a *API) Routes() []routes.Route {
	read := func(pattern string, h http.HandlerFunc) routes.Route {
		return routes.For(pattern, h, limit.Light, access.UnitReaders)
	}
	manage := func(pattern string, h http.HandlerFunc) routes.Route {
		return routes.For(pattern, h, limit.Light, access.Managers)
	}
	return []routes.Route{
		read("GET /api/v1/indicators", a.indicators),
		read("GET /api/v1/points/{code}/checklist", a.checklist),
		manage("POST /api/v1/tasks", a.createTask),
		routes.For("GET /api/v1/tasks", a.listTasks, limit.Medium, access.UnitReaders),
		manage("POST /api/v1/tasks/spawn", a.spawnTasks),
		read("GET /api/v1/tasks/{id}", a.getTask),
		routes.For("POST /api/v1/tasks/{id}/actions", a.taskAction, limit.Light, access.TaskWorkers),
		routes.For("POST /api/v1/documents", a.uploadDocument, limit.Upload, access.DocumentUploaders),
		read("GET /api/v1/documents/{id}", a.serveDocument),
		read("GET /api/v1/campaigns", a.listCampaigns),
		manage("POST /api/v1/campaigns", a.createCampaign),
		read("GET /api/v1/campaigns/{id}", a.getCampaign),
		read("GET /api/v1/campaigns/{id}/report", a.campaignReport),
		read("GET /api/v1/leaders", a.listLeaders),
		manage("POST /api/v1/leaders", a.createLeader),
	}
}

// actor is the principal as the store's task operations see it.
func actor(p *auth.Principal) store.TaskActor {
	return store.TaskActor{Actor: p.Actor(), Unit: p.Unit, Scope: p.Areas}
}

// errOtherUnit answers a unit acting on, or asking for, another unit's task.
var errOtherUnit = &respond.Error{Status: http.StatusForbidden, Code: "out_of_scope",
	Message: "the task belongs to another unit or lies outside your areas",
	Fields:  map[string]string{"unit": "not your unit's task"}}

// fail answers the store's errors.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	var version *store.TaskVersionError
	switch {
	case errors.As(err, &version):
		w.Header().Set("ETag", etag(version.Current))
		respond.Fail(w, r, respond.Errorf(http.StatusPreconditionFailed, "version_mismatch", version.Error()))
	case errors.Is(err, store.ErrTaskNotFound), errors.Is(err, store.ErrDocumentNotFound),
		errors.Is(err, store.ErrPointNotFound), errors.Is(err, store.ErrCampaignNotFound):
		respond.Fail(w, r, respond.ErrNotFound)
	case errors.Is(err, store.ErrTaskOutOfScope):
		respond.Fail(w, r, errOtherUnit)
	default:
		respond.Fail(w, r, err)
	}
}

// pathID reads the {id} of the path.
func pathID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, respond.Field("id", "invalid", fmt.Sprintf("a %s id is a positive integer", what))
	}
	return id, nil
}

func etag(version int) string { return fmt.Sprintf(`"%d"`, version) }

// indicators is GET /api/v1/indicators?kind=&category=&unit=: the catalogue
// as a tree.
func (a *API) indicators(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := respond.KnownParams(q, "kind", "category", "unit", "access_token"); err != nil {
		respond.Fail(w, r, err)
		return
	}
	f := store.IndicatorFilter{Kind: q.Get("kind"), Category: q.Get("category"), Unit: q.Get("unit")}
	if f.Kind != "" && !slices.Contains(store.IndicatorKinds, f.Kind) {
		respond.Fail(w, r, respond.Field("kind", "invalid", "kind is one of field, declaration, questionnaire"))
		return
	}
	roots, err := a.store.Indicators(r.Context(), f)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	body, err := store.MarshalIndicators(roots)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	respond.RawJSON(w, http.StatusOK, body)
}

// checklist is GET /api/v1/points/{code}/checklist: the field indicators an
// inspector checks at the point. A grid manager sees the points of its areas,
// unit staff the points their unit is responsible for or has tasks at.
func (a *API) checklist(w http.ResponseWriter, r *http.Request) {
	c, err := a.store.PointChecklist(r.Context(), r.PathValue("code"))
	if err != nil {
		fail(w, r, err)
		return
	}
	p := auth.From(r.Context())
	if len(p.Areas) > 0 && (c.Grid == nil || !p.Covers(*c.Grid)) {
		respond.Fail(w, r, respond.Errorf(http.StatusForbidden, "out_of_scope", "the point lies outside your areas"))
		return
	}
	if p.Unit != "" {
		ok, err := a.store.UnitWorksPoint(r.Context(), p.Unit, c.Point)
		if err != nil {
			respond.Fail(w, r, err)
			return
		}
		if !ok {
			respond.Fail(w, r, respond.Errorf(http.StatusForbidden, "out_of_scope", "your unit is neither responsible for the point nor has a task at it"))
			return
		}
	}
	respond.JSON(w, http.StatusOK, c)
}

// RunTaskRules applies the indicators' task rules every interval until ctx
// ends: unfixed overdue findings become tasks (store.SpawnOverdueTasks). Every
// instance may run it; the tasks' unique issue keeps each finding to one task.
func (a *API) RunTaskRules(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		ids, err := a.store.SpawnOverdueTasks(ctx, a.now())
		switch {
		case err != nil && ctx.Err() == nil:
			slog.Error("task rules", "err", err)
		case len(ids) > 0:
			slog.Info("task rules: unfixed findings became tasks", "tasks", len(ids))
		}
	}
}
