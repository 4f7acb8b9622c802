package democity

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"citymap/server/documents"
	"citymap/server/store"
)

// The demo city's declarations (网上申报): every declaration indicator's lead
// unit owes one per period of the year up to Now (opened as `citymap serve`
// opens them), and the periods that have ended carry histories that end in
// every review state, with materials: the unit's statement, a ledger PDF and a
// chart PNG per declaration handed in, generated here and stored through the
// document store. Drawn from their own random stream.

// declRow is an opened declaration.
type declRow struct {
	id                      int64
	indicator, unit, period string
	start, periodEnd, dueAt time.Time
}

type declEvent struct {
	action, from, to, actor, note string
	at                            time.Time
}

// writeDeclarations opens the declarations owed at Now and plays their
// histories; it returns the number of declarations.
func (c *City) writeDeclarations(ctx context.Context, tx pgx.Tx, dataDir string) (int64, error) {
	now := c.Opt.Now
	if _, err := store.OpenDeclarationsTx(ctx, tx, now); err != nil {
		return 0, err
	}
	rows, err := tx.Query(ctx, `SELECT d.id, d.indicator_code, d.unit, d.period,
			d.period_start::timestamp AT TIME ZONE 'Asia/Shanghai', d.period_end, d.due_at
		FROM declarations d ORDER BY d.id`)
	if err != nil {
		return 0, err
	}
	var decls []declRow
	var d declRow
	_, err = pgx.ForEachRow(rows, []any{&d.id, &d.indicator, &d.unit, &d.period, &d.start, &d.periodEnd, &d.dueAt}, func() error {
		decls = append(decls, d)
		return nil
	})
	if err != nil {
		return 0, err
	}
	r := newRand(c.Opt.Seed, "declarations")
	docs := &demoDocs{dir: documents.NewDir(dataDir), place: dataDir != "", seen: map[string]bool{}}
	for _, d := range decls {
		if err := c.declarationHistory(ctx, tx, r, d, docs); err != nil {
			return 0, fmt.Errorf("declaration %s %s: %w", d.indicator, d.period, err)
		}
	}
	// each was opened when its period began
	_, err = tx.Exec(ctx, `UPDATE declaration_events e SET at = d.created_at FROM declarations d
		WHERE e.declaration_id = d.id AND e.action = 'open'`)
	return int64(len(decls)), err
}

