package store

import (
	"context"
	"errors"
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

// RecordPhoto notes an uploaded photo whose file is in place.
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
			ON CONFLICT (id) DO NOTHING RETURNING id, content_type, size, uploaded_by, created_at)
		SELECT * FROM ins
		UNION ALL
		SELECT id, content_type, size, uploaded_by, created_at FROM photos WHERE id = $1
		LIMIT 1`, p.ID, p.ContentType, p.Size, p.UploadedBy).
		Scan(&p.ID, &p.ContentType, &p.Size, &p.UploadedBy, &p.CreatedAt)
	return p, err
}

// PhotoByID returns the photo with this id, or ErrPhotoNotFound.
func (s *Store) PhotoByID(ctx context.Context, id string) (Photo, error) {
	var p Photo
	err := s.Pool.QueryRow(ctx, `SELECT id, content_type, size, uploaded_by, created_at
		FROM photos WHERE id = $1`, id).Scan(&p.ID, &p.ContentType, &p.Size, &p.UploadedBy, &p.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, ErrPhotoNotFound
	}
	return p, err
}
