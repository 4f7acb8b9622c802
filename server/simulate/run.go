package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Tokens are the keys the simulation acts with, one per part it plays.
type Tokens struct {
	Dispatcher  string // registers, dispatches, rejects; posts parking readings over HTTP
	GridManager string // reports on patrol (with photos), works cases on site, inspects
	Hotline     string // a reporter of source hotline_12345: the batches
	Hotline311  string // a reporter of source hotline_12319: the Open311 posts
}

// Publisher sends a parking reading to the sensor feed (MQTT).
type Publisher interface {
	Publish(ctx context.Context, zone string, occupied int) error
}

// Runner plays a plan against a server.
type Runner struct {
	URL    string // the server, e.g. http://localhost:8080
	Tokens Tokens
	// Speed is simulated seconds per real second (1: real time).
	Speed float64
	// Sensors, when set, carries the parking readings; else they go to
	// POST /api/v1/parking/occupancy.
	Sensors Publisher
	// RunID makes the hotline's external ids unique to this run, so that a
	// second run of the same plan reports new cases rather than retries.
	RunID  string
	Client *http.Client
	Log    *slog.Logger

	// Start is the simulated instant that the wall clock's Started maps to:
	// the first Run sets both (to the first event's hour and now) unless set.
	Start, Started time.Time

	ids map[int]int64 // planned case → issue id
}

// Totals count what a run did, by what.
type Totals struct {
	Batches, BatchCases, Open311, Patrol, Photos, Actions, Reworks int
	Readings, Inspections, Deductions, Skipped, Errors             int
}

func (t *Totals) add(o Totals) {
	t.Batches += o.Batches
	t.BatchCases += o.BatchCases
	t.Open311 += o.Open311
	t.Patrol += o.Patrol
	t.Photos += o.Photos
	t.Actions += o.Actions
	t.Reworks += o.Reworks
	t.Readings += o.Readings
	t.Inspections += o.Inspections
	t.Deductions += o.Deductions
	t.Skipped += o.Skipped
	t.Errors += o.Errors
}

// Run plays the events, each at its instant mapped onto the wall clock at
// r.Speed (from r.Start at r.Started), until they are done or ctx ends. Each simulated hour ends
// with a line of its totals in the log. A failed step is logged and counted,
// and the day goes on.
func (r *Runner) Run(ctx context.Context, events []Event) (Totals, error) {
	r.defaults()
	if r.ids == nil {
		// kept from one Run to the next: a day's late steps act on its cases
		r.ids = map[int]int64{}
	}
	var total, hour Totals
	if len(events) == 0 {
		return total, nil
	}
	if r.Start.IsZero() {
		r.Start, r.Started = events[0].At, time.Now()
	}
	current := events[0].At.In(cityTime).Truncate(time.Hour)
	summary := func() {
		r.Log.Info("simulate: "+current.Format("2006-01-02 15:04")+"–"+current.Add(time.Hour).Format("15:04"),
			"hotline_batches", hour.Batches, "hotline_cases", hour.BatchCases, "open311", hour.Open311,
			"patrol", hour.Patrol, "photos", hour.Photos, "actions", hour.Actions, "reworks", hour.Reworks,
			"readings", hour.Readings, "inspections", hour.Inspections, "deductions", hour.Deductions,
			"skipped", hour.Skipped, "errors", hour.Errors)
		total.add(hour)
		hour = Totals{}
	}
	for _, e := range events {
		for !e.At.Before(current.Add(time.Hour)) {
			summary()
			current = current.Add(time.Hour)
		}
		wall := r.Started.Add(time.Duration(float64(e.At.Sub(r.Start)) / r.Speed))
		if err := sleepUntil(ctx, wall); err != nil {
			summary()
			return total, err
		}
		got, err := r.play(ctx, e)
		if err != nil {
			if ctx.Err() != nil {
				summary()
				return total, ctx.Err()
			}
			got.Errors++
			r.Log.Warn("simulate: a step failed", "kind", e.Kind, "at", e.At.In(cityTime).Format(time.DateTime), "err", err)
		}
		hour.add(got)
	}
	summary()
	return total, nil
}

func (r *Runner) defaults() {
	if r.Client == nil {
		r.Client = &http.Client{Timeout: 30 * time.Second}
	}
	if r.Log == nil {
		r.Log = slog.Default()
	}
	if r.Speed <= 0 {
		r.Speed = 1
	}
}

