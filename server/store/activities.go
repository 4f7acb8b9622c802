package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/paulmach/orb"

	"citymap/invalid"
	"citymap/server/access"
	"citymap/server/period"
	"citymap/server/table"
)

// The volunteer-activity menu (文明实践活动菜单): activities per community and
// month, their sign-ups and attendance.

// Limits of an activity's input.
const (
	MaxActivityTitle    = 200
	MaxActivityPlace    = 200
	MaxActivityCapacity = 100000
	MaxSignupName       = 50
	MaxAttendanceMarks  = 1000
	// MaxActivityDays bounds how long one activity lasts.
	MaxActivityDays = 31
)

// Errors of activity operations.
var (
	ErrActivityNotFound = errors.New("no such activity")
	// ErrActivityOutOfScope says the caller may not organise the activity:
	// another unit's, or outside the caller's areas.
	ErrActivityOutOfScope = errors.New("the activity is not the caller's to organise")
	ErrActivityFull       = errors.New("the activity is full")
	ErrActivityClosed     = errors.New("the activity takes no more sign-ups")
	ErrSignupDuplicate    = errors.New("this phone has already signed up for the activity")
)

// ActivityStatuses are the statuses an activity may have.
var ActivityStatuses = []string{"planned", "cancelled", "done"}

// ActivityActor is who organises activities: Unit limits it to its own
// unit's, Scope to the communities within these areas.
type ActivityActor struct {
	Actor string
	Unit  string
	Scope []string
	// ReadOnly: a reader, who organises nothing (reads the menu, never names)
	ReadOnly bool
}

// organises reports whether the actor may write, and read the names of who
// signed up for, an activity of unit in community.
func (by ActivityActor) organises(unit *string, community string) bool {
	if by.ReadOnly {
		return false
	}
	if by.Unit != "" && (unit == nil || *unit != by.Unit) {
		return false
	}
	return access.Scope(by.Scope).Covers(community)
}

// NewActivity is an activity as its organiser enters it. Location nil places
// it at its community's centroid.
type NewActivity struct {
	Community, Title, Description, Place string
	StartsAt, EndsAt                     time.Time
	Location                             *orb.Point // WGS 84
	Unit                                 string     // "" for none (a unit's staff: its own)
	Capacity                             *int
	Status                               string // "" is planned
}

// ActivityPatch changes some of an activity's fields (nil: unchanged).
type ActivityPatch struct {
	Title, Description, Place, Unit, Status *string
	StartsAt, EndsAt                        *time.Time
	Location                                *orb.Point
	Capacity                                *int
	// ClearCapacity lifts the limit (capacity: null).
	ClearCapacity bool
	IfMatch       []int
}

// ActivityVersionError says the client's If-Match no longer matches.
type ActivityVersionError struct{ Current int }

func (e *ActivityVersionError) Error() string {
	return fmt.Sprintf("the activity has changed: it is at version %d", e.Current)
}

// ActivityCapacityError refuses a capacity below the sign-ups already taken.
type ActivityCapacityError struct{ Signups int }

func (e *ActivityCapacityError) Error() string {
	return fmt.Sprintf("%d people have signed up: the capacity cannot be lower", e.Signups)
}

// check verifies what needs no database.
func (n *NewActivity) check() error {
	n.Title = strings.TrimSpace(n.Title)
	if n.Status == "" {
		n.Status = "planned"
	}
	switch {
	case n.Community == "":
		return invalid.Field("community", "required", "community (a community's code) is required")
	case n.Title == "":
		return invalid.Field("title", "required", "title is required")
	case n.StartsAt.IsZero():
		return invalid.Field("starts_at", "required", "starts_at (RFC 3339) is required")
	case n.EndsAt.IsZero():
		return invalid.Field("ends_at", "required", "ends_at (RFC 3339) is required")
	}
	return checkActivityFields(n.Title, n.Description, n.Place, n.Status, n.StartsAt, n.EndsAt, n.Capacity)
}

