package server_test

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"citymap/server/access"
)

// The walk's volunteer activities: one in the planner's community (of the
// unit token's unit) and one in a community of another street, each with a
// sign-up whose name only the activity's organisers may read.

// activityOrganisers may read the names of who signed up, for the activities
// they organise.
var activityOrganisers = []string{access.Admin, access.Reviewer, access.Unit, access.GridManager}

// signupSeen is the rule of a sign-up's name: for the organisers of its
// activity (within their areas; unit staff their unit's).
func (c *caller) signupSeen(o *object) bool {
	return slices.Contains(activityOrganisers, c.role) && slices.ContainsFunc(o.owners, c.sees) &&
		(c.unit == "" || o.unit == c.unit)
}

func (w *walk) buildActivities() {
	w.T.Helper()
	var communityOut string
	w.Scan(`SELECT min(code) FROM areas WHERE level = 'community' AND left(code, 9) = $1`, []any{w.streetOut}, &communityOut)
	starts := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
	for _, side := range []struct{ name, community, unit string }{
		{"activity in", w.community, w.unitIn}, {"activity out", communityOut, w.unitOut},
	} {
		marker := "walk-" + side.name[len("activity "):] + "-activity"
		var a struct{ ID int64 }
		w.must(http.StatusCreated, w.control, "POST", "/api/v1/activities", map[string]any{"community": side.community,
			"title": marker, "unit": side.unit, "capacity": 10, "starts_at": starts.Format(time.RFC3339),
			"ends_at": starts.Add(time.Hour).Format(time.RFC3339)}).Decode(w.T, &a)
		ob := w.add(&object{name: side.name, kind: "activity", id: fmt.Sprint(a.ID), grid: side.community,
			unit: side.unit, marker: marker})
		name := "walkname" + side.name[len("activity "):]
		r := w.Call("POST", "/api/v1/activities/"+ob.id+"/signups", "", map[string]any{"name": name,
			"phone": fmt.Sprintf("1390000%04d", len(w.objects))})
		if r.Status != http.StatusCreated {
			w.T.Fatalf("setup: sign-up: %d %s", r.Status, r.Body)
		}
		w.add(&object{name: "sign-up of the " + side.name, kind: "signup", unit: side.unit, owners: []*object{ob}, marker: name})
	}
}

// activitySurfaces are the reads of the activities: the menu in both
// formats, every activity, the monthly report in every format.
func (w *walk) activitySurfaces(add func(...surface)) {
	narrowest := w.callers[0]
	month := time.Now().Add(72 * time.Hour).In(time.FixedZone("CST", 8*3600)).Format("2006-01")
	for _, f := range []string{"geojson", "csv"} {
		add(surface{pattern: "GET /api/v1/activities", path: "/api/v1/activities?month=" + month + "&format=" + f,
			readers: campaignReaders, control: true},
			surface{pattern: "GET /api/v1/activities", path: "/api/v1/activities?format=" + f, readers: campaignReaders})
	}
	for _, ob := range w.objects {
		if ob.kind == "activity" {
			add(surface{pattern: "GET /api/v1/activities/{id}", path: "/api/v1/activities/" + ob.id, readers: campaignReaders,
				item: ob, refused: notFound, control: !narrowest.sees(ob)})
		}
	}
	for _, f := range formats(true) {
		add(surface{pattern: "GET /api/v1/reports/activities", readers: campaignReaders, sameAsArea: true, control: true,
			path: "/api/v1/reports/activities?period=month&date=" + month + "-01&format=" + f})
	}
}