func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// play takes one event through its interface.
func (r *Runner) play(ctx context.Context, e Event) (Totals, error) {
	switch e.Kind {
	case Hotline:
		return r.batch(ctx, e.Cases)
	case Open311:
		return r.open311(ctx, e.Cases[0])
	case Patrol:
		return r.patrol(ctx, e.Cases[0])
	case Action:
		return r.action(ctx, e.Case, e.Step)
	case Parking:
		return r.parking(ctx, e.Readings)
	case Inspection:
		return r.inspect(ctx, e.Inspection)
	}
	return Totals{}, fmt.Errorf("unknown event kind %q", e.Kind)
}

func location(c Case) map[string]any {
	return map[string]any{"type": "Point", "coordinates": []float64{c.Lon, c.Lat}}
}

// batch posts the hotline's cases as the 12345 hotline's system does.
func (r *Runner) batch(ctx context.Context, cases []Case) (Totals, error) {
	items := make([]any, len(cases))
	for i, c := range cases {
		items[i] = map[string]any{"category": c.Category, "source": c.Source, "description": c.Description,
			"address": c.Place, "location": location(c), "external_id": fmt.Sprintf("sim-%s-%d", r.RunID, c.N)}
	}
	var res struct {
		Results []struct {
			Index  int
			Status string
			ID     int64
			Error  *struct{ Message string }
		}
	}
	if err := r.callJSON(ctx, "POST", "/api/v1/issues/batch", r.Tokens.Hotline, map[string]any{"items": items}, &res); err != nil {
		return Totals{}, err
	}
	t := Totals{Batches: 1}
	for _, x := range res.Results {
		if x.Status == "created" && x.Index >= 0 && x.Index < len(cases) {
			r.ids[cases[x.Index].N] = x.ID
			t.BatchCases++
		} else if x.Error != nil {
			r.Log.Warn("simulate: a hotline case was refused", "err", x.Error.Message)
			t.Errors++
		}
	}
	return t, nil
}

// open311 posts a case as the 12319 hotline's Open311 client does.
func (r *Runner) open311(ctx context.Context, c Case) (Totals, error) {
	form := url.Values{"api_key": {r.Tokens.Hotline311}, "service_code": {c.Category}, "description": {c.Description},
		"address_string": {c.Place}, "lat": {strconv.FormatFloat(c.Lat, 'f', 7, 64)},
		"long": {strconv.FormatFloat(c.Lon, 'f', 7, 64)}, "phone": {c.Phone}}
	for k, v := range c.Attributes {
		form.Set("attribute["+k+"]", v)
	}
	body, err := r.call(ctx, "POST", "/open311/v2/requests.json", "", "application/x-www-form-urlencoded",
		strings.NewReader(form.Encode()))
	if err != nil {
		return Totals{}, err
	}
	var res []struct {
		ID string `json:"service_request_id"`
	}
	if err := json.Unmarshal(body, &res); err != nil || len(res) != 1 {
		return Totals{}, fmt.Errorf("open311: unexpected answer %.200s", body)
	}
	id, err := strconv.ParseInt(res[0].ID, 10, 64)
	if err != nil {
		return Totals{}, err
	}
	r.ids[c.N] = id
	return Totals{Open311: 1}, nil
}

// patrol uploads the grid manager's photo, then reports the case with it.
func (r *Runner) patrol(ctx context.Context, c Case) (Totals, error) {
	var photo struct{ ID string }
	img, ctype := photoUpload(r.RunID, c.N)
	body, err := r.call(ctx, "POST", "/api/v1/photos", r.Tokens.GridManager, ctype, bytes.NewReader(img))
	if err == nil {
		err = json.Unmarshal(body, &photo)
	}
	if err != nil {
		return Totals{}, fmt.Errorf("photo: %w", err)
	}
	var f struct{ ID int64 }
	err = r.callJSON(ctx, "POST", "/api/v1/issues", r.Tokens.GridManager, map[string]any{"category": c.Category,
		"source": c.Source, "description": c.Description, "address": c.Place, "location": location(c),
		"photos": []string{photo.ID}}, &f)
	if err != nil {
		return Totals{Photos: 1}, err
	}
	r.ids[c.N] = f.ID
	return Totals{Patrol: 1, Photos: 1}, nil
}

