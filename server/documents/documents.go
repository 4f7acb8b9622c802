// Package documents keeps uploaded evidence files (PDF, Word and Excel
// documents, images) on disk, named by the SHA-256 of their bytes like photos
// (see blobs). The type is sniffed from the content, never taken from the
// client: an Office file is a zip archive, told apart by the parts it holds,
// and anything else (HTML, scripts, executables, other archives) is refused.
package documents

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"net/http"

	"citymap/server/blobs"
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

// Dir stores documents under dataDir/documents/<id[:2]>/<id><ext>.
type Dir = blobs.Store

// Saved describes a stored document.
type Saved = blobs.Saved

// NewDir returns the document store under dataDir/documents.
func NewDir(dataDir string) *Dir {
	return blobs.New(dataDir, blobs.Kind{
		Dir: "documents", MaxSize: MaxSize, Types: Types,
		// the type is decided once the whole file is in: an Office file is told
		// apart only by the parts of its zip
		Sniff:       func(head []byte) (string, error) { return http.DetectContentType(head), nil },
		Confirm:     sniff,
		ErrTooLarge: ErrTooLarge, ErrUnsupported: ErrUnsupported, ErrEmpty: ErrEmpty,
	})
}

// sniff decides the type of the n bytes in f from the type found in their
// first bytes.
func sniff(f io.ReaderAt, n int64, ct string) (string, error) {
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
func office(f io.ReaderAt, n int64) (string, error) {
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
