package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Webhooks: partner systems' subscriptions to the changes feed and what was
// delivered to them (server/webhooks). Each subscription keeps a cursor, the
// last feed seq it is done with; the instance holding its lease moves it in
// the transaction that records the delivery.

// Webhook is one subscription.
type Webhook struct {
	ID           int64
	URL          string
	Secret       string // never answered back
	Layers       []string
	Events       []string
	Areas        []string
	Sources      []string
	OwnerTokenID int64
	Status       string // active, paused or gap
	Cursor       int64
	FailingSince *time.Time
	LastError    string
	CreatedAt    time.Time
	// UpdatedAt is when the API (or a pause) last changed it: a worker whose
	// copy is older starts over with the new URL, secret and filters.
	UpdatedAt time.Time
}

// Statuses of a webhook.
const (
	WebhookActive = "active"
	WebhookPaused = "paused"
	WebhookGap    = "gap"
)

// ErrWebhookNotFound says no subscription has that id (for that owner).
var ErrWebhookNotFound = errors.New("no such webhook")

// FeedPrunedError says a replay asks for changes no longer kept.
type FeedPrunedError struct{ Oldest int64 }

func (e *FeedPrunedError) Error() string {
	return fmt.Sprintf("the changes feed keeps changes from seq %d on", e.Oldest)
}

const webhookCols = `id, url, secret, layers, events, areas, sources, owner_token_id, status, cursor,
	failing_since, last_error, created_at, updated_at`

func scanWebhook(row pgx.Row) (Webhook, error) {
	var w Webhook
	err := row.Scan(&w.ID, &w.URL, &w.Secret, &w.Layers, &w.Events, &w.Areas, &w.Sources, &w.OwnerTokenID,
		&w.Status, &w.Cursor, &w.FailingSince, &w.LastError, &w.CreatedAt, &w.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return w, ErrWebhookNotFound
	}
	return w, err
}

// CreateWebhook stores a subscription that starts at the feed's head: it hears
// of what changes from now on (a replay reaches back).
func (s *Store) CreateWebhook(ctx context.Context, w Webhook) (Webhook, error) {
	return scanWebhook(s.Pool.QueryRow(ctx, `INSERT INTO webhooks (url, secret, layers, events, areas, sources,
			owner_token_id, cursor)
		SELECT $1, $2, $3, $4, $5, $6, $7, seq FROM change_counter
		RETURNING `+webhookCols,
		w.URL, w.Secret, nonNil(w.Layers), nonNil(w.Events), nonNil(w.Areas), nonNil(w.Sources), w.OwnerTokenID))
}

// ownerCond limits a statement to the owner's subscriptions; owner 0 is any.
const ownerCond = `($2::bigint = 0 OR owner_token_id = $2::bigint)`

