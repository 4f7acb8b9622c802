package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"citymap/server/access"
	"citymap/server/store"
)

// dbTimeout bounds each statement of a worker.
const dbTimeout = 10 * time.Second

// work delivers a subscription's changes in feed order while this instance
// holds its lease, until it is caught up or stops: paused, a gap, the lease or
// the cursor taken by a replay or another instance, the database unreachable,
// the dispatcher closing. It reports whether the scheduler should look again
// at once (caught up, or the subscription changed under it: news may have come
// meanwhile), false when reading failed (the next poll tries again).
func (d *Dispatcher) work(ctx context.Context, id int64) bool {
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dbTimeout)
		defer cancel()
		_ = d.st.ReleaseWebhook(rctx, id, d.instance)
	}()
	for ctx.Err() == nil {
		hook, ok, err := d.lease(ctx, id)
		if err != nil || !ok {
			return false
		}
		f, ok := d.filterOf(ctx, hook)
		if !ok {
			return false
		}
		batch, done, err := d.read(ctx, hook)
		if err != nil || done {
			return done && err == nil
		}
		if !d.deliverBatch(ctx, f, batch) {
			return ctx.Err() == nil
		}
	}
	return false
}

func (d *Dispatcher) lease(ctx context.Context, id int64) (store.Webhook, bool, error) {
	qctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	hook, ok, err := d.st.LeaseWebhook(qctx, id, d.instance, d.cfg.leaseTTL())
	if err != nil && ctx.Err() == nil {
		d.log.Warn("webhooks: leasing a subscription", "webhook", id, "err", err)
	}
	return hook, ok, err
}

// filterOf is what the subscription may receive: its filters within its
// owner's current reach. An owner whose token was revoked or expired receives
// nothing: the subscription is paused saying so.
func (d *Dispatcher) filterOf(ctx context.Context, hook store.Webhook) (filter, bool) {
	qctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	t, err := d.st.TokenByID(qctx, hook.OwnerTokenID)
	if errors.Is(err, store.ErrNoToken) {
		d.stop(ctx, hook, store.WebhookPaused, "the token that created this subscription is revoked, expired or deleted")
		return filter{}, false
	}
	if err != nil {
		return filter{}, false
	}
	v := store.Viewer{Scope: t.Areas, Reporter: t.Role == access.Reporter, Source: t.Source, Unit: t.Unit}
	return filter{hook: hook, owner: v}, true
}

// read returns the next changes after the cursor, contiguous. done says there
// are none (caught up); a subscription whose next changes were pruned gets
// status gap, and one whose cursor is past the head (the feed started over)
// too.
func (d *Dispatcher) read(ctx context.Context, hook store.Webhook) ([]*item, bool, error) {
	qctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	rows, err := d.st.ChangesSince(qctx, hook.Cursor, 0, d.cfg.Batch)
	if err != nil {
		return nil, false, err
	}
	if len(rows) == 0 || rows[0].Seq != hook.Cursor+1 {
		oldest, head, err := d.st.FeedBounds(qctx)
		switch {
		case err != nil:
			return nil, false, err
		case head < hook.Cursor:
			d.stop(ctx, hook, store.WebhookGap, fmt.Sprintf(
				"the changes feed started over (its head %d is before the cursor %d); replay or resume", head, hook.Cursor))
			return nil, false, errGap
		case oldest > hook.Cursor+1 && head > hook.Cursor:
			d.stop(ctx, hook, store.WebhookGap, fmt.Sprintf(
				"changes %d to %d were pruned from the feed before they were delivered; resume to go on from %d, or replay",
				hook.Cursor+1, oldest-1, oldest))
			return nil, false, errGap
		case len(rows) == 0:
			return nil, true, nil
		}
		return nil, false, errHole // not pruned, not there: read again later
	}
	var seqs []int64
	n := 0
	for i, r := range rows {
		if r.Seq != hook.Cursor+int64(i)+1 {
			break // a hole: deliver up to it, read again
		}
		n++
		if r.Layer == "issues" {
			seqs = append(seqs, r.Seq)
		}
	}
	steps, err := d.st.IssueEvents(qctx, seqs)
	if err != nil {
		return nil, false, err
	}
	out := make([]*item, n)
	for i, r := range rows[:n] {
		out[i] = newItem(r, steps[r.Seq])
	}
	return out, false, nil
}

var (
	errGap  = errors.New("gap in the feed")
	errHole = errors.New("hole in the feed")
)

// stop gives the subscription a stopped status with the reason.
func (d *Dispatcher) stop(ctx context.Context, hook store.Webhook, status, reason string) {
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dbTimeout)
	defer cancel()
	if err := d.st.StopWebhook(qctx, hook.ID, d.instance, hook.Cursor, status, reason); err != nil {
		d.log.Warn("webhooks: stopping a subscription", "webhook", hook.ID, "err", err)
		return
	}
	d.log.Warn("webhooks: subscription stopped", "webhook", hook.ID, "status", status, "reason", reason)
}

