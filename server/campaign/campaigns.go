package campaign

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"citymap/server/auth"
	"citymap/server/period"
	"citymap/server/respond"
	"citymap/server/store"
	"citymap/server/table"
)

// listCampaigns is GET /api/v1/campaigns.
func (a *API) listCampaigns(w http.ResponseWriter, r *http.Request) {
	list, err := a.store.Campaigns(r.Context())
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, map[string]any{"campaigns": list})
}

// campaignInput is POST /api/v1/campaigns.
type campaignInput struct {
	Code            string   `json:"code"`
	Name            string   `json:"name"`
	Description     string   `json:"description"`
	StartsOn        string   `json:"starts_on"`
	EndsOn          string   `json:"ends_on"`
	Areas           []string `json:"areas"`
	PointCategories []string `json:"point_categories"`
	LeadUnit        string   `json:"lead_unit"`
}

// createCampaign is POST /api/v1/campaigns: 201 with the campaign.
func (a *API) createCampaign(w http.ResponseWriter, r *http.Request) {
	var in campaignInput
	if err := respond.Decode(w, r, respond.MaxBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	c, err := a.store.CreateCampaign(r.Context(), store.Campaign{Code: in.Code, Name: in.Name,
		Description: in.Description, StartsOn: in.StartsOn, EndsOn: in.EndsOn, Areas: in.Areas,
		PointCategories: in.PointCategories, LeadUnit: &in.LeadUnit})
	if err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/campaigns/"+strconv.FormatInt(c.ID, 10))
	respond.JSON(w, http.StatusCreated, c)
}

// getCampaign is GET /api/v1/campaigns/{id}.
func (a *API) getCampaign(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "campaign")
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	c, err := a.store.CampaignByID(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, c)
}

// campaignRange is the campaign's own period in the city's days, [starts_on,
// ends_on + 1 day).
func campaignRange(c store.Campaign) (period.Range, error) {
	from, err := time.ParseInLocation(time.DateOnly, c.StartsOn, period.Zone)
	if err != nil {
		return period.Range{}, err
	}
	to, err := time.ParseInLocation(time.DateOnly, c.EndsOn, period.Zone)
	if err != nil {
		return period.Range{}, err
	}
	return period.Range{From: from, To: to.AddDate(0, 0, 1)}, nil
}

// campaignReport is GET /api/v1/campaigns/{id}/report[?from&to|period&date]:
// the campaign's figures over its period (or the range asked for) against the
// period of the same length before, as JSON or CSV.
func (a *API) campaignReport(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := respond.KnownParams(q, "from", "to", "period", "date", "format", "access_token"); err != nil {
		respond.Fail(w, r, err)
		return
	}
	id, err := pathID(r, "campaign")
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	format, err := table.Negotiate(r, false)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	c, err := a.store.CampaignByID(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	now := a.now()
	rng, err := campaignRange(c)
	if err == nil && (q.Has("from") || q.Has("to") || q.Has("period")) {
		rng, err = period.Parse(q, now)
	}
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	prev := rng.Previous()
	scope := auth.From(r.Context()).Viewer()
	cur, err := a.store.CampaignPeriodStats(r.Context(), c, rng.From, rng.To, now, scope)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	before, err := a.store.CampaignPeriodStats(r.Context(), c, prev.From, prev.To, now, scope)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	t := store.CampaignReport(cur, before)
	t.Zone = period.Zone
	t.Meta = map[string]any{"report": "campaign", "campaign": c, "from": rng.From.In(period.Zone),
		"to": rng.To.In(period.Zone), "previous_from": prev.From.In(period.Zone), "previous_to": prev.To.In(period.Zone)}
	name := fmt.Sprintf("campaign_%s_%s_%s", c.Code, rng.From.In(period.Zone).Format("20060102"),
		rng.To.In(period.Zone).Format("20060102"))
	table.Serve(w, r, format, t, name)
}

// leaderInput is POST /api/v1/leaders.
type leaderInput struct {
	Name  string   `json:"name"`
	Post  string   `json:"post"`
	Areas []string `json:"areas"`
}

// createLeader is POST /api/v1/leaders: links a leader to streets and
// communities (a leader of the same name and post gets these areas instead).
func (a *API) createLeader(w http.ResponseWriter, r *http.Request) {
	var in leaderInput
	if err := respond.Decode(w, r, respond.MaxBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	l, err := a.store.SaveLeader(r.Context(), store.Leader{Name: in.Name, Post: in.Post, Areas: in.Areas})
	if err != nil {
		fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusCreated, l)
}

// listLeaders is GET /api/v1/leaders[?area=code].
func (a *API) listLeaders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if err := respond.KnownParams(q, "area", "access_token"); err != nil {
		respond.Fail(w, r, err)
		return
	}
	list, err := a.store.Leaders(r.Context(), q.Get("area"))
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusOK, map[string]any{"leaders": list})
}