func checkActivityFields(title, description, place, status string, starts, ends time.Time, capacity *int) error {
	for _, f := range []struct {
		name, value string
		max         int
	}{{"title", title, MaxActivityTitle}, {"description", description, MaxIssueDescription},
		{"place", place, MaxActivityPlace}} {
		if err := checkIssueText(f.name, f.value, f.max); err != nil {
			return err
		}
	}
	switch {
	case strings.TrimSpace(title) == "":
		return invalid.Field("title", "required", "title is required")
	case !slices.Contains(ActivityStatuses, status):
		return invalid.Field("status", "invalid", "status is planned, cancelled or done")
	case ends.Before(starts):
		return invalid.Field("ends_at", "before_start", "ends_at lies before starts_at")
	case ends.Sub(starts) > MaxActivityDays*24*time.Hour:
		return invalid.Field("ends_at", "too_long", "an activity lasts at most %d days", MaxActivityDays)
	case starts.Before(period.Earliest) || starts.After(time.Now().Add(period.MaxAhead)):
		return invalid.Field("starts_at", "out_of_range", "starts_at lies too far in the past or the future")
	case capacity != nil && (*capacity <= 0 || *capacity > MaxActivityCapacity):
		return invalid.Field("capacity", "out_of_range", "capacity is between 1 and %d (or null: no limit)", MaxActivityCapacity)
	}
	return nil
}

// ActivityMonth is the menu month of a start time: its month in the city's
// time zone.
func ActivityMonth(t time.Time) string { return t.In(period.Zone).Format("2006-01") }

// ActivityChange is an activity after a write.
type ActivityChange struct {
	ID      int64
	Version int
	Doc     json.RawMessage
}

// CreateActivity writes a new activity. Errors: *invalid.Error for bad
// input (an unknown community or unit is one), ErrActivityOutOfScope.
func (s *Store) CreateActivity(ctx context.Context, by ActivityActor, n NewActivity) (ActivityChange, error) {
	var out ActivityChange
	if by.Unit != "" && n.Unit == "" {
		n.Unit = by.Unit
	}
	if err := n.check(); err != nil {
		return out, err
	}
	var unit *string
	if n.Unit != "" {
		unit = &n.Unit
	}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		if err := checkActivityRefs(ctx, tx, n.Community, unit); err != nil {
			return err
		}
		if !by.organises(unit, n.Community) {
			return ErrActivityOutOfScope
		}
		var lon, lat *float64
		if n.Location != nil {
			lon, lat = &n.Location[0], &n.Location[1]
		}
		if err := tx.QueryRow(ctx, `INSERT INTO activities (community_code, month, title, description, starts_at, ends_at,
				place, geom, unit, capacity, status, created_by)
			SELECT $1, $2, $3, $4, $5, $6, $7,
				CASE WHEN $8::float8 IS NULL THEN ST_PointOnSurface(a.geom)
					ELSE ST_SetSRID(ST_MakePoint($8, $9), 4326) END,
				$10, $11, $12, $13
			FROM areas a WHERE a.code = $1
			RETURNING id, version, activity_feature(activities)`,
			n.Community, ActivityMonth(n.StartsAt), n.Title, n.Description, n.StartsAt, n.EndsAt, n.Place,
			lon, lat, unit, n.Capacity, n.Status, by.Actor).Scan(&out.ID, &out.Version, &out.Doc); err != nil {
			return err
		}
		_, err := AppendUpserts(ctx, tx, "activities", []int64{out.ID})
		return err
	})
	return out, err
}

