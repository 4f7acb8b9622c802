package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/jackc/pgx/v5"

	"citymap/invalid"
	"citymap/server/access"
)

// MaxIssueBatch is the most items one batch may carry: a hotline system's backlog
// of a busy hour, small enough for one transaction of a few seconds.
const MaxIssueBatch = 10000

// Outcomes of a batch item.
const (
	BatchCreated  = "created"
	BatchExisting = "existing"
	BatchRejected = "rejected"
)

// IssueBatchResult is the outcome of one batch item.
type IssueBatchResult struct {
	Status string
	ID     int64          // created or existing
	Err    *invalid.Error // rejected
}

// CreateIssues takes in a batch of issues for actor, all valid ones in one
// transaction, with one result per item in input order. It is idempotent on
// (source, external_id): an item whose pair exists, from an earlier batch or
// earlier in this one, comes back "existing" with that issue's id.
//
// The valid items are copied into a temporary table and inserted by one
// INSERT … SELECT that assigns grids by point-in-polygon, which is what makes
// thousands of items per second possible: one round trip per step, not per item.
func (s *Store) CreateIssues(ctx context.Context, by IssueActor, items []NewIssue) ([]IssueBatchResult, error) {
	if len(items) > MaxIssueBatch {
		return nil, invalid.Field("items", "too_many", "at most %d items per batch", MaxIssueBatch)
	}
	results := make([]IssueBatchResult, len(items))
	var valid []int
	for i := range items {
		err := items[i].check()
		if err == nil {
			err = by.checkSource(&items[i])
		}
		if err != nil {
			results[i] = rejected(err)
			continue
		}
		valid = append(valid, i)
	}
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		valid, err := checkBatchRefs(ctx, tx, by, items, valid, results)
		if err != nil || len(valid) == 0 {
			return err
		}
		return insertBatch(ctx, tx, by, items, valid, results)
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

func rejected(err *invalid.Error) IssueBatchResult {
	return IssueBatchResult{Status: BatchRejected, Err: err}
}

// checkBatchRefs rejects the items whose category or photos do not exist and
// returns the indices of those left.
func checkBatchRefs(ctx context.Context, tx pgx.Tx, by IssueActor, items []NewIssue, valid []int, results []IssueBatchResult) ([]int, error) {
	rows, err := tx.Query(ctx, `SELECT code FROM issue_categories`)
	if err != nil {
		return nil, err
	}
	categories, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	photos, err := knownPhotos(ctx, tx, by, items, valid)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(valid, func(i int) bool {
		n := &items[i]
		if !slices.Contains(categories, n.Category) {
			results[i] = rejected(invalid.Field("category", "unknown_category", "unknown category %q", n.Category))
			return true
		}
		for j, p := range n.Photos {
			if !photos[p] {
				results[i] = rejected(invalid.Field(fmt.Sprintf("photos[%d]", j), "unknown_photo",
					"no uploaded photo has the id %q", p))
				return true
			}
		}
		return false
	}), nil
}

// knownPhotos returns which photos of the valid items exist and are the
// actor's to use (see checkIssueRefs).
func knownPhotos(ctx context.Context, tx pgx.Tx, by IssueActor, items []NewIssue, valid []int) (map[string]bool, error) {
	var ids []string
	for _, i := range valid {
		ids = append(ids, items[i].Photos...)
	}
	known := map[string]bool{}
	if len(ids) == 0 {
		return known, nil
	}
	q := &issueQuery{}
	where := "p.id = ANY(" + q.arg(ids) + ")"
	rows, err := tx.Query(ctx, `SELECT p.id FROM photos p WHERE `+where+` AND `+by.Viewer().photoSQL("p.id", q.arg), q.args...)
	if err != nil {
		return nil, err
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	for _, id := range found {
		known[id] = true
	}
	return known, err
}

// batchTable is the temporary home of a batch. Its id column draws from the
// issues sequence, so each row knows the id it will have if it is created.
const batchTable = `CREATE TEMP TABLE issue_batch (
	idx integer NOT NULL, id bigint NOT NULL DEFAULT nextval('issues_id_seq'),
	source text NOT NULL, external_id text, category text NOT NULL, description text NOT NULL,
	address text NOT NULL, photos text[] NOT NULL, lon float8 NOT NULL, lat float8 NOT NULL
) ON COMMIT DROP`

var batchColumns = []string{"idx", "source", "external_id", "category", "description", "address",
	"photos", "lon", "lat"}

func insertBatch(ctx context.Context, tx pgx.Tx, by IssueActor, items []NewIssue, valid []int, results []IssueBatchResult) error {
	if _, err := tx.Exec(ctx, batchTable); err != nil {
		return err
	}
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"issue_batch"}, batchColumns,
		pgx.CopyFromSlice(len(valid), func(k int) ([]any, error) {
			n := &items[valid[k]]
			var ext any
			if n.ExternalID != "" {
				ext = n.ExternalID
			}
			return []any{int32(valid[k]), n.Source, ext, n.Category, n.Description, n.Address,
				issueNonNil(n.Photos), n.Location[0], n.Location[1]}, nil
		}))
	if err != nil {
		return err
	}
	created, err := insertBatchIssues(ctx, tx, by)
	if err != nil {
		return err
	}
	ids := make([]int64, len(created))
	data := make([]string, len(created))
	for k, c := range created {
		results[c.idx] = IssueBatchResult{Status: BatchCreated, ID: c.id}
		ids[k] = c.id
		data[k] = eventData(items[c.idx].Data)
	}
	// the report events first: an item repeating one created earlier in the
	// batch names an issue that its reporter can see by them
	if err := insertReportEvents(ctx, tx, by.Actor, ids, data); err != nil {
		return err
	}
	if err := resolveBatchRest(ctx, tx, by, results); err != nil {
		return err
	}
	_, err = AppendUpserts(ctx, tx, "issues", ids)
	return err
}

