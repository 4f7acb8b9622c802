// Package documents keeps uploaded evidence files (PDF, Word and Excel
// documents, images) on disk, named by the SHA-256 of their bytes like photos.
// The type is sniffed from the content, never taken from the client: an Office
// file is a zip archive, told apart by the parts it holds, and anything else
// (HTML, scripts, executables, other archives) is refused.
package documents

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
)

// MaxSize is the largest document accepted: a scanned ledger of some dozens of
// pages.
const MaxSize = 20 << 20

// The content types a document may have.
const (
	PDF  = "application/pdf"
	DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
)

// Types maps the accepted content types to the extensions they are stored
// and downloaded with.
var Types = map[string]string{
	PDF: ".pdf", DOCX: ".docx", XLSX: ".xlsx",
	"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
}

// Errors of Save.
var (
	ErrTooLarge    = fmt.Errorf("a document may have at most %d bytes", MaxSize)
	ErrUnsupported = errors.New("a document must be a PDF, a Word (.docx) or Excel (.xlsx) file, or a JPEG, PNG or WebP image")
	ErrEmpty       = errors.New("the document is empty")
)

// Dir stores documents under root/<id[:2]>/<id><ext>.
type Dir struct{ root string }

// NewDir returns the document store under dataDir/documents.
func NewDir(dataDir string) *Dir { return &Dir{root: filepath.Join(dataDir, "documents")} }

// Saved describes a stored document.
type Saved struct {
	ID          string
	ContentType string
	Size        int64
}

// Save reads a document from r, checks its size and type and stores it; a
// failed upload leaves nothing behind.
func (d *Dir) Save(r io.Reader) (Saved, error) {
	tmpDir := filepath.Join(d.root, "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return Saved{}, err
	}
	tmp, err := os.CreateTemp(tmpDir, "upload-*")
	if err != nil {
		return Saved{}, err
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, MaxSize+1))
	switch {
	case err != nil:
		return Saved{}, err
	case n == 0:
		return Saved{}, ErrEmpty
	case n > MaxSize:
		return Saved{}, ErrTooLarge
	}
	ct, err := sniff(tmp, n)
	if err != nil {
		return Saved{}, err
	}
	if err := tmp.Close(); err != nil {
		return Saved{}, err
	}
	s := Saved{ID: hex.EncodeToString(h.Sum(nil)), ContentType: ct, Size: n}
	final := d.Path(s.ID, s.ContentType)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return Saved{}, err
	}
	return s, os.Rename(tmp.Name(), final)
}

// sniff finds the type of the n bytes in f.
func sniff(f *os.File, n int64) (string, error) {
	head := make([]byte, 512)
	k, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	ct := http.DetectContentType(head[:k])
	switch ct {
	case PDF, "image/jpeg", "image/png", "image/webp":
		return ct, nil
	case "application/zip":
		return office(f, n)
	}
	return "", ErrUnsupported
}

// office tells a Word document from an Excel workbook by their main parts; a
// zip that is neither is refused.
func office(f *os.File, n int64) (string, error) {
	z, err := zip.NewReader(f, n)
	if err != nil {
		return "", ErrUnsupported
	}
	var types bool
	kind := ""
	for _, e := range z.File {
		switch e.Name {
		case "[Content_Types].xml":
			types = true
		case "word/document.xml":
			kind = DOCX
		case "xl/workbook.xml":
			kind = XLSX
		}
	}
	if !types || kind == "" {
		return "", ErrUnsupported
	}
	return kind, nil
}

// Path is where the document with this id and content type is stored.
func (d *Dir) Path(id, contentType string) string {
	return filepath.Join(d.root, id[:2], id+Types[contentType])
}
