package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"

	"citymap/invalid"
	"citymap/server/access"
)

// IssueIntake is the outcome of taking in one issue.
type IssueIntake struct {
	ID int64
	// Created is false when (source, external_id) named an issue taken in
	// before: intake is idempotent and answers with that issue.
	Created bool
	Version int
	// Feature is the issue as a GeoJSON Feature (issue_feature).
	Feature json.RawMessage
	// Duplicates is a JSON array of Features: open issues of the same category
	// within DuplicateRadius metres reported in the last DuplicateWindow, each
	// with its distance in properties.distance_m. Empty for an existing issue.
	Duplicates json.RawMessage
}

// What intake calls a possible duplicate: a dispatcher decides whether to merge.
const (
	DuplicateRadius = 50 // metres
	DuplicateWindow = "7 days"
	maxDuplicates   = 20
)

// insertIssuesSQL inserts the issues of row source %[1]s (columns id, source,
// external_id, category, description, address, photos, lon, lat), assigning each
// its grid by point-in-polygon, its unit (the category's department, else the
// street office of its street) and its deadline. Rows outside the actor's scope
// ($2) are skipped, and so are rows whose (source, external_id) exists (the
// trigger issue_keys_insert skips them: issues is partitioned by month, and its
// unique pair lives in issue_keys, where no ON CONFLICT here can name it). $1 is the
// reporter; %[2]s is the RETURNING list; %[4]s yields the rows' categories (a
// subquery or a parameter, not the row source again, which may draw ids). The
// deadline depends on the category alone, the clock starting at now() for
// every row, so it is worked out once per category of the rows: worktime_due
// walks the calendar, and once per row it was the dearest part of a batch.
const insertIssuesSQL = `INSERT INTO issues (id, source, external_id, category, description, address,
		photos, reporter, geom, grid_code, community_code, street_code, unit, deadline)
	WITH c AS MATERIALIZED (SELECT code, unit, worktime_due(now(), deadline_amount, deadline_unit) AS due
		FROM issue_categories WHERE code IN (%[4]s))
	SELECT t.id, t.source, t.external_id, t.category, t.description, t.address,
		coalesce(t.photos, '{}'), $1, p.geom, g.code, left(g.code, 12), left(g.code, 9),
		coalesce(c.unit, so.code), c.due
	FROM %[1]s
	JOIN c ON c.code = t.category
	CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326) AS geom) p
	LEFT JOIN LATERAL (SELECT a.code FROM areas a
		WHERE a.level = 'grid' AND ST_Covers(a.geom, p.geom)
		ORDER BY a.code LIMIT 1) g ON true
	LEFT JOIN LATERAL (SELECT u.code FROM units u
		WHERE c.unit IS NULL AND u.kind = 'street_office' AND u.area_code = left(g.code, 9)
		ORDER BY u.code LIMIT 1) so ON true
	WHERE ` + "%[3]s" + `
	ORDER BY t.source, t.external_id -- one lock order for all writers: no deadlocks between batches
	RETURNING %[2]s`

// singleIssueRow is the row source of one issue given as parameters $3…$11.
const singleIssueRow = `(SELECT nextval('issues_id_seq') AS id, $3::text AS source,
	nullif($4::text, '') AS external_id, $5::text AS category, $6::text AS description,
	$7::text AS address, $8::text[] AS photos, $9::float8 AS lon, $10::float8 AS lat) t`

// CreateIssue takes in one issue for actor: it checks the input, refuses a
// location outside the actor's scope (ErrIssueOutOfScope), and writes the issue,
// its report event and its change in one transaction. Input errors are
// *invalid.Error. This is the intake every channel shares: Open311 calls it
// with source "open311" and its service request id as external id.
func (s *Store) CreateIssue(ctx context.Context, by IssueActor, n NewIssue) (IssueIntake, error) {
	if err := n.Check(); err != nil {
		return IssueIntake{}, err
	}
	if err := by.checkSource(&n); err != nil {
		return IssueIntake{}, err
	}
	var out IssueIntake
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		if err := checkIssueRefs(ctx, tx, by, n.Category, n.Photos); err != nil {
			return err
		}
		err := tx.QueryRow(ctx, fmt.Sprintf(insertIssuesSQL, singleIssueRow,
			"id, version, issue_feature(issues)", access.SQL("g.code", "$2"), "$5::text"),
			by.Reporter, by.scope(), n.Source, n.ExternalID, n.Category, n.Description, n.Address,
			issueNonNil(n.Photos), n.Location[0], n.Location[1]).Scan(&out.ID, &out.Version, &out.Feature)
		if errors.Is(err, pgx.ErrNoRows) {
			// either the sender retried or the location is not the actor's
			return existingIssue(ctx, tx, by, n, &out)
		}
		if err != nil {
			return err
		}
		out.Created = true
		err = insertReportEvents(ctx, tx, by.Actor, []int64{out.ID}, []string{eventData(n.Data)})
		if err != nil {
			return err
		}
		if err = insertContact(ctx, tx, out.ID, n.Contact); err != nil {
			return err
		}
		_, err = AppendUpserts(ctx, tx, "issues", []int64{out.ID})
		return err
	})
	if err != nil || !out.Created {
		return out, err
	}
	// after the commit: the hints are advice and need not hold the feed's lock,
	// and failing to find them must not make a client retry a stored report
	out.Duplicates, err = s.issueDuplicates(ctx, by, out.ID)
	if err != nil {
		slog.Warn("issue duplicates", "issue", out.ID, "err", err)
		out.Duplicates = json.RawMessage("[]")
	}
	return out, nil
}

