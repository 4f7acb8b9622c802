package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrDocumentNotFound says no document has the id asked for.
var ErrDocumentNotFound = errors.New("no such document")

// Document is an uploaded evidence file; the file lives under the data
// directory.
type Document struct {
	ID          string
	ContentType string
	Size        int64
	Filename    string // as the uploader named it, for downloads
	UploadedBy  string
	Unit        string // the uploading unit token's unit, "" for others
	CreatedAt   time.Time
}

// RecordDocument notes an uploaded document; the same bytes uploaded again keep
// the first record.
func (s *Store) RecordDocument(ctx context.Context, d Document) (Document, error) {
	err := s.Pool.QueryRow(ctx, `WITH ins AS (
			INSERT INTO documents (id, content_type, size, filename, uploaded_by, unit)
			VALUES ($1, $2, $3, $4, $5, nullif($6, ''))
			ON CONFLICT (id) DO NOTHING
			RETURNING id, content_type, size, filename, uploaded_by, coalesce(unit, ''), created_at)
		SELECT * FROM ins
		UNION ALL
		SELECT id, content_type, size, filename, uploaded_by, coalesce(unit, ''), created_at FROM documents WHERE id = $1
		LIMIT 1`, d.ID, d.ContentType, d.Size, d.Filename, d.UploadedBy, d.Unit).
		Scan(&d.ID, &d.ContentType, &d.Size, &d.Filename, &d.UploadedBy, &d.Unit, &d.CreatedAt)
	return d, err
}

// DocumentByID returns the document with this id if v may see it, else
// ErrDocumentNotFound. Documents are evidence on tasks, so they follow their
// tasks as photos follow their cases: a document is seen by whoever uploaded
// it, by the staff of the unit that uploaded it, and by those who may see a
// task it is evidence on or a declaration it is (or was) a material of. A viewer limited in nothing sees every document.
func (s *Store) DocumentByID(ctx context.Context, id string, v Viewer) (Document, error) {
	q := &issueQuery{}
	idArg := q.arg(id)
	var d Document
	err := s.Pool.QueryRow(ctx, `SELECT id, content_type, size, filename, uploaded_by, coalesce(unit, ''), created_at
		FROM documents d WHERE id = `+idArg+` AND `+v.documentSQL("d", q.arg), q.args...).
		Scan(&d.ID, &d.ContentType, &d.Size, &d.Filename, &d.UploadedBy, &d.Unit, &d.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, ErrDocumentNotFound
	}
	return d, err
}

// documentSQL is the condition that the viewer may see the document of alias d.
func (v Viewer) documentSQL(d string, arg func(any) string) string {
	if !v.Reporter && len(v.Scope) == 0 && v.Unit == "" {
		return "true"
	}
	own := fmt.Sprintf("%s.uploaded_by = %s", d, arg(v.Actor))
	if v.Unit != "" {
		own += fmt.Sprintf(" OR %s.unit = %s", d, arg(v.Unit))
	}
	return fmt.Sprintf(`(%[1]s OR EXISTS (SELECT 1 FROM tasks t WHERE %[2]s.id = ANY(t.documents) AND %[3]s)
		OR EXISTS (SELECT 1 FROM declaration_materials m JOIN declarations dd ON dd.id = m.declaration_id
			WHERE m.document_id = %[2]s.id AND %[4]s))`,
		own, d, v.taskSQL("t", arg), v.declarationSQL("dd", arg))
}
