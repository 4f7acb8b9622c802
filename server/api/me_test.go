package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
)

func TestMe(t *testing.T) {
	e := newEnv(t)
	var gm struct {
		Name  string   `json:"name"`
		Role  string   `json:"role"`
		Areas []string `json:"areas"`
	}
	if err := json.Unmarshal(e.must(http.StatusOK, "GET", "/api/v1/me", "grid_manager", nil).body, &gm); err != nil {
		t.Fatal(err)
	}
	if gm.Role != "grid_manager" || gm.Name != "test-grid_manager" || !slices.Equal(gm.Areas, []string{e.community}) {
		t.Errorf("grid manager: %+v", gm)
	}
	body := e.must(http.StatusOK, "GET", "/api/v1/me", "viewer", nil).body
	if string(body) != `{"name":"test-viewer","role":"viewer","areas":[]}`+"\n" {
		t.Errorf("viewer: %s", body)
	}
	e.must(http.StatusUnauthorized, "GET", "/api/v1/me", "", nil)
}
