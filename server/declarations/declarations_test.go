package declarations_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"citymap/server/access"
)

// TestOpen: the obligations of the current period and the year before, for
// the lead unit of each declaration leaf, with their deadlines; opening
// again creates nothing.
func TestOpen(t *testing.T) {
	e := newEnv(t)
	created, _ := e.open()
	// TD.1 and TD.3: 2030-04 … 2031-03 (12 months); TD.2: 2030-Q2 … 2031-Q1 (4 quarters)
	if len(created) != 12+12+4 {
		t.Fatalf("opened %d declarations, want 28", len(created))
	}
	seqBefore := e.Int(`SELECT last_value FROM declarations_id_seq`)
	if again, _ := e.open(); len(again) != 0 {
		t.Errorf("opening again created %v", again)
	}
	// the periodic job opens every few minutes: what exists takes no id
	if seq := e.Int(`SELECT last_value FROM declarations_id_seq`); seq != seqBefore {
		t.Errorf("opening again used ids %d to %d", seqBefore, seq)
	}
	for _, c := range []struct {
		indicator, period, start, end, due, unit string
	}{
		{"TD.1", "2031-02", "2031-02-01", "2031-02-28", "2031-03-11T00:00:00+08:00", "cgj"},
		{"TD.1", "2031-03", "2031-03-01", "2031-03-31", "2031-04-11T00:00:00+08:00", "cgj"},
		{"TD.1", "2030-04", "2030-04-01", "2030-04-30", "2030-05-11T00:00:00+08:00", "cgj"},
		{"TD.2", "2030-Q4", "2030-10-01", "2030-12-31", "2031-01-06T00:00:00+08:00", "cgj"},
		{"TD.2", "2031-Q1", "2031-01-01", "2031-03-31", "2031-04-06T00:00:00+08:00", "cgj"},
		{"TD.3", "2031-01", "2031-01-01", "2031-01-31", "2031-02-11T00:00:00+08:00", otherUnit},
	} {
		d := e.find(c.indicator, c.period)
		due, _ := time.Parse(time.RFC3339, c.due)
		if d.PeriodStart != c.start || d.PeriodEnd != c.end || !d.DueAt.Equal(due) || d.Unit != c.unit || d.Status != "draft" {
			t.Errorf("%s %s: %s–%s due %s unit %s %s, want %s–%s due %s unit %s draft", c.indicator, c.period,
				d.PeriodStart, d.PeriodEnd, d.DueAt, d.Unit, d.Status, c.start, c.end, due, c.unit)
		}
		if len(d.Events) != 1 || d.Events[0].Action != "open" {
			t.Errorf("%s %s: events %+v, want the open event", c.indicator, c.period, d.Events)
		}
	}
	if n := e.Int(`SELECT count(*) FROM declarations WHERE indicator_code = 'TD'`); n != 0 {
		t.Errorf("the branch TD owes %d declarations", n)
	}
}