// deliverBatch delivers the matching changes of a batch in order, moving the
// cursor past each, and past the rest; false when the worker must stop.
func (d *Dispatcher) deliverBatch(ctx context.Context, f filter, batch []*item) bool {
	cursor := f.hook.Cursor
	for _, it := range batch {
		if !f.match(it) {
			continue
		}
		if !d.deliver(ctx, f.hook, cursor, it) {
			return false
		}
		cursor = it.Seq
	}
	last := batch[len(batch)-1].Seq
	if last == cursor {
		return true
	}
	qctx, cancel := context.WithTimeout(ctx, dbTimeout)
	defer cancel()
	ok, err := d.st.AdvanceWebhook(qctx, f.hook.ID, d.instance, cursor, last)
	return ok && err == nil
}

// deliver posts one change until it is answered 2xx, retrying with backoff;
// false when the subscription was paused meanwhile or this worker lost it.
func (d *Dispatcher) deliver(ctx context.Context, hook store.Webhook, prev int64, it *item) bool {
	payload := it.body(hook.ID)
	label := strconv.FormatInt(hook.ID, 10)
	for attempt := 1; ; attempt++ {
		rec := d.post(ctx, hook, it, payload)
		rec.Attempt = attempt
		if ctx.Err() != nil {
			return false // closing: the next worker delivers it again
		}
		qctx, cancel := context.WithTimeout(ctx, dbTimeout)
		var ok bool
		var err error
		if rec.OK {
			ok, err = d.st.RecordDelivery(qctx, hook.ID, d.instance, prev, rec, d.cfg.leaseTTL())
			if ok {
				d.m.delivered.With(label).Inc()
			}
		} else {
			ok, err = d.st.RecordFailure(qctx, hook.ID, d.instance, prev, rec, d.cfg.PauseAfter)
			d.m.failures.With(label).Inc()
		}
		cancel()
		if err != nil || !ok {
			if !rec.OK && err == nil {
				d.log.Warn("webhooks: subscription paused or taken over", "webhook", hook.ID, "last_error", rec.Error)
			}
			return false
		}
		if rec.OK {
			return true
		}
		if !d.wait(ctx, hook, prev, d.backoff(attempt)) {
			return false
		}
	}
}

// wait waits before a retry, renewing the lease every third of its time;
// false when the subscription is no longer this worker's to deliver from prev.
func (d *Dispatcher) wait(ctx context.Context, hook store.Webhook, prev int64, wait time.Duration) bool {
	for wait > 0 {
		step := min(wait, d.cfg.leaseTTL()/3)
		if !d.sleep(ctx, step) || !d.stillMine(ctx, hook, prev) {
			return false
		}
		wait -= step
	}
	return true
}

// stillMine renews the lease during retries and checks that nobody moved the
// cursor (a replay) or changed the subscription (a partner fixing its URL
// must not wait for the old one to answer) meanwhile.
func (d *Dispatcher) stillMine(ctx context.Context, hook store.Webhook, prev int64) bool {
	h, ok, err := d.lease(ctx, hook.ID)
	return err == nil && ok && h.Cursor == prev && h.UpdatedAt.Equal(hook.UpdatedAt)
}

// backoff is the wait after the attempt-th failure: MinBackoff doubling up
// to MaxBackoff, the upper half of it at random so that receivers that come
// back are not hit by every retry at once.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	b := d.cfg.MinBackoff
	for i := 1; i < attempt && b < d.cfg.MaxBackoff; i++ {
		b *= 2
	}
	b = min(b, d.cfg.MaxBackoff)
	return b/2 + rand.N(b/2+1)
}

func (d *Dispatcher) sleep(ctx context.Context, wait time.Duration) bool {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// maxAnswer is how much of a receiver's answer is read (to reuse the
// connection); the rest is dropped.
const maxAnswer = 64 << 10

// post makes one attempt at delivering it.
func (d *Dispatcher) post(ctx context.Context, hook store.Webhook, it *item, payload []byte) store.Delivery {
	rec := store.Delivery{Seq: it.Seq, Event: it.event, Instance: d.instance}
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(payload))
	if err != nil {
		rec.Error = err.Error()
		return rec
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "citymap-webhooks/1")
	req.Header.Set(HeaderSignature, Signature(hook.Secret, time.Now(), payload))
	req.Header.Set(HeaderDelivery, seqString(it.Seq))
	req.Header.Set(HeaderEvent, it.event)
	req.Header.Set(HeaderWebhook, strconv.FormatInt(hook.ID, 10))
	res, err := d.client.Do(req)
	rec.DurationMS = int(time.Since(start).Milliseconds())
	if err != nil {
		rec.Error = err.Error()
		return rec
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, maxAnswer))
	res.Body.Close()
	status := res.StatusCode
	rec.HTTPStatus = &status
	rec.OK = status >= 200 && status < 300
	if !rec.OK {
		rec.Error = "answered " + res.Status
	}
	return rec
}
