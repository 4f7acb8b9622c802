package democity

import (
	"regexp"
	"testing"
	"time"
)

// collect generates all issues of c.
func collect(c *City) []Issue {
	var out []Issue
	for chunk := range c.Issues(5000) {
		out = append(out, chunk...)
	}
	return out
}

func TestIssues(t *testing.T) {
	c := city(t, 1, 0.2)
	issues := collect(c)
	if len(issues) != c.IssueCount() {
		t.Fatalf("%d issues, want %d", len(issues), c.IssueCount())
	}
	external := map[string]bool{}
	var nextEvent int64 = 1
	for i, is := range issues {
		if is.ID != int64(i+1) || i > 0 && is.Created.Before(issues[i-1].Created) {
			t.Fatalf("issue %d out of order", is.ID)
		}
		checkIssue(t, c, is, issues)
		for _, e := range is.Events {
			if e.ID != nextEvent || e.Issue != is.ID {
				t.Fatalf("issue %d: event %d, want %d", is.ID, e.ID, nextEvent)
			}
			nextEvent++
		}
		if is.ExternalID != "" {
			if external[is.Source+is.ExternalID] {
				t.Errorf("external id %s twice", is.ExternalID)
			}
			external[is.Source+is.ExternalID] = true
		}
	}
	checkMix(t, issues)
}

var hotlineID = regexp.MustCompile(`^(12345|12319)-20\d\d-\d{7}$`)

func checkIssue(t *testing.T, c *City, is Issue, all []Issue) {
	t.Helper()
	cat := issueCats[issueCatIndex(is.Category)]
	if !is.Deadline.Equal(is.Created.Add(time.Duration(cat.hours)*time.Hour)) || is.Created.After(testNow) {
		t.Errorf("issue %d: created %s, deadline %s", is.ID, is.Created, is.Deadline)
	}
	if c.GridCell(c.Lattice.CellOf(is.At)) != is.Grid {
		t.Errorf("issue %d is not in its grid", is.ID)
	}
	if hot := is.Source == "hotline_12345" || is.Source == "hotline_12319"; hot != hotlineID.MatchString(is.ExternalID) {
		t.Errorf("issue %d from %s: external id %q", is.ID, is.Source, is.ExternalID)
	}
	if (is.Source == "inspection") != (is.Inspection > 0 && is.Point > 0) {
		t.Errorf("issue %d from %s: inspection %d point %d", is.ID, is.Source, is.Inspection, is.Point)
	}
	checkEvents(t, is)
	if is.Status == "merged" {
		d := all[is.DuplicateOf-1]
		if d.ID >= is.ID || d.Category != is.Category || d.Grid != is.Grid {
			t.Errorf("issue %d merged into %d (%s, grid %d vs %s, %d)", is.ID, d.ID, d.Category, d.Grid, is.Category, is.Grid)
		}
	}
}

// checkEvents: a report first, times never going back, each event leaving from
// the status the one before reached, the issue's fields agreeing with them.
func checkEvents(t *testing.T, is Issue) {
	t.Helper()
	evs := is.Events
	if len(evs) == 0 || evs[0].Action != "report" || !evs[0].At.Equal(is.Created) {
		t.Fatalf("issue %d: no report first", is.ID)
	}
	status, rework := "", 0
	var closed, dispatched time.Time
	for i, e := range evs {
		if e.From != status || i > 0 && !e.At.After(evs[i-1].At) || e.At.After(testNow) {
			t.Errorf("issue %d: event %d %s from %q at %s after %q", is.ID, e.ID, e.Action, e.From, e.At, status)
		}
		status = e.To
		switch {
		case e.Action == "verify" && e.To == "dispatched":
			rework++
		case e.Action == "verify":
			closed = e.At
		case e.Action == "dispatch" && dispatched.IsZero():
			dispatched = e.At
		}
	}
	if status != is.Status || rework != is.Rework || !closed.Equal(is.Closed) || !dispatched.Equal(is.Dispatched) ||
		is.Version != len(evs) || !is.Updated.Equal(evs[len(evs)-1].At) {
		t.Errorf("issue %d: status %s rework %d closed %s disagree with its events", is.ID, is.Status, is.Rework, is.Closed)
	}
	if (is.Status == "resolved" || is.Status == "closed") == is.Resolved.IsZero() {
		t.Errorf("issue %d: %s with resolved_at %s", is.ID, is.Status, is.Resolved)
	}
}

// checkMix: the shares of outcomes and sources are about what was asked for.
func checkMix(t *testing.T, issues []Issue) {
	t.Helper()
	status, source := map[string]int{}, map[string]int{}
	reworked, onTime, resolved := 0, 0, 0
	for _, is := range issues {
		status[is.Status]++
		source[is.Source]++
		if is.Status == "closed" && is.Rework > 0 {
			reworked++
		}
		if !is.Resolved.IsZero() {
			resolved++
			if !is.Resolved.After(is.Deadline) {
				onTime++
			}
		}
	}
	n := float64(len(issues))
	shares := []struct {
		what     string
		got      float64
		min, max float64
	}{
		{"rejected", float64(status["rejected"]) / n, 0.03, 0.05},
		{"merged", float64(status["merged"]) / n, 0.01, 0.03},
		{"closed", float64(status["closed"]) / n, 0.85, 0.97},
		{"reworked of closed", float64(reworked) / float64(status["closed"]), 0.05, 0.08},
		{"on time of resolved", float64(onTime) / float64(resolved), 0.75, 0.95},
		{"hotline_12345", float64(source["hotline_12345"]) / n, 0.37, 0.43},
		{"grid_patrol", float64(source["grid_patrol"]) / n, 0.27, 0.33},
		{"inspection", float64(source["inspection"]) / n, 0.03, 0.05},
	}
	for _, s := range shares {
		if s.got < s.min || s.got > s.max {
			t.Errorf("%s: %.3f, want %.2f–%.2f", s.what, s.got, s.min, s.max)
		}
	}
	for _, st := range []string{"reported", "registered", "dispatched", "in_progress", "resolved"} {
		if status[st] == 0 {
			t.Errorf("no open issue is %s", st)
		}
	}
}
