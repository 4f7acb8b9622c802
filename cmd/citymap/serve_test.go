package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"citymap/server/dbtest"
)

// buildBinary compiles citymap once for the tests that run it as a process.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "citymap")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// A served instance migrates an empty database, answers, logs each request with its
// duration, and on SIGTERM finishes and exits cleanly.
func TestServeMigratesAndStopsOnSIGTERM(t *testing.T) {
	st := dbtest.Empty(t)
	url := st.Pool.Config().ConnString()
	st.Close()
	bin := buildBinary(t)
	addr := freeAddr(t)
	cmd := exec.Command(bin, "serve", "--addr", addr, "--data-dir", t.TempDir())
	// health checks log at debug level: they would drown the log otherwise
	cmd.Env = append(os.Environ(), "DATABASE_URL="+url, "CITYMAP_LOG_LEVEL=debug")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logs := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(bufio.NewReader(stderr))
		logs <- string(b)
	}()
	waitReady(t, "http://"+addr+"/readyz")
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve exited with %v", err)
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("serve did not stop on SIGTERM")
	}
	out := <-logs
	for _, want := range []string{"msg=migrated", "msg=serving", "path=/readyz", "duration=", "msg=\"shutting down\""} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for ctx.Err() == nil {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s never answered 200", url)
}

func TestCheckTokenRequest(t *testing.T) {
	cases := []struct {
		role, name, source string
		codes              []string
		unit               string
		ok                 bool
	}{
		{"viewer", "wall 1", "", nil, "", true},
		{"grid_manager", "张三", "", []string{"320282001001"}, "", true},
		{"grid_manager", "张三", "", nil, "", false},
		{"emperor", "x", "", nil, "", false},
		{"admin", " ", "", nil, "", false},
		{"reporter", "12345 hotline", "hotline_12345", nil, "", true},
		{"reporter", "lot system", "", nil, "", true},
		{"reporter", "pigeons", "pigeon_post", nil, "", false},
		{"dispatcher", "alice", "hotline_12345", nil, "", false},
		{"unit", "城管局李四", "", nil, "cgj", true},
		{"unit", "城管局李四", "", nil, "", false},
		{"viewer", "wall 1", "", nil, "cgj", false},
		{"reviewer", "创建办", "", nil, "", true},
		{"unit_leader", "城管局分管领导", "", nil, "cgj", true},
		{"unit_leader", "城管局分管领导", "", nil, "", false},
		{"reviewer", "创建办", "", nil, "cgj", false},
	}
	for _, c := range cases {
		err := checkTokenRequest(c.role, c.name, c.source, c.codes, c.unit)
		if (err == nil) != c.ok {
			t.Errorf("%s %q %q %v: err %v, want ok=%v", c.role, c.name, c.source, c.codes, err, c.ok)
		}
	}
}

func TestSplitCodes(t *testing.T) {
	got := fmt.Sprint(splitCodes(" 320282001, ,32028200100101,"))
	if got != "[320282001 32028200100101]" {
		t.Errorf("splitCodes = %s", got)
	}
}
