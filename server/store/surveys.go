package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"citymap/invalid"
	"citymap/server/access"
)

// Errors of the surveys.
var (
	ErrSurveyNotFound  = errors.New("no such survey")
	ErrAlreadyAnswered = errors.New("this respondent has answered the survey already")
	ErrSurveyCodeTaken = errors.New("another survey has this code")
)

// Survey is a stored questionnaire; Questions is its checked definition's
// questions as JSON (package survey reads them).
type Survey struct {
	ID          int64           `json:"id"`
	Code        string          `json:"code"`
	Title       string          `json:"title"`
	Intro       string          `json:"intro"`
	Questions   json.RawMessage `json:"questions"`
	Areas       []string        `json:"areas"`
	OpensAt     *time.Time      `json:"opens_at"`
	ClosesAt    *time.Time      `json:"closes_at"`
	Status      string          `json:"status"`
	PublishedAt *time.Time      `json:"published_at"`
	CreatedBy   string          `json:"created_by"`
	CreatedAt   time.Time       `json:"created_at"`
	// Respondents is how many answered (in the reader's areas).
	Respondents int64 `json:"respondents"`
}

const surveyColumns = `s.id, s.code, s.title, s.intro, s.questions, s.areas, s.opens_at, s.closes_at, s.status,
	s.published_at, s.created_by, s.created_at`

func scanSurvey(row pgx.Row, extra ...any) (Survey, error) {
	var s Survey
	err := row.Scan(append([]any{&s.ID, &s.Code, &s.Title, &s.Intro, &s.Questions, &s.Areas, &s.OpensAt, &s.ClosesAt,
		&s.Status, &s.PublishedAt, &s.CreatedBy, &s.CreatedAt}, extra...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		err = ErrSurveyNotFound
	}
	return s, err
}

// CreateSurvey stores a checked definition as a draft. Errors:
// ErrSurveyCodeTaken, *invalid.Error for areas that do not exist.
func (s *Store) CreateSurvey(ctx context.Context, sv Survey) (Survey, error) {
	var unknown *string
	err := s.Pool.QueryRow(ctx, `SELECT min(a) FROM unnest($1::text[]) a WHERE NOT EXISTS (SELECT 1 FROM areas WHERE code = a)`,
		sv.Areas).Scan(&unknown)
	if err != nil {
		return sv, err
	}
	if unknown != nil {
		return sv, invalid.Field("areas", "unknown_area", "no area has the code %q", *unknown)
	}
	row := s.Pool.QueryRow(ctx, `INSERT INTO surveys AS s (code, title, intro, questions, areas, opens_at, closes_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING `+surveyColumns,
		sv.Code, sv.Title, sv.Intro, sv.Questions, sv.Areas, sv.OpensAt, sv.ClosesAt, sv.CreatedBy)
	out, err := scanSurvey(row)
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23505" {
		return sv, ErrSurveyCodeTaken
	}
	return out, err
}

// PublishSurvey publishes a survey (again: it stays published).
func (s *Store) PublishSurvey(ctx context.Context, id int64, now time.Time) (Survey, error) {
	return scanSurvey(s.Pool.QueryRow(ctx, `UPDATE surveys s SET status = 'published',
			published_at = coalesce(published_at, $2) WHERE id = $1 RETURNING `+surveyColumns, id, now))
}

// respondentsIn counts a survey's answers from communities in the viewer's
// areas.
func respondentsIn(v Viewer, arg func(any) string) string {
	return `(SELECT count(*) FROM survey_responses r WHERE r.survey_id = s.id AND ` +
		inScope("r.community_code", v.Scope, arg) + `)`
}

// Surveys lists every survey, newest first, with its respondents in the
// viewer's areas.
func (s *Store) Surveys(ctx context.Context, v Viewer) ([]Survey, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+surveyColumns+`, `+respondentsIn(v, func(any) string { return "$1" })+`
		FROM surveys s ORDER BY s.created_at DESC, s.id DESC`, scopeArg(v))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Survey{}
	for rows.Next() {
		var n int64
		sv, err := scanSurvey(rows, &n)
		if err != nil {
			return nil, err
		}
		sv.Respondents = n
		out = append(out, sv)
	}
	return out, rows.Err()
}

// scopeArg is the viewer's scope as the parameter of access.SQL.
func scopeArg(v Viewer) []string { return access.Scope(v.Scope).Patterns() }

// SurveyByID reads a survey with its respondents in the viewer's areas.
func (s *Store) SurveyByID(ctx context.Context, id int64, v Viewer) (Survey, error) {
	var n int64
	sv, err := scanSurvey(s.Pool.QueryRow(ctx, `SELECT `+surveyColumns+`, `+
		respondentsIn(v, func(any) string { return "$2" })+` FROM surveys s WHERE s.id = $1`, id, scopeArg(v)), &n)
	sv.Respondents = n
	return sv, err
}

// SurveysOpenDuring lists the published surveys that took answers at some
// time in [from, to): opened (and published) before to, not closed by from;
// by opening and id.
func (s *Store) SurveysOpenDuring(ctx context.Context, from, to time.Time) ([]Survey, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+surveyColumns+` FROM surveys s
		WHERE s.status = 'published' AND greatest(s.opens_at, s.published_at) < $2
		AND (s.closes_at IS NULL OR s.closes_at > $1)
		ORDER BY greatest(s.opens_at, s.published_at), s.id`, from, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Survey{}
	for rows.Next() {
		sv, err := scanSurvey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sv)
	}
	return out, rows.Err()
}

