// Package activities serves the volunteer-activity menu (文明实践活动菜单):
// each month every community publishes its activities (title, time, place,
// organising unit, capacity), citizens sign up on the public page with a name
// and a phone (kept only as a key: an HMAC of the number under the database's
// secret), the organiser marks who attended, and the planner counts them per
// street and month.
package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/limit"
	"citymap/server/respond"
	"citymap/server/routes"
	"citymap/server/store"
)

// API is the activities API of one instance.
type API struct {
	store *store.Store
	auth  *auth.Authenticator
	now   func() time.Time
	// signups limits the public sign-ups per client address
	signups *addressLimiter

	secretOnce sync.Mutex
	secret     []byte
}

// New returns the API over st.
func New(st *store.Store, a *auth.Authenticator) *API {
	return &API{store: st, auth: a, now: time.Now, signups: newAddressLimiter(SignupRate, SignupBurst)}
}

// SetClock makes the API stamp writes by now (nil keeps time.Now).
func (a *API) SetClock(now func() time.Time) {
	if now != nil {
		a.now = now
	}
}

// Routes lists the routes and who may call them. Everyone who reads the
// campaign reads the menu (within its areas); the 创建办, admins, a unit's
// staff (its own unit's activities) and grid managers (community workers,
// within their areas) organise them; citizens sign up without a key.
func (a *API) Routes() []routes.Route {
	read := func(pattern string, h http.HandlerFunc) routes.Route {
		return routes.For(pattern, h, limit.Light, access.UnitReaders)
	}
	organise := func(pattern string, h http.HandlerFunc) routes.Route {
		return routes.For(pattern, h, limit.Light, access.Organisers)
	}
	return []routes.Route{
		routes.For("GET /api/v1/activities", a.list, limit.Medium, access.UnitReaders),
		organise("POST /api/v1/activities", a.create),
		read("GET /api/v1/activities/{id}", a.get),
		organise("PATCH /api/v1/activities/{id}", a.patch),
		organise("POST /api/v1/activities/{id}/attendance", a.attendance),
		routes.For("GET /api/v1/reports/activities", a.report, limit.Heavy, access.UnitReaders),
		routes.Open("POST /api/v1/activities/{id}/signups", http.HandlerFunc(a.signup), limit.Light),
	}
}

// actor is the principal as an organiser; a principal without the role to
// organise (a reader) organises nothing, whatever its areas.
func actor(p *auth.Principal) store.ActivityActor {
	return store.ActivityActor{Actor: p.Actor(), Unit: p.Unit, Scope: p.Areas, ReadOnly: !p.Is(access.Organisers...)}
}

func etag(version int) string { return fmt.Sprintf(`"%d"`, version) }

func writeDoc(w http.ResponseWriter, status, version int, doc []byte) {
	w.Header().Set("ETag", etag(version))
	respond.RawJSON(w, status, doc)
}

// fail answers the store's errors.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	var version *store.ActivityVersionError
	var capErr *store.ActivityCapacityError
	switch {
	case errors.As(err, &version):
		w.Header().Set("ETag", etag(version.Current))
		respond.Fail(w, r, respond.Errorf(http.StatusPreconditionFailed, "version_mismatch", version.Error()))
	case errors.As(err, &capErr):
		e := respond.Field("capacity", "below_signups", capErr.Error())
		e.Status = http.StatusConflict
		respond.Fail(w, r, e)
	case errors.Is(err, store.ErrActivityNotFound):
		respond.Fail(w, r, respond.ErrNotFound)
	case errors.Is(err, store.ErrActivityOutOfScope):
		respond.Fail(w, r, &respond.Error{Status: http.StatusForbidden, Code: "out_of_scope",
			Message: "the activity is another unit's or lies outside your areas",
			Fields:  map[string]string{"community": "not yours to organise"}})
	case errors.Is(err, store.ErrActivityFull):
		respond.Fail(w, r, respond.Errorf(http.StatusConflict, "full", "the activity is full"))
	case errors.Is(err, store.ErrSignupDuplicate):
		respond.Fail(w, r, respond.Errorf(http.StatusConflict, "duplicate", err.Error()))
	case errors.Is(err, store.ErrActivityClosed):
		respond.Fail(w, r, respond.Errorf(http.StatusConflict, "closed", "the activity is cancelled, done or over"))
	default:
		respond.Fail(w, r, err)
	}
}

// pathID reads the activity id of the path.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, respond.Field("id", "invalid", "an activity id is a positive integer")
	}
	return id, nil
}

// contactKey is the sign-up's key of a phone (store.ContactKey under the
// database's secret).
func (a *API) contactKey(ctx context.Context, phone string) (string, error) {
	secret, err := a.keySecret(ctx)
	if err != nil {
		return "", err
	}
	key, ok := store.ContactKey(secret, phone)
	if !ok {
		return "", respond.Field("phone", "invalid", "phone is a telephone number: 7 to 15 digits")
	}
	return key, nil
}

// keySecret reads the secret once.
func (a *API) keySecret(ctx context.Context) ([]byte, error) {
	a.secretOnce.Lock()
	defer a.secretOnce.Unlock()
	if a.secret != nil {
		return a.secret, nil
	}
	s, err := a.store.ContactKeySecret(ctx)
	if err != nil {
		return nil, err
	}
	a.secret = []byte(s)
	return a.secret, nil
}
