package liveload

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"citymap/geo/subindex"
)

// expected lists, per subscriber, the sequence numbers it must receive: the
// changes after it subscribed whose point lies in its box.
type expected struct {
	seqs  [][]int64
	total int64
}

func expectations(subs []*subscriber, changes []written) expected {
	ix := subindex.New(0)
	for i, s := range subs {
		ix.Insert(i, s.bound)
	}
	e := expected{seqs: make([][]int64, len(subs))}
	for _, c := range changes {
		p := orb.Point{c.x, c.y}
		ix.Query(orb.Bound{Min: p, Max: p}, func(i int) {
			if s := subs[i]; c.seq > s.start && s.bound.Contains(p) {
				e.seqs[i] = append(e.seqs[i], c.seq)
				e.total++
			}
		})
	}
	return e
}

// Report is the outcome of a run.
type Report struct {
	Config       Config
	Extent       orb.Bound
	Written      int
	Transactions int
	WriteTime    time.Duration
	Expected     int64
	Delivered    int64 // expected changes received at least once
	Missing      int64
	Duplicated   int64
	OutOfOrder   int64
	Unexpected   int64 // changes of this run received by a subscriber whose box misses them
	Reconnects   int
	Resets       int
	// commit → receive latency
	P50, P99, P999, Max time.Duration
	Server              map[string]string
}

// evaluate compares what each subscriber received with what it should have.
func evaluate(subs []*subscriber, w *writer, e expected, wrote time.Duration) *Report {
	closeAll(subs)
	committed := make(map[int64]int64, len(w.changes))
	for _, c := range w.changes {
		committed[c.seq] = c.at
	}
	r := &Report{Written: len(w.changes), Transactions: w.txs, WriteTime: wrote, Expected: e.total}
	var lat []int64
	for i, s := range subs {
		r.Reconnects += s.reconnects
		r.Resets += s.resets
		lat = r.compare(s.receipts, e.seqs[i], committed, lat)
	}
	slices.Sort(lat)
	if n := len(lat); n > 0 {
		at := func(q float64) time.Duration { return time.Duration(lat[min(n-1, int(q*float64(n)))]) }
		r.P50, r.P99, r.P999, r.Max = at(0.50), at(0.99), at(0.999), time.Duration(lat[n-1])
	}
	return r
}

// compare checks one subscriber's receipts against its expected sequence numbers
// and appends the latencies of first receipts to lat.
func (r *Report) compare(got []receipt, want []int64, committed map[int64]int64, lat []int64) []int64 {
	var prev int64
	for _, g := range got {
		if g.seq < prev {
			r.OutOfOrder++
		}
		prev = g.seq
	}
	ours := make([]receipt, 0, len(got))
	for _, g := range got {
		if _, ok := committed[g.seq]; ok {
			ours = append(ours, g)
		}
	}
	slices.SortStableFunc(ours, func(a, b receipt) int { return cmp.Compare(a.seq, b.seq) })
	i := 0
	for _, seq := range want {
		for i < len(ours) && ours[i].seq < seq {
			r.Unexpected++
			i++
		}
		if i == len(ours) || ours[i].seq != seq {
			r.Missing++
			continue
		}
		r.Delivered++
		lat = append(lat, ours[i].at-committed[seq])
		for i++; i < len(ours) && ours[i].seq == seq; i++ {
			r.Duplicated++
		}
	}
	r.Unexpected += int64(len(ours) - i)
	return lat
}

// Print writes the report for people.
func (r *Report) Print(w io.Writer) {
	c := r.Config
	fmt.Fprintf(w, "live load: %d subscribers with %.1f km boxes over %v\n", c.Subscribers, c.BBoxKm, r.Extent)
	fmt.Fprintf(w, "  written       %d changes in %d transactions over %v (%.0f changes/s, a transaction every %v)\n",
		r.Written, r.Transactions, r.WriteTime.Round(time.Millisecond), float64(r.Written)/r.WriteTime.Seconds(), c.Tick)
	fmt.Fprintf(w, "  expected      %d deliveries (%.1f subscribers per change)\n", r.Expected, float64(r.Expected)/float64(max(1, r.Written)))
	fmt.Fprintf(w, "  delivered     %d\n", r.Delivered)
	fmt.Fprintf(w, "  missing       %d\n", r.Missing)
	fmt.Fprintf(w, "  duplicated    %d\n", r.Duplicated)
	fmt.Fprintf(w, "  out of order  %d\n", r.OutOfOrder)
	fmt.Fprintf(w, "  unexpected    %d\n", r.Unexpected)
	fmt.Fprintf(w, "  reconnects    %d (resets %d)\n", r.Reconnects, r.Resets)
	fmt.Fprintf(w, "  latency       commit → receive p50 %v, p99 %v, p99.9 %v, max %v\n",
		ms(r.P50), ms(r.P99), ms(r.P999), ms(r.Max))
	if len(r.Server) > 0 {
		keys := make([]string, 0, len(r.Server))
		for k := range r.Server {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, strings.TrimPrefix(k, "citymap_live_")+"="+r.Server[k])
		}
		fmt.Fprintf(w, "  server        %s\n", strings.Join(parts, " "))
	}
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// pickMetrics extracts unlabelled samples from a Prometheus exposition.
func pickMetrics(body string, names ...string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(body, "\n") {
		name, value, ok := strings.Cut(line, " ")
		if ok && slices.Contains(names, name) {
			out[name] = value
		}
	}
	return out
}
