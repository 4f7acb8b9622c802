// Package bulletins serves the 创建办's bulletins (通报): a period's red and
// black lists, points lost, overdue work, declarations and the
// accountability list (约谈, 奖补) assembled from the reports, previewed,
// frozen as a numbered issue (第N期) whose figures are stored and never
// recomputed, and rendered as printable A4 HTML and as PDF. A draft is
// prepared at each period's end by the scheduler (prepare.go).
package bulletins

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/limit"
	"citymap/server/period"
	"citymap/server/respond"
	"citymap/server/routes"
	"citymap/server/store"
)

// API is the bulletins API of one instance.
type API struct {
	store *store.Store
	auth  *auth.Authenticator
	th    Thresholds
	pdf   *Printer
	now   func() time.Time
}

// New returns the API over st with these thresholds, printing PDFs with p.
func New(st *store.Store, a *auth.Authenticator, th Thresholds, p *Printer) *API {
	return &API{store: st, auth: a, th: th, pdf: p, now: time.Now}
}

// SetClock makes the API judge periods by now (nil keeps time.Now).
func (a *API) SetClock(now func() time.Time) {
	if now != nil {
		a.now = now
	}
}

// Routes lists the routes and who may call them. A published bulletin is a document of the whole
// government: every reader with a city-wide view, unit staff and tokens
// limited to areas read it whole. Drafts and freezing are the 创建办's;
// planners may preview.
// Assembling a bulletin from the reports (preview, freeze) is heavy, as is
// printing one with a browser (its PDF).
func (a *API) Routes() []routes.Route {
	return []routes.Route{
		routes.For("GET /api/v1/bulletins", a.list, limit.Light, access.UnitReaders),
		routes.For("GET /api/v1/bulletins/preview", a.preview, limit.Heavy, access.Previewers),
		routes.For("POST /api/v1/bulletins", a.freeze, limit.Heavy, access.Managers),
		// {file} is 12, 12.html or 12.pdf
		routes.For("GET /api/v1/bulletins/{file}", a.get, limit.Light, access.UnitReaders).By(printClass),
	}
}

// printClass is the class of a bulletin's file: heavy for its PDF, which a
// browser prints.
func printClass(r *http.Request) string {
	if strings.HasSuffix(r.URL.Path, ".pdf") {
		return limit.Heavy
	}
	return limit.Light
}

// Kinds are the bulletins' periods.
var Kinds = []string{period.Week, period.Month, period.Quarter, period.Year}

var kindNames = map[string]string{period.Week: "周", period.Month: "月", period.Quarter: "季度", period.Year: "年度"}

// Label is how a bulletin names its period: 2026年11月23日—11月29日,
// 2026年11月, 2026年第四季度, 2026年度.
func Label(r period.Range) string {
	from, last := r.From.In(period.Zone), r.To.In(period.Zone).AddDate(0, 0, -1)
	switch r.Kind {
	case period.Week:
		return fmt.Sprintf("%d年%d月%d日—%d月%d日", from.Year(), from.Month(), from.Day(), last.Month(), last.Day())
	case period.Month:
		return fmt.Sprintf("%d年%d月", from.Year(), from.Month())
	case period.Quarter:
		return fmt.Sprintf("%d年第%s季度", from.Year(), []string{"一", "二", "三", "四"}[(from.Month()-1)/3])
	}
	return fmt.Sprintf("%d年度", from.Year())
}

// DefaultTitle is a bulletin's title when the 创建办 gives none.
func DefaultTitle(r period.Range) string {
	return fmt.Sprintf("创建全国文明城市工作%s通报（%s）", kindNames[r.Kind], Label(r))
}

// Issue is a frozen bulletin's number as printed: 2026年第12期.
func Issue(b store.Bulletin) string {
	if b.Number == nil {
		return "草稿"
	}
	return fmt.Sprintf("%d年第%d期", b.Year, *b.Number)
}

var errNotEnded = &respond.Error{Status: http.StatusUnprocessableEntity, Code: "period_not_ended",
	Message: "the period has not ended yet (in the city's time): its bulletin can be previewed and frozen once it has",
	Fields:  map[string]string{"date": "the period has not ended"}}