// declarationHistory writes how far a declaration got by Now: its period's
// start opens it; after the period ends the unit hands it in (sometimes late,
// sometimes not at all), the leader approves or returns it, the 创建办 accepts
// or returns it.
func (c *City) declarationHistory(ctx context.Context, tx pgx.Tx, r *rand.Rand, d declRow, docs *demoDocs) error {
	now := c.Opt.Now
	staff := "unit:" + personName(r)
	leader := "unit_leader:" + personName(r) + "（分管领导）"
	ended := d.periodEnd.AddDate(0, 0, 1)
	status, version := "draft", 1
	var events []declEvent
	add := func(action, to, actor, note string, at time.Time) bool {
		if at.After(now) {
			return false
		}
		events = append(events, declEvent{action, status, to, actor, note, at})
		status = to
		return true
	}
	// materials while the unit prepares it: near the period's end
	prepared := ended.Add(-time.Duration(between(r, 24, 96)) * time.Hour)
	if chance(r, 0.1) || prepared.After(now) {
		return c.finishDeclaration(ctx, tx, d, status, version, events, nil)
	}
	var mats []demoMaterial
	mats = append(mats, demoMaterial{kind: "text", text: oneOf(r, declarationTexts), at: prepared, by: staff})
	due := d.dueAt.Sub(ended)
	// most hand in within the deadline, some after it
	submit := ended.Add(time.Duration(uniform(r, 0.1, 1.1) * float64(due))).Truncate(time.Minute)
	if submit.Before(prepared) {
		submit = prepared.Add(time.Hour)
	}
	if !submit.After(now) {
		pdfID, err := docs.store(ctx, tx, ledgerPDF(d), d.unit, staff, fmt.Sprintf("%s_%s_台账.pdf", d.indicator, d.period))
		if err != nil {
			return err
		}
		pngID, err := docs.store(ctx, tx, chartPNG(d), d.unit, staff, fmt.Sprintf("%s_%s_现场.png", d.indicator, d.period))
		if err != nil {
			return err
		}
		mats = append(mats, demoMaterial{kind: "document", doc: pdfID, caption: d.period + " 工作台账", at: prepared, by: staff},
			demoMaterial{kind: "document", doc: pngID, caption: "现场照片", at: prepared.Add(10 * time.Minute), by: staff})
	}
	for range mats {
		add("attach", status, staff, "", prepared)
	}
	if chance(r, 0.08) || !add("submit", "submitted", staff, "请审核", submit) {
		return c.finishDeclaration(ctx, tx, d, status, version+len(events), events, mats)
	}
	at := submit.Add(time.Duration(between(r, 4, 48)) * time.Hour)
	if chance(r, 0.12) {
		if !add("return", "returned", leader, oneOf(r, leaderReturns), at) {
			return c.finishDeclaration(ctx, tx, d, status, version+len(events), events, mats)
		}
		at = at.Add(time.Duration(between(r, 24, 96)) * time.Hour)
		if chance(r, 0.3) || !add("submit", "submitted", staff, "已按要求补充", at) {
			return c.finishDeclaration(ctx, tx, d, status, version+len(events), events, mats)
		}
		at = at.Add(time.Duration(between(r, 4, 24)) * time.Hour)
	}
	if chance(r, 0.06) || !add("approve", "unit_approved", leader, "同意上报", at) {
		return c.finishDeclaration(ctx, tx, d, status, version+len(events), events, mats)
	}
	at = at.Add(time.Duration(between(r, 24, 120)) * time.Hour)
	if chance(r, 0.18) {
		if !add("return", "returned", reviewerActor, oneOf(r, reviewerReturns), at) {
			return c.finishDeclaration(ctx, tx, d, status, version+len(events), events, mats)
		}
		at = at.Add(time.Duration(between(r, 24, 120)) * time.Hour)
		if chance(r, 0.35) || !add("submit", "submitted", staff, "已补充材料，请复审", at) {
			return c.finishDeclaration(ctx, tx, d, status, version+len(events), events, mats)
		}
		at = at.Add(time.Duration(between(r, 4, 24)) * time.Hour)
		if !add("approve", "unit_approved", leader, "同意上报", at) {
			return c.finishDeclaration(ctx, tx, d, status, version+len(events), events, mats)
		}
		at = at.Add(time.Duration(between(r, 24, 96)) * time.Hour)
	}
	if chance(r, 0.1) {
		return c.finishDeclaration(ctx, tx, d, status, version+len(events), events, mats) // with the 创建办
	}
	add("accept", "accepted", reviewerActor, oneOf(r, []string{"材料齐全，予以认定", "符合测评要求", ""}), at)
	return c.finishDeclaration(ctx, tx, d, status, version+len(events), events, mats)
}

var declarationTexts = []string{
	"本期按测评体系要求完成各项工作，附工作台账和现场照片。",
	"本期组织专项活动，覆盖全部街道，相关报道及活动记录见附件。",
	"已完成年度目标任务的阶段进度，数据统计截至本期末。",
	"本期工作按计划推进，存在的问题及整改措施见台账说明。",
}

var leaderReturns = []string{"台账缺少签字盖章，请补充", "数据与上期不一致，请核实后再报"}

var reviewerReturns = []string{"佐证材料不足，请补充现场照片", "材料与测评标准不符，请按标准重新整理", "缺少活动报道链接，请补充"}

// demoMaterial is a material of a declaration's history.
type demoMaterial struct {
	kind, text, doc, caption, by string
	at                           time.Time
}

