package reportcube

// fact is what the cube keeps of one issue: the columns the evaluation
// figures of store/reports.go read. Times are PostgreSQL's own: microseconds
// since 2000-01-01 UTC, so that ±infinity order as they do there.
type fact struct {
	id, created, deadline, closedAt, resolved, dispatched int64
	// x, y are the point in EPSG:3857 as PostGIS's ST_Transform computes it,
	// for the hexagons
	x, y       float64
	grid, unit int32 // dictionary indexes, -1 for NULL
	category   uint16
	source     uint8
	flags      uint8
}

const (
	fClosed      = 1 << iota // status closed
	fVoid                    // rejected or merged: not a case
	fReworked                // rework_count > 0
	fExtensions              // extensions > 0
	fSuspensions             // suspensions > 0
	fClosedAt                // closed_at is not NULL
	fResolved                // resolved_at is not NULL
	fDispatched              // dispatched_at is not NULL
)

// event is a clock event of a case that was ever extended or suspended.
type event struct {
	at, id int64
	from   int64 // deadline_from: the deadline the event replaced
	action uint8
	// hasFrom is false when the event records no deadline_from
	hasFrom bool
}

const (
	evGrant = iota
	evSuspend
	evResume
)

var eventActions = map[string]uint8{"extend_grant": evGrant, "suspend": evSuspend, "resume": evResume}

// verdict is how one issue counts at a cut.
type verdict struct {
	closed, due, onTime, reworked, extended, suspended bool
}

// judge counts x at cut as figuresSQL does: evs are its clock events ordered
// by (at, id), as the statement's subqueries order them.
func judge(x *fact, evs []event, cut int64) verdict {
	var v verdict
	deadline, suspendedAtCut := x.deadline, false
	if x.flags&(fExtensions|fSuspensions) != 0 {
		deadline, v.extended, v.suspended, suspendedAtCut = clockAt(x, evs, cut)
	}
	v.closed = x.flags&fClosed != 0 && x.flags&fClosedAt != 0 && x.closedAt < cut
	v.due = v.closed || (x.flags&fVoid == 0 && deadline < cut && !suspendedAtCut)
	v.onTime = v.closed && x.flags&fResolved != 0 && x.resolved <= deadline
	v.reworked = v.closed && x.flags&fReworked != 0
	return v
}

// clockAt is the deadline as it stood at cut — the deadline_from of the first
// extension or resumption at or after cut, else the current one — and whether
// the case was extended, suspended, and suspended at cut (its last suspend or
// resume before cut a suspend). The counters gate the events as in SQL.
func clockAt(x *fact, evs []event, cut int64) (deadline int64, extended, suspended, suspendedAtCut bool) {
	deadline = x.deadline
	for _, e := range evs {
		if e.at >= cut {
			if e.action == evGrant || e.action == evResume {
				if e.hasFrom {
					deadline = e.from
				}
				break
			}
			continue
		}
		switch e.action {
		case evGrant:
			extended = true
		case evSuspend:
			suspended, suspendedAtCut = true, true
		case evResume:
			suspendedAtCut = false
		}
	}
	ext, susp := x.flags&fExtensions != 0, x.flags&fSuspensions != 0
	return deadline, extended && ext, suspended && susp, suspendedAtCut && susp
}
