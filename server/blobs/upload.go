package blobs

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"

	"citymap/server/respond"
)

// UploadError answers the ways an upload into this store, sent in the
// multipart field named field, can be refused; other errors pass unchanged.
func (d *Store) UploadError(field string, err error) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, d.kind.ErrTooLarge), errors.As(err, &tooBig):
		e := respond.Field(field, "too_large", d.kind.ErrTooLarge.Error())
		e.Status = http.StatusRequestEntityTooLarge
		return e
	case errors.Is(err, d.kind.ErrUnsupported):
		e := respond.Field(field, "unsupported_type", d.kind.ErrUnsupported.Error())
		e.Status = http.StatusUnsupportedMediaType
		return e
	case errors.Is(err, d.kind.ErrEmpty):
		return respond.Field(field, "required", err.Error())
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, multipart.ErrMessageTooLarge):
		return respond.Field(field, "invalid", "the multipart body is cut short or malformed")
	}
	return err
}
