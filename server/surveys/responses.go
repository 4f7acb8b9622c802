package surveys

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/paulmach/orb"

	"citymap/geo/coordsys"
	"citymap/invalid"
	"citymap/server/respond"
	"citymap/server/store"
)

// answer is POST /api/v1/surveys/{id}/responses: where the respondent is (a
// community chosen from the list, or a position lon/lat in coord_sys), who
// (a phone number, else the page's device key) and the answers by question id.
type answer struct {
	Community string                     `json:"community"`
	Lon       *float64                   `json:"lon"`
	Lat       *float64                   `json:"lat"`
	CoordSys  string                     `json:"coord_sys"`
	Phone     string                     `json:"phone"`
	Device    string                     `json:"device"`
	Answers   map[string]json.RawMessage `json:"answers"`
}

var deviceRE = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// Errors of an answer, as the page shows them.
var (
	errNotOpen = respond.Errorf(http.StatusConflict, "survey_closed", "本问卷当前不接受填写 (the survey does not take answers now)")
	errNoWho   = &invalid.Error{Field: "respondent", Code: "required",
		Message: "请填写手机号 (a phone number, or the page's device key, is required)"}
	errPhone = &invalid.Error{Field: "respondent", Code: "invalid",
		Message: "手机号格式不正确 (a mainland mobile number of 11 digits)"}
)

// respond is POST /api/v1/surveys/{id}/responses (public): 201 with the
// answer's id; 404 for a survey not published, 409 survey_closed outside its
// opening times, 409 already_answered for a second answer of the same key,
// 422 naming what is wrong with an answer, 429 over the address's rate.
// Nothing is written on a refusal.
func (a *API) respond(w http.ResponseWriter, r *http.Request) {
	if err := a.limiter.Allow(a.clientAddr(r)); err != nil {
		respond.Fail(w, r, err)
		return
	}
	id, err := pathID(r)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	var in answer
	if err := respond.Decode(w, r, MaxBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	if in.CoordSys == "" { // as other inputs say it: ?coord_sys=gcj02
		in.CoordSys = r.URL.Query().Get("coord_sys")
	}
	sv, err := a.store.SurveyByID(r.Context(), id, store.Viewer{})
	if err == nil && sv.Status != "published" {
		err = store.ErrSurveyNotFound
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	rid, community, err := a.accept(r.Context(), sv, in)
	if err != nil {
		fail(w, r, err)
		return
	}
	respond.JSON(w, http.StatusCreated, map[string]any{"id": rid, "survey": sv.ID, "community": community})
}

// accept checks an answer to a published survey and stores it; it returns
// the answer's id and the community it was placed in.
func (a *API) accept(ctx context.Context, sv store.Survey, in answer) (int64, string, error) {
	id, err := a.save(ctx, sv, &in)
	return id, in.Community, err
}

// save checks and stores the answer, placing in.Community.
func (a *API) save(ctx context.Context, sv store.Survey, in *answer) (int64, error) {
	d := definitionOf(sv)
	if !d.Open(a.now()) {
		return 0, errNotOpen
	}
	key, err := a.respondent(*in)
	if err != nil {
		return 0, err
	}
	answers, err := d.CheckAnswers(in.Answers)
	if err != nil {
		return 0, err
	}
	by, err := a.locate(ctx, sv, in)
	if err != nil {
		return 0, err
	}
	body, err := json.Marshal(answers)
	if err != nil {
		return 0, err
	}
	return a.store.AddSurveyResponse(ctx, store.SurveyResponse{Survey: sv.ID, Respondent: key,
		Community: in.Community, LocatedBy: by, Answers: body, At: a.now()})
}

// respondent is the answer's key: the phone number's, else the device's.
func (a *API) respondent(in answer) ([]byte, error) {
	switch {
	case strings.TrimSpace(in.Phone) != "":
		n, ok := NormalizePhone(in.Phone)
		if !ok {
			return nil, errPhone
		}
		return a.key("phone", n), nil
	case in.Device != "":
		if !deviceRE.MatchString(in.Device) {
			return nil, &invalid.Error{Field: "respondent", Code: "invalid",
				Message: "a device key is 16 to 64 letters, digits, dashes or underscores"}
		}
		return a.key("device", in.Device), nil
	}
	return nil, errNoWho
}

// locate finds the answer's community: the one chosen, which must be one of
// the survey's, or the one holding the position (converted from GCJ-02 when
// it says so, as phones' map apps and mini-programs give it).
func (a *API) locate(ctx context.Context, sv store.Survey, in *answer) (string, error) {
	communities, err := a.store.SurveyCommunities(ctx, sv.Areas)
	if err != nil {
		return "", err
	}
	ours := func(code string) bool {
		return slices.ContainsFunc(communities, func(c store.Community) bool { return c.Code == code })
	}
	if in.Community != "" {
		if in.Lon != nil || in.Lat != nil {
			return "", &invalid.Error{Field: "location", Code: "ambiguous", Message: "give a community or a position, not both"}
		}
		if !ours(in.Community) {
			return "", &invalid.Error{Field: "community", Code: "unknown_community",
				Message: "所选社区不在本问卷范围内 (not one of the survey's communities)"}
		}
		return "chosen", nil
	}
	if in.Lon == nil || in.Lat == nil {
		return "", &invalid.Error{Field: "community", Code: "required", Message: "请选择所在社区 (choose a community or give a position)"}
	}
	sys, err := coordsys.Parse(in.CoordSys)
	if err != nil {
		return "", &invalid.Error{Field: "location", Code: "invalid", Message: "coord_sys is wgs84, gcj02 or bd09"}
	}
	lon, lat := *in.Lon, *in.Lat
	if math.IsNaN(lon) || math.IsNaN(lat) || lon < -180 || lon > 180 || lat < -90 || lat > 90 {
		return "", &invalid.Error{Field: "location", Code: "invalid", Message: "lon and lat are degrees"}
	}
	p := coordsys.ToWGS84(sys, orb.Point{lon, lat})
	code, err := a.store.CommunityAt(ctx, p[0], p[1])
	if err != nil {
		return "", err
	}
	if code == "" || !ours(code) {
		return "", &invalid.Error{Field: "location", Code: "outside",
			Message: "您的位置不在本问卷的社区范围内，请从列表中选择社区 (the position lies in none of the survey's communities)"}
	}
	in.Community = code
	return "position", nil
}
