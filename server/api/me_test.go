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
	if err := json.Unmarshal(e.Must(http.StatusOK, "GET", "/api/v1/me", "grid_manager", nil).Body, &gm); err != nil {
		t.Fatal(err)
	}
	if gm.Role != "grid_manager" || gm.Name != "test-grid_manager" || !slices.Equal(gm.Areas, []string{e.Community}) {
		t.Errorf("grid manager: %+v", gm)
	}
	body := e.Must(http.StatusOK, "GET", "/api/v1/me", "viewer", nil).Body
	if string(body) != `{"name":"test-viewer","role":"viewer","areas":[]}`+"\n" {
		t.Errorf("viewer: %s", body)
	}
	e.Must(http.StatusUnauthorized, "GET", "/api/v1/me", "", nil)
}
