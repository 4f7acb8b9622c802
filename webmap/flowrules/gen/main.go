// Command gen writes the web map's module of the flows' rules (flowrules.Module)
// to the file named by its argument.
package main

import (
	"fmt"
	"os"

	"citymap/webmap/flowrules"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen FILE")
		os.Exit(2)
	}
	b, err := flowrules.Module()
	if err == nil {
		err = os.WriteFile(os.Args[1], b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "flowrules:", err)
		os.Exit(1)
	}
}
