package tilecache

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"sync"
	"time"
)

// MinGzip is the size below which a tile is kept and sent uncompressed: gzip
// saves a few percent of such a tile (a 574-byte one becomes 499 bytes) for a
// fixed cost of about 17 µs, the better part of rendering a small tile.
const MinGzip = 1024

// Encode makes the served form of an MVT: gzip-compressed once, here, since
// nearly every client accepts gzip and a cached tile is sent many times, with
// a weak entity tag over the uncompressed bytes. The tag is weak because the
// gzip and the identity encodings of a tile share it (they are equivalent, not
// byte-identical), which is what weak validators are for; If-None-Match
// compares weakly, so revalidation works either way. A tile under MinGzip is
// kept as it is.
func Encode(mvt []byte, expires time.Time) (Tile, error) {
	sum := sha256.Sum256(mvt)
	t := Tile{Size: len(mvt), ETag: `W/"` + hex.EncodeToString(sum[:16]) + `"`, Expires: expires}
	if len(mvt) < MinGzip {
		t.Body = mvt
		return t, nil
	}
	var buf bytes.Buffer
	buf.Grow(len(mvt)/2 + 64)
	zw := gzipWriters.Get().(*gzip.Writer)
	defer gzipWriters.Put(zw)
	zw.Reset(&buf)
	if _, err := zw.Write(mvt); err != nil {
		return Tile{}, err
	}
	if err := zw.Close(); err != nil {
		return Tile{}, err
	}
	t.Body, t.Gzipped = buf.Bytes(), true
	return t, nil
}

// gzipWriters are reused: a gzip.Writer allocates about 800 KB of tables.
var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed) // the level is valid
	return zw
}}

// MVT returns the uncompressed MVT of t, for the rare client that does not
// accept gzip.
func (t Tile) MVT() ([]byte, error) {
	if !t.Gzipped {
		return t.Body, nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(t.Body))
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, t.Size)
	buf := bytes.NewBuffer(out)
	if _, err := io.Copy(buf, zr); err != nil {
		return nil, err
	}
	return buf.Bytes(), zr.Close()
}
