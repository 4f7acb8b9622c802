package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// NotifyChannel is the LISTEN channel on which each committed batch of changes
// announces its last sequence number.
const NotifyChannel = "citymap_changes"

// Layers of the changes feed, and how each builds its feature, names its
// object and places it ("" for o.geom).
var changeLayers = map[string]struct{ table, feature, key, geom string }{
	"issues":     {"issues", "issue_feature(o)", "o.id::text", ""},
	"points":     {"points", "point_feature(o)", "o.code", ""},
	"parking":    {"parking_zones", "parking_feature(o)", "o.code", ""},
	"areas":      {"areas", "area_feature(o)", "o.code", ""},
	"grids":      {"areas", "area_feature(o)", "o.code", ""},
	"tasks":      {"tasks", "task_feature(o)", "o.id::text", ""},
	"activities": {"activities", "activity_feature(o)", "o.id::text", ""},
	// declarations lie nowhere on the map
	"declarations": {"declarations", "declaration_feature(o)", "o.id::text", "NULL::geometry"},
}

// AppendUpserts records, inside tx, that the objects of layer with these ids were
// created or changed. Call it last in the transaction: it takes the feed's counter
// lock, which orders writers and is held until commit. It returns the last sequence
// number written (0 when ids is empty). A write that may move objects uses
// AppendUpsertsMoved instead.
func AppendUpserts(ctx context.Context, tx pgx.Tx, layer string, ids []int64) (int64, error) {
	return AppendUpsertsMoved(ctx, tx, layer, ids, nil)
}

// AppendUpsertsMoved is AppendUpserts for writes that may move objects: before
// maps an object's id to its geometry (EWKB) before the write, as
// PreviousGeoms reads it. Each change whose geometry differs records the old
// one too, so that tile caches invalidate where the object was and live
// clients watching only that place learn that it left. Objects missing from
// before are new or did not move.
func AppendUpsertsMoved(ctx context.Context, tx pgx.Tx, layer string, ids []int64, before map[int64][]byte) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	l, ok := changeLayers[layer]
	if !ok {
		return 0, fmt.Errorf("changes: unknown layer %q", layer)
	}
	olds := make([][]byte, len(ids))
	for i, id := range ids {
		olds[i] = before[id]
	}
	var last int64
	err := tx.QueryRow(ctx, `UPDATE change_counter SET seq = seq + $1 RETURNING seq`, len(ids)).Scan(&last)
	if err != nil {
		return 0, err
	}
	geom := l.geom
	if geom == "" {
		geom = "o.geom"
	}
	sql := fmt.Sprintf(`INSERT INTO changes (seq, layer, op, object_id, feature, geom, old_geom)
		SELECT $1 + u.ord, $2, 'upsert', %[1]s, %[2]s, %[4]s,
		       CASE WHEN NOT ST_OrderingEquals(p.geom, %[4]s) THEN p.geom END
		FROM unnest($3::bigint[], $4::bytea[]) WITH ORDINALITY AS u(id, old, ord)
		JOIN %[3]s o ON o.id = u.id
		CROSS JOIN LATERAL (SELECT ST_GeomFromEWKB(u.old) AS geom) p`, l.key, l.feature, l.table, geom)
	tag, err := tx.Exec(ctx, sql, last-int64(len(ids)), layer, ids, olds)
	if err != nil {
		return 0, err
	}
	if tag.RowsAffected() != int64(len(ids)) {
		return 0, fmt.Errorf("changes: %d of %d %s objects found", tag.RowsAffected(), len(ids), layer)
	}
	return last, notify(ctx, tx, last)
}

// PreviousGeoms reads, inside tx and before a write that may move them, the
// geometries of the objects of table (areas, points or parking_zones) with
// these codes, by id, for AppendUpsertsMoved. Codes not stored yet are absent.
func PreviousGeoms(ctx context.Context, tx pgx.Tx, table string, codes []string) (map[int64][]byte, error) {
	switch table {
	case "areas", "points", "parking_zones":
	default:
		return nil, fmt.Errorf("changes: no previous geometries of %q", table)
	}
	rows, err := tx.Query(ctx, `SELECT id, ST_AsEWKB(geom) FROM `+table+` WHERE code = ANY($1)`, codes)
	if err != nil {
		return nil, err
	}
	out := map[int64][]byte{}
	var id int64
	var geom []byte
	_, err = pgx.ForEachRow(rows, []any{&id, &geom}, func() error {
		out[id] = geom
		return nil
	})
	return out, err
}

// AppendDelete records, inside tx, that an object left the map. geom is its last
// geometry (EWKB), which tile caches need to invalidate.
func AppendDelete(ctx context.Context, tx pgx.Tx, layer, objectID string, geom []byte) (int64, error) {
	if _, ok := changeLayers[layer]; !ok {
		return 0, fmt.Errorf("changes: unknown layer %q", layer)
	}
	var last int64
	err := tx.QueryRow(ctx, `UPDATE change_counter SET seq = seq + 1 RETURNING seq`).Scan(&last)
	if err != nil {
		return 0, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO changes (seq, layer, op, object_id, old_geom)
		VALUES ($1, $2, 'delete', $3, $4)`, last, layer, objectID, geom)
	if err != nil {
		return 0, err
	}
	return last, notify(ctx, tx, last)
}

func notify(ctx context.Context, tx pgx.Tx, last int64) error {
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, NotifyChannel, fmt.Sprint(last))
	return err
}