// Webhooks lists the subscriptions of owner (0: every one) by id.
func (s *Store) Webhooks(ctx context.Context, owner int64) ([]Webhook, error) {
	rows, err := s.Pool.Query(ctx, `SELECT `+webhookCols+` FROM webhooks
		WHERE $1::bigint = 0 OR owner_token_id = $1::bigint ORDER BY id`, owner)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Webhook{}
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// WebhookByID reads a subscription of owner (0: anyone's).
func (s *Store) WebhookByID(ctx context.Context, id, owner int64) (Webhook, error) {
	return scanWebhook(s.Pool.QueryRow(ctx, `SELECT `+webhookCols+` FROM webhooks WHERE id = $1 AND `+ownerCond, id, owner))
}

// UpdateWebhook writes w's URL, secret and filters.
func (s *Store) UpdateWebhook(ctx context.Context, w Webhook, owner int64) (Webhook, error) {
	return scanWebhook(s.Pool.QueryRow(ctx, `UPDATE webhooks SET url = $3, secret = $4, layers = $5, events = $6,
			areas = $7, sources = $8, updated_at = now()
		WHERE id = $1 AND `+ownerCond+` RETURNING `+webhookCols,
		w.ID, owner, w.URL, w.Secret, nonNil(w.Layers), nonNil(w.Events), nonNil(w.Areas), nonNil(w.Sources)))
}

// DeleteWebhook removes a subscription and its deliveries.
func (s *Store) DeleteWebhook(ctx context.Context, id, owner int64) error {
	tag, err := s.Pool.Exec(ctx, `DELETE FROM webhooks WHERE id = $1 AND `+ownerCond, id, owner)
	if err == nil && tag.RowsAffected() == 0 {
		return ErrWebhookNotFound
	}
	return err
}

// ReplayWebhook sets the cursor back so that delivery starts again at fromSeq,
// and makes the subscription active. The changes from fromSeq on must still be
// kept (a FeedPrunedError says from where they are) and fromSeq no later than
// the head's next.
func (s *Store) ReplayWebhook(ctx context.Context, id, owner, fromSeq int64) (Webhook, error) {
	var w Webhook
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		var oldest, head int64
		if err := tx.QueryRow(ctx, `SELECT coalesce((SELECT min(seq) FROM changes), c.seq + 1), c.seq
			FROM change_counter c`).Scan(&oldest, &head); err != nil {
			return err
		}
		switch {
		case fromSeq > head+1:
			return fmt.Errorf("%w: from_seq %d is past the feed's head %d", ErrBadReplay, fromSeq, head)
		case fromSeq < oldest && fromSeq <= head:
			return &FeedPrunedError{Oldest: oldest}
		}
		var err error
		w, err = scanWebhook(tx.QueryRow(ctx, `UPDATE webhooks SET cursor = $3, status = 'active',
				failing_since = NULL, last_error = '', updated_at = now()
			WHERE id = $1 AND `+ownerCond+` RETURNING `+webhookCols, id, owner, fromSeq-1))
		return err
	})
	return w, err
}

// ErrBadReplay says a replay's seq lies after the feed's head.
var ErrBadReplay = errors.New("bad replay")

// ResumeWebhook makes a paused or gapped subscription active again, from its
// cursor; a gapped one moves past what was pruned, which it reports as lost
// (the first and last seq, zero when nothing was).
func (s *Store) ResumeWebhook(ctx context.Context, id, owner int64) (w Webhook, lostFrom, lostTo int64, err error) {
	err = pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		cur, err := scanWebhook(tx.QueryRow(ctx, `SELECT `+webhookCols+` FROM webhooks
			WHERE id = $1 AND `+ownerCond+` FOR UPDATE`, id, owner))
		if err != nil {
			return err
		}
		var oldest, head int64
		if err := tx.QueryRow(ctx, `SELECT coalesce((SELECT min(seq) FROM changes), c.seq + 1), c.seq
			FROM change_counter c`).Scan(&oldest, &head); err != nil {
			return err
		}
		cursor := cur.Cursor
		switch {
		case cursor > head: // the feed started over (a reseeded database)
			lostFrom, lostTo, cursor = 0, 0, head
		case cursor+1 < oldest:
			lostFrom, lostTo, cursor = cursor+1, oldest-1, oldest-1
		}
		w, err = scanWebhook(tx.QueryRow(ctx, `UPDATE webhooks SET cursor = $2, status = 'active',
				failing_since = NULL, last_error = '', updated_at = now()
			WHERE id = $1 RETURNING `+webhookCols, id, cursor))
		return err
	})
	return w, lostFrom, lostTo, err
}

// LeaseWebhook takes or renews the lease of an active subscription for
// instance, for ttl: it reports false when the subscription is not active or
// another instance holds a lease that has not run out.
func (s *Store) LeaseWebhook(ctx context.Context, id int64, instance string, ttl time.Duration) (Webhook, bool, error) {
	w, err := scanWebhook(s.Pool.QueryRow(ctx, `UPDATE webhooks SET lease_owner = $2, lease_until = now() + $3::interval
		WHERE id = $1 AND status = 'active'
		  AND (lease_owner IS NULL OR lease_owner = $2 OR lease_until < now())
		RETURNING `+webhookCols, id, instance, ttl))
	if errors.Is(err, ErrWebhookNotFound) {
		return w, false, nil
	}
	return w, err == nil, err
}