// action takes a workflow step on a planned case as the step's role. A case
// that was never created (its report failed, or fell before the run) is
// skipped.
func (r *Runner) action(ctx context.Context, n int, s Step) (Totals, error) {
	id, ok := r.ids[n]
	if !ok {
		return Totals{Skipped: 1}, nil
	}
	token := r.Tokens.Dispatcher
	if s.Role == "grid_manager" {
		token = r.Tokens.GridManager
	}
	body := map[string]any{"action": s.Action}
	if s.Note != "" {
		body["note"] = s.Note
	}
	if s.Action == "verify" {
		body["passed"] = s.Passed
	}
	if err := r.callJSON(ctx, "POST", fmt.Sprintf("/api/v1/issues/%d/actions", id), token, body, nil); err != nil {
		return Totals{}, fmt.Errorf("%s on issue %d: %w", s.Action, id, err)
	}
	t := Totals{Actions: 1}
	if s.Action == "verify" && !s.Passed {
		t.Reworks = 1
	}
	return t, nil
}

// parking sends a round of readings to the sensor feed, else over HTTP as
// a lot system does.
func (r *Runner) parking(ctx context.Context, rs []Reading) (Totals, error) {
	if r.Sensors != nil {
		t := Totals{}
		for _, x := range rs {
			if err := r.Sensors.Publish(ctx, x.Zone, x.Occupied); err != nil {
				return t, err
			}
			t.Readings++
		}
		return t, nil
	}
	// the lot system stamps its readings; the records carry real times
	at := time.Now().Format(time.RFC3339Nano)
	items := make([]any, len(rs))
	for i, x := range rs {
		items[i] = map[string]any{"zone": x.Zone, "occupied": x.Occupied, "at": at}
	}
	var res struct{ Applied, Clamped, Stale, Rejected int }
	if err := r.callJSON(ctx, "POST", "/api/v1/parking/occupancy", r.Tokens.Dispatcher, map[string]any{"items": items}, &res); err != nil {
		return Totals{}, err
	}
	t := Totals{Readings: res.Applied + res.Clamped, Errors: res.Stale + res.Rejected}
	if t.Errors > 0 {
		r.Log.Warn("simulate: parking readings refused", "stale", res.Stale, "rejected", res.Rejected)
	}
	return t, nil
}

// inspect records an inspection with its deductions, as the team's tablet does.
func (r *Runner) inspect(ctx context.Context, v *Visit) (Totals, error) {
	ds := make([]any, len(v.Deductions))
	for i, d := range v.Deductions {
		ds[i] = map[string]any{"indicator_code": d.Indicator, "points": d.Points, "category": d.Category}
	}
	err := r.callJSON(ctx, "POST", "/api/v1/inspections", r.Tokens.GridManager,
		map[string]any{"point": v.Point, "note": v.Note, "deductions": ds}, nil)
	if err != nil {
		return Totals{}, err
	}
	return Totals{Inspections: 1, Deductions: len(v.Deductions)}, nil
}

// callJSON sends body as JSON and decodes a 2xx answer into out (unless nil).
func (r *Runner) callJSON(ctx context.Context, method, path, token string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	res, err := r.call(ctx, method, path, token, "application/json", bytes.NewReader(b))
	if err != nil || out == nil {
		return err
	}
	return json.Unmarshal(res, out)
}

// call sends a request and returns the body of a 2xx answer; any other is an
// error quoting the server's message.
func (r *Runner) call(ctx context.Context, method, path, token, ctype string, body io.Reader) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(r.URL, "/")+path, body)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := r.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, 8<<20))
	if err != nil {
		return nil, err
	}
	if res.StatusCode/100 != 2 {
		return nil, &StatusError{Method: method, Path: path, Status: res.StatusCode, Body: string(b)}
	}
	return b, nil
}

// StatusError is an answer that was not a success.
type StatusError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: %d %.300s", e.Method, e.Path, e.Status, e.Body)
}

// IsStatus reports whether err is an answer with this status.
func IsStatus(err error, status int) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status == status
}

// photoUpload is a multipart upload of a small PNG, different for every case
// of every run (photos are stored by content).
func photoUpload(run string, n int) ([]byte, string) {
	img := image.NewRGBA(image.Rect(0, 0, 16, 12))
	h := uint32(n) * 2654435761
	for _, c := range run {
		h = h*31 + uint32(c)
	}
	for x := range 16 {
		for y := range 12 {
			img.Set(x, y, color.RGBA{R: uint8(h >> (x % 24)), G: uint8(h >> (y % 24)), B: uint8(x * y), A: 255})
		}
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	part, _ := mw.CreateFormFile("photo", fmt.Sprintf("patrol-%d.png", n))
	_ = png.Encode(part, img)
	_ = mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}
