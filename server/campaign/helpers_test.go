package campaign_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"citymap/server/apitest"
)

// env is an instance with the tests' own catalogue entries and a second unit's
// token.
type env struct {
	*apitest.Env
	// OtherUnit's staff hold the token under role "other_unit".
	OtherUnit string
	// Point is a point of the test, PointIn a point in the grid manager's community.
	Point, PointIn string
}

const otherUnit = "zjj"

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{Env: apitest.New(t), OtherUnit: otherUnit}
	e.Tokens["other_unit"] = e.UnitToken("test-other-unit", otherUnit)
	e.Exec(`INSERT INTO indicators (code, name, kind, max_points, point_categories, lead_unit, task_days)
		VALUES ('T1', '测试：地面保洁', 'field', 5, (SELECT array_agg(code) FROM point_categories), 'cgj', 2),
		       ('T2', '测试：公益宣传', 'field', 3, (SELECT array_agg(code) FROM point_categories), 'xcb', NULL)`)
	e.Scan(`SELECT min(code) FROM points`, nil, &e.Point)
	e.Scan(`SELECT min(code) FROM points WHERE starts_with(grid_code, $1)`, []any{e.Community}, &e.PointIn)
	return e
}

// task is a task Feature as the API answers it.
type task struct {
	ID         int64 `json:"id"`
	Properties struct {
		Title     string    `json:"title"`
		Unit      string    `json:"unit"`
		Owner     string    `json:"owner"`
		Status    string    `json:"status"`
		Overdue   bool      `json:"overdue"`
		Indicator *string   `json:"indicator"`
		Campaign  *int64    `json:"campaign"`
		Points    []string  `json:"points"`
		Grid      *string   `json:"grid"`
		DueAt     time.Time `json:"due_at"`
		Documents []string  `json:"documents"`
		IssueID   *int64    `json:"issue_id"`
		Version   int       `json:"version"`
	} `json:"properties"`
	Geometry *struct{ Type string } `json:"geometry"`
	Events   []struct {
		Action, From, To, Actor, Note string
		Documents                     []string
	} `json:"events"`
}

func (e *env) newTask(role string, fields map[string]any) (task, apitest.Reply) {
	e.T.Helper()
	body := map[string]any{"title": "测试任务：门前三包整改", "unit": e.Unit, "owner": "李四", "points": []string{e.Point},
		"indicator": "T1", "due_at": time.Now().Add(72 * time.Hour).Format(time.RFC3339)}
	for k, v := range fields {
		if v == nil {
			delete(body, k)
			continue
		}
		body[k] = v
	}
	r := e.Call("POST", "/api/v1/tasks", role, body)
	var tk task
	if r.Status == http.StatusCreated {
		r.Decode(e.T, &tk)
	}
	return tk, r
}

func (e *env) act(status int, id int64, role string, body map[string]any, headers ...string) task {
	e.T.Helper()
	r := e.Must(status, "POST", fmt.Sprintf("/api/v1/tasks/%d/actions", id), role, body, headers...)
	var tk task
	if status == http.StatusOK {
		r.Decode(e.T, &tk)
	}
	return tk
}

// tally counts what task writes touch.
type tally struct{ tasks, events, changes, documents int64 }

func (e *env) count() tally {
	e.T.Helper()
	var c tally
	e.Scan(`SELECT (SELECT count(*) FROM tasks), (SELECT count(*) FROM task_events),
		(SELECT count(*) FROM changes), (SELECT count(*) FROM documents)`, nil, &c.tasks, &c.events, &c.changes, &c.documents)
	return c
}

// upload sends one multipart part named field with a file name.
func (e *env) upload(role, field, filename string, data []byte) apitest.Reply {
	e.T.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, err := mw.CreateFormFile(field, filename)
	if err != nil {
		e.T.Fatal(err)
	}
	_, _ = w.Write(data)
	if err := mw.Close(); err != nil {
		e.T.Fatal(err)
	}
	return e.Call("POST", "/api/v1/documents", role, b.Bytes(), "Content-Type", mw.FormDataContentType())
}

// pdf is the start of a PDF, enough for sniffing.
var pdf = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
