// Package photos keeps uploaded photos on disk, named by the SHA-256 of their
// bytes: the same photo uploaded twice is stored once, a name can never point to
// other content, and files can be served as immutable.
package photos

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
)

// MaxSize is the largest photo accepted: a full-resolution phone photo.
const MaxSize = 10 << 20

// Types maps the accepted content types, as sniffed from the bytes, to the file
// extensions they are stored with.
var Types = map[string]string{
	"image/jpeg": ".jpg",
	"image/png":  ".png",
	"image/webp": ".webp",
}

// Errors of Save.
var (
	ErrTooLarge    = fmt.Errorf("a photo may have at most %d bytes", MaxSize)
	ErrUnsupported = errors.New("a photo must be a JPEG, PNG or WebP image")
	ErrEmpty       = errors.New("the photo is empty")
)

// Dir stores photos under root/<id[:2]>/<id><ext>; the two-letter fan-out keeps
// directories small.
type Dir struct{ root string }

// NewDir returns the photo store under dataDir/photos.
func NewDir(dataDir string) *Dir { return &Dir{root: filepath.Join(dataDir, "photos")} }

// Saved describes a stored photo.
type Saved struct {
	ID          string
	ContentType string
	Size        int64
}

// Save reads a photo from r, checks its size and type and stores it. The bytes go
// to a temporary file first and are renamed into place, so a reader never sees a
// partial photo and a failed upload leaves nothing behind.
func (d *Dir) Save(r io.Reader) (Saved, error) {
	tmpDir := filepath.Join(d.root, "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return Saved{}, err
	}
	tmp, err := os.CreateTemp(tmpDir, "upload-*")
	if err != nil {
		return Saved{}, err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	s, err := copyChecked(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return Saved{}, err
	}
	final := d.Path(s.ID, s.ContentType)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return Saved{}, err
	}
	return s, os.Rename(tmp.Name(), final)
}

// copyChecked copies r to w, hashing it, sniffing its type from the first bytes
// and stopping as soon as it exceeds MaxSize.
func copyChecked(w io.Writer, r io.Reader) (Saved, error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Saved{}, err
	}
	head = head[:n]
	if n == 0 {
		return Saved{}, ErrEmpty
	}
	ct := http.DetectContentType(head)
	if _, ok := Types[ct]; !ok {
		return Saved{}, ErrUnsupported
	}
	h := sha256.New()
	mw := io.MultiWriter(w, h)
	if _, err := mw.Write(head); err != nil {
		return Saved{}, err
	}
	rest, err := io.Copy(mw, io.LimitReader(r, MaxSize-int64(n)+1))
	if err != nil {
		return Saved{}, err
	}
	size := int64(n) + rest
	if size > MaxSize {
		return Saved{}, ErrTooLarge
	}
	return Saved{ID: hex.EncodeToString(h.Sum(nil)), ContentType: ct, Size: size}, nil
}

// Path is where the photo with this id and content type is stored.
func (d *Dir) Path(id, contentType string) string {
	return filepath.Join(d.root, id[:2], id+Types[contentType])
}