// checkIssueRefs verifies the category (unless empty) and that the photos
// exist and are the actor's to use: a photo of a case it may not see is as
// unknown to it as one never uploaded, or attaching it would let it read it.
func checkIssueRefs(ctx context.Context, tx pgx.Tx, by IssueActor, category string, photos []string) error {
	q := &issueQuery{}
	cat, ids := q.arg(category), q.arg(issueNonNil(photos))
	var known bool
	var missing []int
	err := tx.QueryRow(ctx, `SELECT `+cat+` = '' OR EXISTS (SELECT 1 FROM issue_categories WHERE code = `+cat+`),
		ARRAY(SELECT (i - 1)::int FROM unnest(`+ids+`::text[]) WITH ORDINALITY AS p(id, i)
		      WHERE NOT EXISTS (SELECT 1 FROM photos WHERE photos.id = p.id)
		         OR NOT `+by.Viewer().photoSQL("p.id", q.arg)+` ORDER BY i)`, q.args...).Scan(&known, &missing)
	if err != nil {
		return err
	}
	if !known {
		return invalid.Field("category", "unknown_category", "unknown category %q (see /api/v1/categories)", category)
	}
	if len(missing) > 0 {
		return invalid.Field(fmt.Sprintf("photos[%d]", missing[0]), "unknown_photo",
			"no uploaded photo has the id %q (upload it to /api/v1/photos first)", photos[missing[0]])
	}
	return nil
}

// existingIssue answers a retried intake with the issue taken in before, or
// reports that the location lies outside the actor's scope, or that the issue
// is another reporter's: a retry answers in full only what the actor may read.
func existingIssue(ctx context.Context, tx pgx.Tx, by IssueActor, n NewIssue, out *IssueIntake) error {
	if n.ExternalID == "" {
		return ErrIssueOutOfScope
	}
	q := &issueQuery{}
	where := fmt.Sprintf("i.source = %s AND i.external_id = %s", q.arg(n.Source), q.arg(n.ExternalID))
	var grid *string
	var visible bool
	err := tx.QueryRow(ctx, `SELECT i.id, i.version, i.grid_code, `+by.Viewer().issueSQL("i", q.arg)+`,
		issue_feature(i) FROM issues i WHERE `+where, q.args...).
		Scan(&out.ID, &out.Version, &grid, &visible, &out.Feature)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return ErrIssueOutOfScope
	case err != nil:
		return err
	case !by.covers(grid):
		*out = IssueIntake{}
		return ErrIssueOutOfScope
	case !visible:
		*out = IssueIntake{}
		return ErrExternalIDTaken
	}
	out.Duplicates = json.RawMessage("[]")
	return nil
}

// issueDuplicates finds possible duplicates of issue id among the issues the
// actor may see. The bounding box lets the GiST index narrow the search before
// the exact distance on the spheroid; its degrees are generous at any latitude
// of China.
func (s *Store) issueDuplicates(ctx context.Context, by IssueActor, id int64) (json.RawMessage, error) {
	q := &issueQuery{}
	idArg, radius, window := q.arg(id), q.arg(DuplicateRadius), q.arg(DuplicateWindow)
	visible := by.Viewer().issueSQL("o", q.arg)
	var out json.RawMessage
	err := s.Pool.QueryRow(ctx, fmt.Sprintf(`SELECT coalesce(jsonb_agg(f ORDER BY d, oid), '[]') FROM (
		SELECT jsonb_set(issue_feature(o), '{properties,distance_m}', to_jsonb(round(d.m::numeric, 1))) AS f,
		       d.m AS d, o.id AS oid
		FROM issues n
		JOIN issues o ON o.geom && ST_Expand(n.geom, %[2]s::float8 / (100000 * cos(radians(ST_Y(n.geom)))), %[2]s::float8 / 100000.0)
		CROSS JOIN LATERAL (SELECT ST_Distance(o.geom::geography, n.geom::geography) AS m) d
		WHERE n.id = %[1]s AND o.id <> n.id AND o.category = n.category
		  AND o.status IN ('reported', 'registered', 'dispatched', 'in_progress', 'resolved')
		  AND o.created_at > now() - %[3]s::interval
		  AND d.m <= %[2]s::float8 AND %[4]s
		ORDER BY d.m, o.id LIMIT %[5]d) x`, idArg, radius, window, visible, maxDuplicates),
		q.args...).Scan(&out)
	return out, err
}

// issueNonNil makes a nil slice encode as an empty array rather than NULL.
func issueNonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// insertContact keeps the citizen's contact details of a new issue, if any.
func insertContact(ctx context.Context, tx pgx.Tx, id int64, contact map[string]string) error {
	if len(contact) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO issue_contacts (issue_id, contact) VALUES ($1, $2)`, id, contact)
	return err
}
