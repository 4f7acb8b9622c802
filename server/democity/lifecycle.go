package democity

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event data that does not vary.
var (
	noData     = []byte(`{}`)
	passedData = []byte(`{"passed":true}`)
	failedData = []byte(`{"passed":false}`)
)

var rejectReasons = []string{"不属于城市管理范畴，已告知来电人", "信息不全，无法核实", "经现场核实问题不存在", "已由其他部门受理"}

var failNotes = []string{"核查未通过：问题仍然存在，返工", "核查未通过：处置不彻底，返工", "核查未通过：现场仍有残留，返工"}

// planner builds an issue's events one after another.
type planner struct {
	g   *issueGen
	is  *Issue
	t   time.Time
	evs []Event
}

// add appends an event at the current time.
func (p *planner) add(action, from, to, actor, note string, data []byte) {
	p.evs = append(p.evs, Event{Issue: p.is.ID, Action: action, From: from, To: to, Actor: actor, Note: note, Data: data, At: p.t})
}

// wait moves the clock on by minutes (at least one), to whole seconds.
func (p *planner) wait(minutes float64) {
	p.t = p.t.Add(time.Duration(max(minutes, 1) * float64(time.Minute))).Truncate(time.Second)
}

// plan returns every event the issue will go through, also those after now.
func (g *issueGen) plan(is *Issue, cat issueCat, out outcome) []Event {
	p := &planner{g: g, is: is, t: is.Created}
	p.add("report", "", "reported", reportActor(is), "", noData)
	intake := "监督中心 " + oneOf(g.r, g.staff[0])
	switch out {
	case rejected:
		p.wait(uniform(g.r, 5, 360))
		p.add("reject", "reported", "rejected", intake, oneOf(g.r, rejectReasons), noData)
	case merged:
		p.wait(uniform(g.r, 5, 180))
		p.add("merge", "reported", "merged", intake, fmt.Sprintf("与案卷%d重复，合并处理", is.DuplicateOf),
			fmt.Appendf(nil, `{"duplicate_of":%d}`, is.DuplicateOf))
	default:
		p.handle(cat, intake)
	}
	return p.evs
}

func reportActor(is *Issue) string {
	switch is.Source {
	case "hotline_12345":
		return "12345政务服务热线"
	case "hotline_12319":
		return "12319城建服务热线"
	case "citizen_app":
		return "随手拍"
	case "open311":
		return "Open311"
	}
	return is.Reporter // grid manager, inspector, device
}

// handle runs the case flow: register, dispatch, start, resolve, verify — with a
// failed verification and a second round for some.
func (p *planner) handle(cat issueCat, intake string) {
	g, r := p.g, p.g.r
	d := float64(cat.hours * 60) // the deadline, in minutes after intake
	late, rework := chance(r, lateShare(cat.hours)), chance(r, 0.065)
	unit := g.unitName(p.is.Unit)
	p.wait(clamp(d*uniform(r, 0.01, 0.05), 2, 240))
	p.add("register", "reported", "registered", intake, "立案", noData)
	p.wait(clamp(d*uniform(r, 0.01, 0.06), 2, 480))
	p.add("dispatch", "registered", "dispatched", "指挥中心 "+oneOf(r, g.staff[1]), "派遣至"+unit,
		[]byte(`{"unit":"`+p.is.Unit+`"}`))
	p.work(d, late, unit)
	verifier := g.verifier(p.is)
	if rework {
		p.wait(uniform(r, 20, 600))
		p.add("verify", "resolved", "dispatched", verifier, oneOf(r, failNotes), failedData)
		p.wait(clamp(d*uniform(r, 0.05, 0.2), 10, 1440))
		p.add("start", "dispatched", "in_progress", unit, "返工处置", noData)
		p.wait(clamp(d*uniform(r, 0.1, 0.6), 10, 4320))
		p.add("resolve", "in_progress", "resolved", unit, "返工完毕", noData)
	}
	gap := uniform(r, 10, 480)
	if !late && !rework {
		gap = clamp(p.is.Deadline.Sub(p.t).Minutes()*uniform(r, 0.2, 0.9), 5, 720)
	}
	p.wait(gap)
	p.add("verify", "resolved", "closed", verifier, "核查通过，结案", passedData)
}

