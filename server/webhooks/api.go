package webhooks

import (
	"context"
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
	"citymap/server/live"
	"citymap/server/respond"
	"citymap/server/routes"
	"citymap/server/store"
)

// API serves /api/v1/webhooks. A city-wide admin manages every subscription;
// a partner system's reporter token bound to a source (or an admin of some
// areas) manages its own, which receive only what that token may read.
// Everyone else is refused.
type API struct {
	st           *store.Store
	auth         *auth.Authenticator
	d            *Dispatcher
	allowPrivate bool
}

// NewAPI returns the API; d is woken when a subscription has work.
func NewAPI(st *store.Store, a *auth.Authenticator, d *Dispatcher) *API {
	return &API{st: st, auth: a, d: d, allowPrivate: d.cfg.AllowPrivate}
}

// Routes lists the routes: admins and partner systems (a reporter token bound
// to a source) keep their subscriptions.
func (a *API) Routes() []routes.Route {
	h := func(pattern string, fn func(http.ResponseWriter, *http.Request, int64)) routes.Route {
		return routes.For(pattern, func(w http.ResponseWriter, r *http.Request) {
			p := auth.From(r.Context())
			if p.Is(access.Reporter) && p.Source == "" {
				respond.Fail(w, r, respond.Errorf(http.StatusForbidden, "forbidden",
					"only an admin or a partner system's token bound to a source may manage webhooks"))
				return
			}
			fn(w, r, owner(p))
		}, limit.Light, access.HookOwners)
	}
	return []routes.Route{
		h("POST /api/v1/webhooks", a.create),
		h("GET /api/v1/webhooks", a.list),
		h("GET /api/v1/webhooks/{id}", a.get),
		h("PATCH /api/v1/webhooks/{id}", a.patch),
		h("DELETE /api/v1/webhooks/{id}", a.remove),
		h("GET /api/v1/webhooks/{id}/deliveries", a.deliveries),
		h("POST /api/v1/webhooks/{id}/replay", a.replay),
		h("POST /api/v1/webhooks/{id}/resume", a.resume),
	}
}

// owner is whose subscriptions the principal manages: 0 (every one) for a
// city-wide admin, its own token's for a partner or an admin of some areas
// (another's subscription may name areas outside them).
func owner(p *auth.Principal) int64 {
	if p.Is(access.Admin) && len(p.Areas) == 0 {
		return 0
	}
	return p.TokenID
}

