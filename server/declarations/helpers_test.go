package declarations_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"sync"
	"testing"
	"time"

	"citymap/server"
	"citymap/server/access"
	"citymap/server/apitest"
	"citymap/server/live"
	"citymap/server/store"
)

// env is an instance on a clock the test sets, with the test's own
// declaration indicators: TD.1 (monthly, due 10 days after the month, led by
// the unit token's unit), TD.2 (quarterly, due 5 days after, same unit) and
// TD.3 (monthly, another unit's).
type env struct {
	*apitest.Env
	mu  sync.Mutex
	now time.Time
}

const otherUnit = "zjj"

// t0 is the test's instant: 2031-03-15 10:00 in the city, far from the demo
// city's data, so that the test's periods are its own.
var t0 = time.Date(2031, 3, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{now: t0}
	e.Env = apitest.NewWith(t, server.Config{Clock: e.clock, Live: live.Config{Heartbeat: 100 * time.Millisecond}})
	e.Tokens["other_unit"] = e.UnitToken("test-other-unit", otherUnit)
	e.Tokens["other_leader"] = e.TokenFor(store.Token{Name: "test-other-leader", Role: access.UnitLeader, Unit: otherUnit})
	// the demo city's declarations stay out of the way: only the test's are open
	e.Exec(`DELETE FROM declaration_events`)
	e.Exec(`DELETE FROM declaration_materials`)
	e.Exec(`DELETE FROM declarations`)
	e.Exec(`UPDATE indicators SET lead_unit = NULL WHERE kind = 'declaration'`)
	e.Exec(`INSERT INTO indicators (code, name, kind, max_points, lead_unit, declare_every, declare_due_days) VALUES
		('TD', '测试：网上申报', 'declaration', NULL, NULL, 'month', 10),
		('TD.1', '测试：垃圾分类台账', 'declaration', 5, $1, 'month', 10),
		('TD.2', '测试：志愿服务台账', 'declaration', 4, $1, 'quarter', 5),
		('TD.3', '测试：住建台账', 'declaration', 3, $2, 'month', 10)`, apitest.UnitCode, otherUnit)
	e.Exec(`UPDATE indicators SET parent_code = 'TD' WHERE code LIKE 'TD.%'`)
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) setNow(t time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.now = t
}

// open opens the declarations owed at the clock's instant.
func (e *env) open() (created, reminded []int64) {
	e.T.Helper()
	var out struct{ Created, Reminded []int64 }
	e.Must(http.StatusOK, "POST", "/api/v1/declarations/open", access.Reviewer, nil).Decode(e.T, &out)
	return out.Created, out.Reminded
}

// decl is a declaration as the API answers it.
type decl struct {
	Material      int64     `json:"material"`
	ID            int64     `json:"id"`
	Indicator     string    `json:"indicator"`
	Unit          string    `json:"unit"`
	Period        string    `json:"period"`
	PeriodStart   string    `json:"period_start"`
	PeriodEnd     string    `json:"period_end"`
	DueAt         time.Time `json:"due_at"`
	Status        string    `json:"status"`
	ReturnedBy    *string   `json:"returned_by"`
	TimesReturned int       `json:"times_returned"`
	Text          string    `json:"text"`
	Reminder      *string   `json:"reminder"`
	Late          bool      `json:"late"`
	Version       int       `json:"version"`
	Materials     []struct {
		ID          int64   `json:"id"`
		Kind        string  `json:"kind"`
		Text        string  `json:"text"`
		Caption     string  `json:"caption"`
		Document    *string `json:"document"`
		Photo       *string `json:"photo"`
		ContentType *string `json:"content_type"`
		Size        *int64  `json:"size"`
		URL         *string `json:"url"`
		InlineURL   *string `json:"inline_url"`
		AttachedBy  string  `json:"attached_by"`
	} `json:"materials"`
	Events []struct {
		Action, From, To, Actor, Note string
		Material                      *int64
		At                            time.Time
	} `json:"events"`
}

// find returns the declaration of indicator and period.
func (e *env) find(indicator, period string) decl {
	e.T.Helper()
	var id int64
	e.Scan(`SELECT id FROM declarations WHERE indicator_code = $1 AND period = $2`, []any{indicator, period}, &id)
	return e.get(id, access.Admin)
}

func (e *env) get(id int64, role string) decl {
	e.T.Helper()
	var d decl
	e.Get(fmt.Sprintf("/api/v1/declarations/%d", id), role).Decode(e.T, &d)
	return d
}

func (e *env) act(status int, id int64, role string, body map[string]any, headers ...string) apitest.Reply {
	e.T.Helper()
	return e.Must(status, "POST", fmt.Sprintf("/api/v1/declarations/%d/actions", id), role, body, headers...)
}

func (e *env) attach(status int, id int64, role string, body map[string]any, headers ...string) decl {
	e.T.Helper()
	r := e.Must(status, "POST", fmt.Sprintf("/api/v1/declarations/%d/materials", id), role, body, headers...)
	var d decl
	if status == http.StatusCreated {
		r.Decode(e.T, &d)
	}
	return d
}

// upload sends one multipart part named file to path.
func (e *env) upload(path, role, field, filename string, data []byte) apitest.Reply {
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
	return e.Call("POST", path, role, b.Bytes(), "Content-Type", mw.FormDataContentType())
}

// document uploads a document as role and returns its id.
func (e *env) document(role string, data []byte) string {
	e.T.Helper()
	r := e.upload("/api/v1/documents", role, "file", "台账.pdf", data).Want(e.T, http.StatusCreated)
	return r.JSON(e.T)["id"].(string)
}

// pdf is a small PDF; seed makes it unique.
func pdf(seed int) []byte {
	return []byte(fmt.Sprintf("%%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj %% %d\ntrailer << /Root 1 0 R >>\n%%%%EOF\n", seed))
}

// pngFile is a small PNG; seed makes it unique.
func pngFile(t testing.TB, seed byte) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 2, 2))
	img.Set(0, 0, color.RGBA{R: seed, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// tally counts what declaration writes touch.
type tally struct{ declarations, events, materials, changes, documents int64 }

func (e *env) count() tally {
	e.T.Helper()
	var c tally
	e.Scan(`SELECT (SELECT count(*) FROM declarations), (SELECT count(*) FROM declaration_events),
		(SELECT count(*) FROM declaration_materials), (SELECT count(*) FROM changes), (SELECT count(*) FROM documents)`,
		nil, &c.declarations, &c.events, &c.materials, &c.changes, &c.documents)
	return c
}

// docxFile is the smallest zip a Word document is sniffed from.
func docxFile(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for _, n := range []string{"[Content_Types].xml", "word/document.xml"} {
		w, err := z.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte("<x/>"))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