// readPeriod reads a period kind and a date in it; the period must have
// ended by now.
func readPeriod(kind, date string, now time.Time) (period.Range, error) {
	if !slices.Contains(Kinds, kind) {
		return period.Range{}, respond.Field("period", "invalid", "period is one of "+strings.Join(Kinds, ", "))
	}
	day := now
	if date == "" {
		// the period that ended last
		cur, _ := period.Of(kind, now)
		day = cur.Previous().From
	} else {
		t, err := time.ParseInLocation(time.DateOnly, date, period.Zone)
		if err != nil {
			return period.Range{}, respond.Field("date", "invalid", "date is a day of the period (YYYY-MM-DD)")
		}
		if t.Before(period.Earliest) {
			return period.Range{}, respond.Field("date", "out_of_range", "date lies before "+period.Earliest.Format(time.DateOnly))
		}
		day = t
	}
	rng, _ := period.Of(kind, day)
	if rng.To.After(now) {
		return rng, errNotEnded
	}
	return rng, nil
}

// errNotCityWide answers a token limited to areas or to a unit asking to
// assemble a bulletin: the figures are the whole city's, which only a
// published bulletin shows to everyone.
var errNotCityWide = respond.Errorf(http.StatusForbidden, "out_of_scope",
	"a bulletin is assembled from the whole city's figures: a token limited to areas or a unit may read published bulletins only")

func cityWide(r *http.Request) error {
	if p := auth.From(r.Context()); len(p.Areas) > 0 || p.Unit != "" {
		return errNotCityWide
	}
	return nil
}

// preview is GET /api/v1/bulletins/preview?period=&date=: the period's
// figures as they would be frozen now.
func (a *API) preview(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := cityWide(r); err != nil {
		respond.Fail(w, r, err)
		return
	}
	if err := respond.KnownParams(q, "period", "date", "access_token"); err != nil {
		respond.Fail(w, r, err)
		return
	}
	now := a.now()
	rng, err := readPeriod(q.Get("period"), q.Get("date"), now)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	f, err := Assemble(r.Context(), a.store, rng, now, a.th)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, map[string]any{"period": rng.Kind, "from": f.From, "to": f.To,
		"status": "preview", "number": nil, "title": DefaultTitle(rng), "figures": f})
}

// previewHTML is GET /api/v1/bulletins/preview.html?period=&date=: the
// preview as it would print, for the review desk's frame.
func (a *API) previewHTML(w http.ResponseWriter, r *http.Request) {
	if !auth.From(r.Context()).Is(access.Previewers...) {
		respond.Fail(w, r, respond.Errorf(http.StatusForbidden, "forbidden", "previews are the 创建办's and planners'"))
		return
	}
	if err := cityWide(r); err != nil {
		respond.Fail(w, r, err)
		return
	}
	now := a.now()
	q := r.URL.Query()
	rng, err := readPeriod(q.Get("period"), q.Get("date"), now)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	b, err := a.bulletin(r, rng, now, freezeRequest{})
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	b.Status = "preview"
	a.html(w, r, b)
}

// freezeRequest is POST /api/v1/bulletins.
type freezeRequest struct {
	Period string `json:"period"`
	Date   string `json:"date"`
	Title  string `json:"title"`
	Notes  string `json:"notes"`
}

// freeze is POST /api/v1/bulletins: assembles the period's figures and
// stores them as its numbered issue; 409 when the period is frozen already.
func (a *API) freeze(w http.ResponseWriter, r *http.Request) {
	if err := cityWide(r); err != nil {
		respond.Fail(w, r, err)
		return
	}
	var req freezeRequest
	if err := respond.Decode(w, r, respond.MaxBody, &req); err != nil {
		respond.Fail(w, r, err)
		return
	}
	now := a.now()
	if req.Period == "" {
		respond.Fail(w, r, respond.Field("period", "required", "period is one of "+strings.Join(Kinds, ", ")))
		return
	}
	rng, err := readPeriod(req.Period, req.Date, now)
	if err == nil {
		err = checkText(&req)
	}
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	if req.Title == "" {
		req.Title = DefaultTitle(rng)
	}
	b, err := a.publish(r, rng, now, req)
	if errors.Is(err, store.ErrBulletinFrozen) {
		respond.Fail(w, r, &respond.Error{Status: http.StatusConflict, Code: "already_frozen",
			Message: "the period's bulletin is frozen already", Fields: map[string]string{"period": "frozen already"}})
		return
	}
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/bulletins/%d", b.ID))
	respond.JSON(w, http.StatusCreated, view(b))
}

func checkText(req *freezeRequest) error {
	req.Title, req.Notes = strings.TrimSpace(req.Title), strings.TrimSpace(req.Notes)
	if n := len([]rune(req.Title)); n > 200 {
		return respond.Field("title", "too_long", "a title has at most 200 characters")
	}
	if n := len([]rune(req.Notes)); n > 4000 {
		return respond.Field("notes", "too_long", "notes have at most 4000 characters")
	}
	return nil
}