// finishDeclaration writes the declaration's state, materials and events.
func (c *City) finishDeclaration(ctx context.Context, tx pgx.Tx, d declRow, status string, version int,
	events []declEvent, mats []demoMaterial) error {
	var submitted, approved, accepted *time.Time
	returns, returnedBy := 0, ""
	for _, e := range events {
		switch e.action {
		case "submit":
			submitted = &e.at
		case "approve":
			approved = &e.at
		case "accept":
			accepted = &e.at
		case "return":
			returns++
			returnedBy = "unit_leader"
			if e.from == "unit_approved" {
				returnedBy = "reviewer"
			}
		}
	}
	text := ""
	if len(mats) > 0 && submitted != nil {
		text = mats[0].text
	}
	last := d.start
	if len(events) > 0 {
		last = events[len(events)-1].at
	}
	_, err := tx.Exec(ctx, `UPDATE declarations d SET status = $2, version = $3, times_returned = $4,
			returned_by = nullif($5, ''), text = $6, submitted_at = $7, approved_at = $8, accepted_at = $9,
			created_at = $12, updated_at = $10, checked_at = $11
		WHERE id = $1`, d.id, status, version, returns, returnedBy, text, submitted, approved, accepted, last, c.Opt.Now, d.start)
	if err != nil {
		return err
	}
	matIDs := make([]int64, len(mats))
	for i, m := range mats {
		err := tx.QueryRow(ctx, `INSERT INTO declaration_materials (declaration_id, kind, text, document_id, caption,
				attached_by, attached_at) VALUES ($1, $2, $3, nullif($4, ''), $5, $6, $7) RETURNING id`,
			d.id, m.kind, m.text, m.doc, m.caption, m.by, m.at).Scan(&matIDs[i])
		if err != nil {
			return err
		}
	}
	attached := 0
	for _, e := range events {
		var material *int64
		if e.action == "attach" && attached < len(matIDs) {
			material = &matIDs[attached]
			attached++
		}
		_, err := tx.Exec(ctx, `INSERT INTO declaration_events (declaration_id, action, from_status, to_status, actor, note,
				material_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, d.id, e.action, e.from, e.to, e.actor, e.note, material, e.at)
		if err != nil {
			return err
		}
	}
	_, err = tx.Exec(ctx, `UPDATE declarations d SET reminder = declaration_reminder(d, $2) WHERE id = $1`, d.id, c.Opt.Now)
	return err
}

// demoDocs stores the generated documents through the document store (when
// the seed has a data directory) and records them.
type demoDocs struct {
	dir   *documents.Dir
	place bool
	seen  map[string]bool
}

func (s *demoDocs) store(ctx context.Context, tx pgx.Tx, data []byte, unit, by, filename string) (string, error) {
	st, err := s.dir.Stage(bytes.NewReader(data))
	if err != nil {
		return "", err
	}
	defer st.Discard()
	if s.seen[st.ID] {
		return st.ID, nil
	}
	s.seen[st.ID] = true
	if s.place {
		if err := st.Place(); err != nil {
			return "", err
		}
	}
	_, err = tx.Exec(ctx, `INSERT INTO documents (id, content_type, size, filename, uploaded_by, unit)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO NOTHING`, st.ID, st.ContentType, st.Size, filename, by, unit)
	return st.ID, err
}

// ledgerPDF is a one-page PDF naming the declaration (Helvetica: ASCII only).
func ledgerPDF(d declRow) []byte {
	lines := []string{"citymap demo city - declaration ledger", "indicator " + d.indicator, "period " + d.period,
		"unit " + d.unit, "due " + d.dueAt.In(local).Format(time.DateOnly)}
	var content strings.Builder
	content.WriteString("BT /F1 14 Tf 72 770 Td 22 TL\n")
	for _, l := range lines {
		l = strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(l)
		content.WriteString("(" + l + ") Tj T*\n")
	}
	content.WriteString("ET\n")
	return OnePagePDF(595, 842, content.String())
}

// OnePagePDF is a one-page PDF of the given size (points) drawing content, a
// PDF content stream whose font F1 is Helvetica, with its cross-reference
// table at the right offsets: the demo city's ledgers, and the browser tests'
// attachments.
func OnePagePDF(width, height int, content string) []byte {
	objects := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>", width, height),
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objects))
	for i, o := range objects {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objects)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objects)+1, xref)
	return b.Bytes()
}

// chartPNG is a small bar chart drawn from the declaration's names.
func chartPNG(d declRow) []byte {
	const w, h = 96, 64
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{245, 245, 240, 255})
		}
	}
	key := d.indicator + d.period + d.unit
	for i := 0; i < 8; i++ {
		bar := 8 + int(key[i%len(key)])*7%(h-12)
		for y := h - bar; y < h-2; y++ {
			for x := 4 + i*11; x < 12+i*11; x++ {
				img.Set(x, y, color.RGBA{uint8(40 + i*20), 110, 180, 255})
			}
		}
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img) // encoding to memory cannot fail
	return b.Bytes()
}