// work starts and resolves the issue, on time or late; a few stall for weeks.
func (p *planner) work(d float64, late bool, unit string) {
	r := p.g.r
	p.wait(clamp(d*uniform(r, 0.03, 0.12), 5, 1440))
	p.add("start", "dispatched", "in_progress", unit, "已到场处置", noData)
	due := d * uniform(r, 0.3, 0.9)
	if late {
		due = d * uniform(r, 1.05, 2.5)
	}
	stuck := chance(r, 0.03) // waiting for another department, a permit, parts …
	if stuck {
		due += uniform(r, 2, 40) * 1440
	}
	resolve := p.is.Created.Add(time.Duration(due * float64(time.Minute))).Truncate(time.Second)
	// chosen by the issue number, not drawn, so that the rest of the city
	// stays what the same seed always made
	if p.is.ID%23 == 0 {
		p.extend(unit, p.is.ID%5 == 0)
	}
	if stuck && p.is.ID%2 == 0 {
		p.suspend(resolve)
	}
	p.wait(10)
	if resolve.After(p.t) {
		p.t = resolve
	}
	p.add("resolve", "in_progress", "resolved", unit, "已处置完毕", noData)
}

var extendReasons = []string{"需协调产权单位", "等待配件到货", "连续降雨无法施工", "需办理占道审批"}

// extend has the unit ask for more time and the command centre grant or
// refuse it. The amount and the moved deadline are the database's
// (clockSteps): the rule of migration 0023 counts them.
func (p *planner) extend(unit string, refuse bool) {
	reason := extendReasons[p.is.ID%int64(len(extendReasons))]
	p.wait(5)
	p.add("extend_request", "in_progress", "in_progress", unit, "申请延期", jsonData(map[string]any{"reason": reason}))
	p.wait(30)
	centre := "指挥中心 " + p.g.staff[1][p.is.ID%int64(len(p.g.staff[1]))]
	if refuse {
		p.add("extend_refuse", "in_progress", "in_progress", centre, "不同意延期", noData)
		return
	}
	p.add("extend_grant", "in_progress", "in_progress", centre, "同意延期", noData)
}

var suspendReasons = []string{"等待燃气公司处置", "等待产权单位确认", "待法院裁定", "等待供电部门停电配合"}

// suspend stops the clock of a stuck case while it waits for a third party,
// until shortly before it is resolved.
func (p *planner) suspend(resolve time.Time) {
	reason := suspendReasons[p.is.ID%int64(len(suspendReasons))]
	centre := "指挥中心 " + p.g.staff[1][p.is.ID%int64(len(p.g.staff[1]))]
	p.wait(30)
	p.add("suspend", "in_progress", "in_progress", centre, "挂起", jsonData(map[string]any{"reason": reason}))
	resume := resolve.Add(-time.Hour)
	if !resume.After(p.t) {
		resume = p.t.Add(time.Hour)
	}
	p.t = resume
	p.add("resume", "in_progress", "in_progress", centre, "恢复处置", noData)
}

func jsonData(v map[string]any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// lateShare is the share of issues resolved after their deadline: more of those
// with tight deadlines.
func lateShare(hours int) float64 {
	switch {
	case hours <= 2:
		return 0.12
	case hours <= 6:
		return 0.09
	}
	return 0.06
}

func (g *issueGen) unitName(code string) string {
	if n, ok := departmentNames[code]; ok {
		return n
	}
	return g.offices[code]
}

// verifier is who checks the work: the grid's manager or a supervisor.
func (g *issueGen) verifier(is *Issue) string {
	if chance(g.r, 0.5) {
		return g.c.Areas[is.Grid].Manager
	}
	return "监督员 " + oneOf(g.r, g.staff[2])
}

// apply keeps the events up to now, numbers them and sets the issue's status and
// times from them.
func (g *issueGen) apply(is *Issue, evs []Event) {
	n := 0
	for n < len(evs) && !evs[n].At.After(g.c.Opt.Now) {
		n++
	}
	evs = evs[:n:n]
	for i := range evs {
		evs[i].ID = g.nextEvent
		g.nextEvent++
		switch e := evs[i]; {
		case e.Action == "dispatch" && is.Dispatched.IsZero():
			is.Dispatched = e.At
		case e.Action == "resolve":
			is.Resolved = e.At
		case e.Action == "verify" && e.To == "dispatched":
			is.Rework++
		case e.Action == "verify" && e.To == "closed":
			is.Closed = e.At
		}
	}
	last := evs[n-1]
	is.Status, is.Updated, is.Version, is.Events = last.To, last.At, n, evs
	if is.Status != "resolved" && is.Status != "closed" {
		is.Resolved = time.Time{}
	}
	if is.Status != "merged" {
		is.DuplicateOf = 0
	}
}
