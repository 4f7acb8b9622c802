// Package surveys serves the questionnaires (问卷调查): their definitions
// for the 创建办, the public phone-sized page /s/{survey} where citizens
// answer without a login, the answers (one per respondent, by a keyed hash of
// a phone number or device key; limited per client address) and the results
// per question and per community as a report.
package surveys

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"citymap/invalid"
	"citymap/server/access"
	"citymap/server/auth"
	"citymap/server/limit"
	"citymap/server/respond"
	"citymap/server/routes"
	"citymap/server/store"
)

// Config tunes the public answers.
type Config struct {
	// Secret keys the respondents' hashes (CITYMAP_SURVEY_SECRET); empty
	// reads it from DataDir/survey.secret, generating that file once.
	Secret string
	// DataDir keeps the generated secret.
	DataDir string
	// PerMinute answers a minute per client address, in bursts of Burst;
	// 0 is DefaultPerMinute and DefaultBurst, negative is no limit.
	PerMinute float64
	Burst     int
	// ForwardedFor takes the client address from the last X-Forwarded-For
	// entry (set it behind a load balancer that appends one).
	ForwardedFor bool
}

// The default rate per address: generous, since a community's phones may
// share one carrier address, yet a script cannot post thousands.
const (
	DefaultPerMinute = 20
	DefaultBurst     = 20
)

// MaxBody is the largest answer body: 50 questions of 500 characters fit.
const MaxBody = 64 << 10

// API is the surveys of one instance.
type API struct {
	store   *store.Store
	auth    *auth.Authenticator
	secret  []byte
	limiter *limit.Keyed
	cfg     Config
	now     func() time.Time
}

// New returns the API over st; it fails when the secret cannot be read or made.
func New(st *store.Store, a *auth.Authenticator, cfg Config) (*API, error) {
	secret, err := loadSecret(cfg)
	if err != nil {
		return nil, err
	}
	per, burst := cfg.PerMinute, cfg.Burst
	if per == 0 {
		per, burst = DefaultPerMinute, DefaultBurst
	}
	return &API{store: st, auth: a, secret: secret, limiter: limit.NewKeyed(per, burst), cfg: cfg, now: time.Now}, nil
}

// SetClock makes the API judge opening times by now (nil keeps time.Now).
func (a *API) SetClock(now func() time.Time) {
	if now != nil {
		a.now = now
	}
}

// SecretFile is the name of the generated secret in the data directory.
const SecretFile = "survey.secret"

// LoadSecret resolves the secret of cfg as New would, so that citymap serve
// stops at once when it cannot be read or made.
func LoadSecret(cfg Config) (string, error) {
	b, err := loadSecret(cfg)
	return string(b), err
}

// EphemeralSecret is a random secret of this process only.
func EphemeralSecret() string {
	raw := make([]byte, 32)
	_, _ = rand.Read(raw)
	return hex.EncodeToString(raw)
}

// loadSecret is the configured secret, else the data directory's, made on
// first use (32 random bytes, hex, mode 0600). Every instance of a city must
// share it: set CITYMAP_SURVEY_SECRET when they do not share a data directory.
func loadSecret(cfg Config) ([]byte, error) {
	if s := strings.TrimSpace(cfg.Secret); s != "" {
		if len(s) < 16 {
			return nil, errors.New("CITYMAP_SURVEY_SECRET is shorter than 16 characters")
		}
		return []byte(s), nil
	}
	dir := cfg.DataDir
	if dir == "" {
		dir = "."
	}
	path := filepath.Join(dir, SecretFile)
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	s := hex.EncodeToString(raw)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) { // another instance made it first
		return loadSecret(cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("survey secret: %w", err)
	}
	defer f.Close()
	if _, err := f.WriteString(s + "\n"); err != nil {
		return nil, err
	}
	return []byte(s), nil
}

// Routes lists the routes and who may call them: the managers write the
// questionnaires, the readers of the units' work read them and their report,
// and anyone answers a published one.
func (a *API) Routes() []routes.Route {
	return []routes.Route{
		routes.For("POST /api/v1/surveys", a.create, limit.Light, access.Managers),
		routes.For("GET /api/v1/surveys", a.list, limit.Light, access.UnitReaders),
		routes.For("GET /api/v1/surveys/{id}", a.get, limit.Light, access.UnitReaders),
		routes.For("POST /api/v1/surveys/{id}/publish", a.publish, limit.Light, access.Managers),
		routes.For("GET /api/v1/reports/surveys", a.report, limit.Heavy, access.UnitReaders),
		routes.Open("POST /api/v1/surveys/{id}/responses", http.HandlerFunc(a.respond), limit.Light),
		routes.Open("GET /s/{survey}", http.HandlerFunc(a.page), limit.Light),
		routes.Open("POST /s/{survey}", http.HandlerFunc(a.pageSubmit), limit.Light),
	}
}

// key is the respondent's privacy-preserving key: an HMAC of the normalised
// phone number or of the page's device key, never the number itself.
func (a *API) key(kind, value string) []byte {
	m := hmac.New(sha256.New, a.secret)
	m.Write([]byte(kind + ":" + value))
	return m.Sum(nil)
}

// NormalizePhone reads a mainland mobile number (spaces, dashes and a +86
// or 0086 prefix allowed) as its 11 digits.
func NormalizePhone(s string) (string, bool) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '(' || r == ')' {
			return -1
		}
		return r
	}, s)
	for _, p := range []string{"+86", "0086"} {
		s = strings.TrimPrefix(s, p)
	}
	if len(s) == 13 && strings.HasPrefix(s, "86") {
		s = s[2:]
	}
	if len(s) != 11 || s[0] != '1' || s[1] < '3' {
		return "", false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return s, true
}

// clientAddr is the address the rate is counted by.
func (a *API) clientAddr(r *http.Request) string {
	if a.cfg.ForwardedFor {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			parts := strings.Split(xff[len(xff)-1], ",")
			if last := strings.TrimSpace(parts[len(parts)-1]); last != "" {
				return last
			}
		}
	}
	return limit.ClientAddr(r)
}

// fail answers the store's and the definitions' errors.
func fail(w http.ResponseWriter, r *http.Request, err error) {
	var fe *invalid.Error
	switch {
	case errors.As(err, &fe):
		e := respond.Invalid(fe)
		if strings.HasPrefix(fe.Field, "answers") || fe.Field == "respondent" || fe.Field == "community" || fe.Field == "location" {
			e.Status = http.StatusUnprocessableEntity
		}
		respond.Fail(w, r, e)
	case errors.Is(err, store.ErrSurveyNotFound):
		respond.Fail(w, r, respond.ErrNotFound)
	case errors.Is(err, store.ErrSurveyCodeTaken):
		e := respond.Field("code", "taken", "another survey has this code")
		e.Status = http.StatusConflict
		respond.Fail(w, r, e)
	case errors.Is(err, store.ErrAlreadyAnswered):
		respond.Fail(w, r, respond.Errorf(http.StatusConflict, "already_answered", "您已提交过本问卷 (this respondent has answered the survey already)"))
	default:
		respond.Fail(w, r, err)
	}
}

// pathID reads the {id} of the path.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, respond.Field("id", "invalid", "a survey id is a positive integer")
	}
	return id, nil
}
