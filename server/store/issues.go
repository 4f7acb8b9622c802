package store

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"citymap/geo/validate"
	"citymap/invalid"
	"citymap/server/access"
)

// IssueSources are the channels issues arrive through.
var IssueSources = []string{"hotline_12345", "hotline_12319", "grid_patrol", "inspection", "sensor",
	"citizen_app", "open311"}

// Limits of an issue's free-text fields, so that one report cannot bloat every
// feature, tile and stream frame it appears in.
const (
	MaxIssueDescription = 4000 // characters
	MaxIssueAddress     = 500
	MaxIssueExternalID  = 200
	MaxIssuePhotos      = 20
	MaxIssueNote        = 2000
)

// NewIssue is a report as it arrives through any channel: REST, hotline batches,
// Open311, inspections. Intake finds its grid, unit and deadline.
type NewIssue struct {
	Source string
	// ExternalID is the sender's own id; (Source, ExternalID) makes intake
	// idempotent, so a sender may retry without creating duplicates.
	ExternalID  string
	Category    string
	Description string
	Address     string
	// Location is WGS-84: convert GCJ-02 and BD-09 input before.
	Location orb.Point
	// Photos are ids of photos uploaded before (see RecordPhoto).
	Photos []string
	// Data is kept on the report event, e.g. Open311 attributes.
	Data map[string]any
	// Contact is the citizen's details for the call-back (Open311's email,
	// phone, …). It is kept apart, in issue_contacts, and shown only in the
	// issue's detail to a Viewer with Contacts; never on the report event.
	Contact map[string]string
}

// IssueActor is who acts on issues.
type IssueActor struct {
	// Actor names the actor in issue events, e.g. "dispatcher:alice".
	Actor string
	// Reporter is recorded on the issues the actor creates.
	Reporter string
	// Scope limits the actor to issues in these areas (codes of any level); empty
	// means the whole city. An issue outside every grid is in no scope.
	Scope []string
	// IsReporter marks a reporter token, which reads back only what Viewer
	// lets it; Source, when set, is the only source it may report under.
	IsReporter bool
	Source     string
	// Unit, for a unit's staff, limits what the actor reads back to what its
	// unit answers for (Viewer.Unit).
	Unit string
}

// covers reports whether the actor's scope includes an issue's grid code
// (nil when the issue lies outside every grid).
func (a IssueActor) covers(grid *string) bool { return access.Scope(a.Scope).CoversPtr(grid) }

// scope is the actor's scope as the parameter of access.SQL.
func (a IssueActor) scope() []string { return access.Scope(a.Scope).Patterns() }

// inScope is the condition that the area code in column col lies in scope
// (access.SQL), adding the scope's patterns as a parameter with arg.
func inScope(col string, scope []string, arg func(any) string) string {
	return access.SQL(col, arg(access.Scope(scope).Patterns()))
}

// Errors of issue operations.
var (
	ErrIssueNotFound   = errors.New("no such issue")
	ErrIssueOutOfScope = errors.New("the issue lies outside the caller's areas")
	ErrPhotoNotFound   = errors.New("no such photo")
	// ErrExternalIDTaken says a retried (source, external_id) names an issue
	// that another reporter reported: the caller may not read it.
	ErrExternalIDTaken = errors.New("another reporter's issue has this source and external_id")
	// ErrDuplicateOutOfScope says a merge names as duplicate_of an issue
	// outside the caller's areas.
	ErrDuplicateOutOfScope = errors.New("the issue merged into lies outside the caller's areas")
)

// CodeForeignSource is the code of the field error that refuses an issue under
// a source that is not the reporter token's.
const CodeForeignSource = "forbidden_source"

// checkSource refuses an issue under another source than the actor's own.
func (a IssueActor) checkSource(n *NewIssue) *invalid.Error {
	if a.Source == "" || n.Source == a.Source {
		return nil
	}
	return invalid.Field("source", CodeForeignSource, "this token reports for %s only", a.Source)
}

// IssueVersionError says the client's If-Match no longer matches the issue.
type IssueVersionError struct{ Current int }

func (e *IssueVersionError) Error() string {
	return fmt.Sprintf("the issue has changed: it is at version %d", e.Current)
}

var issuePhotoIDPattern = regexp.MustCompile(`^[0-9a-f]{64}$`)

// ValidPhotoID reports whether id has the form of a photo id (a hex SHA-256).
func ValidPhotoID(id string) bool { return issuePhotoIDPattern.MatchString(id) }

// Check verifies what can be verified without the database (the error is an
// *invalid.Error); intake calls it, and callers may call it first to answer
// early.
func (n *NewIssue) Check() error {
	if err := n.check(); err != nil {
		return err
	}
	return nil
}

func (n *NewIssue) check() *invalid.Error {
	if n.Source == "" {
		return invalid.Field("source", "required", "source is required")
	}
	if !slices.Contains(IssueSources, n.Source) {
		return invalid.Field("source", "invalid", "unknown source %q (one of %s)", n.Source, strings.Join(IssueSources, ", "))
	}
	if n.Category == "" {
		return invalid.Field("category", "required", "category is required")
	}
	if err := validate.Point(n.Location); err != nil {
		return invalid.Field("location", "out_of_range", "%s", err)
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"external_id", n.ExternalID, MaxIssueExternalID},
		{"category", n.Category, 100},
		{"description", n.Description, MaxIssueDescription},
		{"address", n.Address, MaxIssueAddress},
	} {
		if err := checkIssueText(f.name, f.value, f.max); err != nil {
			return err
		}
	}
	return checkIssuePhotoIDs(n.Photos)
}

// checkIssueText rejects text PostgreSQL cannot store (NUL) or that is too long.
func checkIssueText(field, v string, max int) *invalid.Error {
	if strings.ContainsRune(v, 0) {
		return invalid.Field(field, "invalid", "%s contains a NUL character", field)
	}
	if n := utf8.RuneCountInString(v); n > max {
		return invalid.Field(field, "too_long", "%s has %d characters, at most %d are allowed", field, n, max)
	}
	return nil
}

func checkIssuePhotoIDs(ids []string) *invalid.Error {
	if len(ids) > MaxIssuePhotos {
		return invalid.Field("photos", "too_many", "at most %d photos per issue", MaxIssuePhotos)
	}
	for i, id := range ids {
		if !ValidPhotoID(id) {
			return invalid.Field(fmt.Sprintf("photos[%d]", i), "invalid", "a photo id is the hex SHA-256 returned by the upload")
		}
	}
	return nil
}
