package flowrules

import (
	"bytes"
	"os"
	"testing"
)

// TestModuleIsCurrent: the committed module is what the flows generate now; a
// change to a flow without go generate ./webmap/flowrules fails here.
func TestModuleIsCurrent(t *testing.T) {
	want, err := Module()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../src/lib/flows.gen.js")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("webmap/src/lib/flows.gen.js is stale: run go generate ./webmap/flowrules")
	}
}
