package live

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"citymap/server/auth"
	"citymap/server/metrics"
	"citymap/server/respond"
	"citymap/server/store"
)

// Who may hold a socket, and for how long: at most MaxPerToken sockets per token
// and MaxClients in all, refused before the upgrade; and no socket outlives what
// its token grants. One whose token expires, or is revoked, deleted or changed
// (the authenticator hears of it from the database and calls Revalidate), is
// closed with CloseUnauthorized.

// CloseUnauthorized closes a socket whose token no longer grants it, with the
// reason {"type":"expired"} or {"type":"revoked"} (revoked, deleted, or its role,
// areas or expiry changed: connecting again shows whether it still works).
const CloseUnauthorized = 4401

// Defaults of the caps.
const (
	DefaultMaxPerToken = 50
	DefaultMaxClients  = 20000
)

// retryAfter is what a refused client is told to wait, in seconds.
const retryAfter = "30"

// guard counts sockets by token and remembers which are being closed.
type guard struct {
	perToken, total int // a cap below 0 is no cap

	mu      sync.Mutex
	n       int
	byToken map[int64]int
	// sessions holds the clients in session: true once one is being closed
	sessions map[*client]bool
	// changes counts Revalidate calls: a session whose token was resolved
	// before one checks itself again, as the call may have missed it
	changes uint64

	refused metrics.CounterVec
	closed  metrics.CounterVec
}

func newGuard(cfg Config, reg *metrics.Registry) *guard {
	if reg == nil {
		reg = metrics.NewRegistry()
	}
	return &guard{perToken: cfg.MaxPerToken, total: cfg.MaxClients,
		byToken: map[int64]int{}, sessions: map[*client]bool{},
		refused: reg.CounterVec("citymap_live_refused_total",
			"Websocket upgrades refused over a cap: reason token (--live-max-per-token) or total (--live-max).", "reason"),
		closed: reg.CounterVec("citymap_live_token_closed_total",
			"Sockets closed because their token expired or was revoked or changed (reason expired or revoked).", "reason"),
	}
}

// admit reserves a socket for the principal's token or answers the refusal:
// 429 over the token's cap, 503 over the instance's.
func (h *Hub) admit(w http.ResponseWriter, r *http.Request, who *auth.Principal) (release func(), ok bool) {
	g := h.guard
	g.mu.Lock()
	var refusal *respond.Error
	switch {
	case g.total >= 0 && g.n >= g.total:
		g.refused.With("total").Inc()
		refusal = respond.Errorf(http.StatusServiceUnavailable, "live_full",
			fmt.Sprintf("this instance serves the most /live sockets it allows (%d): retry later", g.total))
	case g.perToken >= 0 && g.byToken[who.TokenID] >= g.perToken:
		g.refused.With("token").Inc()
		refusal = respond.Errorf(http.StatusTooManyRequests, "too_many_streams",
			fmt.Sprintf("this token holds the most /live sockets it may (%d): close one, or retry later", g.perToken))
	default:
		g.n++
		g.byToken[who.TokenID]++
	}
	g.mu.Unlock()
	if refusal != nil {
		w.Header().Set("Retry-After", retryAfter)
		respond.Fail(w, r, refusal)
		return nil, false
	}
	return func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.n--
		if g.byToken[who.TokenID]--; g.byToken[who.TokenID] <= 0 {
			delete(g.byToken, who.TokenID)
		}
	}, true
}

// changes is where the count of token changes stands; take it before the
// request's token is resolved, for guardSession.
func (g *guard) changed() uint64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.changes
}

// guardSession puts c in the guard's care, which closes it when its token
// expires or is revoked; end takes it out once the session is over. changes is
// what changed() said before c's token was resolved: a token change since then
// may have been checked before c was here to be checked, so c is checked now.
func (h *Hub) guardSession(c *client, changes uint64) (end func()) {
	h.guard.mu.Lock()
	h.guard.sessions[c] = false
	missed := h.guard.changes != changes
	h.guard.mu.Unlock()
	if missed {
		go h.recheck(map[int64][]*client{c.who.TokenID: {c}})
	}
	var t *time.Timer
	if exp := c.who.Expires; !exp.IsZero() {
		t = time.AfterFunc(time.Until(exp), func() { h.kick(c, "expired") })
	}
	return func() {
		if t != nil {
			t.Stop()
		}
		h.guard.mu.Lock()
		delete(h.guard.sessions, c)
		h.guard.mu.Unlock()
	}
}

// Revalidate checks the sockets of the tokens that changed against the database
// and closes those whose token no longer grants them. It returns at once; the
// checks run in the background, again after a second when the database fails.
func (h *Hub) Revalidate(ch auth.Change) {
	byToken := map[int64][]*client{}
	h.guard.mu.Lock()
	h.guard.changes++
	for c := range h.guard.sessions {
		if ch.All || c.who.TokenID == ch.ID {
			byToken[c.who.TokenID] = append(byToken[c.who.TokenID], c)
		}
	}
	h.guard.mu.Unlock()
	if len(byToken) > 0 {
		go h.recheck(byToken)
	}
}

// recheck checks the tokens of these sockets until the database could tell
// about every one.
func (h *Hub) recheck(byToken map[int64][]*client) {
	for len(byToken) > 0 && h.ctx.Err() == nil {
		if byToken = h.checkTokens(byToken); len(byToken) > 0 {
			h.pause(h.ctx, time.Second)
		}
	}
}

// checkTokens closes the sockets whose token is gone or changed, returning the
// tokens the database could not tell about.
func (h *Hub) checkTokens(byToken map[int64][]*client) (failed map[int64][]*client) {
	failed = map[int64][]*client{}
	for id, cs := range byToken {
		ctx, cancel := context.WithTimeout(h.ctx, queryTimeout)
		cur, err := h.auth.Current(ctx, id)
		cancel()
		if err != nil && !errors.Is(err, store.ErrNoToken) {
			if h.ctx.Err() == nil {
				h.logger().Warn("live: checking a token again", "token", id, "err", err)
			}
			failed[id] = cs
			continue
		}
		for _, c := range cs {
			if err != nil || !cur.Same(c.who) {
				h.kick(c, "revoked")
			}
		}
	}
	return failed
}

// kick closes c with CloseUnauthorized, once, if it is still in session. The close frame goes out beside
// the session's writes (gorilla allows WriteControl from any goroutine); any
// write of the session after it fails, which ends the session, and the socket
// is closed once the client answers or after closeGrace.
func (h *Hub) kick(c *client, reason string) {
	h.guard.mu.Lock()
	closing, in := h.guard.sessions[c]
	if in {
		h.guard.sessions[c] = true
	}
	h.guard.mu.Unlock()
	if !in || closing {
		return
	}
	h.guard.closed.With(reason).Inc()
	go func() {
		msg := websocket.FormatCloseMessage(CloseUnauthorized, `{"type":"`+reason+`"}`)
		if err := c.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(h.cfg.WriteTimeout)); err == nil {
			t := time.NewTimer(closeGrace)
			defer t.Stop()
			select {
			case <-c.readerDone:
			case <-c.writerDone:
			case <-t.C:
			}
		}
		_ = c.conn.Close()
	}()
}
