package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// Open311Request is an issue as Open311 GeoReport v2 shows it. It holds the
// public fields only: Open311 requests are readable by every role (a reporter
// its own), so neither the reporter nor the contact details the report event
// keeps are here.
type Open311Request struct {
	ID             int64
	Status         string
	Category       string
	NameZH         string // the category's names
	NameEN         string
	DeadlineAmount int // the category's time limit, in DeadlineUnit
	DeadlineUnit   string
	Description    string
	Unit           *string // the name of the unit the issue is with
	Address        string
	Lon, Lat       float64
	Photo          *string // the id of the first photo
	MediaURL       *string // a media_url the reporter sent with the report
	Note           *string // the note of the latest event, nil when it has none
	Created        time.Time
	Updated        time.Time
	Deadline       time.Time
}

// Open311Filter selects service requests; zero values do not filter. Requests
// come newest first.
type Open311Filter struct {
	IDs        []int64
	Categories []string
	Statuses   []string
	From, To   *time.Time // both inclusive
	// Viewer limits the requests to those the caller may see.
	Viewer        Viewer
	Limit, Offset int
}

// open311RequestSQL selects an Open311Request; %s is the WHERE clause and the
// lateral joins take the latest note and the reporter's media_url from the
// events (issue_events_issue_idx makes both an index probe).
const open311RequestSQL = `SELECT i.id, i.status, i.category, c.name_zh, c.name_en, c.deadline_amount, c.deadline_unit,
		i.description, u.name, i.address, ST_X(i.geom), ST_Y(i.geom), i.photos[1],
		rep.data->>'media_url', nullif(last.note, ''), i.created_at, i.updated_at, i.deadline
	FROM issues i
	JOIN issue_categories c ON c.code = i.category
	LEFT JOIN units u ON u.code = i.unit
	LEFT JOIN LATERAL (SELECT e.note FROM issue_events e WHERE e.issue_id = i.id
		ORDER BY e.at DESC, e.id DESC LIMIT 1) last ON true
	LEFT JOIN LATERAL (SELECT e.data FROM issue_events e WHERE e.issue_id = i.id AND e.action = 'report'
		ORDER BY e.at, e.id LIMIT 1) rep ON true
	WHERE %s
	ORDER BY i.created_at DESC, i.id DESC`

// Open311Requests returns the service requests that match f.
func (s *Store) Open311Requests(ctx context.Context, f Open311Filter) ([]Open311Request, error) {
	q := &issueQuery{}
	if len(f.IDs) > 0 {
		q.add("i.id = ANY(%s)", f.IDs)
	}
	addIssueFilters(q, IssueFilter{Categories: f.Categories, Statuses: f.Statuses,
		From: f.From, Viewer: f.Viewer})
	if f.To != nil {
		q.add("i.created_at <= %s", *f.To)
	}
	where := "true"
	if len(q.where) > 0 {
		where = strings.Join(q.where, " AND ")
	}
	sql := fmt.Sprintf(open311RequestSQL, where)
	if f.Limit > 0 {
		sql += fmt.Sprintf(" LIMIT %d OFFSET %d", f.Limit, max(f.Offset, 0))
	}
	rows, err := s.reads(ctx).Query(ctx, sql, q.args...)
	if err != nil {
		return nil, err
	}
	out := []Open311Request{}
	var r Open311Request
	_, err = pgx.ForEachRow(rows, []any{&r.ID, &r.Status, &r.Category, &r.NameZH, &r.NameEN,
		&r.DeadlineAmount, &r.DeadlineUnit, &r.Description, &r.Unit, &r.Address, &r.Lon, &r.Lat, &r.Photo,
		&r.MediaURL, &r.Note, &r.Created, &r.Updated, &r.Deadline}, func() error {
		out = append(out, r)
		return nil
	})
	return out, err
}

// Place is a named place that an address given as text was found at.
type Place struct {
	Kind     string // point, parking or grid
	Code     string
	Name     string
	Location orb.Point // a point on the place's surface (WGS-84)
}

// Errors of LocatePlace.
var ErrPlaceNotFound = errors.New("no place matches the address")

// PlaceAmbiguousError says the text matches several places far apart.
type PlaceAmbiguousError struct{ Names []string }

func (e *PlaceAmbiguousError) Error() string {
	return "the address matches several places: " + strings.Join(e.Names, ", ")
}

// placeSameSpot is how close two equally good matches must lie to be taken as
// one place (a bus stop and the compound it is named after, say).
const placeSameSpot = 200 // metres

// locatePlaceSQL ranks the places whose name or address matches $1: an exact
// name or address (0), a text that contains the place's name, the longest name
// being the most specific (1), a name or address that contains the text (2).
// Only places small enough to stand for a location take part: inspection points,
// parking zones and unit grids. There are a few thousand, so a scan is cheap.
const locatePlaceSQL = `WITH c AS (
		SELECT 'point' AS kind, code, name, address, geom FROM points
		UNION ALL SELECT 'parking', code, name, address, geom FROM parking_zones
		UNION ALL SELECT 'grid', code, name, '', geom FROM areas WHERE level = 'grid'
	), m AS (
		SELECT kind, code, name, geom,
			CASE WHEN lower(name) = $1 OR lower(address) = $1 THEN 0
			     WHEN char_length(name) >= 2 AND strpos($1, lower(name)) > 0 THEN 1
			     ELSE 2 END AS rank
		FROM c
		WHERE lower(name) = $1 OR lower(address) = $1
		   OR (char_length(name) >= 2 AND strpos($1, lower(name)) > 0)
		   OR (char_length($1) >= 2 AND (strpos(lower(name), $1) > 0 OR strpos(lower(address), $1) > 0))
	)
	SELECT kind, code, name, ST_X(p.geom), ST_Y(p.geom), rank, char_length(name)
	FROM m CROSS JOIN LATERAL (SELECT ST_PointOnSurface(m.geom) AS geom) p
	ORDER BY rank, CASE WHEN rank = 1 THEN -char_length(name) ELSE 0 END, kind, code
	LIMIT 2`

// LocatePlace finds the place an address given as text names, by a plain text
// match on the names and addresses of points, parking zones and grids: a best
// effort for clients that send no coordinates, since citymap has no geocoder.
// Errors: ErrPlaceNotFound, *PlaceAmbiguousError.
func (s *Store) LocatePlace(ctx context.Context, text string) (Place, error) {
	text = strings.ToLower(strings.TrimSpace(text))
	if text == "" || strings.ContainsRune(text, 0) || utf8.RuneCountInString(text) > MaxIssueAddress {
		return Place{}, ErrPlaceNotFound
	}
	type match struct {
		p         Place
		rank, len int
	}
	rows, err := s.Pool.Query(ctx, locatePlaceSQL, text)
	if err != nil {
		return Place{}, err
	}
	var found []match
	var m match
	_, err = pgx.ForEachRow(rows, []any{&m.p.Kind, &m.p.Code, &m.p.Name, &m.p.Location[0], &m.p.Location[1],
		&m.rank, &m.len}, func() error {
		found = append(found, m)
		return nil
	})
	switch {
	case err != nil:
		return Place{}, err
	case len(found) == 0:
		return Place{}, ErrPlaceNotFound
	case len(found) == 2 && found[0].rank == found[1].rank && (found[0].rank != 1 || found[0].len == found[1].len) &&
		geo.Distance(found[0].p.Location, found[1].p.Location) > placeSameSpot:
		return Place{}, &PlaceAmbiguousError{Names: []string{found[0].p.Name, found[1].p.Name}}
	}
	return found[0].p, nil
}
