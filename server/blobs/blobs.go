// Package blobs keeps uploaded files on disk, named by the SHA-256 of their
// bytes: the same file uploaded twice is stored once, a name can never point to
// other content, and files can be served as immutable. Photos and documents
// are kinds of blob that differ in where they live, how large they may be and
// which types they accept.
package blobs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
)

// headSize is how much http.DetectContentType looks at.
const headSize = 512

// Kind is what a store accepts.
type Kind struct {
	// Dir is the store's subdirectory of the data directory.
	Dir string
	// MaxSize is the largest file accepted, in bytes.
	MaxSize int64
	// Types maps the accepted content types to the extensions they are stored
	// with.
	Types map[string]string
	// Sniff finds the type from the first bytes (at most 512), before the rest
	// is read, so that it may refuse early with ErrUnsupported.
	Sniff func(head []byte) (string, error)
	// Confirm, if set, decides the type once the whole file, within MaxSize, is
	// staged: for types told apart only by their whole content (an Office file
	// is a zip archive). It gets what Sniff found.
	Confirm func(f io.ReaderAt, size int64, sniffed string) (string, error)
	// The errors of a file too large, of a type not accepted and of no bytes.
	ErrTooLarge, ErrUnsupported, ErrEmpty error
}

// Store stores files of one kind under root/<id[:2]>/<id><ext>; the two-letter
// fan-out keeps directories small.
type Store struct {
	kind Kind
	root string
}

// New returns the store of this kind under dataDir.
func New(dataDir string, k Kind) *Store {
	return &Store{kind: k, root: filepath.Join(dataDir, k.Dir)}
}

// Saved describes a stored file.
type Saved struct {
	ID          string
	ContentType string
	Size        int64
}

// Save reads a file from r, checks its size and type and stores it (Stage,
// then Place); a failure leaves nothing behind.
func (d *Store) Save(r io.Reader) (Saved, error) {
	st, err := d.Stage(r)
	if err != nil {
		return Saved{}, err
	}
	defer st.Discard()
	return st.Saved, st.Place()
}

// Staged is a file read and checked but not yet in place: a request that
// takes several files, or records them in the database, places them only once
// everything else has succeeded, and discards them otherwise, so that a refused
// request leaves nothing behind.
type Staged struct {
	Saved
	tmp   string
	final string
}

// Stage reads a file from r into a temporary file, checking its size and
// type; a failure leaves nothing behind.
func (d *Store) Stage(r io.Reader) (*Staged, error) {
	tmpDir := filepath.Join(d.root, "tmp")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(tmpDir, "upload-*")
	if err != nil {
		return nil, err
	}
	s, err := d.copyChecked(tmp, r)
	if err == nil && d.kind.Confirm != nil {
		s.ContentType, err = d.kind.Confirm(tmp, s.Size, s.ContentType)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return nil, err
	}
	return &Staged{Saved: s, tmp: tmp.Name(), final: d.Path(s.ID, s.ContentType)}, nil
}

// Place moves the file to where it is served from. A reader never sees a
// partial file: it appears whole, by a rename.
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

// Discard removes the temporary file of a file not placed; after Place it
// does nothing.
func (s *Staged) Discard() {
	if s.tmp != "" {
		os.Remove(s.tmp)
		s.tmp = ""
	}
}

// copyChecked copies r to w, hashing it, sniffing its type from the first bytes
// and stopping as soon as it exceeds MaxSize.
func (d *Store) copyChecked(w io.Writer, r io.Reader) (Saved, error) {
	head := make([]byte, headSize)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Saved{}, err
	}
	head = head[:n]
	if n == 0 {
		return Saved{}, d.kind.ErrEmpty
	}
	ct, err := d.kind.Sniff(head)
	if err != nil {
		return Saved{}, err
	}
	h := sha256.New()
	mw := io.MultiWriter(w, h)
	if _, err := mw.Write(head); err != nil {
		return Saved{}, err
	}
	rest, err := io.Copy(mw, io.LimitReader(r, d.kind.MaxSize-int64(n)+1))
	if err != nil {
		return Saved{}, err
	}
	size := int64(n) + rest
	if size > d.kind.MaxSize {
		return Saved{}, d.kind.ErrTooLarge
	}
	return Saved{ID: hex.EncodeToString(h.Sum(nil)), ContentType: ct, Size: size}, nil
}

// Path is where the file with this id and content type is stored.
func (d *Store) Path(id, contentType string) string {
	return filepath.Join(d.root, id[:2], id+d.kind.Types[contentType])
}

// DetectType is a Sniff that accepts the types of Types that
// http.DetectContentType tells from the first bytes.
func DetectType(types map[string]string, unsupported error) func(head []byte) (string, error) {
	return func(head []byte) (string, error) {
		ct := http.DetectContentType(head)
		if _, ok := types[ct]; !ok {
			return "", unsupported
		}
		return ct, nil
	}
}
