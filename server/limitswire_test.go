package server

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"citymap/server/dbtest"
	"citymap/server/limit"
)

// TestClassify checks the classes that the route table gives requests.
func TestClassify(t *testing.T) {
	s, err := New(context.Background(), Config{DataDir: t.TempDir()}, dbtest.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	classify := s.mux.Class
	big := strings.Repeat("x", limit.SmallBatch+1)
	cases := []struct {
		method, target, body, class string
	}{
		{"GET", "/healthz", "", ""},
		{"GET", "/readyz", "", ""},
		{"GET", "/metrics", "", ""},
		{"GET", "/live", "", ""},
		{"GET", "/wall", "", ""},
		{"GET", "/assets/app.js", "", ""},
		{"GET", "/api/v1/reports/hotspots?size=50", "", limit.Heavy},
		{"GET", "/api/v1/reports/redblack", "", limit.Heavy},
		{"POST", "/api/v1/issues/batch", big, limit.Heavy},
		{"POST", "/api/v1/parking/occupancy", big, limit.Heavy},
		{"POST", "/api/v1/issues/batch", `{"items":[{}]}`, limit.Light},
		{"POST", "/api/v1/parking/occupancy", `{"items":[{}]}`, limit.Light},
		{"GET", "/api/v1/issues", "", limit.Medium},
		{"GET", "/ogc/collections/issues/items", "", limit.Medium},
		{"GET", "/tiles/issues/12/3411/1671.mvt", "", limit.Medium},
		{"GET", "/open311/v2/requests.json", "", limit.Medium},
		{"GET", "/api/v1/points/overdue", "", limit.Medium},
		{"GET", "/api/v1/issues/7", "", limit.Light},
		{"POST", "/api/v1/issues", "{}", limit.Light},
		{"GET", "/ogc/collections/issues/items/7", "", limit.Light},
		{"POST", "/ogc/collections/points/items", "{}", limit.Light},
		{"GET", "/ogc", "", limit.Light},
		{"GET", "/open311/v2/requests/7.json", "", limit.Light},
		{"GET", "/style.json", "", limit.Light},
		{"POST", "/api/v1/photos", "x", limit.Upload},
		{"POST", "/api/v1/issues/7/photos", "x", limit.Upload},
		{"POST", "/api/v1/documents", "x", limit.Upload},
		{"GET", "/api/v1/reports/units", "", limit.Heavy},
		{"GET", "/api/v1/bulletins/preview", "", limit.Heavy},
		{"POST", "/api/v1/bulletins", "{}", limit.Heavy},
		{"GET", "/api/v1/bulletins/3.pdf", "", limit.Heavy},
		{"GET", "/api/v1/bulletins/3.html", "", limit.Light},
		{"GET", "/api/v1/bulletins", "", limit.Light},
		{"GET", "/api/v1/tasks", "", limit.Medium},
		{"GET", "/api/v1/tasks/7", "", limit.Light},
		{"GET", "/api/v1/declarations", "", limit.Medium},
		{"GET", "/api/v1/declarations/7", "", limit.Light},
		{"GET", "/api/v1/reports/declarations", "", limit.Heavy},
		{"GET", "/api/v1/reports/surveys", "", limit.Heavy},
		{"GET", "/s/wmcj", "", limit.Light},
		{"POST", "/s/wmcj", "q.Q1=yes", limit.Light},
		{"POST", "/api/v1/surveys/7/responses", "{}", limit.Light},
	}
	for _, c := range cases {
		r := httptest.NewRequest(c.method, c.target, strings.NewReader(c.body))
		if got := classify(r); got != c.class {
			t.Errorf("%s %s (%d bytes): %q, want %q", c.method, c.target, len(c.body), got, c.class)
		}
	}
	r := httptest.NewRequest("POST", "/api/v1/issues/batch", strings.NewReader("{}"))
	r.ContentLength = -1 // chunked: its size is unknown
	if got := classify(r); got != limit.Heavy {
		t.Errorf("a batch of unknown size: %q, want heavy", got)
	}
}