// checkActivityRefs refuses an unknown community or unit.
func checkActivityRefs(ctx context.Context, tx pgx.Tx, community string, unit *string) error {
	var level string
	err := tx.QueryRow(ctx, `SELECT level FROM areas WHERE code = $1`, community).Scan(&level)
	switch {
	case errors.Is(err, pgx.ErrNoRows) || (err == nil && level != "community"):
		return invalid.Field("community", "unknown", "no community has the code %q", community)
	case err != nil:
		return err
	}
	if unit == nil {
		return nil
	}
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM units WHERE code = $1)`, *unit).Scan(&ok); err != nil {
		return err
	}
	if !ok {
		return invalid.Field("unit", "unknown", "no unit has the code %q (see /api/v1/units)", *unit)
	}
	return nil
}

type lockedActivity struct {
	id                int64
	community, status string
	unit              *string
	starts, ends      time.Time
	capacity          *int
	signups, version  int
}

// lockActivity locks the activity the actor organises and checks If-Match.
func lockActivity(ctx context.Context, tx pgx.Tx, by ActivityActor, id int64, ifMatch []int) (lockedActivity, error) {
	a := lockedActivity{id: id}
	err := tx.QueryRow(ctx, `SELECT community_code, status, unit, starts_at, ends_at, capacity, signups, version
		FROM activities WHERE id = $1 FOR UPDATE`, id).Scan(&a.community, &a.status, &a.unit, &a.starts, &a.ends,
		&a.capacity, &a.signups, &a.version)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return a, ErrActivityNotFound
	case err != nil:
		return a, err
	case !by.organises(a.unit, a.community):
		// an activity outside the caller's areas is not shown to it either
		if !access.Scope(by.Scope).Covers(a.community) {
			return a, ErrActivityNotFound
		}
		return a, ErrActivityOutOfScope
	case len(ifMatch) > 0 && !slices.Contains(ifMatch, a.version):
		return a, &ActivityVersionError{Current: a.version}
	}
	return a, nil
}

// PatchActivity changes an activity its actor organises.
func (s *Store) PatchActivity(ctx context.Context, by ActivityActor, id int64, p ActivityPatch) (ActivityChange, error) {
	var out ActivityChange
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		a, err := lockActivity(ctx, tx, by, id, p.IfMatch)
		if err != nil {
			return err
		}
		var cur struct{ title, description, place string }
		if err := tx.QueryRow(ctx, `SELECT title, description, place FROM activities WHERE id = $1`, id).Scan(
			&cur.title, &cur.description, &cur.place); err != nil {
			return err
		}
		title, description, place, status := pick(p.Title, cur.title), pick(p.Description, cur.description),
			pick(p.Place, cur.place), pick(p.Status, a.status)
		starts, ends, capacity := a.starts, a.ends, a.capacity
		if p.StartsAt != nil {
			starts = *p.StartsAt
		}
		if p.EndsAt != nil {
			ends = *p.EndsAt
		}
		if p.Capacity != nil {
			capacity = p.Capacity
		}
		if p.ClearCapacity {
			capacity = nil
		}
		if err := checkActivityFields(title, description, place, status, starts, ends, capacity); err != nil {
			return err
		}
		if capacity != nil && *capacity < a.signups {
			return &ActivityCapacityError{Signups: a.signups}
		}
		unit := a.unit
		if p.Unit != nil {
			unit = p.Unit
			if *p.Unit == "" {
				unit = nil
			}
			if err := checkActivityRefs(ctx, tx, a.community, unit); err != nil {
				return err
			}
			if !by.organises(unit, a.community) {
				return ErrActivityOutOfScope
			}
		}
		var lon, lat *float64
		var before map[int64][]byte
		if p.Location != nil {
			lon, lat = &p.Location[0], &p.Location[1]
			// a move: the feed records where it was, for tiles and live clients there
			var geom []byte
			if err := tx.QueryRow(ctx, `SELECT ST_AsEWKB(geom) FROM activities WHERE id = $1`, id).Scan(&geom); err != nil {
				return err
			}
			before = map[int64][]byte{id: geom}
		}
		if err := tx.QueryRow(ctx, `UPDATE activities SET title = $2, description = $3, place = $4, status = $5,
				starts_at = $6, ends_at = $7, month = $8, capacity = $9, unit = $10,
				geom = CASE WHEN $11::float8 IS NULL THEN geom ELSE ST_SetSRID(ST_MakePoint($11, $12), 4326) END,
				version = version + 1, updated_at = now()
			WHERE id = $1 RETURNING id, version, activity_feature(activities)`,
			id, strings.TrimSpace(title), description, place, status, starts, ends, ActivityMonth(starts), capacity, unit,
			lon, lat).Scan(&out.ID, &out.Version, &out.Doc); err != nil {
			return err
		}
		_, err = AppendUpsertsMoved(ctx, tx, "activities", []int64{id}, before)
		return err
	})
	return out, err
}

func pick(p *string, cur string) string {
	if p == nil {
		return cur
	}
	return *p
}

// ActivityByID is one activity as by reads it: 404 outside its areas; with
// the list of who signed up when by organises it (names and attendance, never
// the contact key).
func (s *Store) ActivityByID(ctx context.Context, by ActivityActor, id int64) (json.RawMessage, int, error) {
	var doc json.RawMessage
	var version int
	var unit *string
	var community string
	err := s.Pool.QueryRow(ctx, `SELECT activity_feature(a), a.version, a.unit, a.community_code
		FROM activities a WHERE a.id = $1`, id).Scan(&doc, &version, &unit, &community)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, 0, ErrActivityNotFound
	case err != nil:
		return nil, 0, err
	case !access.Scope(by.Scope).Covers(community):
		return nil, 0, ErrActivityNotFound
	case !by.organises(unit, community):
		return doc, version, nil
	}
	var list json.RawMessage
	if err := s.Pool.QueryRow(ctx, `SELECT coalesce(jsonb_agg(jsonb_build_object('id', id, 'name', name,
			'signed_at', signed_at, 'attended', attended, 'attended_at', attended_at) ORDER BY signed_at, id), '[]')
		FROM activity_signups WHERE activity_id = $1`, id).Scan(&list); err != nil {
		return nil, 0, err
	}
	return withMember(doc, "signup_list", list), version, nil
}

// withMember adds a member to a JSON object.
func withMember(obj []byte, name string, v json.RawMessage) json.RawMessage {
	key, _ := json.Marshal(name)
	out := make([]byte, 0, len(obj)+len(key)+len(v)+2)
	out = append(out, '{')
	out = append(out, key...)
	out = append(out, ':')
	out = append(out, v...)
	if len(obj) > 2 {
		out = append(out, ',')
	}
	return append(out, obj[1:]...)
}

// ActivityFilter selects the menu.
type ActivityFilter struct {
	Month  string // 2026-11, "" for every month
	Area   string // an area code: the activities of the communities in it
	Unit   string
	Status []string
	Scope  []string
}

func (f ActivityFilter) where(q *issueQuery) string {
	if f.Month != "" {
		q.add("a.month = %s", f.Month)
	}
	if f.Area != "" {
		q.add("starts_with(a.community_code, %s)", f.Area)
	}
	if f.Unit != "" {
		q.add("a.unit = %s", f.Unit)
	}
	if len(f.Status) > 0 {
		q.add("a.status = ANY(%s)", f.Status)
	}
	if len(f.Scope) > 0 {
		q.where = append(q.where, inScope("a.community_code", f.Scope, q.arg))
	}
	if len(q.where) == 0 {
		return "true"
	}
	return strings.Join(q.where, " AND ")
}

// MaxActivityList bounds one answer of the menu.
const MaxActivityList = 5000

// ListActivities is the menu as a GeoJSON FeatureCollection by start time,
// with the number matched ("total").
func (s *Store) ListActivities(ctx context.Context, f ActivityFilter) (json.RawMessage, error) {
	q := &issueQuery{}
	where := f.where(q)
	var out json.RawMessage
	err := s.reads(ctx).QueryRow(ctx, fmt.Sprintf(`WITH m AS (SELECT a.* FROM activities a WHERE %s),
			page AS (SELECT * FROM m ORDER BY starts_at, id LIMIT %d)
		SELECT jsonb_build_object('type', 'FeatureCollection', 'total', (SELECT count(*) FROM m),
			'features', (SELECT coalesce(jsonb_agg(activity_feature(p) ORDER BY p.starts_at, p.id), '[]') FROM page p))`,
		where, MaxActivityList), q.args...).Scan(&out)
	return out, err
}

// ActivityTable is the menu as a table (the month's menu to print).
func (s *Store) ActivityTable(ctx context.Context, f ActivityFilter) (*table.Table, error) {
	q := &issueQuery{}
	where := f.where(q)
	return s.queryTable(ctx, fmt.Sprintf(`SELECT a.id, a.month, left(a.community_code, 9) AS street, st.name AS street_name,
			a.community_code AS community, c.name AS community_name, a.title, a.starts_at, a.ends_at, a.place,
			a.unit, u.name AS unit_name, a.capacity, a.signups, a.attended, a.status,
			ST_X(a.geom) AS lon, ST_Y(a.geom) AS lat
		FROM activities a JOIN areas c ON c.code = a.community_code
		LEFT JOIN areas st ON st.code = left(a.community_code, 9) LEFT JOIN units u ON u.code = a.unit
		WHERE %s ORDER BY a.starts_at, a.id LIMIT %d`, where, MaxActivityList), q.args...)
}

// SignUp takes a sign-up for an activity: name and the contact key (an HMAC
// of the phone). The count is raised under the activity's row lock, so that
// concurrent sign-ups never pass its capacity. Errors: ErrActivityNotFound,
// ErrActivityClosed (cancelled, done or over), ErrActivityFull,
// ErrSignupDuplicate, *invalid.Error.
func (s *Store) SignUp(ctx context.Context, id int64, name, key string, now time.Time) (int64, json.RawMessage, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return 0, nil, invalid.Field("name", "required", "name is required")
	}
	if err := checkIssueText("name", name, MaxSignupName); err != nil {
		return 0, nil, err
	}
	var signup int64
	var doc json.RawMessage
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		var status string
		var capacity *int
		var signups int
		var ends time.Time
		err := tx.QueryRow(ctx, `SELECT status, capacity, signups, ends_at FROM activities WHERE id = $1 FOR UPDATE`, id).
			Scan(&status, &capacity, &signups, &ends)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return ErrActivityNotFound
		case err != nil:
			return err
		case status != "planned" || !ends.After(now):
			return ErrActivityClosed
		case capacity != nil && signups >= *capacity:
			return ErrActivityFull
		}
		err = tx.QueryRow(ctx, `INSERT INTO activity_signups (activity_id, name, contact_key, signed_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT ON CONSTRAINT activity_signups_once DO NOTHING RETURNING id`,
			id, name, key, now).Scan(&signup)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrSignupDuplicate
		}
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `UPDATE activities SET signups = signups + 1, updated_at = now() WHERE id = $1
			RETURNING activity_feature(activities)`, id).Scan(&doc); err != nil {
			return err
		}
		_, err = AppendUpserts(ctx, tx, "activities", []int64{id})
		return err
	})
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.ConstraintName == "activities_signups_check" {
		err = ErrActivityFull
	}
	return signup, doc, err
}

// Attendance marks sign-ups of an activity as attended or absent (the
// organiser, after the event); ids that are not the activity's sign-ups are
// a field error, nothing written.
type Attendance struct {
	Attended, Absent []int64
	IfMatch          []int
}

// MarkAttendance applies the marks and answers the activity as its organiser
// reads it.
func (s *Store) MarkAttendance(ctx context.Context, by ActivityActor, id int64, m Attendance, now time.Time) (ActivityChange, error) {
	var out ActivityChange
	switch {
	case len(m.Attended)+len(m.Absent) == 0:
		return out, invalid.Field("attended", "required", "attended or absent (sign-up ids) is required")
	case len(m.Attended)+len(m.Absent) > MaxAttendanceMarks:
		return out, invalid.Field("attended", "too_many", "at most %d marks at once", MaxAttendanceMarks)
	}
	for _, a := range m.Attended {
		if slices.Contains(m.Absent, a) {
			return out, invalid.Field("absent", "conflict", "sign-up %d is both attended and absent", a)
		}
	}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		a, err := lockActivity(ctx, tx, by, id, m.IfMatch)
		if err != nil {
			return err
		}
		if a.status == "cancelled" {
			return ErrActivityClosed
		}
		all := slices.Concat(m.Attended, m.Absent)
		var missing *int64
		if err := tx.QueryRow(ctx, `SELECT min(x) FROM unnest($2::bigint[]) x
			WHERE NOT EXISTS (SELECT 1 FROM activity_signups s WHERE s.id = x AND s.activity_id = $1)`, id, all).
			Scan(&missing); err != nil {
			return err
		}
		if missing != nil {
			return invalid.Field("attended", "unknown", "sign-up %d is not one of this activity's", *missing)
		}
		if _, err := tx.Exec(ctx, `UPDATE activity_signups SET attended = true, attended_at = $2
			WHERE id = ANY($1) AND NOT attended`, m.Attended, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE activity_signups SET attended = false, attended_at = NULL
			WHERE id = ANY($1)`, m.Absent); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `UPDATE activities SET attended = (SELECT count(*) FROM activity_signups
				WHERE activity_id = $1 AND attended), version = version + 1, updated_at = now()
			WHERE id = $1 RETURNING version`, id).Scan(&out.Version); err != nil {
			return err
		}
		_, err = AppendUpserts(ctx, tx, "activities", []int64{id})
		return err
	})
	if err != nil {
		return out, err
	}
	out.ID = id
	out.Doc, out.Version, err = s.ActivityByID(ctx, by, id)
	return out, err
}

// ContactKeySecret is the database's secret of contact keys
// (settings.contact_key_secret, made by migration 0027).
func (s *Store) ContactKeySecret(ctx context.Context) (string, error) {
	var secret string
	err := s.Pool.QueryRow(ctx, `SELECT value #>> '{}' FROM settings WHERE key = 'contact_key_secret'`).Scan(&secret)
	return secret, err
}

// ContactKey is a person's key of a phone: an HMAC-SHA256 under secret of
// its digits (separators dropped, and the +86 of an 11-digit mobile number,
// so that one phone has one key however it is written); ok is false for what
// is not a telephone number (7 to 15 digits).
func ContactKey(secret []byte, phone string) (key string, ok bool) {
	var digits []byte
	for _, r := range phone {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case r == ' ' || r == '-' || r == '+' || r == '(' || r == ')':
		default:
			return "", false
		}
	}
	if len(digits) == 13 && string(digits[:2]) == "86" {
		digits = digits[2:]
	}
	if len(digits) < 7 || len(digits) > 15 {
		return "", false
	}
	m := hmac.New(sha256.New, secret)
	m.Write(digits)
	return hex.EncodeToString(m.Sum(nil)), true
}