// SurveyByCode reads a survey by its code (the public page's URL).
func (s *Store) SurveyByCode(ctx context.Context, code string) (Survey, error) {
	return scanSurvey(s.Pool.QueryRow(ctx, `SELECT `+surveyColumns+` FROM surveys s WHERE s.code = $1`, code))
}

// Community is a community a survey runs in.
type Community struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Street string `json:"street"` // the street's name
}

// SurveyCommunities lists the communities under the survey's areas (every
// community when it has none), by street and name.
func (s *Store) SurveyCommunities(ctx context.Context, areas []string) ([]Community, error) {
	rows, err := s.Pool.Query(ctx, `SELECT c.code, c.name, coalesce(st.name, '') FROM areas c
		LEFT JOIN areas st ON st.code = left(c.code, 9) AND st.level = 'street'
		WHERE c.level = 'community' AND (`+access.SQL("c.code", "$1")+` OR `+access.ContainsSQL("c.code", "$2")+`)
		ORDER BY st.name, c.name, c.code`, access.Scope(areas).Patterns(), areas)
	if err != nil {
		return nil, err
	}
	var c Community
	out := []Community{}
	_, err = pgx.ForEachRow(rows, []any{&c.Code, &c.Name, &c.Street}, func() error {
		out = append(out, c)
		return nil
	})
	return out, err
}

// CommunityAt is the community whose polygon holds the WGS-84 point, "" for
// none.
func (s *Store) CommunityAt(ctx context.Context, lon, lat float64) (string, error) {
	var code string
	err := s.Pool.QueryRow(ctx, `SELECT code FROM areas WHERE level = 'community'
		AND ST_Contains(geom, ST_SetSRID(ST_MakePoint($1, $2), 4326)) ORDER BY code LIMIT 1`, lon, lat).Scan(&code)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return code, err
}

// SurveyResponse is one answer to store.
type SurveyResponse struct {
	Survey     int64
	Respondent []byte // HMAC of the phone number or device key
	Community  string
	LocatedBy  string // chosen or position
	Answers    []byte // JSON object
	At         time.Time
}

// AddSurveyResponse stores an answer; ErrAlreadyAnswered when the
// respondent answered the survey before (nothing is written then).
func (s *Store) AddSurveyResponse(ctx context.Context, r SurveyResponse) (int64, error) {
	var id int64
	err := s.Pool.QueryRow(ctx, `INSERT INTO survey_responses (survey_id, respondent, community_code, located_by, answers, created_at)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ON CONSTRAINT survey_responses_once DO NOTHING RETURNING id`,
		r.Survey, r.Respondent, r.Community, r.LocatedBy, r.Answers, r.At).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, ErrAlreadyAnswered
	}
	return id, err
}

// SurveyAnswers calls fn with the community and answers of every response to
// the survey from a community in the viewer's areas given before the instant
// before (the zero time: every response so far).
func (s *Store) SurveyAnswers(ctx context.Context, survey int64, v Viewer, before time.Time,
	fn func(community string, answers []byte) error) error {
	var bound *time.Time
	if !before.IsZero() {
		bound = &before
	}
	rows, err := s.Pool.Query(ctx, `SELECT r.community_code, r.answers FROM survey_responses r
		WHERE r.survey_id = $1 AND `+access.SQL("r.community_code", "$2")+`
		AND ($3::timestamptz IS NULL OR r.created_at < $3)`, survey, scopeArg(v), bound)
	if err != nil {
		return err
	}
	var code string
	var answers []byte
	_, err = pgx.ForEachRow(rows, []any{&code, &answers}, func() error { return fn(code, answers) })
	return err
}

// AreaShape is an area's name and GeoJSON geometry for a report row.
type AreaShape struct {
	Name     string
	Geometry json.RawMessage
}

// AreaShapes reads the names and (when geometry is asked for) the
// geometries of these areas, by code.
func (s *Store) AreaShapes(ctx context.Context, codes []string, geometry bool) (map[string]AreaShape, error) {
	rows, err := s.Pool.Query(ctx, `SELECT code, name, CASE WHEN $2 THEN ST_AsGeoJSON(geom, 6) END FROM areas
		WHERE code = ANY($1)`, codes, geometry)
	if err != nil {
		return nil, err
	}
	out := map[string]AreaShape{}
	var code, name string
	var geom *string
	_, err = pgx.ForEachRow(rows, []any{&code, &name, &geom}, func() error {
		a := AreaShape{Name: name}
		if geom != nil {
			a.Geometry = json.RawMessage(*geom)
		}
		out[code] = a
		return nil
	})
	return out, err
}

// QuestionnaireIndicators are the codes of the indicators of kind
// questionnaire.
func (s *Store) QuestionnaireIndicators(ctx context.Context) (map[string]bool, error) {
	rows, err := s.Pool.Query(ctx, `SELECT code FROM indicators WHERE kind = 'questionnaire'`)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	var code string
	_, err = pgx.ForEachRow(rows, []any{&code}, func() error {
		out[code] = true
		return nil
	})
	return out, err
}
