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

	"citymap/server/auth"
	"citymap/server/documents"
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

// Who may call what. The 创建办 (reviewer) and admins hand out and judge
// tasks and run campaigns; unit staff work their unit's tasks; the command
// centre and planners read.
var (
	managers = []string{auth.Admin, auth.Reviewer}
	workers  = []string{auth.Admin, auth.Reviewer, auth.Unit}
	// a unit's leader reads what its staff read
	readers = []string{auth.Admin, auth.Dispatcher, auth.GridManager, auth.Planner, auth.Viewer, auth.Reviewer,
		auth.Unit, auth.UnitLeader}
	// uploaders may store evidence files
	uploaders = []string{auth.Admin, auth.Dispatcher, auth.GridManager, auth.Reviewer, auth.Unit}
)

// Register adds the routes to mux.
func (a *API) Register(mux routes.Mux) {
	route := func(pattern string, h http.HandlerFunc, roles []string) {
		mux.Handle(pattern, a.auth.Require(h, roles...))
	}
	route("GET /api/v1/indicators", a.indicators, readers)
	route("GET /api/v1/points/{code}/checklist", a.checklist, readers)
	route("POST /api/v1/tasks", a.createTask, managers)
	route("GET /api/v1/tasks", a.listTasks, readers)
	route("POST /api/v1/tasks/spawn", a.spawnTasks, managers)
	route("GET /api/v1/tasks/{id}", a.getTask, readers)
	route("POST /api/v1/tasks/{id}/actions", a.taskAction, workers)
	route("POST /api/v1/documents", a.uploadDocument, uploaders)
	route("GET /api/v1/documents/{id}", a.serveDocument, readers)
	route("GET /api/v1/campaigns", a.listCampaigns, readers)
	route("POST /api/v1/campaigns", a.createCampaign, managers)
	route("GET /api/v1/campaigns/{id}", a.getCampaign, readers)
	route("GET /api/v1/campaigns/{id}/report", a.campaignReport, readers)
	route("GET /api/v1/leaders", a.listLeaders, readers)
	route("POST /api/v1/leaders", a.createLeader, managers)
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
