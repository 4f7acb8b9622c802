package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"citymap/server/metrics"
	"citymap/server/store"
)

// Watching: one dedicated connection per instance LISTENs on store.TokenChannel,
// where the database announces the id of every token that was revoked, deleted,
// re-dated or rescoped, by whatever means (migration 0015). Each announcement
// drops the token from the cache and goes to the OnChange subscribers (the /live
// hub closes the token's sockets).
//
// The cache is believed only while the listener is known to be up: it pings the
// database every watchPing and each answer extends the trust by watchTrust. When
// the connection fails the trust ends at once, every request looks its token up,
// and the listener reconnects with backoff; once it listens again the cache is
// cleared and subscribers hear Change{All: true}, since an announcement may have
// been missed meanwhile.

const (
	watchPing    = 5 * time.Second
	watchTrust   = 3 * watchPing
	watchTimeout = 5 * time.Second
	minBackoff   = 100 * time.Millisecond
	maxBackoff   = 5 * time.Second
)

// watcher is the listener behind an Authenticator.
type watcher struct {
	st     *store.Store
	cancel context.CancelFunc
	done   chan struct{}
	up     bool // guarded by the authenticator's mu

	reconnects, changes metrics.Counter
}

// Watch starts listening for token changes on st's database, registering the
// listener's figures in reg; Close stops it. Until the listener first listens,
// every token is looked up.
func (a *Authenticator) Watch(st *store.Store, reg *metrics.Registry) {
	if reg == nil {
		reg = metrics.NewRegistry()
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{st: st, cancel: cancel, done: make(chan struct{}),
		reconnects: reg.Counter("citymap_auth_listener_reconnects_total",
			"Connections of the token-change listener lost (each then reconnects)."),
		changes: reg.Counter("citymap_auth_token_changes_total",
			"Token changes (revocations, deletions, expiry or scope changes) announced by the database."),
	}
	reg.GaugeFunc("citymap_auth_listener_up",
		"1 while the token-change listener is up and tokens are cached, 0 while every request looks its token up.",
		func() float64 {
			if a.Trusted() {
				return 1
			}
			return 0
		})
	reg.GaugeFunc("citymap_auth_cached_tokens", "Tokens in the authentication cache.",
		func() float64 { return float64(a.cached()) })
	a.mu.Lock()
	a.watch = w
	a.mu.Unlock()
	go func() {
		defer close(w.done)
		a.listen(ctx, w)
	}()
}

// Close stops the listener; the cache is no longer trusted.
func (a *Authenticator) Close() {
	a.mu.Lock()
	w := a.watch
	a.mu.Unlock()
	if w == nil {
		return
	}
	w.cancel()
	<-w.done
}

// Current is the token with this id as the database now holds it, or
// store.ErrNoToken when it no longer works.
func (a *Authenticator) Current(ctx context.Context, id int64) (*Principal, error) {
	a.mu.Lock()
	w := a.watch
	a.mu.Unlock()
	if w == nil {
		return nil, errors.New("auth: the authenticator is not watching a database")
	}
	t, err := w.st.TokenByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return principalOf(t), nil
}

func (a *Authenticator) listen(ctx context.Context, w *watcher) {
	backoff := minBackoff
	for {
		err := a.listenSession(ctx, w, func() { backoff = minBackoff })
		a.setUp(w, false)
		if ctx.Err() != nil {
			return
		}
		w.reconnects.Inc()
		d := backoff/2 + rand.N(backoff/2+1) // jitter spreads the instances' reconnects
		slog.Warn("auth: token listener lost, looking every token up until it is back",
			"err", err, "in", d.Round(time.Millisecond))
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// listenSession listens until the connection fails. Listening starts before the
// cache is cleared, so that no change is missed between the two.
func (a *Authenticator) listenSession(ctx context.Context, w *watcher, connected func()) error {
	cctx, cancel := context.WithTimeout(ctx, watchTimeout)
	conn, err := w.st.ListenTokens(cctx)
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	a.setUp(w, true)
	a.invalidate(Change{All: true})
	connected()
	for {
		if err := a.await(ctx, w, conn); err != nil {
			return err
		}
	}
}

// await handles one announcement, or pings when none came for watchPing.
func (a *Authenticator) await(ctx context.Context, w *watcher, conn *pgx.Conn) error {
	wctx, cancel := context.WithTimeout(ctx, watchPing)
	n, err := conn.WaitForNotification(wctx)
	cancel()
	switch {
	case err == nil:
		w.changes.Inc()
		a.renew(w)
		ch, perr := parseChange(n.Payload)
		if perr != nil {
			slog.Warn("auth: unreadable token change; dropping the whole cache", "payload", n.Payload)
		}
		a.invalidate(ch)
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case !(pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded)):
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, watchTimeout)
	defer cancel()
	if err := conn.Ping(pctx); err != nil {
		return fmt.Errorf("ping: %w", err)
	}
	if err := w.st.CheckPrimary(conn); err != nil {
		return err // a fenced primary: changes are announced elsewhere now
	}
	a.renew(w)
	return nil
}

// parseChange reads an announcement: a token id, or "*" for every token. What it
// cannot read counts as every token.
func parseChange(payload string) (Change, error) {
	if payload == "*" {
		return Change{All: true}, nil
	}
	id, err := strconv.ParseInt(payload, 10, 64)
	if err != nil {
		return Change{All: true}, err
	}
	return Change{ID: id}, nil
}

// setUp records whether the listener listens: the cache is trusted from now on,
// or no longer.
func (a *Authenticator) setUp(w *watcher, up bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	w.up = up
	a.trustUntil = time.Time{}
	if up {
		a.trustUntil = time.Now().Add(watchTrust)
	}
}

// renew extends the trust after the database was heard from.
func (a *Authenticator) renew(w *watcher) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if w.up {
		a.trustUntil = time.Now().Add(watchTrust)
	}
}
