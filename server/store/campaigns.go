package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"citymap/invalid"
	"citymap/server/access"
	"citymap/server/table"
)

// ErrCampaignNotFound says no campaign has the id asked for.
var ErrCampaignNotFound = errors.New("no such campaign")

// Campaign is a special campaign (专项行动).
type Campaign struct {
	ID              int64     `json:"id"`
	Code            string    `json:"code"`
	Name            string    `json:"name"`
	Description     string    `json:"description"`
	StartsOn        string    `json:"starts_on"` // YYYY-MM-DD, the city's days
	EndsOn          string    `json:"ends_on"`   // inclusive
	Areas           []string  `json:"areas"`
	PointCategories []string  `json:"point_categories"`
	LeadUnit        *string   `json:"lead_unit"`
	CreatedAt       time.Time `json:"created_at"`
}

const campaignColumns = `id, code, name, description, to_char(starts_on, 'YYYY-MM-DD'), to_char(ends_on, 'YYYY-MM-DD'),
	areas, point_categories, lead_unit, created_at`

func scanCampaign(row pgx.Row) (Campaign, error) {
	var c Campaign
	err := row.Scan(&c.ID, &c.Code, &c.Name, &c.Description, &c.StartsOn, &c.EndsOn, &c.Areas,
		&c.PointCategories, &c.LeadUnit, &c.CreatedAt)
	return c, err
}

// CreateCampaign stores a campaign. Errors: *invalid.Error for bad input
// (unknown areas, categories or unit, a period that ends before it starts, a
// code in use).
func (s *Store) CreateCampaign(ctx context.Context, c Campaign) (Campaign, error) {
	c.Code, c.Name = strings.TrimSpace(c.Code), strings.TrimSpace(c.Name)
	start, err1 := time.Parse(time.DateOnly, c.StartsOn)
	end, err2 := time.Parse(time.DateOnly, c.EndsOn)
	switch {
	case c.Code == "":
		return c, invalid.Field("code", "required", "code is required")
	case c.Name == "":
		return c, invalid.Field("name", "required", "name is required")
	case err1 != nil:
		return c, invalid.Field("starts_on", "invalid", "starts_on is a date YYYY-MM-DD")
	case err2 != nil:
		return c, invalid.Field("ends_on", "invalid", "ends_on is a date YYYY-MM-DD")
	case end.Before(start):
		return c, invalid.Field("ends_on", "before_start", "ends_on lies before starts_on")
	case !validCampaignCode(c.Code):
		return c, invalid.Field("code", "invalid", "a code is 1 to 40 letters, digits, dots, dashes or underscores")
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{{"name", c.Name, 200}, {"description", c.Description, MaxIssueDescription}} {
		if err := checkIssueText(f.name, f.value, f.max); err != nil {
			return c, err
		}
	}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		if err := checkCampaignRefs(ctx, tx, c); err != nil {
			return err
		}
		var lead *string
		if c.LeadUnit != nil && *c.LeadUnit != "" {
			lead = c.LeadUnit
		}
		row := tx.QueryRow(ctx, `INSERT INTO campaigns (code, name, description, starts_on, ends_on, areas,
				point_categories, lead_unit) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (code) DO NOTHING RETURNING `+campaignColumns,
			c.Code, c.Name, c.Description, c.StartsOn, c.EndsOn, nonNil(c.Areas), nonNil(c.PointCategories), lead)
		out, err := scanCampaign(row)
		if errors.Is(err, pgx.ErrNoRows) {
			return invalid.Field("code", "duplicate", "a campaign has the code %q already", c.Code)
		}
		c = out
		return err
	})
	return c, err
}

func validCampaignCode(c string) bool {
	if len(c) > 40 {
		return false
	}
	for i, ch := range c {
		alnum := ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z'
		if !alnum && (i == 0 || !strings.ContainsRune("._-", ch)) {
			return false
		}
	}
	return c != ""
}

