package tileload

import (
	"fmt"
	"io"
	"slices"
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
	// Peer names the peer's mode (Config.PeerName), if it ran.
	Peer string
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
// the baseline and over the peer, and its share of the HTTP ceiling, at the
// same layer and concurrency.
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
	refs := r.references()
	head := "| layer | mode | clients | tiles/s |"
	rule := "| --- | --- | ---: | ---: |"
	for _, ref := range refs {
		head += " " + ref.title + " |"
		rule += " ---: |"
	}
	head += " p50 ms | p99 ms |"
	rule += " ---: | ---: |"
	for _, z := range zs {
		head += fmt.Sprintf(" z%d p50 |", z)
		rule += " ---: |"
	}
	fmt.Fprintf(w, "%s errors | cache hits |\n%s ---: | ---: |\n", head, rule)
	for _, row := range r.Rows {
		var b strings.Builder
		fmt.Fprintf(&b, "| %s | %s | %d | %.0f |", row.Layer, row.Mode, row.Clients, row.Rate)
		for _, ref := range refs {
			fmt.Fprintf(&b, " %s |", r.against(row, ref))
		}
		fmt.Fprintf(&b, " %.2f | %.2f |", ms(row.P50), ms(row.P99))
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

// reference is a mode the others are compared with, in a column of its own.
type reference struct {
	mode, title string
	share       bool // a percentage of the reference rather than a multiple
}

// references are the baseline's column, and the peer's and the ceiling's if
// they ran.
func (r *Report) references() []reference {
	refs := []reference{{mode: "baseline", title: "× baseline"}}
	if r.Peer != "" {
		refs = append(refs, reference{mode: r.Peer, title: "× " + r.Peer})
	}
	if slices.ContainsFunc(r.Rows, func(row Row) bool { return row.Mode == CeilingMode }) {
		refs = append(refs, reference{mode: CeilingMode, title: "of ceiling", share: true})
	}
	return refs
}

// against compares row with the reference's row at the same layer and
// concurrency.
func (r *Report) against(row Row, ref reference) string {
	for _, b := range r.Rows {
		if b.Mode != ref.mode || b.Layer != row.Layer || b.Clients != row.Clients || b.Rate <= 0 {
			continue
		}
		if ref.share {
			return fmt.Sprintf("%.0f%%", 100*row.Rate/b.Rate)
		}
		return fmt.Sprintf("%.1f", row.Rate/b.Rate)
	}
	return "–"
}
