package store

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"citymap/invalid"
)

func TestNewIssueCheck(t *testing.T) {
	valid := func() NewIssue {
		return NewIssue{Source: "open311", Category: "noise", Location: orb.Point{119.82, 31.36},
			ExternalID: "svc-1", Photos: []string{strings.Repeat("a", 64)}}
	}
	tests := []struct {
		name  string
		edit  func(n *NewIssue)
		field string
		code  string
	}{
		{"valid", func(*NewIssue) {}, "", ""},
		{"no source", func(n *NewIssue) { n.Source = "" }, "source", "required"},
		{"unknown source", func(n *NewIssue) { n.Source = "fax" }, "source", "invalid"},
		{"no category", func(n *NewIssue) { n.Category = "" }, "category", "required"},
		{"longitude", func(n *NewIssue) { n.Location = orb.Point{181, 31} }, "location", "out_of_range"},
		{"latitude", func(n *NewIssue) { n.Location = orb.Point{120, -90.5} }, "location", "out_of_range"},
		{"NaN", func(n *NewIssue) { n.Location = orb.Point{math.NaN(), 31} }, "location", "out_of_range"},
		{"long external id", func(n *NewIssue) { n.ExternalID = strings.Repeat("x", 201) }, "external_id", "too_long"},
		{"long description", func(n *NewIssue) { n.Description = strings.Repeat("字", 4001) }, "description", "too_long"},
		{"description at the limit", func(n *NewIssue) { n.Description = strings.Repeat("字", 4000) }, "", ""},
		{"NUL", func(n *NewIssue) { n.Address = "x\x00" }, "address", "invalid"},
		{"photo id", func(n *NewIssue) { n.Photos = []string{"ABC"} }, "photos[0]", "invalid"},
		{"too many photos", func(n *NewIssue) { n.Photos = make([]string, 21) }, "photos", "too_many"},
	}
	for _, tt := range tests {
		n := valid()
		tt.edit(&n)
		err := n.Check()
		if tt.field == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.name, err)
			}
			continue
		}
		var fe *invalid.Error
		if !errors.As(err, &fe) || fe.Field != tt.field || fe.Code != tt.code {
			t.Errorf("%s: %#v, want %s/%s", tt.name, err, tt.field, tt.code)
		}
	}
}

func TestIssueActorCovers(t *testing.T) {
	grid := "32028200100101"
	tests := []struct {
		scope []string
		grid  *string
		want  bool
	}{
		{nil, nil, true}, // the whole city, even outside every grid
		{nil, &grid, true},
		{[]string{"320282001001"}, &grid, true},
		{[]string{"320282002", "320282001"}, &grid, true},
		{[]string{"320282001002"}, &grid, false},
		{[]string{"320282"}, nil, false}, // an unassigned issue is in no scope
	}
	for _, tt := range tests {
		if got := (IssueActor{Scope: tt.scope}).covers(tt.grid); got != tt.want {
			t.Errorf("scope %v covers %v = %v", tt.scope, gridName(tt.grid), got)
		}
	}
}

func gridName(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestIssueCursor(t *testing.T) {
	c := issueCursor{Sort: "-deadline", At: time.Date(2025, 3, 1, 12, 0, 0, 123456000, time.UTC), ID: 42}
	got, err := decodeIssueCursor(c.encode(), "-deadline")
	if err != nil || !got.At.Equal(c.At) || got.ID != 42 {
		t.Errorf("round trip: %+v, %v", got, err)
	}
	for _, bad := range []string{"", "!!", c.encode() + "x"} {
		if _, err := decodeIssueCursor(bad, "-deadline"); err == nil {
			t.Errorf("cursor %q accepted", bad)
		}
	}
	if _, err := decodeIssueCursor(c.encode(), "created_at"); err == nil {
		t.Error("a cursor of another sort accepted")
	}
}

func TestIssueListQuery(t *testing.T) {
	q, err := issueListQuery(IssueFilter{Area: "320282001", Overdue: true, Text: "50%_off", Sort: "deadline", Limit: 5000})
	if err != nil {
		t.Fatal(err)
	}
	sql := q.sql()
	for _, want := range []string{"grid_code ~>=~ $1 AND i.grid_code ~<~ $2", "ORDER BY i.deadline ASC, i.id ASC",
		"LIMIT 1001", "i.deadline < now()"} {
		if !strings.Contains(sql, want) {
			t.Errorf("query lacks %q:\n%s", want, sql)
		}
	}
	if q.args[1] != "320282001:" || q.args[2] != `%50\%\_off%` {
		t.Errorf("args %v", q.args)
	}
	if _, err := issueListQuery(IssueFilter{Sort: "priority"}); err == nil {
		t.Error("unknown sort accepted")
	}
}
