package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"citymap/invalid"
)

// IssueDoc is one issue as GET /api/v1/issues/{id} shows it, with what access
// checks need.
type IssueDoc struct {
	ID      int64
	Version int
	Grid    *string // nil when outside every grid
	// Visible says the viewer may read the issue.
	Visible bool
	// Feature is issue_feature plus a "timeline" array of its events, oldest
	// first, and for a Viewer with Contacts the citizen's "contact", if any.
	Feature json.RawMessage
}

// IssueByID returns issue id with its timeline and whether v may see it, or
// ErrIssueNotFound.
func (s *Store) IssueByID(ctx context.Context, id int64, v Viewer) (IssueDoc, error) {
	d := IssueDoc{ID: id}
	q := &issueQuery{}
	where := "i.id = " + q.arg(id)
	err := s.reads(ctx).QueryRow(ctx, `SELECT i.version, i.grid_code, `+v.issueSQL("i", q.arg)+`,
		issue_feature(i) || jsonb_build_object('timeline', (
			SELECT coalesce(jsonb_agg(jsonb_build_object('id', e.id, 'action', e.action,
				'from', e.from_status, 'to', e.to_status, 'actor', e.actor, 'note', e.note,
				'data', e.data, 'at', e.at) ORDER BY e.at, e.id), '[]')
			FROM issue_events e WHERE e.issue_id = i.id))
		|| coalesce((SELECT jsonb_build_object('contact', c.contact) FROM issue_contacts c
			WHERE c.issue_id = i.id AND `+q.arg(v.Contacts)+`), '{}')
		FROM issues i WHERE `+where, q.args...).Scan(&d.Version, &d.Grid, &d.Visible, &d.Feature)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, ErrIssueNotFound
	}
	return d, err
}

// Sort orders of issue lists; a leading '-' means descending.
var IssueSorts = []string{"created_at", "-created_at", "deadline", "-deadline"}

// Issue list page sizes.
const (
	DefaultIssueLimit = 100
	MaxIssueLimit     = 1000
)

// IssueFilter selects and orders issues. Zero values do not filter.
type IssueFilter struct {
	BBox       *[4]float64 // west, south, east, north
	Statuses   []string
	Categories []string
	Sources    []string
	// Area is an area code of any level: the issues whose grid it prefixes.
	Area       string
	Overdue    bool // open and past the deadline
	Unassigned bool // outside every grid: the dispatcher's queue
	From, To   *time.Time
	Text       string // in the description or the address
	Sort       string // one of IssueSorts; "" is -created_at
	Limit      int    // 0 is DefaultIssueLimit
	Cursor     string // from the previous page's Next
	// Viewer limits the list to what the caller may see.
	Viewer Viewer
}

// IssuePage is one page of an issue list.
type IssuePage struct {
	Features []json.RawMessage
	// Next is the cursor of the following page, "" on the last one.
	Next string
}

// issueCursor is where a page ended: the sort key and id of its last issue.
// Paging by key rather than OFFSET stays fast deep into a long list and neither
// skips nor repeats issues when new ones arrive between pages.
type issueCursor struct {
	Sort string    `json:"s"`
	At   time.Time `json:"t"`
	ID   int64     `json:"i"`
}

func (c issueCursor) encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeIssueCursor(s, sort string) (issueCursor, error) {
	var c issueCursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || c.ID <= 0 {
		return c, invalid.Field("cursor", "invalid", "not a cursor of this list")
	}
	if c.Sort != sort {
		return c, invalid.Field("cursor", "invalid", "the cursor belongs to sort=%s", c.Sort)
	}
	return c, nil
}

// ListIssues returns one page of the issues that match f.
func (s *Store) ListIssues(ctx context.Context, f IssueFilter) (IssuePage, error) {
	q, err := issueListQuery(f)
	if err != nil {
		return IssuePage{}, err
	}
	rows, err := s.reads(ctx).Query(ctx, q.sql(), q.args...)
	if err != nil {
		return IssuePage{}, err
	}
	var page IssuePage
	var row, last issueCursor
	var feature json.RawMessage
	_, err = pgx.ForEachRow(rows, []any{&row.ID, &row.At, &feature}, func() error {
		if len(page.Features) == q.limit {
			// the extra row: another page follows the last one kept
			page.Next = issueCursor{Sort: q.sort, At: last.At, ID: last.ID}.encode()
			return nil
		}
		page.Features = append(page.Features, feature)
		last = row
		return nil
	})
	return page, err
}