type batchCreated struct {
	idx int32
	id  int64
}

// insertBatchIssues inserts the batch and returns the created rows in input order.
func insertBatchIssues(ctx context.Context, tx pgx.Tx, by IssueActor) ([]batchCreated, error) {
	rows, err := tx.Query(ctx, `WITH ins AS (`+
		fmt.Sprintf(insertIssuesSQL, "issue_batch t", "id", access.SQL("g.code", "$2"),
			"SELECT category FROM issue_batch")+`)
		SELECT t.idx, t.id FROM issue_batch t JOIN ins ON ins.id = t.id ORDER BY t.idx`,
		by.Reporter, by.scope())
	if err != nil {
		return nil, err
	}
	var out []batchCreated
	var c batchCreated
	_, err = pgx.ForEachRow(rows, []any{&c.idx, &c.id}, func() error {
		out = append(out, c)
		return nil
	})
	return out, err
}

// resolveBatchRest sorts the items that were not inserted: their pair exists
// (visible now, as each statement sees what committed before it), or their
// location lies outside the actor's areas. An existing issue that the actor may
// not read is not revealed: outside its areas the item is out of scope, and
// another reporter's issue only tells that the pair is taken.
func resolveBatchRest(ctx context.Context, tx pgx.Tx, by IssueActor, results []IssueBatchResult) error {
	q := &issueQuery{}
	scoped := inScope("i.grid_code", by.Scope, q.arg)
	seen := by.Viewer().issueSQL("i", q.arg)
	rows, err := tx.Query(ctx, `SELECT t.idx, i.id, i.id IS NOT NULL AND `+scoped+`, i.id IS NOT NULL AND `+seen+`
		FROM issue_batch t
		LEFT JOIN issues i ON i.source = t.source AND i.external_id = t.external_id
		WHERE NOT EXISTS (SELECT 1 FROM issues created WHERE created.id = t.id)`, q.args...)
	if err != nil {
		return err
	}
	var idx int32
	var id *int64
	var covered, visible bool
	_, err = pgx.ForEachRow(rows, []any{&idx, &id, &covered, &visible}, func() error {
		switch {
		case visible:
			results[idx] = IssueBatchResult{Status: BatchExisting, ID: *id}
		case covered:
			results[idx] = rejected(invalid.Field("external_id", "external_id_taken",
				"another reporter's issue has this source and external_id"))
		default:
			results[idx] = rejected(invalid.Field("location", "out_of_scope", "the location lies outside your areas"))
		}
		return nil
	})
	return err
}

// insertReportEvents writes the 'report' event of each new issue, with its data
// (JSON objects).
func insertReportEvents(ctx context.Context, tx pgx.Tx, actor string, ids []int64, data []string) error {
	_, err := tx.Exec(ctx, `INSERT INTO issue_events (issue_id, action, from_status, to_status, actor, data)
		SELECT id, 'report', NULL, 'reported', $3, d::jsonb
		FROM unnest($1::bigint[], $2::text[]) AS e(id, d)`, ids, data, actor)
	return err
}

// eventData encodes what a report event keeps besides the standard columns.
func eventData(data map[string]any) string {
	if len(data) == 0 {
		return "{}"
	}
	b, err := json.Marshal(data)
	if err != nil {
		return "{}"
	}
	return string(b)
}
