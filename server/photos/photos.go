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

// Save reads a photo from r, checks its size and type and stores it (Stage,
// then Place).
func (d *Dir) Save(r io.Reader) (Saved, error) {
	st, err := d.Stage(r)
	if err != nil {
		return Saved{}, err
	}
	defer st.Discard()
	return st.Saved, st.Place()
}

// Staged is a photo read and checked but not yet in place: a request that
// takes several photos, or records them in the database, places them only once
// everything else has succeeded, and discards them otherwise, so that a refused
// request leaves nothing behind.
type Staged struct {
	Saved
	tmp   string
	final string
}

// Stage reads a photo from r into a temporary file, checking its size and
// type; a failure leaves nothing behind.
func (d *Dir) Stage(r io.Reader) (*Staged, error) {
	tmpDir := filepath.Join(d.root, "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(tmpDir, "upload-*")
	if err != nil {
		return nil, err
	}
	s, err := copyChecked(tmp, r)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return nil, err
	}
	return &Staged{Saved: s, tmp: tmp.Name(), final: d.Path(s.ID, s.ContentType)}, nil
}

// Place moves the photo to where it is served from. A reader never sees a
// partial photo: the file appears whole, by a rename.
func (s *Staged) Place() error {
	if err := os.MkdirAll(filepath.Dir(s.final), 0o755); err != nil {
		return err
	}
	if err := os.Rename(s.tmp, s.final); err != nil {
		return err
	}
	s.tmp = ""
	return nil
}

// Discard removes the temporary file of a photo not placed; after Place it
// does nothing.
func (s *Staged) Discard() {
	if s.tmp != "" {
		os.Remove(s.tmp)
		s.tmp = ""
	}
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
