package browsertest

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// runScript runs webmap/test's script in node against chromium, with env and
// the settings every script reads (screenshots, result file, browser), within
// timeout. It fails the test when the script fails or reports failures, and
// decodes the script's result into res; it answers the script's output and
// how long the browser ran.
func runScript(t *testing.T, node, chromium, script string, timeout time.Duration, res any, env ...string) ([]byte, time.Duration) {
	t.Helper()
	resultFile := filepath.Join(t.TempDir(), "result.json")
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, script)
	cmd.Dir = ".."
	cmd.Env = append(append(os.Environ(), env...),
		"CITYMAP_E2E_SCREENSHOTS="+screenshots(t),
		"CITYMAP_E2E_RESULT="+resultFile,
		"CITYMAP_CHROMIUM="+chromium,
	)
	start := time.Now()
	out, runErr := cmd.CombinedOutput()
	took := time.Since(start).Round(time.Millisecond)
	var failed struct {
		Failures []string `json:"failures"`
	}
	if data, err := os.ReadFile(resultFile); err == nil {
		_ = json.Unmarshal(data, &failed)
		_ = json.Unmarshal(data, res)
	}
	if runErr != nil || len(failed.Failures) > 0 {
		t.Fatalf("%s: %v after %v\n%s", filepath.Base(script), runErr, took, out)
	}
	return out, took
}

// screenshots is where the scripts leave their screenshots.
func screenshots(t *testing.T) string {
	t.Helper()
	shots, err := filepath.Abs("../../test-results/screenshots")
	if err != nil {
		t.Fatal(err)
	}
	return shots
}
