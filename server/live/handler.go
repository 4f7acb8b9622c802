package live

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/gorilla/websocket"

	"citymap/server/access"
	"citymap/server/respond"
)

// ServeHTTP upgrades GET /live to a websocket for any token but a reporter's; the
// token comes in the Authorization header or, from browsers, which cannot set
// headers on websockets, as access_token. The caps on sockets are checked before
// the upgrade (guard.go).
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	changes := h.guard.changed()
	who, ok := h.auth.Authenticate(w, r)
	switch {
	case !ok:
		return
	case who.Is(access.Reporter):
		respond.Fail(w, r, respond.ErrForbidden)
		return
	case !websocket.IsWebSocketUpgrade(r):
		respond.Fail(w, r, respond.Errorf(http.StatusUpgradeRequired, "websocket_required",
			"/live is a websocket: connect with a websocket client"))
		return
	}
	release, ok := h.admit(w, r, who)
	if !ok {
		return
	}
	defer release()
	// under the websocket, a stallConn keeps a stream whole when a write times out
	conn, err := h.upgrader.Upgrade(stallWriter{w}, r, nil)
	if err != nil {
		return // the upgrader has answered
	}
	c := newClient(h, conn, who)
	if !h.add(c) {
		_ = conn.WriteMessage(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, closeReason("shutdown", 0)))
		_ = conn.Close()
		return
	}
	defer h.guardSession(c, changes)()
	go c.read()
	c.run()
}

// checkOrigin admits clients without an Origin (not browsers), pages served by
// this host (the walls are) and the configured origins ("*" admits any).
func (h *Hub) checkOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || slices.Contains(h.cfg.AllowedOrigins, "*") {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return slices.ContainsFunc(h.cfg.AllowedOrigins, func(o string) bool {
		return strings.EqualFold(strings.TrimSuffix(o, "/"), origin) || strings.EqualFold(o, u.Host)
	})
}

// upgradeError answers a failed upgrade in the JSON error shape.
func upgradeError(w http.ResponseWriter, r *http.Request, status int, reason error) {
	code := "bad_websocket_request"
	if status == http.StatusForbidden {
		code = "origin_not_allowed"
	}
	respond.Fail(w, r, respond.Errorf(status, code, reason.Error()))
}