func (a *API) publish(r *http.Request, rng period.Range, now time.Time, req freezeRequest) (store.Bulletin, error) {
	// a frozen period needs no assembling to be refused
	if existing, err := a.store.Bulletins(r.Context(), store.BulletinFilter{Kind: rng.Kind}); err == nil {
		for _, b := range existing {
			if b.From.Equal(rng.From) {
				return store.Bulletin{}, store.ErrBulletinFrozen
			}
		}
	}
	b, err := a.bulletin(r, rng, now, req)
	if err != nil {
		return b, err
	}
	return a.store.PublishBulletin(r.Context(), b)
}

func (a *API) bulletin(r *http.Request, rng period.Range, now time.Time, req freezeRequest) (store.Bulletin, error) {
	f, err := Assemble(r.Context(), a.store, rng, now, a.th)
	if err != nil {
		return store.Bulletin{}, err
	}
	return Stored(rng, f, req.Title, req.Notes, now, auth.From(r.Context()).Actor())
}

// list is GET /api/v1/bulletins[?period=&status=]: the history, the latest
// first, without figures; drafts for the 创建办 only (status=draft|all).
func (a *API) list(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := respond.KnownParams(q, "period", "status", "access_token"); err != nil {
		respond.Fail(w, r, err)
		return
	}
	f := store.BulletinFilter{Kind: q.Get("period")}
	if f.Kind != "" && !slices.Contains(Kinds, f.Kind) {
		respond.Fail(w, r, respond.Field("period", "invalid", "period is one of "+strings.Join(Kinds, ", ")))
		return
	}
	status := q.Get("status")
	switch status {
	case "", store.BulletinPublished:
	case store.BulletinDraft, "all":
		if !auth.From(r.Context()).Is(access.Managers...) {
			respond.Fail(w, r, respond.Errorf(http.StatusForbidden, "forbidden", "drafts are the 创建办's"))
			return
		}
		f.Drafts = true
	default:
		respond.Fail(w, r, respond.Field("status", "invalid", "status is published, draft or all"))
		return
	}
	list, err := a.store.Bulletins(r.Context(), f)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	out := []map[string]any{}
	for _, b := range list {
		if status == store.BulletinDraft && b.Status != store.BulletinDraft {
			continue
		}
		out = append(out, view(b))
	}
	respond.JSON(w, http.StatusOK, map[string]any{"bulletins": out, "total": len(out)})
}

// view is a bulletin as the API answers it.
func view(b store.Bulletin) map[string]any {
	v := map[string]any{"id": b.ID, "period": b.Kind, "from": b.From.In(period.Zone), "to": b.To.In(period.Zone),
		"year": b.Year, "number": b.Number, "issue": Issue(b), "status": b.Status, "title": b.Title, "notes": b.Notes,
		"created_at": b.CreatedAt.In(period.Zone), "created_by": b.CreatedBy, "published_at": b.PublishedAt,
		"published_by": b.PublishedBy, "html": fmt.Sprintf("/api/v1/bulletins/%d.html", b.ID),
		"pdf": fmt.Sprintf("/api/v1/bulletins/%d.pdf", b.ID)}
	if b.Figures != nil {
		v["figures"] = b.Figures
	}
	return v
}

// get is GET /api/v1/bulletins/{id}[.html|.pdf].
func (a *API) get(w http.ResponseWriter, r *http.Request) {
	if err := respond.KnownParams(r.URL.Query(), "access_token", "period", "date"); err != nil {
		respond.Fail(w, r, err)
		return
	}
	file := r.PathValue("file")
	if file == "preview.html" {
		a.previewHTML(w, r)
		return
	}
	name, ext, _ := strings.Cut(file, ".")
	id, err := strconv.ParseInt(name, 10, 64)
	if err != nil || id <= 0 || (ext != "" && ext != "html" && ext != "pdf") {
		respond.Fail(w, r, respond.ErrNotFound)
		return
	}
	b, err := a.store.BulletinByID(r.Context(), id)
	// a draft is the 创建办's: for anyone else it does not exist
	if errors.Is(err, store.ErrBulletinNotFound) || (err == nil && b.Status != store.BulletinPublished &&
		!auth.From(r.Context()).Is(access.Managers...)) {
		respond.Fail(w, r, respond.ErrNotFound)
		return
	}
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	switch ext {
	case "":
		respond.JSON(w, http.StatusOK, view(b))
	case "html":
		a.html(w, r, b)
	default:
		a.printPDF(w, r, b)
	}
}
