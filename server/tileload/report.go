package tileload

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

// Report is the outcome of a run: one row per layer, mode and concurrency,
// the median of Runs runs.
type Report struct {
	Duration time.Duration
	Runs     int
	Rows     []Row
}

// Row is one layer in one mode with one number of clients. Tiles, Errors and
// Hits add up the runs; the rest are medians.
type Row struct {
	Layer, Mode string
	Clients     int
	Cached      bool
	Tiles       int
	Rate        float64 // tiles per second
	P50, P99    time.Duration
	ZoomP50     map[int]time.Duration
	Errors      int
	Hits        int
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Print writes the report as a Markdown table, with each mode's speed-up over
// the baseline at the same layer and concurrency.
func (r *Report) Print(w io.Writer) {
	zooms := map[int]bool{}
	for _, row := range r.Rows {
		for z := range row.ZoomP50 {
			zooms[z] = true
		}
	}
	var zs []int
	for z := range zooms {
		zs = append(zs, z)
	}
	sort.Ints(zs)
	head := "| layer | mode | clients | tiles/s | × baseline | p50 ms | p99 ms |"
	rule := "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
	for _, z := range zs {
		head += fmt.Sprintf(" z%d p50 |", z)
		rule += " ---: |"
	}
	fmt.Fprintf(w, "%s errors | cache hits |\n%s ---: | ---: |\n", head, rule)
	for _, row := range r.Rows {
		var b strings.Builder
		fmt.Fprintf(&b, "| %s | %s | %d | %.0f | %s | %.2f | %.2f |", row.Layer, row.Mode, row.Clients,
			row.Rate, r.speedup(row), ms(row.P50), ms(row.P99))
		for _, z := range zs {
			fmt.Fprintf(&b, " %.2f |", ms(row.ZoomP50[z]))
		}
		hits := "–"
		if row.Cached && row.Tiles > 0 {
			hits = fmt.Sprintf("%.1f%%", 100*float64(row.Hits)/float64(row.Tiles))
		}
		fmt.Fprintf(&b, " %d | %s |", row.Errors, hits)
		fmt.Fprintln(w, b.String())
	}
}

func (r *Report) speedup(row Row) string {
	for _, b := range r.Rows {
		if b.Mode == "baseline" && b.Layer == row.Layer && b.Clients == row.Clients && b.Rate > 0 {
			return fmt.Sprintf("%.1f", row.Rate/b.Rate)
		}
	}
	return "–"
}
