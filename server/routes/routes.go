// Package routes is where the HTTP packages register their routes: an
// *http.ServeMux, which the server wraps in a Recorder so that the routes can
// be listed (the scope walk in server/ checks that it covers every one).
package routes

import (
	"net/http"
	"slices"
	"sync"
)

// Mux takes routes; *http.ServeMux is one.
type Mux interface {
	Handle(pattern string, handler http.Handler)
	HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request))
}

// Recorder is a ServeMux that remembers the patterns registered on it.
type Recorder struct {
	*http.ServeMux
	mu       sync.Mutex
	patterns []string
}

// NewRecorder returns an empty Recorder.
func NewRecorder() *Recorder { return &Recorder{ServeMux: http.NewServeMux()} }

// Handle registers handler for pattern, as http.ServeMux.Handle does.
func (r *Recorder) Handle(pattern string, handler http.Handler) {
	r.note(pattern)
	r.ServeMux.Handle(pattern, handler)
}

// HandleFunc registers handler for pattern, as http.ServeMux.HandleFunc does.
func (r *Recorder) HandleFunc(pattern string, handler func(http.ResponseWriter, *http.Request)) {
	r.note(pattern)
	r.ServeMux.HandleFunc(pattern, handler)
}

func (r *Recorder) note(pattern string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.patterns = append(r.patterns, pattern)
}

// Patterns lists the registered patterns, sorted.
func (r *Recorder) Patterns() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.patterns)
	slices.Sort(out)
	return out
}
