package store

import (
	"strings"
	"testing"
)

// Every OGC collection applies the caller's scope: a collection added without
// one would serve a grid manager the whole city.
func TestEveryOGCCollectionIsScoped(t *testing.T) {
	for _, id := range OGCCollectionIDs {
		if c := ogcCollections[id]; c == nil || c.scope == "" {
			t.Errorf("collection %s has no scope column", id)
		}
	}
	if len(OGCCollectionIDs) != len(ogcCollections) {
		t.Errorf("%d collections listed, %d defined", len(OGCCollectionIDs), len(ogcCollections))
	}
}

func TestViewerSQL(t *testing.T) {
	for _, tt := range []struct {
		name string
		v    Viewer
		want []string // in the condition, in order
		args int
	}{
		{"everyone", Viewer{}, []string{"true"}, 0},
		{"areas", Viewer{Scope: []string{"320282001"}}, []string{"i.grid_code"}, 1},
		{"a reporter of a source", Viewer{Reporter: true, Source: "hotline_12345"}, []string{"i.source = $1"}, 1},
		{"a reporter of none", Viewer{Reporter: true, Actor: "reporter:x"}, []string{"issue_events", "e.actor = $1"}, 1},
		{"a scoped reporter", Viewer{Scope: []string{"320282"}, Reporter: true, Source: "open311"},
			[]string{"i.grid_code", "i.source = $2"}, 2},
	} {
		q := &issueQuery{}
		sql := tt.v.issueSQL("i", q.arg)
		at := 0
		for _, w := range tt.want {
			i := strings.Index(sql[at:], w)
			if i < 0 {
				t.Errorf("%s: %q lacks %q after %d", tt.name, sql, w, at)
				break
			}
			at += i
		}
		if len(q.args) != tt.args {
			t.Errorf("%s: %d arguments, want %d", tt.name, len(q.args), tt.args)
		}
	}
	if got := (Viewer{Reporter: true}).inspectionSQL("p", (&issueQuery{}).arg); got != "false" {
		t.Errorf("a reporter sees inspections: %s", got)
	}
}
