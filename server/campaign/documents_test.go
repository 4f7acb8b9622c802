package campaign_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"citymap/server/access"
	"citymap/server/documents"
)

// zipOf builds a zip archive of the named parts.
func zipOf(t *testing.T, names ...string) []byte {
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for _, n := range names {
		w, err := z.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write([]byte("<x/>"))
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func xlsx(t *testing.T) []byte {
	f := excelize.NewFile()
	_ = f.SetCellValue("Sheet1", "A1", "台账")
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDocumentUploadAndServe(t *testing.T) {
	e := newEnv(t)
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde")
	cases := []struct {
		name, file string
		data       []byte
		ctype      string
	}{
		{"pdf", "整改报告.pdf", pdf, documents.PDF},
		{"docx", "方案.docx", zipOf(t, "[Content_Types].xml", "word/document.xml"), documents.DOCX},
		{"xlsx", "台账.xlsx", xlsx(t), documents.XLSX},
		{"png", "现场.png", png, "image/png"},
	}
	for _, c := range cases {
		r := e.upload(access.Unit, "file", c.file, c.data)
		if r.Status != http.StatusCreated {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
			continue
		}
		got := r.JSON(t)
		sum := sha256.Sum256(c.data)
		id := hex.EncodeToString(sum[:])
		if got["id"] != id || got["content_type"] != c.ctype || got["filename"] != c.file {
			t.Errorf("%s: %v", c.name, got)
		}
		res := e.Get("/api/v1/documents/"+id, access.Unit)
		want := "attachment"
		if strings.HasPrefix(c.ctype, "image/") {
			want = "inline"
		}
		h := res.Header
		if h.Get("Content-Type") != c.ctype || h.Get("X-Content-Type-Options") != "nosniff" ||
			!strings.HasPrefix(h.Get("Content-Disposition"), want) || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") ||
			!bytes.Equal(res.Body, c.data) {
			t.Errorf("%s served as %v", c.name, h)
		}
	}
	// another unit does not get this unit's files; the 创建办 does
	sum := sha256.Sum256(pdf)
	id := hex.EncodeToString(sum[:])
	e.Must(http.StatusNotFound, "GET", "/api/v1/documents/"+id, "other_unit", nil)
	e.Get("/api/v1/documents/"+id, access.Reviewer)
	e.Must(http.StatusForbidden, "POST", "/api/v1/documents", access.Reporter, nil)
}

// What is not a document the city accepts is refused naming the field, and
// nothing is recorded.
func TestDocumentRefused(t *testing.T) {
	e := newEnv(t)
	before := e.count()
	cases := []struct {
		name, field string
		data        []byte
		status      int
	}{
		{"html", "file", []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"), http.StatusUnsupportedMediaType},
		{"svg", "file", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), http.StatusUnsupportedMediaType},
		{"exe", "file", append([]byte("MZ\x90\x00"), make([]byte, 600)...), http.StatusUnsupportedMediaType},
		{"plain zip", "file", zipOf(t, "readme.txt"), http.StatusUnsupportedMediaType},
		{"office look-alike", "file", zipOf(t, "word/document.xml"), http.StatusUnsupportedMediaType},
		{"empty", "file", nil, http.StatusBadRequest},
		{"too large", "file", append(append([]byte{}, pdf...), make([]byte, documents.MaxSize)...), http.StatusRequestEntityTooLarge},
		{"wrong field", "photo", pdf, http.StatusBadRequest},
	}
	for _, c := range cases {
		r := e.upload(access.Unit, c.field, "x.pdf", c.data)
		_, fields := r.ErrorOf(t)
		if r.Status != c.status || fields[c.field] == nil {
			t.Errorf("%s: %d %s, want %d naming %s", c.name, r.Status, r.Body, c.status, c.field)
		}
	}
	if r := e.Call("POST", "/api/v1/documents", access.Unit, map[string]any{"file": "x"}); r.Status != http.StatusUnsupportedMediaType {
		t.Errorf("JSON upload: %d", r.Status)
	}
	if after := e.count(); after.documents != before.documents {
		t.Errorf("refused uploads recorded %d documents", after.documents-before.documents)
	}
	e.Must(http.StatusNotFound, "GET", "/api/v1/documents/../../etc/passwd", access.Admin, nil)
}
