// Package api serves the REST API under /api/v1 for issues: intake from every
// channel, the case workflow, queries, photos, and the categories and units that
// clients choose from. Every route needs a bearer token; which roles may call it
// is declared where the route is registered.
package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"citymap/invalid"
	"citymap/server/auth"
	"citymap/server/photos"
	"citymap/server/respond"
	"citymap/server/routes"
	"citymap/server/store"
)

// API is the issue API of one instance.
type API struct {
	store  *store.Store
	auth   *auth.Authenticator
	photos *photos.Dir
}

// New returns the API over st, authenticating with a and keeping photos under
// dataDir.
func New(st *store.Store, a *auth.Authenticator, dataDir string) *API {
	return &API{store: st, auth: a, photos: photos.NewDir(dataDir)}
}

// Who may call what. Reading is for every role but the reporter, which only
// submits (and may read back what it submitted); working cases is for the
// command centre and, within their areas, grid managers; a unit's staff take
// the one step that is theirs on their unit's cases, asking for more time
// (workflow.RoleMay says which step each role may take).
var (
	creators = []string{auth.Admin, auth.Dispatcher, auth.GridManager, auth.Reporter}
	readers  = []string{auth.Admin, auth.Dispatcher, auth.GridManager, auth.Planner, auth.Viewer}
	workers  = []string{auth.Admin, auth.Dispatcher, auth.GridManager}
	actors   = []string{auth.Admin, auth.Dispatcher, auth.GridManager, auth.Unit}
	anyRole  []string
)

// Register adds the API's routes to mux.
func (a *API) Register(mux routes.Mux) {
	route := func(pattern string, h http.HandlerFunc, roles []string) {
		mux.Handle(pattern, a.auth.Require(h, roles...))
	}
	route("POST /api/v1/issues", a.createIssue, creators)
	route("POST /api/v1/issues/batch", a.createIssues, creators)
	route("GET /api/v1/issues", a.listIssues, readers)
	route("GET /api/v1/issues/{id}", a.getIssue, anyRole) // a reporter reads back its own
	route("POST /api/v1/issues/{id}/actions", a.issueAction, actors)
	route("POST /api/v1/issues/{id}/photos", a.attachPhotos, workers)
	// a unit's staff upload photos for their declarations and tasks
	route("POST /api/v1/photos", a.uploadPhoto, append(slices.Clone(creators), auth.Unit))
	route("GET /api/v1/photos/{id}", a.servePhoto, anyRole)
	route("GET /api/v1/categories", a.categories, anyRole)
	route("GET /api/v1/units", a.units, anyRole)
	route("GET /api/v1/calendar", a.calendar, anyRole)
	route("GET /api/v1/me", a.me, anyRole)
}

// errOutOfScope answers a principal acting outside its areas.
var errOutOfScope = respond.Errorf(http.StatusForbidden, "out_of_scope", "the issue lies outside your areas")

// errExternalIDTaken answers a retried report whose (source, external_id)
// names an issue the caller may not read: it learns that the pair is taken,
// not what the issue says.
var errExternalIDTaken = respond.Errorf(http.StatusConflict, "external_id_taken",
	"another reporter's issue has this source and external_id")

// fail answers the errors of the store's issue operations.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	var field *invalid.Error
	var version *store.IssueVersionError
	switch {
	case errors.As(err, &field) && field.Code == store.CodeForeignSource:
		e := respond.Invalid(field)
		e.Status = http.StatusForbidden
		respond.Fail(w, r, e)
	case errors.As(err, &version):
		w.Header().Set("ETag", etag(version.Current))
		respond.Fail(w, r, respond.Errorf(http.StatusPreconditionFailed, "version_mismatch", version.Error()))
	case errors.Is(err, store.ErrIssueNotFound), errors.Is(err, store.ErrPhotoNotFound):
		respond.Fail(w, r, respond.ErrNotFound)
	case errors.Is(err, store.ErrIssueOutOfScope):
		respond.Fail(w, r, errOutOfScope)
	case errors.Is(err, store.ErrExternalIDTaken):
		respond.Fail(w, r, errExternalIDTaken)
	case errors.Is(err, store.ErrDuplicateOutOfScope):
		e := respond.Field("duplicate_of", "out_of_scope", "the issue to merge into lies outside your areas")
		e.Status = http.StatusForbidden
		respond.Fail(w, r, e)
	default:
		respond.Fail(w, r, err)
	}
}

// issueID reads the {id} of the path.
func issueID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, respond.Field("id", "invalid", "an issue id is a positive integer")
	}
	return id, nil
}

// etag is an issue version as an entity tag.
func etag(version int) string { return fmt.Sprintf(`"%d"`, version) }

// withMember adds a member to a JSON object: the store builds features in SQL,
// and the API adds what belongs to the answer only.
func withMember(obj []byte, name string, value []byte) []byte {
	end := strings.LastIndexByte(string(obj), '}')
	out := make([]byte, 0, len(obj)+len(name)+len(value)+4)
	out = append(out, obj[:end]...)
	if strings.TrimSpace(string(out)) != "{" {
		out = append(out, ',')
	}
	out = append(out, `"`...)
	out = append(out, name...)
	out = append(out, `":`...)
	out = append(out, value...)
	return append(out, '}')
}

// writeFeature answers one issue with its version as ETag.
func writeFeature(w http.ResponseWriter, status, version int, feature []byte) {
	w.Header().Set("ETag", etag(version))
	w.Header().Set("Content-Type", "application/geo+json")
	w.WriteHeader(status)
	_, _ = w.Write(feature)
}
