package documents

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func zipped(t *testing.T, names ...string) []byte {
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for _, n := range names {
		if _, err := z.Create(n); err != nil {
			t.Fatal(err)
		}
	}
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestSave(t *testing.T) {
	dataDir := t.TempDir()
	d := NewDir(dataDir)
	cases := []struct {
		name string
		data []byte
		want string
		err  error
	}{
		{"pdf", []byte("%PDF-1.7\n%%EOF\n"), PDF, nil},
		{"docx", zipped(t, "[Content_Types].xml", "word/document.xml"), DOCX, nil},
		{"xlsx", zipped(t, "[Content_Types].xml", "xl/workbook.xml"), XLSX, nil},
		{"jpeg", append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), make([]byte, 64)...), "image/jpeg", nil},
		{"zip", zipped(t, "a.txt"), "", ErrUnsupported},
		{"odt-like", zipped(t, "[Content_Types].xml", "content.xml"), "", ErrUnsupported},
		{"html", []byte("<html><script>x</script></html>"), "", ErrUnsupported},
		{"text", []byte("plain words"), "", ErrUnsupported},
		{"empty", nil, "", ErrEmpty},
		{"too large", append([]byte("%PDF-1.7\n"), make([]byte, MaxSize)...), "", ErrTooLarge},
	}
	for _, c := range cases {
		s, err := d.Save(bytes.NewReader(c.data))
		if !errors.Is(err, c.err) || s.ContentType != c.want {
			t.Errorf("%s: %+v %v, want %s %v", c.name, s, err, c.want, c.err)
			continue
		}
		if err == nil {
			got, rerr := os.ReadFile(d.Path(s.ID, s.ContentType))
			if rerr != nil || !bytes.Equal(got, c.data) || s.Size != int64(len(c.data)) {
				t.Errorf("%s: stored %d bytes (%v)", c.name, len(got), rerr)
			}
		}
	}
	// nothing refused stays behind
	left, _ := os.ReadDir(filepath.Join(dataDir, "documents", "tmp"))
	if len(left) != 0 {
		t.Errorf("%d temporary files left", len(left))
	}
}
