package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/paulmach/orb"

	"citymap/geo/coordsys"
	"citymap/geo/validate"
	"citymap/invalid"
	"citymap/server/auth"
	"citymap/server/respond"
	"citymap/server/store"
)

// issueInput is a new issue as clients send it. The location is a GeoJSON Point
// or, for hotline systems that have no GeoJSON, lat and lon; coord_sys says
// whether those are GCJ-02 or BD-09 rather than WGS-84.
type issueInput struct {
	Category    string          `json:"category"`
	Source      string          `json:"source"`
	Description string          `json:"description"`
	Address     string          `json:"address"`
	Location    json.RawMessage `json:"location"`
	Lat         *float64        `json:"lat"`
	Lon         *float64        `json:"lon"`
	CoordSys    string          `json:"coord_sys"`
	ExternalID  string          `json:"external_id"`
	Photos      []string        `json:"photos"`
}

// newIssue checks the input and turns it into the store's form; sys is the
// coordinate system of the request (the coord_sys query parameter), which the
// body's own coord_sys overrides, and source is the one of a reporter token,
// which an input without a source reports under (the store refuses any other).
func (in *issueInput) newIssue(sys coordsys.System, source string) (store.NewIssue, *respond.Error) {
	if in.Source == "" {
		in.Source = source
	}
	if in.CoordSys != "" {
		s, err := coordsys.Parse(in.CoordSys)
		if err != nil {
			return store.NewIssue{}, respond.Field("coord_sys", "invalid", err.Error())
		}
		sys = s
	}
	p, rerr := in.point()
	if rerr != nil {
		return store.NewIssue{}, rerr
	}
	n := store.NewIssue{
		Source: in.Source, ExternalID: in.ExternalID, Category: in.Category,
		Description: in.Description, Address: in.Address, Photos: in.Photos,
		Location: coordsys.ToWGS84(sys, p),
	}
	var fe *invalid.Error
	if err := n.Check(); errors.As(err, &fe) {
		return n, respond.Invalid(fe)
	}
	return n, nil
}

// point reads the location in its input system; ranges are checked before any
// conversion, since the conversions assume points on the Earth.
func (in *issueInput) point() (orb.Point, *respond.Error) {
	hasGeoJSON := len(bytes.TrimSpace(in.Location)) > 0 && string(bytes.TrimSpace(in.Location)) != "null"
	switch {
	case hasGeoJSON && (in.Lat != nil || in.Lon != nil):
		return orb.Point{}, respond.Field("location", "invalid", "give either location or lat and lon, not both")
	case hasGeoJSON:
		g, err := validate.DecodeGeometry(in.Location, "Point")
		if err != nil {
			var ve *invalid.Error
			if errors.As(invalid.Prefix("location", err), &ve) {
				return orb.Point{}, respond.Field(ve.Field, "invalid_location", ve.Message)
			}
			return orb.Point{}, respond.Field("location", "invalid_location", err.Error())
		}
		return g.(orb.Point), nil
	case in.Lat == nil && in.Lon == nil:
		return orb.Point{}, respond.Field("location", "required", "location (a GeoJSON Point) or lat and lon are required")
	case in.Lat == nil:
		return orb.Point{}, respond.Field("lat", "required", "lat is required with lon")
	case in.Lon == nil:
		return orb.Point{}, respond.Field("lon", "required", "lon is required with lat")
	case *in.Lat < -90 || *in.Lat > 90:
		return orb.Point{}, respond.Field("lat", "out_of_range", "lat must be within [-90, 90]")
	case *in.Lon < -180 || *in.Lon > 180:
		return orb.Point{}, respond.Field("lon", "out_of_range", "lon must be within [-180, 180]")
	}
	return orb.Point{*in.Lon, *in.Lat}, nil
}

// querySys reads the coord_sys query parameter.
func querySys(r *http.Request) (coordsys.System, error) {
	sys, err := coordsys.Parse(r.URL.Query().Get("coord_sys"))
	if err != nil {
		return "", respond.Field("coord_sys", "invalid", err.Error())
	}
	return sys, nil
}

// createIssue is POST /api/v1/issues: 201 with the new issue as a GeoJSON
// Feature and its possible duplicates, or 200 with the issue a retried
// (source, external_id) names.
func (a *API) createIssue(w http.ResponseWriter, r *http.Request) {
	var in issueInput
	if err := respond.Decode(w, r, respond.MaxBody, &in); err != nil {
		respond.Fail(w, r, err)
		return
	}
	sys, err := querySys(r)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	p := auth.From(r.Context())
	n, rerr := in.newIssue(sys, p.Source)
	if rerr != nil {
		respond.Fail(w, r, rerr)
		return
	}
	res, err := a.store.CreateIssue(r.Context(), p.IssueActor(), n)
	if err != nil {
		fail(w, r, err)
		return
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
	}
	w.Header().Set("Location", "/api/v1/issues/"+strconv.FormatInt(res.ID, 10))
	writeFeature(w, status, res.Version, withMember(res.Feature, "possible_duplicates", res.Duplicates))
}
