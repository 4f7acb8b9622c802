// Package api serves the REST API under /api/v1 for issues: intake from every
// channel, the case workflow, queries, photos, and the categories and units that
// clients choose from. Every route needs a bearer token; which roles may call it
// is declared where the route is registered.
package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"citymap/invalid"
	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/limit"
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

// Routes lists the API's routes and who may call them. Reading is for every
// role but the reporter, which only submits (and may read back what it
// submitted); working cases is for the command centre and, within their areas,
// grid managers; a unit's staff take the one step that is theirs on their
// unit's cases, asking for more time (workflow.RoleMay says which step each
// role may take).
func (a *API) Routes() []routes.Route {
	return []routes.Route{
		routes.For("POST /api/v1/issues", a.createIssue, limit.Light, access.Creators),
		routes.For("POST /api/v1/issues/batch", a.createIssues, limit.Light, access.Creators).By(limit.ByBatchSize),
		routes.For("GET /api/v1/issues", a.listIssues, limit.Medium, access.Readers),
		routes.For("GET /api/v1/issues/{id}", a.getIssue, limit.Light, access.AnyRole), // a reporter reads back its own
		routes.For("POST /api/v1/issues/{id}/actions", a.issueAction, limit.Light, access.CaseActors),
		routes.For("POST /api/v1/issues/{id}/photos", a.attachPhotos, limit.Upload, access.CaseWorkers),
		// a unit's staff upload photos for their declarations and tasks
		routes.For("POST /api/v1/photos", a.uploadPhoto, limit.Upload, access.PhotoUploaders),
		routes.For("GET /api/v1/photos/{id}", a.servePhoto, limit.Light, access.AnyRole),
		routes.For("GET /api/v1/categories", a.categories, limit.Light, access.AnyRole),
		routes.For("GET /api/v1/units", a.units, limit.Light, access.AnyRole),
		routes.For("GET /api/v1/calendar", a.calendar, limit.Light, access.AnyRole),
		routes.For("GET /api/v1/me", a.me, limit.Light, access.AnyRole),
	}
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
