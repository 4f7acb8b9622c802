package browsertest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"citymap/server/apitest"
)

// TestWallDeclarations checks the wall's 网上申报 row (webmap/test/wall-declarations.mjs)
// on walls of four shapes: the counts of declarations overdue, due within 3
// and within 7 days are the API's; when the test's declaration due in five
// days is brought to two and the reminder tick announces it, and when its
// overdue one is accepted, every wall follows live, the feed shows the
// reminder, and the row's text fits without covering anything.
func TestWallDeclarations(t *testing.T) {
	node, chromium := needBrowser(t)
	e := apitest.New(t)
	soon, late := wallDeclarations(e)
	// no API moves a deadline (time does): the script asks this hook
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, err := strconv.ParseInt(r.URL.Query().Get("id"), 10, 64)
		if r.Method != http.MethodPost || r.URL.Path != "/move" || err != nil {
			http.Error(w, "POST /move?id=", http.StatusBadRequest)
			return
		}
		if _, err := e.Store.Pool.Exec(r.Context(), `UPDATE declarations SET due_at = now() + interval '2 days' WHERE id = $1`, id); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()
	tokens, _ := json.Marshal(map[string]string{"viewer": e.Tokens["viewer"], "admin": e.Tokens["admin"]})
	var res result
	out, took := runScript(t, node, chromium, "test/wall-declarations.mjs", 8*time.Minute, &res,
		"CITYMAP_E2E_URL="+e.URL,
		"CITYMAP_E2E_TOKENS="+string(tokens),
		"CITYMAP_E2E_SOON="+strconv.FormatInt(soon, 10),
		"CITYMAP_E2E_LATE="+strconv.FormatInt(late, 10),
		"CITYMAP_E2E_HOOK="+hook.URL,
	)
	if len(res.Checks) == 0 {
		t.Fatalf("wall-declarations.mjs checked nothing\n%s", out)
	}
	t.Logf("checks: %v; browser run %v", res.Checks, took)
}

// wallDeclarations opens two declarations of the test unit for months long
// past (no demo declaration covers them): one due five days from now
// (within 7 days, not 3, on any day) and one a day overdue, each judged now
// as the reminder tick would have.
func wallDeclarations(e *apitest.Env) (soon, late int64) {
	e.T.Helper()
	var indicator string
	e.Scan(`SELECT min(code) FROM indicators i WHERE kind = 'declaration'
		AND NOT EXISTS (SELECT 1 FROM indicators c WHERE c.parent_code = i.code)`, nil, &indicator)
	open := func(period, due string) int64 {
		id := e.Int(`INSERT INTO declarations (indicator_code, unit, period, period_start, period_end, due_at)
			VALUES ($1, $2, $3, ($3 || '-01')::date, (($3 || '-01')::date + interval '1 month - 1 day')::date, now() + $4::interval)
			RETURNING id`, indicator, e.Unit, period, due)
		e.Exec(`UPDATE declarations d SET reminder = declaration_reminder(d, now()), checked_at = now() WHERE id = $1`, id)
		e.Exec(`INSERT INTO declaration_events (declaration_id, action, to_status, actor, note)
			VALUES ($1, 'open', 'draft', 'browsertest', '浏览器测试：生成申报')`, id)
		return id
	}
	return open("2002-01", "5 days"), open("2002-02", "-1 day")
}
