package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Bulletins (通报): a period's figures as assembled when it was prepared or
// frozen, stored as JSON and never recomputed.

// Errors of bulletin operations.
var (
	ErrBulletinNotFound = errors.New("no such bulletin")
	// ErrBulletinFrozen says the period already has a published bulletin.
	ErrBulletinFrozen = errors.New("the period's bulletin is already frozen")
)

// Bulletin statuses.
const (
	BulletinDraft     = "draft"
	BulletinPublished = "published"
)

// Bulletin is a stored bulletin. Figures is empty in lists.
type Bulletin struct {
	ID          int64           `json:"id"`
	Kind        string          `json:"period"`
	From        time.Time       `json:"from"`
	To          time.Time       `json:"to"`
	Year        int             `json:"year"`
	Number      *int            `json:"number"`
	Status      string          `json:"status"`
	Title       string          `json:"title"`
	Notes       string          `json:"notes"`
	Figures     json.RawMessage `json:"figures,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	CreatedBy   string          `json:"created_by"`
	PublishedAt *time.Time      `json:"published_at"`
	PublishedBy *string         `json:"published_by"`
}

const bulletinColumns = `id, kind, period_from, period_to, year, number, status, title, notes, %s,
	created_at, created_by, published_at, published_by`

func scanBulletin(row pgx.Row) (Bulletin, error) {
	var b Bulletin
	var figures []byte
	err := row.Scan(&b.ID, &b.Kind, &b.From, &b.To, &b.Year, &b.Number, &b.Status, &b.Title, &b.Notes,
		&figures, &b.CreatedAt, &b.CreatedBy, &b.PublishedAt, &b.PublishedBy)
	if errors.Is(err, pgx.ErrNoRows) {
		return b, ErrBulletinNotFound
	}
	if len(figures) > 0 {
		b.Figures = figures
	}
	return b, err
}

// PrepareBulletin stores b as the draft of its period unless the period has
// a bulletin already (prepared by another instance, or frozen); created says
// whether this call stored it.
func (s *Store) PrepareBulletin(ctx context.Context, b Bulletin) (id int64, created bool, err error) {
	err = s.Pool.QueryRow(ctx, `INSERT INTO bulletins (kind, period_from, period_to, year, status, title, notes,
			figures, created_at, created_by)
		VALUES ($1, $2, $3, $4, 'draft', $5, $6, $7, $8, $9)
		ON CONFLICT (kind, period_from) DO NOTHING RETURNING id`,
		b.Kind, b.From, b.To, b.Year, b.Title, b.Notes, []byte(b.Figures), b.CreatedAt, b.CreatedBy).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}

// HasBulletin reports whether the period (kind, from) has a bulletin, draft
// or frozen.
func (s *Store) HasBulletin(ctx context.Context, kind string, from time.Time) (bool, error) {
	var ok bool
	err := s.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM bulletins WHERE kind = $1 AND period_from = $2)`,
		kind, from).Scan(&ok)
	return ok, err
}

