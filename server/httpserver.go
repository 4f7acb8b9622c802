package server

import (
	"net/http"
	"time"
)

// HTTPConfig bounds what a client may hold of the listener: slow headers, slow
// bodies and idle keep-alive connections are cut. Zero fields take the defaults.
//
// There is no WriteTimeout on purpose: /live sockets and streamed exports last
// as long as they need to. ReadTimeout does not cut them: net/http lifts the
// read deadline once a request's body has been read (at once for a request
// without one, such as a websocket upgrade), and the websocket sets its own.
type HTTPConfig struct {
	// ReadHeaderTimeout bounds reading the request line and headers (10 s).
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds reading a whole request, body included (60 s):
	// enough for photos from a phone, not for a trickle.
	ReadTimeout time.Duration
	// IdleTimeout closes a keep-alive connection idle this long (120 s).
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds the request line and headers (64 KiB).
	MaxHeaderBytes int
	// CompressOff sends every answer as the handlers write it: no gzip or
	// zstd (server/compression), e.g. behind a proxy that compresses.
	CompressOff bool
}

func (c HTTPConfig) withDefaults() HTTPConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.ReadHeaderTimeout, 10*time.Second)
	def(&c.ReadTimeout, 60*time.Second)
	def(&c.IdleTimeout, 120*time.Second)
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = 64 << 10
	}
	return c
}

// HTTPServer is the instance's http.Server, to Serve on a listener.
func (s *Server) HTTPServer() *http.Server {
	c := s.cfg.HTTP.withDefaults()
	return &http.Server{Handler: s.Handler(), ReadHeaderTimeout: c.ReadHeaderTimeout,
		ReadTimeout: c.ReadTimeout, IdleTimeout: c.IdleTimeout, MaxHeaderBytes: c.MaxHeaderBytes}
}
