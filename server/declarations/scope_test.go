package declarations_test

import (
	"fmt"
	"net/http"
	"testing"

	"citymap/server/access"
)

// TestScope: a unit's staff and its leader see and act on their own unit's
// declarations only; city-wide readers see all; a token limited to areas
// sees none (declarations lie nowhere); the documents and photos of a
// declaration follow it.
func TestScope(t *testing.T) {
	e := newEnv(t)
	e.open()
	own, other := e.find("TD.1", "2031-02"), e.find("TD.3", "2031-02")
	doc := e.document(access.Unit, pdf(6))
	e.attach(http.StatusCreated, own.ID, access.Unit, map[string]any{"kind": "document", "document": doc})
	otherDoc := e.document("other_unit", pdf(7))
	e.attach(http.StatusCreated, other.ID, "other_unit", map[string]any{"kind": "document", "document": otherDoc})
	for _, c := range []struct {
		role       string
		units      map[string]bool // the units whose declarations it lists
		own, other int             // reading each declaration
		ownDoc     int             // reading the unit's document
	}{
		{access.Unit, map[string]bool{"cgj": true}, http.StatusOK, http.StatusForbidden, http.StatusOK},
		{access.UnitLeader, map[string]bool{"cgj": true}, http.StatusOK, http.StatusForbidden, http.StatusOK},
		{"other_unit", map[string]bool{otherUnit: true}, http.StatusForbidden, http.StatusOK, http.StatusNotFound},
		{"other_leader", map[string]bool{otherUnit: true}, http.StatusForbidden, http.StatusOK, http.StatusNotFound},
		{access.Reviewer, map[string]bool{"cgj": true, otherUnit: true}, http.StatusOK, http.StatusOK, http.StatusOK},
		{access.Viewer, map[string]bool{"cgj": true, otherUnit: true}, http.StatusOK, http.StatusOK, http.StatusOK},
		{access.GridManager, map[string]bool{}, http.StatusForbidden, http.StatusForbidden, http.StatusNotFound},
	} {
		ds, total := e.list(c.role, "indicator=TD&limit=1000")
		seen := map[string]bool{}
		for _, d := range ds {
			seen[d.Unit] = true
		}
		if len(seen) != len(c.units) || total != len(ds) {
			t.Errorf("%s lists the declarations of %v (total %d of %d), want %v", c.role, seen, total, len(ds), c.units)
		}
		for u := range c.units {
			if !seen[u] {
				t.Errorf("%s does not list %s's declarations", c.role, u)
			}
		}
		for id, want := range map[int64]int{own.ID: c.own, other.ID: c.other} {
			if r := e.Call("GET", fmt.Sprintf("/api/v1/declarations/%d", id), c.role, nil); r.Status != want {
				t.Errorf("%s reading declaration %d: %d, want %d", c.role, id, r.Status, want)
			}
		}
		if r := e.Call("GET", "/api/v1/documents/"+doc, c.role, nil); r.Status != c.ownDoc {
			t.Errorf("%s reading the unit's document: %d, want %d", c.role, r.Status, c.ownDoc)
		}
	}
	// the unit's leader approves its own unit's only
	e.act(http.StatusOK, own.ID, access.Unit, map[string]any{"action": "submit"})
	e.act(http.StatusOK, other.ID, "other_unit", map[string]any{"action": "submit"})
	e.act(http.StatusForbidden, other.ID, access.UnitLeader, map[string]any{"action": "approve"})
	e.act(http.StatusOK, own.ID, access.UnitLeader, map[string]any{"action": "approve"})
	e.act(http.StatusOK, other.ID, "other_leader", map[string]any{"action": "return", "note": "请补充签字页"})
	// a reviewer limited to areas reviews nothing
	scoped := e.Token("test-scoped-reviewer", access.Reviewer, []string{e.Community})
	e.Tokens["scoped_reviewer"] = scoped
	e.act(http.StatusForbidden, own.ID, "scoped_reviewer", map[string]any{"action": "accept"})
	e.act(http.StatusOK, own.ID, access.Reviewer, map[string]any{"action": "accept"})
}
