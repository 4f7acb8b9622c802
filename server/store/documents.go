package store

import (
	"context"
	"errors"
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

// DocumentByID returns the document with this id, or ErrDocumentNotFound.
// With unit set, only a document that unit uploaded or that is evidence on
// one of its tasks is found: a unit's staff read their own unit's files only.
func (s *Store) DocumentByID(ctx context.Context, id, unit string) (Document, error) {
	var d Document
	err := s.Pool.QueryRow(ctx, `SELECT id, content_type, size, filename, uploaded_by, coalesce(unit, ''), created_at
		FROM documents d WHERE id = $1 AND ($2 = '' OR d.unit = $2
			OR EXISTS (SELECT 1 FROM tasks t WHERE t.unit = $2 AND d.id = ANY(t.documents)))`, id, unit).
		Scan(&d.ID, &d.ContentType, &d.Size, &d.Filename, &d.UploadedBy, &d.Unit, &d.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return d, ErrDocumentNotFound
	}
	return d, err
}
