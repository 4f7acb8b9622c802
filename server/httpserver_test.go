package server_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"citymap/server"
	"citymap/server/access"
	"citymap/server/dbtest"
	"citymap/server/live"
)

// Slow headers, slow bodies and idle keep-alives are cut after their timeouts,
// while a /live socket, which is none of them, lives on.
func TestSlowClientsAreCut(t *testing.T) {
	st := dbtest.New(t)
	const limit = 300 * time.Millisecond
	in := startInstance(t, st, server.Config{
		HTTP: server.HTTPConfig{ReadHeaderTimeout: limit, ReadTimeout: limit, IdleTimeout: limit},
		Live: live.Config{Heartbeat: 100 * time.Millisecond}})
	tok, _ := newToken(t, st, "dispatch", access.Dispatcher, nil)
	cases := []struct {
		name    string
		head    string // request line and headers, without the blank line
		trickle string // sent a byte every 100 ms after head
		status  int    // the answer before the connection ends, 0 for net/http's own
	}{
		{"slow headers", "GET /healthz HTTP/1.1\r\nHost: x\r\n", strings.Repeat("X-Slow: y\r\n", 10), 0},
		{"slow body", "POST /api/v1/issues HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok +
			"\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
			`{"description":"` + strings.Repeat("x", 200), http.StatusRequestTimeout},
		{"idle keep-alive", "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", "", http.StatusOK},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			conn := dialRaw(t, in)
			start := time.Now()
			write(t, conn, c.head)
			go func() { // a client that would go on for many seconds
				for i := range len(c.trickle) {
					time.Sleep(100 * time.Millisecond)
					if _, err := conn.Write([]byte{c.trickle[i]}); err != nil {
						return
					}
				}
			}()
			r := bufio.NewReader(conn)
			if c.status == 0 {
				_, _ = io.Copy(io.Discard, r) // a 400 or nothing: either way the end
			} else if res := readResponse(t, r, ""); res.StatusCode != c.status {
				t.Errorf("status %d, want %d", res.StatusCode, c.status)
			}
			ended(t, conn, r)
			if took := time.Since(start); took > limit+2*time.Second {
				t.Errorf("the connection lasted %v with a timeout of %v", took, limit)
			}
		})
	}
	t.Run("live socket", func(t *testing.T) {
		s := openSocket(t, in, tok)
		if !s.open(4 * limit) {
			t.Error("a /live socket was cut by the HTTP timeouts")
		}
	})
}

// No request without a valid token has its body read: the refusal comes at
// once, whatever the body, and the connection ends without waiting for the body.
func TestRefusedBeforeTheBody(t *testing.T) {
	st := dbtest.New(t)
	in := startInstance(t, st, server.Config{}) // the default read timeout: a minute
	viewer, _ := newToken(t, st, "viewer", access.Viewer, nil)
	routes := []struct {
		method, path, auth string
		status             int
	}{
		{"POST", "/api/v1/issues", "", http.StatusUnauthorized},
		{"POST", "/api/v1/issues", "Bearer cm_nope", http.StatusUnauthorized},
		{"POST", "/api/v1/issues", "Bearer " + viewer, http.StatusForbidden},
		{"POST", "/api/v1/issues/batch", "", http.StatusUnauthorized},
		{"POST", "/api/v1/issues/1/actions", "", http.StatusUnauthorized},
		{"POST", "/api/v1/issues/1/photos", "", http.StatusUnauthorized},
		{"POST", "/api/v1/photos", "", http.StatusUnauthorized},
		{"POST", "/api/v1/inspections", "", http.StatusUnauthorized},
		{"POST", "/api/v1/parking/occupancy", "", http.StatusUnauthorized},
		{"POST", "/ogc/collections/issues/items", "", http.StatusUnauthorized},
		{"PUT", "/ogc/collections/issues/items/1", "", http.StatusUnauthorized},
		{"PATCH", "/ogc/collections/issues/items/1", "", http.StatusUnauthorized},
		{"POST", "/open311/v2/requests.json?api_key=cm_nope", "", http.StatusForbidden},
		{"POST", "/open311/v2/requests.json", "Bearer cm_nope", http.StatusForbidden},
	}
	bodies := []struct{ name, headers, start string }{
		{"huge", "Content-Length: 104857600\r\n", strings.Repeat("x", 100)},
		{"small", "Content-Length: 1000\r\n", strings.Repeat("x", 100)},
		{"chunked", "Transfer-Encoding: chunked\r\n", "3e8\r\n" + strings.Repeat("x", 100)},
		{"expect 100-continue", "Content-Length: 1000\r\nExpect: 100-continue\r\n", ""},
	}
	for _, rt := range routes {
		for _, b := range bodies {
			t.Run(rt.method+" "+rt.path+" "+rt.auth+" "+b.name, func(t *testing.T) {
				head := rt.method + " " + rt.path + " HTTP/1.1\r\nHost: x\r\n" + b.headers
				if rt.auth != "" {
					head += "Authorization: " + rt.auth + "\r\n"
				}
				conn := dialRaw(t, in)
				start := time.Now()
				write(t, conn, head+"\r\n"+b.start) // and nothing more of the body
				r := bufio.NewReader(conn)
				res := readResponse(t, r, "100 Continue must not be sent")
				if res.StatusCode != rt.status || !res.Close {
					t.Errorf("status %d, closing %v; want %d and Connection: close", res.StatusCode, res.Close, rt.status)
				}
				ended(t, conn, r)
				if took := time.Since(start); took > 3*time.Second {
					t.Errorf("refused after %v", took)
				}
			})
		}
	}
}

func dialRaw(t *testing.T, in *instance) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", in.addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(patience))
	return conn
}

func write(t *testing.T, conn net.Conn, s string) {
	t.Helper()
	if _, err := io.WriteString(conn, s); err != nil {
		t.Fatal(err)
	}
}

// readResponse reads one response and its body; an interim 1xx is an error.
func readResponse(t *testing.T, r *bufio.Reader, interim string) *http.Response {
	t.Helper()
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	if res.StatusCode < 200 {
		t.Fatalf("%d: %s", res.StatusCode, interim)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// ended waits for the server to end the connection.
func ended(t *testing.T, conn net.Conn, r *bufio.Reader) {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(patience))
	if n, err := io.Copy(io.Discard, r); err != nil && !isReset(err) {
		t.Fatalf("the connection did not end: %v", err)
	} else if n > 0 {
		t.Errorf("%d more bytes after the answer", n)
	}
}

// isReset tells a connection reset by the server, which ends it too.
func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && strings.Contains(op.Err.Error(), "reset")
}