// ReleaseWebhook gives up instance's lease.
func (s *Store) ReleaseWebhook(ctx context.Context, id int64, instance string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE webhooks SET lease_owner = NULL, lease_until = NULL
		WHERE id = $1 AND lease_owner = $2`, id, instance)
	return err
}

// Delivery is one attempt at delivering a change.
type Delivery struct {
	ID         int64     `json:"id"`
	Seq        int64     `json:"seq"`
	Event      string    `json:"event"`
	Attempt    int       `json:"attempt"`
	OK         bool      `json:"ok"`
	HTTPStatus *int      `json:"http_status"`
	Error      string    `json:"error,omitempty"`
	DurationMS int       `json:"duration_ms"`
	Instance   string    `json:"instance"`
	At         time.Time `json:"at"`
}

// leased is the condition that instance still works the subscription from
// cursor prev: a replay, a pause or another instance's takeover ends its turn.
const leased = `id = $1 AND lease_owner = $2 AND cursor = $3 AND status = 'active'`

// RecordDelivery records a successful delivery and moves the cursor from prev
// to the delivered seq, in one transaction, with the lease renewed for ttl. It
// reports false (recording nothing) when instance no longer works the
// subscription from prev.
func (s *Store) RecordDelivery(ctx context.Context, id int64, instance string, prev int64, d Delivery, ttl time.Duration) (bool, error) {
	ok := false
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE webhooks SET cursor = $4, failing_since = NULL, last_error = '',
				lease_until = now() + $5::interval
			WHERE `+leased, id, instance, prev, d.Seq, ttl)
		if err != nil || tag.RowsAffected() == 0 {
			return err
		}
		ok = true
		return insertDelivery(ctx, tx, id, d)
	})
	return ok, err
}

// RecordFailure records a failed attempt: the subscription fails since its
// first failure after the last success, and is paused with the error once that
// is longer ago than pauseAfter. It reports whether the subscription is still
// active and worked by instance.
func (s *Store) RecordFailure(ctx context.Context, id int64, instance string, prev int64, d Delivery, pauseAfter time.Duration) (bool, error) {
	active := false
	err := pgx.BeginFunc(ctx, s.Pool, func(tx pgx.Tx) error {
		var status string
		err := tx.QueryRow(ctx, `UPDATE webhooks SET failing_since = coalesce(failing_since, now()), last_error = $4,
				status = CASE WHEN failing_since < now() - $5::interval THEN 'paused' ELSE status END
			WHERE `+leased+` RETURNING status`, id, instance, prev, d.Error, pauseAfter).Scan(&status)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		active = status == WebhookActive
		return insertDelivery(ctx, tx, id, d)
	})
	return active, err
}

