package routes

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestRecorder(t *testing.T) {
	r := NewRecorder()
	var _ Mux = http.NewServeMux()
	r.HandleFunc("GET /b", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	r.Handle("POST /a", http.NotFoundHandler())
	if got := r.Patterns(); !slices.Equal(got, []string{"GET /b", "POST /a"}) {
		t.Errorf("patterns %v", got)
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/b", nil))
	if w.Code != http.StatusTeapot {
		t.Errorf("GET /b: %d", w.Code)
	}
}
