package webhooks

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"citymap/server/store"
)

// Events are the kinds of change a subscription may ask for: the workflow
// step a change of a case came with, or, for changes without one (other
// layers, a case's photo), the feed's op.
var Events = []string{
	"reported",   // report: a new case arrived
	"registered", // register: 立案
	"dispatched", // dispatch: 派遣 to a unit
	"started",    // start: the unit is on it
	"handled",    // resolve: 反馈, the unit says it is done
	"closed",     // verify passed: 核查结案
	"reopened",   // verify failed: 返工, back to dispatched
	"rejected",   // reject: 作废
	"merged",     // merge: a duplicate
	"updated",    // update: the case was edited
	"upsert",     // any other change
	"delete",     // an object left the map
}

// eventOf names the event of a change from its workflow step (action and the
// status it led to, empty for none).
func eventOf(op string, step [2]string) string {
	switch step[0] {
	case "report":
		return "reported"
	case "register":
		return "registered"
	case "dispatch":
		return "dispatched"
	case "start":
		return "started"
	case "resolve":
		return "handled"
	case "verify":
		if step[1] == "closed" {
			return "closed"
		}
		return "reopened"
	case "reject":
		return "rejected"
	case "merge":
		return "merged"
	case "update":
		return "updated"
	}
	return op
}

// item is a change of the feed as deliveries see it.
type item struct {
	store.Change
	event string
	// props are the feature's properties that scope and name a case
	props struct {
		Source     string  `json:"source"`
		ExternalID *string `json:"external_id"`
		Grid       *string `json:"grid"`
		Community  *string `json:"community"`
		Street     *string `json:"street"`
	}
}

// where are the area codes an owner's scope is checked against: for a case,
// where it lies now, as its reads see it (the feed's codes also name where a
// case that moved was, which would show a scoped partner a case that left
// its areas).
func (it *item) where() []string {
	if it.Layer != "issues" {
		return it.Codes
	}
	var out []string
	for _, c := range []*string{it.props.Grid, it.props.Community, it.props.Street} {
		if c != nil {
			out = append(out, *c)
		}
	}
	return out
}

func newItem(c store.Change, step [2]string) *item {
	it := &item{Change: c, event: eventOf(c.Op, step)}
	if c.Feature != nil {
		var f struct {
			Properties json.RawMessage `json:"properties"`
		}
		if json.Unmarshal(c.Feature, &f) == nil && f.Properties != nil {
			_ = json.Unmarshal(f.Properties, &it.props)
		}
	}
	return it
}

// body is what a delivery posts.
type body struct {
	Seq         int64           `json:"seq"`
	Webhook     int64           `json:"webhook"`
	Layer       string          `json:"layer"`
	Op          string          `json:"op"`
	Event       string          `json:"event"`
	ID          string          `json:"id"`
	Source      string          `json:"source,omitempty"`
	ExternalID  *string         `json:"external_id,omitempty"`
	CommittedAt time.Time       `json:"committed_at"`
	Feature     json.RawMessage `json:"feature"`
}

func (it *item) body(hook int64) []byte {
	b := body{Seq: it.Seq, Webhook: hook, Layer: it.Layer, Op: it.Op, Event: it.event, ID: it.ObjectID,
		CommittedAt: it.CommittedAt.UTC(), Feature: it.Feature}
	if it.Layer == "issues" {
		b.Source, b.ExternalID = it.props.Source, it.props.ExternalID
	}
	if b.Feature == nil {
		b.Feature = json.RawMessage("null")
	}
	out, _ := json.Marshal(b) // nothing in it fails to marshal
	return out
}

// filter is what a subscription matches, within what its owner may read.
type filter struct {
	hook  store.Webhook
	owner store.Viewer
}

// match reports whether the subscription wants the change and its owner may
// see it, as its reads would: a partner's token only its source's cases in
// its areas.
func (f filter) match(it *item) bool {
	h := f.hook
	if !slices.Contains(h.Layers, it.Layer) || (len(h.Events) > 0 && !slices.Contains(h.Events, it.event)) {
		return false
	}
	if len(h.Areas) > 0 && !anyPrefixed(it.Codes, h.Areas) {
		return false
	}
	if len(h.Sources) > 0 && (it.Layer != "issues" || !slices.Contains(h.Sources, it.props.Source)) {
		return false
	}
	v := f.owner
	if v.Reporter && (it.Layer != "issues" || v.Source == "" || it.props.Source != v.Source) {
		return false
	}
	if v.Unit != "" && it.Unit != v.Unit {
		return false
	}
	return len(v.Scope) == 0 || anyPrefixed(it.where(), v.Scope)
}

// anyPrefixed reports whether one of codes lies in one of the areas: area
// codes nest by prefix.
func anyPrefixed(codes, areas []string) bool {
	for _, c := range codes {
		for _, a := range areas {
			if strings.HasPrefix(c, a) {
				return true
			}
		}
	}
	return false
}

func seqString(seq int64) string { return strconv.FormatInt(seq, 10) }
