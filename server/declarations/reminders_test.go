package declarations_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"citymap/server/access"
	"citymap/server/store"
)

// list is GET /api/v1/declarations as role.
func (e *env) list(role, query string) (ds []decl, total int) {
	e.T.Helper()
	var out struct {
		Declarations []decl
		Total        int
	}
	e.Get("/api/v1/declarations?"+query, role).Decode(e.T, &out)
	return out.Declarations, out.Total
}

func periods(ds []decl) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Indicator+" "+d.Period)
	}
	return out
}

// TestReminders: at a fixed clock, what is due within 7 days, 3 days and
// overdue, per unit, by deadline; each crossing is announced once on the
// changes feed and reaches the unit's live stream, and no other unit's.
func TestReminders(t *testing.T) {
	e := newEnv(t)
	e.open()
	seq0, err := store.FeedHead(t.Context(), e.Store.Pool)
	if err != nil {
		t.Fatal(err)
	}
	// 2031-04-05 10:00: TD.1 and TD.3 of March are due on 04-11 (in 5.6
	// days), TD.2 of Q1 on 04-06 (in 14 hours)
	e.setNow(time.Date(2031, 4, 5, 10, 0, 0, 0, t0.Location()))
	_, reminded := e.open()
	if len(reminded) != 3 {
		t.Fatalf("reminded %v, want the three due soon", reminded)
	}
	if _, again := e.open(); len(again) != 0 {
		t.Errorf("the same thresholds announced again: %v", again)
	}
	for _, c := range []struct {
		role, query string
		want        []string
		reminder    string
	}{
		{access.Unit, "due=7d", []string{"TD.2 2031-Q1", "TD.1 2031-03"}, ""},
		{access.Unit, "due=3d", []string{"TD.2 2031-Q1"}, "due_3d"},
		{access.Admin, "due=7d&indicator=TD", []string{"TD.2 2031-Q1", "TD.1 2031-03", "TD.3 2031-03"}, ""},
		{"other_unit", "due=7d", []string{"TD.3 2031-03"}, "due_7d"},
		{access.UnitLeader, "due=overdue&indicator=TD.2", []string{"TD.2 2030-Q2", "TD.2 2030-Q3", "TD.2 2030-Q4"}, "overdue"},
	} {
		ds, total := e.list(c.role, c.query)
		if got := periods(ds); !slices.Equal(got, c.want) || total != len(c.want) {
			t.Errorf("%s ?%s: %v (total %d), want %v", c.role, c.query, got, total, c.want)
		}
		for _, d := range ds {
			if c.reminder != "" && (d.Reminder == nil || *d.Reminder != c.reminder) {
				t.Errorf("%s ?%s: %s %s reminder %v, want %s", c.role, c.query, d.Indicator, d.Period, d.Reminder, c.reminder)
			}
		}
	}
	if _, total := e.list(access.Unit, "due=overdue"); total != 11+3 {
		t.Errorf("the unit has %d overdue, want 14 (11 months, 3 quarters)", total)
	}
	// the next day TD.2 of Q1 is overdue: announced once more
	e.setNow(time.Date(2031, 4, 6, 10, 0, 0, 0, t0.Location()))
	if _, reminded := e.open(); len(reminded) != 1 {
		t.Errorf("reminded %v on 04-06, want TD.2 of Q1", reminded)
	}
	var frames []string
	for _, f := range e.liveFrames(t, access.Unit, seq0) {
		frames = append(frames, f.Properties.Indicator+" "+f.Properties.Period+" "+deref(f.Properties.Reminder))
	}
	want := []string{"TD.1 2031-03 due_7d", "TD.2 2031-Q1 due_3d", "TD.1 2031-04 ", "TD.2 2031-Q2 ", "TD.2 2031-Q1 overdue"}
	slices.Sort(frames)
	slices.Sort(want)
	if !slices.Equal(frames, want) {
		t.Errorf("the unit's live declarations:\n%v\nwant\n%v", frames, want)
	}
	for _, f := range e.liveFrames(t, "other_unit", seq0) {
		if f.Properties.Unit != otherUnit {
			t.Errorf("the other unit was sent %s's %s %s", f.Properties.Unit, f.Properties.Indicator, f.Properties.Period)
		}
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// liveFeature is a declarations change as /live sends it.
type liveFeature struct {
	Layer   string
	Feature struct {
		Geometry   json.RawMessage
		Properties struct {
			Indicator, Period, Unit string
			Reminder                *string
		}
	}
}

// liveFrames subscribes to the declarations layer as role from seq and
// returns the features sent up to the feed's head.
func (e *env) liveFrames(t *testing.T, role string, since int64) []struct {
	Properties struct {
		Indicator, Period, Unit string
		Reminder                *string
	}
} {
	t.Helper()
	head, err := store.FeedHead(t.Context(), e.Store.Pool)
	if err != nil {
		t.Fatal(err)
	}
	url := "ws" + strings.TrimPrefix(e.URL, "http") + "/live"
	conn, _, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer " + e.Tokens[role]}})
	if err != nil {
		t.Fatalf("live as %s: %v", role, err)
	}
	defer conn.Close()
	sub := fmt.Sprintf(`{"type":"subscribe","layers":["declarations"],"since":%d}`, since)
	if err := conn.WriteMessage(websocket.TextMessage, []byte(sub)); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	var out []struct {
		Properties struct {
			Indicator, Period, Unit string
			Reminder                *string
		}
	}
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("live as %s: %v", role, err)
		}
		var f struct {
			Type  string
			Seq   int64
			Layer string
		}
		_ = json.Unmarshal(msg, &f)
		if f.Type == "heartbeat" && f.Seq >= head {
			return out
		}
		if f.Type != "change" {
			continue
		}
		var lf liveFeature
		if err := json.Unmarshal(msg, &lf); err != nil || lf.Layer != "declarations" || string(lf.Feature.Geometry) != "null" {
			t.Fatalf("live as %s: %s", role, msg)
		}
		out = append(out, struct {
			Properties struct {
				Indicator, Period, Unit string
				Reminder                *string
			}
		}{lf.Feature.Properties})
	}
}

// TestRemindersOnce: instances checking at once announce each crossing once.
func TestRemindersOnce(t *testing.T) {
	e := newEnv(t)
	e.open()
	seq0, err := store.FeedHead(t.Context(), e.Store.Pool)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2031, 4, 5, 10, 0, 0, 0, t0.Location())
	results := make(chan []int64, 4)
	for range 4 {
		go func() {
			ids, err := e.Store.RemindDeclarations(t.Context(), at)
			if err != nil {
				t.Error(err)
			}
			results <- ids
		}()
	}
	var all []int64
	for range 4 {
		all = append(all, <-results...)
	}
	slices.Sort(all)
	if len(all) != 3 || len(slices.Compact(all)) != 3 {
		t.Errorf("four instances announced %v, want three crossings once each", all)
	}
	if n := e.Int(`SELECT count(*) FROM changes WHERE layer = 'declarations' AND seq > $1`, seq0); n != 3 {
		t.Errorf("%d changes written, want 3", n)
	}
	// a clock a little behind moves no threshold back
	if ids, err := e.Store.RemindDeclarations(t.Context(), t0); err != nil || len(ids) != 0 {
		t.Errorf("an earlier clock announced %v (%v)", ids, err)
	}
}