func checkCampaignRefs(ctx context.Context, tx pgx.Tx, c Campaign) error {
	if i, err := firstMissing(ctx, tx, c.Areas, `SELECT 1 FROM areas WHERE code = $1`); err != nil || i >= 0 {
		if err == nil {
			err = invalid.Field(fmt.Sprintf("areas[%d]", i), "unknown_area", "no area has the code %q", c.Areas[i])
		}
		return err
	}
	if i, err := firstMissing(ctx, tx, c.PointCategories, `SELECT 1 FROM point_categories WHERE code = $1`); err != nil || i >= 0 {
		if err == nil {
			err = invalid.Field(fmt.Sprintf("point_categories[%d]", i), "unknown_category", "no point category has the code %q", c.PointCategories[i])
		}
		return err
	}
	if c.LeadUnit != nil && *c.LeadUnit != "" {
		if i, err := firstMissing(ctx, tx, []string{*c.LeadUnit}, `SELECT 1 FROM units WHERE code = $1`); err != nil || i >= 0 {
			if err == nil {
				err = invalid.Field("lead_unit", "unknown_unit", "unknown unit %q (see /api/v1/units)", *c.LeadUnit)
			}
			return err
		}
	}
	return nil
}

// Campaigns lists the campaigns, the latest first.
func (s *Store) Campaigns(ctx context.Context) ([]Campaign, error) {
	rows, err := s.reads(ctx).Query(ctx, `SELECT `+campaignColumns+` FROM campaigns ORDER BY starts_on DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	out := []Campaign{}
	for rows.Next() {
		c, err := scanCampaign(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CampaignByID returns a campaign, or ErrCampaignNotFound.
func (s *Store) CampaignByID(ctx context.Context, id int64) (Campaign, error) {
	c, err := scanCampaign(s.reads(ctx).QueryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, ErrCampaignNotFound
	}
	return c, err
}

// CampaignStats are a campaign's figures over one period.
type CampaignStats struct {
	IssuesFound, IssuesClosed   int64
	Inspections                 int64
	AverageScore                *float64
	Tasks, TasksDone, TasksLate int64
}

// CampaignPeriodStats counts, for the campaign's areas and point categories
// over [from, to) judged at min(to, now): the issues found (created; with
// categories, those at points of them) and closed, the inspections of its
// points and their average score, and the campaign's tasks due in the period,
// done and overdue. Each counts only what v may see: a scoped caller's areas,
// a unit's own cases, points and tasks.
func (s *Store) CampaignPeriodStats(ctx context.Context, c Campaign, from, to, now time.Time, v Viewer) (CampaignStats, error) {
	var st CampaignStats
	q := &issueQuery{args: []any{from, to, minTime(to, now), access.Scope(c.Areas).Patterns(), nonNil(c.PointCategories), c.ID}}
	issues, inspections, tasks := v.issueSQL("i", q.arg), v.inspectionSQL("p", q.arg), v.taskSQL("t", q.arg)
	err := s.Pool.QueryRow(ctx, `WITH
		i AS (SELECT i.* FROM issues i LEFT JOIN points p ON p.id = i.point_id
			WHERE i.created_at >= $1 AND i.created_at < $2
				AND `+access.SQL("i.grid_code", "$4")+`
				AND (cardinality($5::text[]) = 0 OR p.category = ANY($5))
				AND `+issues+`),
		n AS (SELECT n.score FROM inspections n JOIN points p ON p.id = n.point_id
			WHERE n.inspected_at >= $1 AND n.inspected_at < $2
				AND `+access.SQL("p.grid_code", "$4")+`
				AND (cardinality($5::text[]) = 0 OR p.category = ANY($5))
				AND `+inspections+`),
		t AS (SELECT t.* FROM tasks t WHERE t.campaign_id = $6 AND t.due_at >= $1 AND t.due_at < $2 AND `+tasks+`)
		SELECT (SELECT count(*) FROM i), (SELECT count(*) FROM i WHERE status = 'closed' AND closed_at < $3),
			(SELECT count(*) FROM n), (SELECT round(avg(score), 2)::float8 FROM n),
			(SELECT count(*) FROM t), (SELECT count(*) FROM t WHERE status = 'done' AND done_at < $3),
			(SELECT count(*) FROM t WHERE NOT (status = 'done' AND done_at < $3) AND due_at < $3)`, q.args...).
		Scan(&st.IssuesFound, &st.IssuesClosed, &st.Inspections, &st.AverageScore, &st.Tasks, &st.TasksDone, &st.TasksLate)
	return st, err
}

// CampaignReport sets two periods' figures side by side: one row per figure
// with its value now, before and the change.
func CampaignReport(cur, prev CampaignStats) *table.Table {
	t := &table.Table{Columns: []string{"figure", "current", "previous", "delta"}}
	add := func(name string, a, b *float64) {
		var d any
		if a != nil && b != nil {
			d = round2(*a - *b)
		}
		t.Rows = append(t.Rows, []any{name, ptrValue(a), ptrValue(b), d})
	}
	f := func(v int64) *float64 { x := float64(v); return &x }
	rate := func(n, d int64) *float64 {
		if d == 0 {
			return nil
		}
		x := round4(float64(n) / float64(d))
		return &x
	}
	add("issues_found", f(cur.IssuesFound), f(prev.IssuesFound))
	add("issues_closed", f(cur.IssuesClosed), f(prev.IssuesClosed))
	add("closure_rate", rate(cur.IssuesClosed, cur.IssuesFound), rate(prev.IssuesClosed, prev.IssuesFound))
	add("inspections", f(cur.Inspections), f(prev.Inspections))
	add("average_score", cur.AverageScore, prev.AverageScore)
	add("tasks", f(cur.Tasks), f(prev.Tasks))
	add("tasks_done", f(cur.TasksDone), f(prev.TasksDone))
	add("tasks_overdue", f(cur.TasksLate), f(prev.TasksLate))
	return t
}

func ptrValue(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func round2(x float64) float64 { return float64(int64(x*100+sign(x)*0.5)) / 100 }
func round4(x float64) float64 { return float64(int64(x*10000+sign(x)*0.5)) / 10000 }
func sign(x float64) float64 {
	if x < 0 {
		return -1
	}
	return 1
}

// Leader is a city leader linked to streets and communities (挂钩定片).
type Leader struct {
	ID    int64    `json:"id"`
	Name  string   `json:"name"`
	Post  string   `json:"post"`
	Areas []string `json:"areas"`
}

// SaveLeader stores a leader, or replaces the areas of the leader with the
// same name and post. Areas must be streets or communities.
func (s *Store) SaveLeader(ctx context.Context, l Leader) (Leader, error) {
	l.Name, l.Post = strings.TrimSpace(l.Name), strings.TrimSpace(l.Post)
	switch {
	case l.Name == "":
		return l, invalid.Field("name", "required", "name is required")
	case len(l.Areas) == 0:
		return l, invalid.Field("areas", "required", "areas (street or community codes) are required")
	case len(l.Areas) > MaxTaskAreas:
		return l, invalid.Field("areas", "too_many", "at most %d areas", MaxTaskAreas)
	}
	for _, f := range []struct{ name, value string }{{"name", l.Name}, {"post", l.Post}} {
		if err := checkIssueText(f.name, f.value, 100); err != nil {
			return l, err
		}
	}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		i, err := firstMissing(ctx, tx, l.Areas, `SELECT 1 FROM areas WHERE code = $1 AND level IN ('street', 'community')`)
		if err != nil {
			return err
		}
		if i >= 0 {
			return invalid.Field(fmt.Sprintf("areas[%d]", i), "unknown_area", "no street or community has the code %q", l.Areas[i])
		}
		return tx.QueryRow(ctx, `INSERT INTO leaders (name, post, areas) VALUES ($1, $2, $3)
			ON CONFLICT (name, post) DO UPDATE SET areas = EXCLUDED.areas RETURNING id`, l.Name, l.Post, l.Areas).Scan(&l.ID)
	})
	return l, err
}

// Leaders lists the leaders, with area limiting them to those linked to an
// area within it or containing it.
func (s *Store) Leaders(ctx context.Context, area string) ([]Leader, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, name, post, areas FROM leaders l
		WHERE $1 = '' OR EXISTS (SELECT 1 FROM unnest(l.areas) a WHERE starts_with(a, $1) OR starts_with($1, a))
		ORDER BY id`, area)
	if err != nil {
		return nil, err
	}
	out := []Leader{}
	for rows.Next() {
		var l Leader
		if err := rows.Scan(&l.ID, &l.Name, &l.Post, &l.Areas); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// leaderColumn is the SQL of the leaders linked to the area whose code is col
// or to an area above it, as "name（post）" joined by "、".
func leaderColumn(col string) string {
	return `(SELECT string_agg(ld.name || CASE WHEN ld.post <> '' THEN '（' || ld.post || '）' ELSE '' END, '、' ORDER BY ld.id)
		FROM leaders ld WHERE EXISTS (SELECT 1 FROM unnest(ld.areas) la WHERE starts_with(` + col + `, la))) AS leader`
}