func insertDelivery(ctx context.Context, tx pgx.Tx, id int64, d Delivery) error {
	_, err := tx.Exec(ctx, `INSERT INTO webhook_deliveries (webhook_id, seq, event, attempt, ok, http_status,
			error, duration_ms, instance)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		id, d.Seq, d.Event, d.Attempt, d.OK, d.HTTPStatus, d.Error, d.DurationMS, d.Instance)
	return err
}

// AdvanceWebhook moves the cursor from prev to seq past changes the
// subscription does not match; false when instance no longer works it from prev.
func (s *Store) AdvanceWebhook(ctx context.Context, id int64, instance string, prev, seq int64) (bool, error) {
	tag, err := s.Pool.Exec(ctx, `UPDATE webhooks SET cursor = $4 WHERE `+leased, id, instance, prev, seq)
	return err == nil && tag.RowsAffected() == 1, err
}

// StopWebhook gives a subscription that instance works from prev the status
// (paused or gap) with the reason.
func (s *Store) StopWebhook(ctx context.Context, id int64, instance string, prev int64, status, reason string) error {
	_, err := s.Pool.Exec(ctx, `UPDATE webhooks SET status = $4, last_error = $5, updated_at = now(),
			lease_owner = NULL, lease_until = NULL
		WHERE `+leased, id, instance, prev, status, reason)
	return err
}

// WebhookDeliveries lists the latest attempts of a subscription, newest first,
// at most limit, those of seqs after since only.
func (s *Store) WebhookDeliveries(ctx context.Context, id, since int64, limit int) ([]Delivery, error) {
	rows, err := s.Pool.Query(ctx, `SELECT id, seq, event, attempt, ok, http_status, error, duration_ms, instance, at
		FROM webhook_deliveries WHERE webhook_id = $1 AND seq > $2 ORDER BY id DESC LIMIT $3`, id, since, limit)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Delivery, error) {
		var d Delivery
		err := r.Scan(&d.ID, &d.Seq, &d.Event, &d.Attempt, &d.OK, &d.HTTPStatus, &d.Error, &d.DurationMS, &d.Instance, &d.At)
		return d, err
	})
	if out == nil {
		out = []Delivery{}
	}
	return out, err
}

// PruneDeliveries deletes the attempts recorded before the cutoff.
func (s *Store) PruneDeliveries(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.Pool.Exec(ctx, `DELETE FROM webhook_deliveries WHERE at < $1`, before)
	return tag.RowsAffected(), err
}

// WebhookState is where a subscription stands in the feed, for scheduling and
// metrics.
type WebhookState struct {
	ID     int64
	Status string
	Cursor int64
	Head   int64
	// Lag is how long ago the first change it has not done with committed; 0
	// when it is caught up.
	Lag time.Duration
	// Free says no other instance holds a lease that has not run out.
	Free bool
}

// WebhookStates reads every subscription's state as instance sees it.
func (s *Store) WebhookStates(ctx context.Context, instance string) ([]WebhookState, error) {
	rows, err := s.Pool.Query(ctx, `SELECT w.id, w.status, w.cursor, c.seq,
			coalesce(extract(epoch FROM now() - (SELECT committed_at FROM changes WHERE seq = w.cursor + 1)), 0)::float8,
			w.lease_owner IS NULL OR w.lease_owner = $1 OR w.lease_until < now()
		FROM webhooks w CROSS JOIN change_counter c ORDER BY w.id`, instance)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (WebhookState, error) {
		var st WebhookState
		var lag float64
		err := r.Scan(&st.ID, &st.Status, &st.Cursor, &st.Head, &lag, &st.Free)
		st.Lag = time.Duration(lag * float64(time.Second))
		return st, err
	})
}

// IssueEvents names, for the issue changes among seqs, the workflow step
// recorded in the same transaction (issue_events.at and changes.committed_at
// are both the transaction's now()): the action and the status it led to, the
// last step when there were several. Changes without one are absent.
func (s *Store) IssueEvents(ctx context.Context, seqs []int64) (map[int64][2]string, error) {
	out := map[int64][2]string{}
	if len(seqs) == 0 {
		return out, nil
	}
	rows, err := s.Pool.Query(ctx, `SELECT DISTINCT ON (c.seq) c.seq, e.action, e.to_status
		FROM changes c JOIN issue_events e ON e.issue_id = c.object_id::bigint AND e.at = c.committed_at
		WHERE c.seq = ANY($1) AND c.layer = 'issues'
		ORDER BY c.seq, e.id DESC`, seqs)
	if err != nil {
		return nil, err
	}
	var seq int64
	var action, to string
	_, err = pgx.ForEachRow(rows, []any{&seq, &action, &to}, func() error {
		out[seq] = [2]string{action, to}
		return nil
	})
	return out, err
}
