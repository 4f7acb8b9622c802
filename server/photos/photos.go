// Package photos keeps uploaded photos on disk, named by the SHA-256 of their
// bytes (see blobs): the same photo uploaded twice is stored once, a name can
// never point to other content, and files can be served as immutable.
package photos

import (
	"errors"
	"fmt"

	"citymap/server/blobs"
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

// Dir stores photos under dataDir/photos/<id[:2]>/<id><ext>.
type Dir = blobs.Store

// Saved describes a stored photo.
type Saved = blobs.Saved

// Staged is a photo read and checked but not yet in place (see blobs.Staged).
type Staged = blobs.Staged

// NewDir returns the photo store under dataDir/photos.
func NewDir(dataDir string) *Dir {
	return blobs.New(dataDir, blobs.Kind{
		Dir: "photos", MaxSize: MaxSize, Types: Types,
		// a photo's type shows in its first bytes: anything else is refused
		// before the rest is read
		Sniff:       blobs.DetectType(Types, ErrUnsupported),
		ErrTooLarge: ErrTooLarge, ErrUnsupported: ErrUnsupported, ErrEmpty: ErrEmpty,
	})
}