// out is a subscription as the API answers it: never its secret.
type out struct {
	ID           int64      `json:"id"`
	URL          string     `json:"url"`
	Layers       []string   `json:"layers"`
	Events       []string   `json:"events"`
	Areas        []string   `json:"areas"`
	Sources      []string   `json:"sources"`
	Status       string     `json:"status"`
	Cursor       int64      `json:"cursor"`
	LastError    string     `json:"last_error"`
	FailingSince *time.Time `json:"failing_since"`
	Owner        int64      `json:"owner_token_id"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

func outOf(w store.Webhook) out {
	return out{ID: w.ID, URL: w.URL, Layers: w.Layers, Events: w.Events, Areas: w.Areas, Sources: w.Sources,
		Status: w.Status, Cursor: w.Cursor, LastError: w.LastError, FailingSince: w.FailingSince,
		Owner: w.OwnerTokenID, CreatedAt: w.CreatedAt, UpdatedAt: w.UpdatedAt}
}

// input is a POST or PATCH body; a PATCH changes the fields it names.
type input struct {
	URL     *string   `json:"url"`
	Secret  *string   `json:"secret"`
	Layers  *[]string `json:"layers"`
	Events  *[]string `json:"events"`
	Areas   *[]string `json:"areas"`
	Sources *[]string `json:"sources"`
}

const (
	minSecret = 16
	maxSecret = 256
	maxList   = 200
	maxBody   = 64 << 10
)

func (a *API) create(w http.ResponseWriter, r *http.Request, _ int64) {
	var in input
	if err := respond.Decode(w, r, maxBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	p := auth.From(r.Context())
	hook := store.Webhook{OwnerTokenID: p.TokenID, Layers: []string{"issues"}}
	if p.Source != "" {
		hook.Sources = []string{p.Source}
	}
	if e := a.apply(r.Context(), p, &hook, in, true); e != nil {
		respond.Fail(w, r, e)
		return
	}
	hook, err := a.st.CreateWebhook(r.Context(), hook)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/webhooks/"+strconv.FormatInt(hook.ID, 10))
	respond.JSON(w, http.StatusCreated, outOf(hook))
}

func (a *API) list(w http.ResponseWriter, r *http.Request, owner int64) {
	hooks, err := a.st.Webhooks(r.Context(), owner)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	items := make([]out, len(hooks))
	for i, h := range hooks {
		items[i] = outOf(h)
	}
	respond.JSON(w, http.StatusOK, map[string]any{"items": items})
}

// hook reads the subscription of the path, answering 404 for one that is not
// the caller's to see.
func (a *API) hook(w http.ResponseWriter, r *http.Request, owner int64) (store.Webhook, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		respond.Fail(w, r, respond.ErrNotFound)
		return store.Webhook{}, false
	}
	h, err := a.st.WebhookByID(r.Context(), id, owner)
	if err != nil {
		respond.Fail(w, r, notFound(err))
		return h, false
	}
	return h, true
}

func notFound(err error) error {
	if errors.Is(err, store.ErrWebhookNotFound) {
		return respond.Errorf(http.StatusNotFound, "not_found", "no such webhook")
	}
	return err
}

func (a *API) get(w http.ResponseWriter, r *http.Request, owner int64) {
	if h, ok := a.hook(w, r, owner); ok {
		respond.JSON(w, http.StatusOK, outOf(h))
	}
}

func (a *API) patch(w http.ResponseWriter, r *http.Request, owner int64) {
	var in input
	if err := respond.Decode(w, r, maxBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	h, ok := a.hook(w, r, owner)
	if !ok {
		return
	}
	if e := a.apply(r.Context(), auth.From(r.Context()), &h, in, false); e != nil {
		respond.Fail(w, r, e)
		return
	}
	h, err := a.st.UpdateWebhook(r.Context(), h, owner)
	if err != nil {
		respond.Fail(w, r, notFound(err))
		return
	}
	respond.JSON(w, http.StatusOK, outOf(h))
}

func (a *API) remove(w http.ResponseWriter, r *http.Request, owner int64) {
	h, ok := a.hook(w, r, owner)
	if !ok {
		return
	}
	if err := a.st.DeleteWebhook(r.Context(), h.ID, owner); err != nil {
		respond.Fail(w, r, notFound(err))
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (a *API) deliveries(w http.ResponseWriter, r *http.Request, owner int64) {
	q := r.URL.Query()
	limit, since := int64(50), int64(0)
	for name, dst := range map[string]*int64{"limit": &limit, "since": &since} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 || (name == "limit" && (n < 1 || n > 500)) {
				respond.Fail(w, r, respond.Field(name, "invalid_"+name, name+" must be a whole number (limit 1 to 500, since >= 0)"))
				return
			}
			*dst = n
		}
	}
	h, ok := a.hook(w, r, owner)
	if !ok {
		return
	}
	items, err := a.st.WebhookDeliveries(r.Context(), h.ID, since, int(limit))
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, map[string]any{"items": items})
}

func (a *API) replay(w http.ResponseWriter, r *http.Request, owner int64) {
	var in struct {
		FromSeq *int64 `json:"from_seq"`
	}
	if err := respond.Decode(w, r, maxBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	if in.FromSeq == nil || *in.FromSeq < 1 {
		respond.Fail(w, r, invalid(map[string]string{"from_seq": "required: the first feed seq to deliver again (>= 1)"}))
		return
	}
	h, ok := a.hook(w, r, owner)
	if !ok {
		return
	}
	h, err := a.st.ReplayWebhook(r.Context(), h.ID, owner, *in.FromSeq)
	var pruned *store.FeedPrunedError
	switch {
	case errors.As(err, &pruned):
		respond.Fail(w, r, respond.Errorf(http.StatusConflict, "feed_pruned",
			fmt.Sprintf("changes before seq %d are no longer kept: replay from %d or later", pruned.Oldest, pruned.Oldest)))
		return
	case errors.Is(err, store.ErrBadReplay):
		respond.Fail(w, r, invalid(map[string]string{"from_seq": strings.TrimPrefix(err.Error(), "bad replay: ")}))
		return
	case err != nil:
		respond.Fail(w, r, notFound(err))
		return
	}
	a.d.Wake()
	respond.JSON(w, http.StatusOK, outOf(h))
}

func (a *API) resume(w http.ResponseWriter, r *http.Request, owner int64) {
	h, ok := a.hook(w, r, owner)
	if !ok {
		return
	}
	h, from, to, err := a.st.ResumeWebhook(r.Context(), h.ID, owner)
	if err != nil {
		respond.Fail(w, r, notFound(err))
		return
	}
	a.d.Wake()
	res := map[string]any{"webhook": outOf(h), "lost": nil}
	if from > 0 {
		res["lost"] = map[string]int64{"from_seq": from, "to_seq": to}
	}
	respond.JSON(w, http.StatusOK, res)
}

// invalid is the 422 of a subscription that cannot be, naming its fields.
func invalid(fields map[string]string) *respond.Error {
	names := make([]string, 0, len(fields))
	for k := range fields {
		names = append(names, k)
	}
	slices.Sort(names)
	e := respond.Errorf(http.StatusUnprocessableEntity, "invalid_webhook", "invalid "+strings.Join(names, ", ")+": "+fields[names[0]])
	e.Fields = fields
	return e
}

// apply checks the body and writes what it names into hook; create says
// every required field must be there.
func (a *API) apply(ctx context.Context, p *auth.Principal, hook *store.Webhook, in input, create bool) error {
	bad := map[string]string{}
	if in.URL != nil || create {
		switch {
		case in.URL == nil || *in.URL == "":
			bad["url"] = "required: the receiver's http or https URL"
		default:
			if msg := URLProblem(ctx, *in.URL, a.allowPrivate); msg != "" {
				bad["url"] = msg
			} else {
				hook.URL = *in.URL
			}
		}
	}
	if in.Secret != nil || create {
		switch {
		case in.Secret == nil || *in.Secret == "":
			bad["secret"] = "required: the HMAC key deliveries are signed with (deliveries are never unsigned)"
		case len(*in.Secret) < minSecret || len(*in.Secret) > maxSecret:
			bad["secret"] = fmt.Sprintf("must be %d to %d bytes", minSecret, maxSecret)
		default:
			hook.Secret = *in.Secret
		}
	}
	checkList(bad, "layers", in.Layers, &hook.Layers, func(l string) string {
		switch {
		case !slices.Contains(live.Layers, l):
			return fmt.Sprintf("unknown layer %q (one of %s)", l, strings.Join(live.Layers, ", "))
		case p.Is(access.Reporter) && l != "issues":
			return "a partner system's token subscribes to issues only"
		}
		return ""
	})
	if in.Layers != nil && len(*in.Layers) == 0 {
		bad["layers"] = "name at least one layer"
	}
	checkList(bad, "events", in.Events, &hook.Events, func(e string) string {
		if !slices.Contains(Events, e) {
			return fmt.Sprintf("unknown event %q (one of %s)", e, strings.Join(Events, ", "))
		}
		return ""
	})
	checkList(bad, "sources", in.Sources, &hook.Sources, func(s string) string {
		switch {
		case !slices.Contains(store.IssueSources, s):
			return fmt.Sprintf("unknown source %q (one of %s)", s, strings.Join(store.IssueSources, ", "))
		case p.Source != "" && s != p.Source:
			return fmt.Sprintf("a partner system's token receives its own source's cases only (%s)", p.Source)
		}
		return ""
	})
	checkList(bad, "areas", in.Areas, &hook.Areas, func(c string) string {
		if !p.Covers(c) {
			return fmt.Sprintf("area %s lies outside the token's areas", c)
		}
		return ""
	})
	if in.Areas != nil && bad["areas"] == "" && len(*in.Areas) > 0 {
		missing, err := a.st.MissingAreaCodes(ctx, *in.Areas)
		if err != nil {
			return err
		}
		if len(missing) > 0 {
			bad["areas"] = "no such area: " + strings.Join(missing, ", ")
		}
	}
	if len(bad) > 0 {
		return invalid(bad)
	}
	return nil
}

// checkList checks a list field that the body names and sets it.
func checkList(bad map[string]string, name string, in *[]string, dst *[]string, check func(string) string) {
	if in == nil {
		return
	}
	if len(*in) > maxList {
		bad[name] = fmt.Sprintf("at most %d", maxList)
		return
	}
	for _, v := range *in {
		if msg := check(v); msg != "" {
			bad[name] = msg
			return
		}
	}
	*dst = slices.Compact(slices.Sorted(slices.Values(*in)))
}