// PublishBulletin freezes b as its period's numbered issue: the next number
// of its kind and year, replacing the period's draft if there is one. A
// period already frozen is ErrBulletinFrozen and nothing is written. The
// numbers of a kind and year are drawn under an advisory lock, so two
// freezes at once never draw the same one. A Number given is kept (the demo
// city numbers its past issues as a city that started the year would have).
func (s *Store) PublishBulletin(ctx context.Context, b Bulletin) (Bulletin, error) {
	var out Bulletin
	err := s.InTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('citymap.bulletins:' || $1::text), $2::int)`,
			b.Kind, b.Year); err != nil {
			return err
		}
		var status string
		err := tx.QueryRow(ctx, `SELECT status FROM bulletins WHERE kind = $1 AND period_from = $2 FOR UPDATE`,
			b.Kind, b.From).Scan(&status)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
		case err != nil:
			return err
		case status == BulletinPublished:
			return ErrBulletinFrozen
		}
		row := tx.QueryRow(ctx, fmt.Sprintf(`WITH n AS (SELECT coalesce(max(number), 0) + 1 AS number
				FROM bulletins WHERE kind = $1 AND year = $4)
			INSERT INTO bulletins (kind, period_from, period_to, year, number, status, title, notes, figures,
				created_at, created_by, published_at, published_by)
			SELECT $1, $2, $3, $4, coalesce($10, n.number), 'published', $5, $6, $7, $8, $9, $8, $9 FROM n
			ON CONFLICT (kind, period_from) DO UPDATE SET number = EXCLUDED.number, status = 'published',
				title = EXCLUDED.title, notes = EXCLUDED.notes, figures = EXCLUDED.figures, pdf = NULL,
				published_at = EXCLUDED.published_at, published_by = EXCLUDED.published_by
			RETURNING `+bulletinColumns, "figures"),
			b.Kind, b.From, b.To, b.Year, b.Title, b.Notes, []byte(b.Figures), b.CreatedAt, b.CreatedBy, b.Number)
		out, err = scanBulletin(row)
		return err
	})
	return out, err
}

// BulletinFilter selects the bulletins of a list.
type BulletinFilter struct {
	Kind   string // "" any
	Drafts bool   // drafts too
}

// Bulletins lists bulletins without their figures, the latest period first.
func (s *Store) Bulletins(ctx context.Context, f BulletinFilter) ([]Bulletin, error) {
	rows, err := s.Pool.Query(ctx, fmt.Sprintf(`SELECT `+bulletinColumns+` FROM bulletins
		WHERE ($1 = '' OR kind = $1) AND ($2 OR status = 'published')
		ORDER BY period_from DESC, kind LIMIT 500`, "NULL::bytea"), f.Kind, f.Drafts)
	if err != nil {
		return nil, err
	}
	out := []Bulletin{}
	for rows.Next() {
		b, err := scanBulletin(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// BulletinByID is one bulletin with its figures.
func (s *Store) BulletinByID(ctx context.Context, id int64) (Bulletin, error) {
	return scanBulletin(s.Pool.QueryRow(ctx, fmt.Sprintf(`SELECT `+bulletinColumns+` FROM bulletins WHERE id = $1`,
		"figures"), id))
}

// BulletinPDF is a frozen bulletin's stored PDF (nil when not printed yet).
func (s *Store) BulletinPDF(ctx context.Context, id int64) ([]byte, error) {
	var pdf []byte
	err := s.Pool.QueryRow(ctx, `SELECT pdf FROM bulletins WHERE id = $1 AND status = 'published'`, id).Scan(&pdf)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return pdf, err
}

// KeepBulletinPDF stores a frozen bulletin's PDF once.
func (s *Store) KeepBulletinPDF(ctx context.Context, id int64, pdf []byte) error {
	_, err := s.Pool.Exec(ctx, `UPDATE bulletins SET pdf = $2 WHERE id = $1 AND status = 'published' AND pdf IS NULL`,
		id, pdf)
	return err
}

// MapArea is one area of a bulletin's map: its outline as an SVG path in
// Web Mercator metres (ST_AsSVG: y grows southward, as SVG's does).
type MapArea struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Path string `json:"path"`
	// X, Y is where its name goes (a point inside it, SVG's y)
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// AreaMap returns the outlines of the areas of a level, simplified to
// about tolerance metres, and their extent as an SVG viewBox.
func (s *Store) AreaMap(ctx context.Context, level string, tolerance float64) ([]MapArea, string, error) {
	rows, err := s.Pool.Query(ctx, `SELECT code, name, ST_AsSVG(ST_SimplifyPreserveTopology(g, $2), 0, 0),
			round(ST_X(ST_PointOnSurface(g))), round(-ST_Y(ST_PointOnSurface(g)))
		FROM (SELECT code, name, ST_Transform(geom, 3857) AS g FROM areas WHERE level = $1) a ORDER BY code`, level, tolerance)
	if err != nil {
		return nil, "", err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (MapArea, error) {
		var a MapArea
		return a, r.Scan(&a.Code, &a.Name, &a.Path, &a.X, &a.Y)
	})
	if err != nil {
		return nil, "", err
	}
	var box string
	err = s.Pool.QueryRow(ctx, `SELECT coalesce(format('%s %s %s %s', floor(ST_XMin(e)), floor(-ST_YMax(e)),
			ceil(ST_XMax(e) - ST_XMin(e)), ceil(ST_YMax(e) - ST_YMin(e))), '0 0 1 1')
		FROM (SELECT ST_Extent(ST_Transform(geom, 3857)) AS e FROM areas WHERE level = $1) x`, level).Scan(&box)
	return out, box, err
}

// PointCategoryNames maps the point categories' codes to their Chinese
// names, which a printed bulletin shows.
func (s *Store) PointCategoryNames(ctx context.Context) (map[string]string, error) {
	rows, err := s.Pool.Query(ctx, `SELECT code, name_zh FROM point_categories`)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	var code, name string
	_, err = pgx.ForEachRow(rows, []any{&code, &name}, func() error {
		out[code] = name
		return nil
	})
	return out, err
}
