package browsertest

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"citymap/server/apitest"
	"citymap/server/democity"
	"citymap/server/store"
)

// TestDeclarationsBrowser walks a declaration through its review in headless
// Chromium (webmap/test/declarations.mjs): on /tasks the unit attaches a PDF,
// a PNG and a Word file with captions and submits, its leader approves, on /review the
// 创建办 sees the PDF and the PNG inline (the PDF drawn on a canvas) and may
// download the Word file, returns it with a
// comment, the unit sees the comment (live) and resubmits, the leader
// approves, the 创建办 accepts, and the completeness figure of the unit's
// accepted declarations on /review goes up by one. A caption and a comment
// of markup show as text.
func TestDeclarationsBrowser(t *testing.T) {
	node, chromium := needBrowser(t)
	e := apitest.New(t)
	decl, other, period := declarations(e)
	files := t.TempDir()
	pdf, pngFile := filepath.Join(files, "整改台账.pdf"), filepath.Join(files, "现场照片.png")
	writeFile(t, pdf, testPDF())
	writeFile(t, pngFile, testPNG(t))
	docx := filepath.Join(files, "工作方案.docx")
	writeFile(t, docx, testDOCX(t))
	tokens, _ := json.Marshal(map[string]string{
		"unit": e.Tokens["unit"], "reviewer": e.Tokens["reviewer"], "admin": e.Tokens["admin"],
		"unit_leader": e.TokenFor(store.Token{Name: "浏览器测试分管领导", Role: "unit_leader", Unit: e.Unit}),
	})
	var res result
	out, took := runScript(t, node, chromium, "test/declarations.mjs", 4*time.Minute, &res,
		"CITYMAP_E2E_URL="+e.URL,
		"CITYMAP_E2E_TOKENS="+string(tokens),
		"CITYMAP_E2E_DECLARATION="+strconv.FormatInt(decl, 10),
		"CITYMAP_E2E_OTHER_DECLARATION="+strconv.FormatInt(other, 10),
		"CITYMAP_E2E_UNIT="+e.Unit,
		"CITYMAP_E2E_PERIOD_DATE="+period,
		"CITYMAP_E2E_PDF="+pdf,
		"CITYMAP_E2E_PNG="+pngFile,
		"CITYMAP_E2E_DOCX="+docx,
	)
	if len(res.Checks) == 0 {
		t.Fatalf("declarations.mjs checked nothing\n%s", out)
	}
	t.Logf("checks: %v", res.Checks)
	t.Logf("browser run %v", took)
}

// declarations opens a declaration of the test unit for a month long past
// (2001-01, which no demo declaration covers, so that the month's
// completeness figures are the test's own), due five days from now: inside
// the 7-day reminder on any day; and one of another unit (zjj) for the same
// month, which the test unit must not see. It returns their ids and a date
// of their month.
func declarations(e *apitest.Env) (mine, other int64, date string) {
	e.T.Helper()
	var indicator string
	e.Scan(`SELECT min(code) FROM indicators i WHERE kind = 'declaration'
		AND NOT EXISTS (SELECT 1 FROM indicators c WHERE c.parent_code = i.code)`, nil, &indicator)
	open := func(unit string) int64 {
		id := e.Int(`INSERT INTO declarations (indicator_code, unit, period, period_start, period_end, due_at)
			VALUES ($1, $2, '2001-01', '2001-01-01', '2001-01-31', now() + interval '5 days') RETURNING id`, indicator, unit)
		e.Exec(`UPDATE declarations d SET reminder = declaration_reminder(d, now()) WHERE id = $1`, id)
		e.Exec(`INSERT INTO declaration_events (declaration_id, action, to_status, actor, note)
			VALUES ($1, 'open', 'draft', 'browsertest', '浏览器测试：生成申报')`, id)
		return id
	}
	return open(e.Unit), open("zjj"), "2001-01-15"
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// testPDF is a one-page PDF (A5) with a filled rectangle and a line of text.
func testPDF() []byte {
	return democity.OnePagePDF(420, 595, "0.1 0.4 0.8 rg 40 300 340 200 re f BT /F1 24 Tf 60 250 Td (citymap declaration) Tj ET")
}

// testPNG is a 64×48 image, green with a red band.
func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := 0; y < 48; y++ {
		for x := 0; x < 64; x++ {
			c := color.RGBA{0x16, 0xa3, 0x4a, 0xff}
			if y >= 20 && y < 28 {
				c = color.RGBA{0xdc, 0x26, 0x26, 0xff}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// testDOCX is the smallest zip the document sniffer takes for a Word file.
func testDOCX(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for name, body := range map[string]string{
		"[Content_Types].xml": `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`,
		"word/document.xml":   `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"/>`,
	} {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
