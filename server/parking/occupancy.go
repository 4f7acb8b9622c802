package parking

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"citymap/server/respond"
	"citymap/server/store"
)

// MaxReadings bounds a batch of occupancy readings.
const MaxReadings = 10000

// maxOccupancyBody is 10,000 readings of about 100 bytes, with room to spare.
const maxOccupancyBody = 4 << 20

// occupancyInput is POST /api/v1/parking/occupancy. Items stay raw until each is
// decoded on its own, so that one malformed reading is rejected alone.
type occupancyInput struct {
	Items []json.RawMessage `json:"items"`
}

// readingInput is one reading: {"zone": "ZH0001", "occupied": 42, "at": RFC 3339}.
type readingInput struct {
	Zone     string `json:"zone"`
	Occupied *int   `json:"occupied"`
	At       string `json:"at"`
}

// readingResult is one reading's outcome, in input order.
type readingResult struct {
	Index    int            `json:"index"`
	Zone     string         `json:"zone,omitempty"`
	Status   string         `json:"status"` // applied, clamped, stale or rejected
	Occupied *int           `json:"occupied,omitempty"`
	Error    *respond.Error `json:"error,omitempty"`
}

type occupancyAnswer struct {
	Applied  int             `json:"applied"`
	Clamped  int             `json:"clamped"`
	Stale    int             `json:"stale"`
	Rejected int             `json:"rejected"`
	Results  []readingResult `json:"results"`
}

// postOccupancy is POST /api/v1/parking/occupancy: 200 with one result per
// reading. Sending a batch again changes nothing: its readings come back stale.
func (p *Parking) postOccupancy(w http.ResponseWriter, r *http.Request) {
	var in occupancyInput
	if err := respond.Decode(w, r, maxOccupancyBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	switch {
	case len(in.Items) == 0:
		respond.Fail(w, r, respond.Field("items", "required", "items (a non-empty array of readings) is required"))
		return
	case len(in.Items) > MaxReadings:
		respond.Fail(w, r, respond.Field("items", "too_many",
			fmt.Sprintf("at most %d readings per batch, got %d", MaxReadings, len(in.Items))))
		return
	}
	results := make([]readingResult, len(in.Items))
	var readings []store.ParkingReading
	var pos []int // pos[k] is the input index of readings[k]
	for i, raw := range in.Items {
		results[i] = readingResult{Index: i}
		rd, rerr := decodeReading(raw)
		results[i].Zone = rd.Zone
		if rerr != nil {
			results[i].Status, results[i].Error = store.ReadingRejected, rerr
			continue
		}
		readings, pos = append(readings, rd), append(pos, i)
	}
	out, err := p.store.ApplyParkingReadings(r.Context(), readings, p.now())
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	for k, o := range out {
		setOutcome(&results[pos[k]], o)
	}
	respond.JSON(w, http.StatusOK, summarize(results))
}

// decodeReading decodes one reading strictly; its zone is returned even when
// the rest is wrong, for the result.
func decodeReading(raw json.RawMessage) (store.ParkingReading, *respond.Error) {
	var in readingInput
	if err := respond.DecodeItem(raw, &in); err != nil {
		return store.ParkingReading{Zone: in.Zone}, err
	}
	rd := store.ParkingReading{Zone: strings.TrimSpace(in.Zone)}
	if in.Occupied == nil {
		return rd, respond.Field("occupied", "required", "occupied (the number of spaces taken) is required")
	}
	rd.Occupied = *in.Occupied
	if in.At == "" {
		return rd, respond.Field("at", "required", "at (an RFC 3339 time) is required")
	}
	at, err := time.Parse(time.RFC3339Nano, in.At)
	if err != nil {
		return rd, respond.Field("at", "invalid", "at must be an RFC 3339 time such as 2026-05-01T08:30:00+08:00")
	}
	rd.At = at
	return rd, nil
}

func setOutcome(res *readingResult, o store.ReadingOutcome) {
	res.Status = o.Status
	if o.Status == store.ReadingRejected {
		res.Error = respond.Invalid(o.Err)
		return
	}
	occ := o.Occupied
	res.Occupied = &occ
}

func summarize(results []readingResult) occupancyAnswer {
	ans := occupancyAnswer{Results: results}
	for _, r := range results {
		switch r.Status {
		case store.ReadingApplied:
			ans.Applied++
		case store.ReadingClamped:
			ans.Clamped++
		case store.ReadingStale:
			ans.Stale++
		default:
			ans.Rejected++
		}
	}
	return ans
}