// TestReviewLoop: submit → approve → return by the 创建办 → resubmit →
// approve → accept, each step an event, the history kept.
func TestReviewLoop(t *testing.T) {
	e := newEnv(t)
	e.open()
	d := e.find("TD.1", "2031-02")
	doc := e.document(access.Unit, pdf(1))
	d = e.attach(http.StatusCreated, d.ID, access.Unit, map[string]any{"kind": "document", "document": doc, "caption": "二月台账"})
	if len(d.Materials) != 1 || *d.Materials[0].Document != doc || d.Materials[0].Caption != "二月台账" ||
		*d.Materials[0].ContentType != "application/pdf" || d.Materials[0].AttachedBy != "unit:test-unit" ||
		*d.Materials[0].InlineURL != "/api/v1/documents/"+doc+"?inline=1" || d.Material != d.Materials[0].ID {
		t.Fatalf("materials after attach: %+v (material %d)", d.Materials, d.Material)
	}
	d = e.attach(http.StatusCreated, d.ID, access.Unit, map[string]any{"kind": "text", "text": "本月分类覆盖率 96%"})
	steps := []struct {
		role, action, note, status string
	}{
		{access.Unit, "submit", "", "submitted"},
		{access.UnitLeader, "approve", "同意上报", "unit_approved"},
		{access.Reviewer, "return", "缺少现场照片", "returned"},
		{access.Unit, "submit", "已补充", "submitted"},
		{access.UnitLeader, "approve", "", "unit_approved"},
		{access.Reviewer, "accept", "材料齐全", "accepted"},
	}
	for i, s := range steps {
		if i == 3 {
			photo := e.upload("/api/v1/photos", access.Unit, "photo", "现场.png", pngFile(t, 9)).Want(t, http.StatusCreated).JSON(t)["id"].(string)
			d = e.attach(http.StatusCreated, d.ID, access.Unit, map[string]any{"kind": "photo", "photo": photo, "caption": "现场照片"},
				"If-Match", etagOf(d.Version))
			// the text goes: a resubmission shows the document and the photo
			r := e.Must(http.StatusOK, "DELETE", fmt.Sprintf("/api/v1/declarations/%d/materials/%d", d.ID, d.Materials[1].ID),
				access.Unit, nil, "If-Match", etagOf(d.Version))
			r.Decode(t, &d)
		}
		r := e.act(http.StatusOK, d.ID, s.role, map[string]any{"action": s.action, "note": s.note}, "If-Match", etagOf(d.Version))
		r.Decode(t, &d)
		if d.Status != s.status || r.Header.Get("ETag") != etagOf(d.Version) {
			t.Fatalf("step %d %s: %s (ETag %s, version %d), want %s", i, s.action, d.Status, r.Header.Get("ETag"), d.Version, s.status)
		}
	}
	d = e.get(d.ID, access.Unit)
	var actions []string
	for _, ev := range d.Events {
		actions = append(actions, ev.Action+":"+ev.To)
	}
	want := []string{"open:draft", "attach:draft", "attach:draft", "submit:submitted", "approve:unit_approved",
		"return:returned", "attach:returned", "detach:returned", "submit:submitted", "approve:unit_approved", "accept:accepted"}
	if !slices.Equal(actions, want) {
		t.Errorf("events %v\nwant %v", actions, want)
	}
	if ret := d.Events[5]; ret.Actor != "reviewer:test-reviewer" || ret.Note != "缺少现场照片" || ret.From != "unit_approved" {
		t.Errorf("the return event: %+v", ret)
	}
	if d.TimesReturned != 1 || d.ReturnedBy == nil || *d.ReturnedBy != "reviewer" || len(d.Materials) != 2 || d.Reminder != nil {
		t.Errorf("accepted: returned %d by %v, %d materials, reminder %v", d.TimesReturned, d.ReturnedBy, len(d.Materials), d.Reminder)
	}
	// the detached text stays in the history
	if n := e.Int(`SELECT count(*) FROM declaration_materials WHERE declaration_id = $1 AND kind = 'text'
		AND detached_at IS NOT NULL AND detached_by = 'unit:test-unit'`, d.ID); n != 1 {
		t.Errorf("the detached text: %d rows", n)
	}
	// submitted 2031-03-15, due 2031-03-11: late
	if !d.Late {
		t.Errorf("submitted after the deadline but not late")
	}
	// the leader may read the document attached to its unit's declaration, the other unit may not
	e.Get("/api/v1/documents/"+doc, access.UnitLeader)
	e.Must(http.StatusNotFound, "GET", "/api/v1/documents/"+doc, "other_unit", nil)
	// every write is a change of the live layer, the opening too
	changes := e.Int(`SELECT count(*) FROM changes WHERE layer = 'declarations' AND object_id = $1`, fmt.Sprint(d.ID))
	if changes != int64(len(want)) {
		t.Errorf("%d changes of the declaration, want %d", changes, len(want))
	}
}

func etagOf(v int) string { return fmt.Sprintf(`"%d"`, v) }
