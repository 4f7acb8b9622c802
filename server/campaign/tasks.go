package campaign

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"citymap/server/auth"
	"citymap/server/period"
	"citymap/server/respond"
	"citymap/server/store"
	"citymap/server/table"
	"citymap/server/taskflow"
)

// taskInput is a task as POST /api/v1/tasks receives it.
type taskInput struct {
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Indicator   string   `json:"indicator"`
	Campaign    int64    `json:"campaign"`
	Unit        string   `json:"unit"`
	Owner       string   `json:"owner"`
	OwnerPhone  string   `json:"owner_phone"`
	Areas       []string `json:"areas"`
	Points      []string `json:"points"`
	DueAt       string   `json:"due_at"`
}

func parseTime(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, respond.Field(field, "invalid", field+" is an RFC 3339 time")
	}
	return t, nil
}

// createTask is POST /api/v1/tasks: 201 with the task as a Feature.
func (a *API) createTask(w http.ResponseWriter, r *http.Request) {
	var in taskInput
	if err := respond.Decode(w, r, respond.MaxBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	due, err := parseTime("due_at", in.DueAt)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	n := store.NewTask{Title: in.Title, Description: in.Description, Indicator: strings.TrimSpace(in.Indicator),
		Campaign: in.Campaign, Unit: strings.TrimSpace(in.Unit), Owner: strings.TrimSpace(in.Owner),
		OwnerPhone: strings.TrimSpace(in.OwnerPhone), Areas: in.Areas, Points: in.Points, DueAt: due}
	res, err := a.store.CreateTask(r.Context(), actor(auth.From(r.Context())), n, a.now())
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/tasks/"+strconv.FormatInt(res.ID, 10))
	writeFeature(w, http.StatusCreated, res.Version, res.Feature)
}

// writeFeature answers one task with its version as ETag.
func writeFeature(w http.ResponseWriter, status, version int, feature []byte) {
	w.Header().Set("ETag", etag(version))
	w.Header().Set("Content-Type", "application/geo+json")
	w.WriteHeader(status)
	_, _ = w.Write(feature)
}

// codePattern is what unit, indicator and area codes look like.
var codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$`)

var taskParams = []string{"unit", "status", "campaign", "indicator", "area", "overdue", "limit", "format", "access_token"}

// listTasks is GET /api/v1/tasks?unit=&status=&campaign=&indicator=&area=&overdue=true:
// the tasks by due date as a FeatureCollection with the total and the number
// overdue. Unit staff get their unit's tasks whatever unit they ask for.
func (a *API) listTasks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := respond.KnownParams(q, taskParams...); err != nil {
		respond.Fail(w, r, err)
		return
	}
	p := auth.From(r.Context())
	f := store.TaskFilter{Unit: q.Get("unit"), Indicator: q.Get("indicator"), Area: q.Get("area"),
		Now: a.now(), Scope: p.Areas}
	for name, v := range map[string]string{"unit": f.Unit, "indicator": f.Indicator, "area": f.Area} {
		if v != "" && !codePattern.MatchString(v) {
			respond.Fail(w, r, respond.Field(name, "invalid", name+" is a code: letters, digits, dots, dashes and underscores"))
			return
		}
	}
	if p.Unit != "" {
		if f.Unit != "" && f.Unit != p.Unit {
			respond.Fail(w, r, errOtherUnit)
			return
		}
		f.Unit = p.Unit
	}
	var err error
	if f.Statuses, err = respond.List(q, "status", taskflow.ValidStatus); err != nil {
		respond.Fail(w, r, err)
		return
	}
	for name, dst := range map[string]*int64{"campaign": &f.Campaign} {
		if s := q.Get(name); s != "" {
			if *dst, err = strconv.ParseInt(s, 10, 64); err != nil || *dst <= 0 {
				respond.Fail(w, r, respond.Field(name, "invalid", name+" is a positive integer id"))
				return
			}
		}
	}
	if s := q.Get("limit"); s != "" {
		if f.Limit, err = strconv.Atoi(s); err != nil || f.Limit <= 0 {
			respond.Fail(w, r, respond.Field("limit", "invalid", "limit is a positive integer"))
			return
		}
	}
	switch q.Get("overdue") {
	case "", "false":
	case "true":
		f.Overdue = true
	default:
		respond.Fail(w, r, respond.Field("overdue", "invalid", "overdue is true or false"))
		return
	}
	switch q.Get("format") {
	case "", "geojson":
	case "csv":
		a.taskCSV(w, r, f)
		return
	default:
		respond.Fail(w, r, respond.Field("format", "invalid", "format is geojson (the default) or csv"))
		return
	}
	body, err := a.store.ListTasks(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	_, _ = w.Write(body)
}

// taskCSV answers the task list as CSV for Excel (the 任务清单 to print).
func (a *API) taskCSV(w http.ResponseWriter, r *http.Request, f store.TaskFilter) {
	t, err := a.store.TaskTable(r.Context(), f)
	if err != nil {
		fail(w, r, err)
		return
	}
	t.Zone = period.Zone
	name := "tasks_" + f.Now.In(period.Zone).Format("20060102")
	if f.Unit != "" {
		name = "tasks_" + f.Unit + "_" + f.Now.In(period.Zone).Format("20060102")
	}
	table.Serve(w, r, table.CSV, t, name)
}

// getTask is GET /api/v1/tasks/{id}: the task with its events.
func (a *API) getTask(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "task")
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	doc, err := a.store.TaskByID(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	p := auth.From(r.Context())
	if (p.Unit != "" && doc.Unit != p.Unit) || (len(p.Areas) > 0 && (doc.Area == nil || !p.Covers(*doc.Area))) {
		respond.Fail(w, r, errOtherUnit)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	_, _ = w.Write(doc.Doc)
}

// actionInput is POST /api/v1/tasks/{id}/actions.
type actionInput struct {
	Action     string   `json:"action"`
	Note       string   `json:"note"`
	Photos     []string `json:"photos"`
	Documents  []string `json:"documents"`
	Unit       string   `json:"unit"`
	Owner      string   `json:"owner"`
	OwnerPhone string   `json:"owner_phone"`
	DueAt      string   `json:"due_at"`
}

// taskAction is POST /api/v1/tasks/{id}/actions: 200 with the task after the
// step; 409 with the allowed actions when its status does not allow this one,
// 412 when If-Match names an older version, 403 for another unit's task.
func (a *API) taskAction(w http.ResponseWriter, r *http.Request) {
	p := auth.From(r.Context())
	id, err := pathID(r, "task")
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	var in actionInput
	if err := respond.Decode(w, r, respond.MaxBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	switch {
	case in.Action == "":
		respond.Fail(w, r, respond.Field("action", "required", "action is required"))
		return
	case !taskflow.ValidAction(in.Action):
		respond.Fail(w, r, respond.Field("action", "invalid", fmt.Sprintf("unknown action %q (one of %v)", in.Action, taskflow.Actions)))
		return
	case !taskflow.RoleMay(p.Role, taskflow.Action(in.Action)):
		respond.Fail(w, r, respond.Errorf(http.StatusForbidden, "forbidden", fmt.Sprintf("a %s may not %s tasks", p.Role, in.Action)))
		return
	}
	due, err := parseTime("due_at", in.DueAt)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	act := store.TaskAction{TaskID: id, Action: taskflow.Action(in.Action), Note: in.Note, Photos: in.Photos,
		Documents: in.Documents, Unit: strings.TrimSpace(in.Unit), Owner: strings.TrimSpace(in.Owner),
		OwnerPhone: strings.TrimSpace(in.OwnerPhone), DueAt: due, IfMatch: respond.IfMatch(r)}
	res, err := a.store.ApplyTaskAction(r.Context(), actor(p), act, a.now())
	var na *taskflow.NotAllowedError
	if errors.As(err, &na) {
		e := respond.Field("action", "transition_not_allowed", fmt.Sprintf("%s is not allowed on a %s task", na.Action, na.Status))
		e.Status = http.StatusConflict
		respond.JSON(w, http.StatusConflict, map[string]any{"error": map[string]any{"code": e.Code, "message": e.Message,
			"fields": e.Fields, "status": na.Status, "allowed": taskflow.AllowedFor(p.Role, na.Status)}})
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	writeFeature(w, http.StatusOK, res.Version, res.Feature)
}

// spawnTasks is POST /api/v1/tasks/spawn: applies the indicators' task rules
// now (a cron job or the 创建办 calls it) and answers the tasks created.
func (a *API) spawnTasks(w http.ResponseWriter, r *http.Request) {
	ids, err := a.store.SpawnOverdueTasks(r.Context(), a.now())
	if err != nil {
		fail(w, r, err)
		return
	}
	if ids == nil {
		ids = []int64{}
	}
	respond.JSON(w, http.StatusOK, map[string]any{"created": ids})
}
