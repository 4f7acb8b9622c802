package blobs

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"citymap/server/respond"
)

var (
	errBig   = errors.New("too big")
	errType  = errors.New("not text")
	errEmpty = errors.New("empty")
	errLast  = errors.New("last byte is not a newline")
)

// lines accepts text files of at most 16 bytes that end in a newline: Sniff
// refuses from the head, Confirm from the whole.
var lines = Kind{
	Dir: "lines", MaxSize: 16, Types: map[string]string{"text/plain; charset=utf-8": ".txt"},
	Sniff: DetectType(map[string]string{"text/plain; charset=utf-8": ".txt"}, errType),
	Confirm: func(f io.ReaderAt, size int64, ct string) (string, error) {
		b := make([]byte, 1)
		if _, err := f.ReadAt(b, size-1); err != nil {
			return "", err
		}
		if b[0] != '\n' {
			return "", errLast
		}
		return ct, nil
	},
	ErrTooLarge: errBig, ErrUnsupported: errType, ErrEmpty: errEmpty,
}

func TestSave(t *testing.T) {
	dataDir := t.TempDir()
	d := New(dataDir, lines)
	cases := []struct {
		name string
		data string
		err  error
	}{
		{"text", "hello\n", nil},
		{"empty", "", errEmpty},
		{"binary", "\x00\x01\x02", errType},
		{"too large", strings.Repeat("a", 16) + "\n", errBig},
		{"refused by Confirm", "hello", errLast},
	}
	for _, c := range cases {
		s, err := d.Save(strings.NewReader(c.data))
		if !errors.Is(err, c.err) {
			t.Errorf("%s: %v, want %v", c.name, err, c.err)
			continue
		}
		if err != nil {
			continue
		}
		want := filepath.Join(dataDir, "lines", s.ID[:2], s.ID+".txt")
		if d.Path(s.ID, s.ContentType) != want {
			t.Errorf("%s: path %s, want %s", c.name, d.Path(s.ID, s.ContentType), want)
		}
		got, rerr := os.ReadFile(want)
		if rerr != nil || !bytes.Equal(got, []byte(c.data)) || s.Size != int64(len(c.data)) {
			t.Errorf("%s: stored %q (%v)", c.name, got, rerr)
		}
	}
	left, _ := os.ReadDir(filepath.Join(dataDir, "lines", "tmp"))
	if len(left) != 0 {
		t.Errorf("%d temporary files left", len(left))
	}
}

func TestUploadError(t *testing.T) {
	d := New(t.TempDir(), lines)
	cases := []struct {
		err    error
		status int
		code   string
	}{
		{errBig, http.StatusRequestEntityTooLarge, "too_large"},
		{&http.MaxBytesError{Limit: 1}, http.StatusRequestEntityTooLarge, "too_large"},
		{errType, http.StatusUnsupportedMediaType, "unsupported_type"},
		{errEmpty, http.StatusBadRequest, "required"},
		{io.ErrUnexpectedEOF, http.StatusBadRequest, "invalid"},
	}
	for _, c := range cases {
		var e *respond.Error
		if !errors.As(d.UploadError("file", c.err), &e) || e.Status != c.status || e.Code != c.code || e.Fields["file"] == "" {
			t.Errorf("%v: %+v, want %d %s", c.err, e, c.status, c.code)
		}
	}
	other := errors.New("disk full")
	if got := d.UploadError("file", other); got != other {
		t.Errorf("other error: %v, want it unchanged", got)
	}
}
