// Package auth turns bearer tokens into principals: who is calling, in which role,
// over which areas. The roles and the scope's rules are package access's.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"time"

	"citymap/server/access"
)

// tokenPrefix marks citymap tokens so that leaked ones are easy to grep for.
const tokenPrefix = "cm_"

// NewToken returns a fresh random token and the hash to store.
func NewToken() (token string, hash []byte, err error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("random token: %w", err)
	}
	token = tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, Hash(token), nil
}

// Hash is what the database keeps of a token.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// Principal is the caller behind a valid token.
type Principal struct {
	TokenID int64
	Name    string
	Role    string
	// Areas limits the principal to these area codes and everything below them;
	// empty means the whole city.
	Areas access.Scope
	// Source is the issue source a reporter token reports for ("" for none).
	Source string
	// Unit is the unit code a unit or unit_leader token acts for ("" for
	// other roles).
	Unit string
	// Expires is when the token stops working; zero means never.
	Expires time.Time
}

// Same reports whether q grants what p does: the same token, role, areas, source,
// unit and expiry. A /live socket opened under p is closed when its token no longer does.
func (p *Principal) Same(q *Principal) bool {
	return p.TokenID == q.TokenID && p.Role == q.Role && slices.Equal(p.Areas, q.Areas) &&
		p.Source == q.Source && p.Unit == q.Unit && p.Expires.Equal(q.Expires)
}

// Is reports whether the principal has one of the roles.
func (p *Principal) Is(roles ...string) bool { return slices.Contains(roles, p.Role) }

// Covers reports whether the principal's area scope includes the area with this
// code.
func (p *Principal) Covers(code string) bool { return p.Areas.Covers(code) }

// Actor names the principal in issue events.
func (p *Principal) Actor() string { return p.Role + ":" + p.Name }

type ctxKey struct{}

// With returns ctx carrying p.
func With(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// From returns the principal in ctx, or nil.
func From(ctx context.Context) *Principal {
	p, _ := ctx.Value(ctxKey{}).(*Principal)
	return p
}
