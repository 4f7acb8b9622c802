package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Photo is an uploaded photo; the file itself lives under the data directory.
type Photo struct {
	ID          string // hex SHA-256 of the bytes
	ContentType string
	Size        int64
	UploadedBy  string
	CreatedAt   time.Time
}

// RecordPhoto notes an uploaded photo whose file is in place, and who uploaded it.
func (s *Store) RecordPhoto(ctx context.Context, p Photo) (Photo, error) {
	out, err := s.RecordPhotos(ctx, []Photo{p}, nil)
	if err != nil {
		return p, err
	}
	return out[0], nil
}

// RecordPhotos notes uploaded photos in one transaction, calling place (which
// puts their files where they are served from; nil when they are there) just
// before it commits: a failure leaves no rows, and rows never point to files
// that are not there. Uploading the same bytes again keeps the first record:
// the id is the content, so nothing about the photo changed.
func (s *Store) RecordPhotos(ctx context.Context, ps []Photo, place func() error) ([]Photo, error) {
	out := make([]Photo, len(ps))
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		for i, p := range ps {
			var err error
			if out[i], err = recordPhoto(ctx, tx, p); err != nil {
				return err
			}
		}
		if place == nil {
			return nil
		}
		return place()
	})
	return out, err
}

func recordPhoto(ctx context.Context, tx pgx.Tx, p Photo) (Photo, error) {
	err := tx.QueryRow(ctx, `WITH ins AS (
			INSERT INTO photos (id, content_type, size, uploaded_by) VALUES ($1, $2, $3, $4)
			ON CONFLICT (id) DO NOTHING RETURNING id, content_type, size, uploaded_by, created_at),
		up AS (
			INSERT INTO photo_uploads (photo_id, uploaded_by) SELECT $1, $4
			WHERE EXISTS (SELECT 1 FROM ins) OR EXISTS (SELECT 1 FROM photos WHERE id = $1)
			ON CONFLICT DO NOTHING)
		SELECT * FROM ins
		UNION ALL
		SELECT id, content_type, size, uploaded_by, created_at FROM photos WHERE id = $1
		LIMIT 1`, p.ID, p.ContentType, p.Size, p.UploadedBy).
		Scan(&p.ID, &p.ContentType, &p.Size, &p.UploadedBy, &p.CreatedAt)
	return p, err
}

// PhotoFor returns the photo with this id if v may see it, else
// ErrPhotoNotFound: a photo is seen by whoever uploaded it and by those who
// may see a case, an inspection, a task or a declaration it belongs to. Every route that serves a
// photo's bytes asks here first.
func (s *Store) PhotoFor(ctx context.Context, id string, v Viewer) (Photo, error) {
	q := &issueQuery{}
	idArg := q.arg(id)
	var p Photo
	err := s.Pool.QueryRow(ctx, `SELECT id, content_type, size, uploaded_by, created_at
		FROM photos WHERE id = `+idArg+` AND `+v.photoSQL(idArg, q.arg), q.args...).
		Scan(&p.ID, &p.ContentType, &p.Size, &p.UploadedBy, &p.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, ErrPhotoNotFound
	}
	return p, err
}

// photoSQL is the condition that the viewer may see the photo whose id is the
// text expression id: one it uploaded, or one of a case, an inspection or a
// task or a declaration it may see. A viewer limited in nothing sees every photo.
func (v Viewer) photoSQL(id string, arg func(any) string) string {
	if !v.Reporter && len(v.Scope) == 0 && v.Unit == "" {
		return "true"
	}
	return fmt.Sprintf(`(EXISTS (SELECT 1 FROM photo_uploads u WHERE u.photo_id = %[1]s AND u.uploaded_by = %[2]s)
		OR EXISTS (SELECT 1 FROM issues i WHERE i.photos @> ARRAY[%[1]s]::text[] AND %[3]s)
		OR EXISTS (SELECT 1 FROM inspections n JOIN points pt ON pt.id = n.point_id
			WHERE n.photos @> ARRAY[%[1]s]::text[] AND %[4]s)
		OR EXISTS (SELECT 1 FROM tasks t WHERE t.photos @> ARRAY[%[1]s]::text[] AND %[5]s)
		OR EXISTS (SELECT 1 FROM declaration_materials m JOIN declarations dd ON dd.id = m.declaration_id
			WHERE m.photo_id = %[1]s AND %[6]s))`,
		id, arg(v.Actor), v.issueSQL("i", arg), v.inspectionSQL("pt", arg), v.taskSQL("t", arg), v.declarationSQL("dd", arg))
}
