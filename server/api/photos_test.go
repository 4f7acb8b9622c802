package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"citymap/server/access"
)

func pngBytes(t *testing.T, seed uint8) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{R: seed, A: 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegBytes(t *testing.T) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// webpBytes is the header of a lossless WebP, enough for content sniffing.
var webpBytes = []byte("RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00")

// multipartBody builds a multipart form from field/content pairs.
func multipartBody(t *testing.T, parts ...any) ([]byte, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for i := 0; i+1 < len(parts); i += 2 {
		w, err := mw.CreateFormFile(parts[i].(string), fmt.Sprintf("p%d.bin", i))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(parts[i+1].([]byte))
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), mw.FormDataContentType()
}

func (e *env) upload(status int, path, role string, parts ...any) reply {
	e.T.Helper()
	body, ctype := multipartBody(e.T.(*testing.T), parts...)
	return e.Must(status, "POST", path, role, body, "Content-Type", ctype)
}

func TestPhotoUploadAndServe(t *testing.T) {
	e := newEnv(t)
	for name, data := range map[string][]byte{"png": pngBytes(t, 1), "jpeg": jpegBytes(t), "webp": webpBytes} {
		r := e.upload(http.StatusCreated, "/api/v1/photos", access.Reporter, "photo", data).JSON(t)
		sum := sha256.Sum256(data)
		id := hex.EncodeToString(sum[:])
		if r["id"] != id || r["url"] != "/api/v1/photos/"+id || r["size"] != float64(len(data)) {
			t.Errorf("%s: %v", name, r)
		}
		files, _ := filepath.Glob(filepath.Join(e.DataDir, "photos", id[:2], id+".*"))
		if len(files) != 1 {
			t.Errorf("%s: stored as %v", name, files)
		}
		got := e.Must(http.StatusOK, "GET", "/api/v1/photos/"+id, access.Viewer, nil)
		if !bytes.Equal(got.Body, data) || got.Header.Get("Content-Type") != "image/"+name ||
			!strings.Contains(got.Header.Get("Cache-Control"), "immutable") {
			t.Errorf("%s: served %d bytes as %s", name, len(got.Body), got.Header.Get("Content-Type"))
		}
	}
	// the same bytes again are the same photo
	a := e.upload(http.StatusCreated, "/api/v1/photos", access.Dispatcher, "photo", pngBytes(t, 1)).JSON(t)
	if n := e.Int(`SELECT count(*) FROM photos WHERE id = $1`, a["id"]); n != 1 {
		t.Errorf("%d rows for one photo", n)
	}
	e.Must(http.StatusNotFound, "GET", "/api/v1/photos/"+strings.Repeat("0", 64), access.Viewer, nil)
	e.Must(http.StatusNotFound, "GET", "/api/v1/photos/..%2f..%2fetc%2fpasswd", access.Viewer, nil)
}

func TestPhotoLimits(t *testing.T) {
	e := newEnv(t)
	big := append(pngBytes(t, 2), make([]byte, 10<<20)...)
	tests := []struct {
		name   string
		parts  []any
		status int
		code   string
		field  string
	}{
		{"over 10 MiB", []any{"photo", big}, 413, "too_large", "photo"},
		{"not an image", []any{"photo", []byte("just some text")}, 415, "unsupported_type", "photo"},
		{"a GIF", []any{"photo", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;")}, 415, "unsupported_type", "photo"},
		{"empty", []any{"photo", []byte{}}, 400, "required", "photo"},
		{"wrong field", []any{"file", pngBytes(t, 3)}, 400, "unknown_field", "file"},
		{"no parts", nil, 400, "required", "photo"},
		{"two photos", []any{"photo", pngBytes(t, 4), "photo", pngBytes(t, 5)}, 400, "too_many", "photo"},
	}
	for _, tt := range tests {
		body, ctype := multipartBody(t, tt.parts...)
		r := e.Call("POST", "/api/v1/photos", access.Dispatcher, body, "Content-Type", ctype)
		code, fields := r.ErrorOf(t)
		if r.Status != tt.status || code != tt.code || fields[tt.field] == nil {
			t.Errorf("%s: %d %s %v, want %d %s naming %s", tt.name, r.Status, code, fields, tt.status, tt.code, tt.field)
		}
	}
	r := e.Call("POST", "/api/v1/photos", access.Dispatcher, pngBytes(t, 6), "Content-Type", "image/png")
	if code, _ := r.ErrorOf(t); r.Status != http.StatusUnsupportedMediaType || code != "unsupported_media_type" {
		t.Errorf("raw body: %d %s", r.Status, code)
	}
	// refused uploads leave nothing behind, on disk or in the database: not
	// even the first of "two photos", which was read before the second was
	// refused
	e.noPhotosLeft(0)
}

// noPhotosLeft checks that the database and the data directory hold want
// photos, and no temporary files.
func (e *env) noPhotosLeft(want int) {
	e.T.Helper()
	if n := e.Int(`SELECT count(*) FROM photos`); n != int64(want) {
		e.T.Errorf("%d photos recorded, want %d", n, want)
	}
	files, _ := filepath.Glob(filepath.Join(e.DataDir, "photos", "[0-9a-f][0-9a-f]", "*"))
	if len(files) != want {
		e.T.Errorf("files left: %v, want %d", files, want)
	}
	if tmp, _ := os.ReadDir(filepath.Join(e.DataDir, "photos", "tmp")); len(tmp) != 0 {
		e.T.Errorf("temporary files left: %d", len(tmp))
	}
}

// Attaching photos is all or nothing: however the request is refused, after
// the photos were read or not, no photo row and no file is left.
func TestRefusedAttachmentsLeaveNothing(t *testing.T) {
	e := newEnv(t)
	lon, lat := e.PointIn(e.GridIn)
	issue := e.create(newIssue("noise", lon, lat))
	path := fmt.Sprintf("/api/v1/issues/%d/photos", issue.ID)
	full := e.create(newIssue("noise", lon, lat))
	e.Exec(`UPDATE issues SET photos = array_fill(repeat('a', 64), ARRAY[20]) WHERE id = $1`, full.ID)
	six := []any{}
	for i := range 6 {
		six = append(six, "photo", pngBytes(t, uint8(40+i)))
	}
	before := e.counts()
	cases := []struct {
		name    string
		path    string
		parts   []any
		status  int
		headers []string
	}{
		{"a stale If-Match", path, []any{"photo", pngBytes(t, 30), "photo", pngBytes(t, 31)}, 412, []string{"If-Match", `"7"`}},
		{"the second part not an image", path, []any{"photo", pngBytes(t, 32), "photo", []byte("text")}, 415, nil},
		{"a part in a wrong field", path, []any{"photo", pngBytes(t, 33), "file", pngBytes(t, 34)}, 400, nil},
		{"six photos", path, six, 400, nil},
		{"an issue with its 20 photos", fmt.Sprintf("/api/v1/issues/%d/photos", full.ID), []any{"photo", pngBytes(t, 35)}, 400, nil},
	}
	for _, c := range cases {
		body, ctype := multipartBody(t, c.parts...)
		r := e.Call("POST", c.path, access.Dispatcher, body, append([]string{"Content-Type", ctype}, c.headers...)...)
		if r.Status != c.status {
			t.Errorf("%s: %d, want %d\n%s", c.name, r.Status, c.status, r.Body)
		}
	}
	e.noPhotosLeft(0)
	if after := e.counts(); after != before {
		t.Errorf("refused attachments wrote: %+v → %+v", before, after)
	}
	// and one that is taken leaves its rows and files
	e.upload(http.StatusOK, path, access.Dispatcher, "photo", pngBytes(t, 36), "photo", pngBytes(t, 37))
	e.noPhotosLeft(2)
}

func TestIssuePhotos(t *testing.T) {
	e := newEnv(t)
	p1 := e.upload(http.StatusCreated, "/api/v1/photos", access.GridManager, "photo", pngBytes(t, 10)).JSON(t)["id"].(string)
	lon, lat := e.PointIn(e.GridIn)
	issue := e.create(newIssue("noise", lon, lat, "photos", []string{p1}))
	if !slices.Equal(issue.Props.Photos, []string{p1}) {
		t.Errorf("photos at intake: %v", issue.Props.Photos)
	}
	path := fmt.Sprintf("/api/v1/issues/%d/photos", issue.ID)
	before := e.counts()
	r := e.upload(http.StatusOK, path, access.GridManager, "photo", pngBytes(t, 11), "photo", pngBytes(t, 10))
	f := featureOf(t, r)
	if len(f.Props.Photos) != 2 || f.Props.Photos[0] != p1 || f.Props.Version != 2 || r.Header.Get("ETag") != `"2"` {
		t.Errorf("after attaching: photos %v version %d", f.Props.Photos, f.Props.Version)
	}
	assertWrite(t, e, before, issue.ID, "update", "reported", access.GridManager)
	// a stale version, and a grid manager outside its areas
	body, ctype := multipartBody(t, "photo", pngBytes(t, 12))
	e.Must(http.StatusPreconditionFailed, "POST", path, access.Dispatcher, body, "Content-Type", ctype, "If-Match", `"1"`)
	outLon, outLat := e.PointIn(e.GridOut)
	other := e.create(newIssue("noise", outLon, outLat))
	e.upload(http.StatusForbidden, fmt.Sprintf("/api/v1/issues/%d/photos", other.ID), access.GridManager, "photo", pngBytes(t, 13))
	e.upload(http.StatusNotFound, "/api/v1/issues/999999999/photos", access.Dispatcher, "photo", pngBytes(t, 13))
}
