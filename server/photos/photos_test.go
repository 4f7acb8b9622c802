package photos

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// pngHeader is enough of a PNG for content sniffing.
var pngHeader = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")

func TestSave(t *testing.T) {
	d := NewDir(t.TempDir())
	body := append(append([]byte{}, pngHeader...), bytes.Repeat([]byte{7}, 1000)...)
	s, err := d.Save(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	if s.ID != hex.EncodeToString(sum[:]) || s.ContentType != "image/png" || s.Size != int64(len(body)) {
		t.Fatalf("saved %+v", s)
	}
	got, err := os.ReadFile(d.Path(s.ID, s.ContentType))
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("stored file: %v", err)
	}
	if filepath.Base(filepath.Dir(d.Path(s.ID, s.ContentType))) != s.ID[:2] {
		t.Errorf("path %s does not fan out by the id's first two characters", d.Path(s.ID, s.ContentType))
	}
	// the same bytes again: the same id, one file
	again, err := d.Save(bytes.NewReader(body))
	if err != nil || again != s {
		t.Fatalf("second save: %+v, %v", again, err)
	}
}

func TestSaveRejects(t *testing.T) {
	tests := []struct {
		name string
		body []byte
		want error
	}{
		{"empty", nil, ErrEmpty},
		{"text", []byte("hello, this is not an image"), ErrUnsupported},
		{"gif", []byte("GIF89a\x01\x00\x01\x00"), ErrUnsupported},
		{"too large", append(append([]byte{}, pngHeader...), make([]byte, MaxSize)...), ErrTooLarge},
	}
	for _, tt := range tests {
		dir := t.TempDir()
		d := NewDir(dir)
		_, err := d.Save(bytes.NewReader(tt.body))
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: got %v, want %v", tt.name, err, tt.want)
		}
		// nothing but the empty temporary directory is left
		leftovers, _ := filepath.Glob(filepath.Join(dir, "photos", "*", "*"))
		if len(leftovers) != 0 {
			t.Errorf("%s: left %v", tt.name, leftovers)
		}
	}
}

func TestSaveAtLimit(t *testing.T) {
	d := NewDir(t.TempDir())
	body := append(append([]byte{}, pngHeader...), make([]byte, MaxSize-len(pngHeader))...)
	s, err := d.Save(bytes.NewReader(body))
	if err != nil || s.Size != MaxSize {
		t.Fatalf("a photo of exactly MaxSize: %+v, %v", s, err)
	}
}