// issueQuery is a list query under construction.
type issueQuery struct {
	where []string
	args  []any
	sort  string
	limit int
}

func (q *issueQuery) arg(v any) string {
	q.args = append(q.args, v)
	return fmt.Sprintf("$%d", len(q.args))
}

func (q *issueQuery) add(cond string, vals ...any) {
	names := make([]any, len(vals))
	for i, v := range vals {
		names[i] = q.arg(v)
	}
	q.where = append(q.where, fmt.Sprintf(cond, names...))
}

func (q *issueQuery) sql() string {
	key, dir, _ := q.sortKey()
	where := "true"
	if len(q.where) > 0 {
		where = strings.Join(q.where, " AND ")
	}
	// one row more than asked tells whether another page follows
	return fmt.Sprintf(`SELECT i.id, i.%[1]s, issue_feature(i) FROM issues i WHERE %[2]s
		ORDER BY i.%[1]s %[3]s, i.id %[3]s LIMIT %[4]d`, key, where, dir, q.limit+1)
}

// sortKey returns the column, direction and keyset comparison of the sort.
func (q *issueQuery) sortKey() (key, dir, cmp string) {
	key, desc := strings.CutPrefix(q.sort, "-")
	if desc {
		return key, "DESC", "<"
	}
	return key, "ASC", ">"
}

func issueListQuery(f IssueFilter) (*issueQuery, error) {
	q := &issueQuery{sort: f.Sort, limit: f.Limit}
	if q.sort == "" {
		q.sort = "-created_at"
	}
	if !slices.Contains(IssueSorts, q.sort) {
		return nil, invalid.Field("sort", "invalid", "sort must be one of %s", strings.Join(IssueSorts, ", "))
	}
	if q.limit <= 0 {
		q.limit = DefaultIssueLimit
	}
	q.limit = min(q.limit, MaxIssueLimit)
	addIssueFilters(q, f)
	if f.Cursor != "" {
		c, err := decodeIssueCursor(f.Cursor, q.sort)
		if err != nil {
			return nil, err
		}
		key, _, cmp := q.sortKey()
		// the first condition alone can use the index on the sort key
		q.add(fmt.Sprintf("i.%[1]s %[2]s= %%[1]s AND (i.%[1]s %[2]s %%[1]s OR i.id %[2]s %%[2]s)", key, cmp), c.At, c.ID)
	}
	return q, nil
}

func addIssueFilters(q *issueQuery, f IssueFilter) {
	if f.BBox != nil {
		b := f.BBox
		// not a bare &&: the index keeps boxes in single precision, which would
		// let in points up to a metre outside; ST_Intersects rechecks exactly
		q.add("ST_Intersects(i.geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))", b[0], b[1], b[2], b[3])
	}
	if len(f.Statuses) > 0 {
		q.add("i.status = ANY(%s)", f.Statuses)
	}
	if len(f.Categories) > 0 {
		q.add("i.category = ANY(%s)", f.Categories)
	}
	if len(f.Sources) > 0 {
		q.add("i.source = ANY(%s)", f.Sources)
	}
	if f.Area != "" {
		// a range on the pattern operators uses issues_grid_idx (text_pattern_ops),
		// which a LIKE on a parameter cannot; codes are digits, and ':' follows '9'
		q.add("i.grid_code ~>=~ %s AND i.grid_code ~<~ %s", f.Area, f.Area+":")
	}
	if f.Overdue {
		// issue_overdue spelled out so that the partial index
		// issues_open_deadline_idx applies
		q.where = append(q.where, `i.status IN ('reported', 'registered', 'dispatched', 'in_progress', 'resolved')
			AND i.deadline < now() AND i.suspended_at IS NULL`)
	}
	if f.Unassigned {
		q.where = append(q.where, "i.grid_code IS NULL")
	}
	if f.From != nil {
		q.add("i.created_at >= %s", *f.From)
	}
	if f.To != nil {
		q.add("i.created_at < %s", *f.To)
	}
	if f.Text != "" {
		q.add("(i.description ILIKE %[1]s OR i.address ILIKE %[1]s)", "%"+escapeLike(f.Text)+"%")
	}
	if v := f.Viewer.issueSQL("i", q.arg); v != "true" {
		q.where = append(q.where, v)
	}
}

// escapeLike makes s match itself in a LIKE pattern (escape character '\').
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
