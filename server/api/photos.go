package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"

	"citymap/server/auth"
	"citymap/server/photos"
	"citymap/server/respond"
	"citymap/server/store"
)

// maxPhotosPerRequest bounds one attach request; with the multipart overhead it
// sets the body limit.
const maxPhotosPerRequest = 5

// photoField is the multipart field that carries a photo.
const photoField = "photo"

// photoAnswer is what an upload returns: the id to put in an issue's photos.
type photoAnswer struct {
	ID          string `json:"id"`
	URL         string `json:"url"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

func photoURL(id string) string { return "/api/v1/photos/" + id }

// uploadPhoto is POST /api/v1/photos (multipart, one "photo" part): 201 with the
// photo's id.
func (a *API) uploadPhoto(w http.ResponseWriter, r *http.Request) {
	saved, err := a.receivePhotos(w, r, 1)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	ph := saved[0]
	respond.JSON(w, http.StatusCreated, photoAnswer{ID: ph.ID, URL: photoURL(ph.ID), ContentType: ph.ContentType, Size: ph.Size})
}

// attachPhotos is POST /api/v1/issues/{id}/photos (multipart, one or more
// "photo" parts, optional "note"): 200 with the issue.
func (a *API) attachPhotos(w http.ResponseWriter, r *http.Request) {
	id, err := issueID(r)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	p := auth.From(r.Context())
	// the scope is checked before the upload is read: a grid manager outside the
	// issue's areas must not be able to fill the disk
	doc, err := a.store.IssueByID(r.Context(), id, p.Viewer())
	if err != nil {
		fail(w, r, err)
		return
	}
	if !doc.Visible {
		respond.Fail(w, r, errOutOfScope)
		return
	}
	saved, err := a.receivePhotos(w, r, maxPhotosPerRequest)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	ids := make([]string, len(saved))
	for i, s := range saved {
		ids[i] = s.ID
	}
	res, err := a.store.AttachIssuePhotos(r.Context(), p.IssueActor(), id, ids, "", ifMatch(r))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeFeature(w, http.StatusOK, res.Version, res.Feature)
}

// receivePhotos stores the "photo" parts of a multipart request (at most max)
// and records them. Parts are streamed to disk, never held in memory.
func (a *API) receivePhotos(w http.ResponseWriter, r *http.Request, max int) ([]store.Photo, error) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, respond.Errorf(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"send multipart/form-data with the image in the field \"photo\"")
	}
	r.Body = http.MaxBytesReader(w, r.Body, int64(max)*(photos.MaxSize+64<<10))
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, respond.Field(photoField, "invalid", err.Error())
	}
	var saved []store.Photo
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, uploadError(err)
		}
		if part.FormName() != photoField {
			return nil, respond.Field(part.FormName(), "unknown_field",
				fmt.Sprintf("unknown field %q: send the image as %q", part.FormName(), photoField))
		}
		if len(saved) == max {
			return nil, respond.Field(photoField, "too_many", fmt.Sprintf("at most %d photos per request", max))
		}
		ph, err := a.savePhoto(r, part)
		if err != nil {
			return nil, err
		}
		saved = append(saved, ph)
	}
	if len(saved) == 0 {
		return nil, respond.Field(photoField, "required", "the field \"photo\" with an image is required")
	}
	return saved, nil
}

func (a *API) savePhoto(r *http.Request, part *multipart.Part) (store.Photo, error) {
	defer part.Close()
	s, err := a.photos.Save(part)
	if err != nil {
		return store.Photo{}, uploadError(err)
	}
	return a.store.RecordPhoto(r.Context(), store.Photo{ID: s.ID, ContentType: s.ContentType, Size: s.Size,
		UploadedBy: auth.From(r.Context()).Actor()})
}

// uploadError answers the ways an upload can be refused.
func uploadError(err error) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, photos.ErrTooLarge), errors.As(err, &tooBig):
		e := respond.Field(photoField, "too_large", photos.ErrTooLarge.Error())
		e.Status = http.StatusRequestEntityTooLarge
		return e
	case errors.Is(err, photos.ErrUnsupported):
		e := respond.Field(photoField, "unsupported_type", photos.ErrUnsupported.Error())
		e.Status = http.StatusUnsupportedMediaType
		return e
	case errors.Is(err, photos.ErrEmpty):
		return respond.Field(photoField, "required", err.Error())
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, multipart.ErrMessageTooLarge):
		return respond.Field(photoField, "invalid", "the multipart body is cut short or malformed")
	}
	return err
}

// servePhoto is GET /api/v1/photos/{id}. A photo follows the scope of the case
// or inspection it belongs to: one the caller may not see answers 404, like a
// photo never uploaded (store.PhotoFor). A photo's bytes never change under its
// id, so clients may cache it for good (privately: it depends on the token).
func (a *API) servePhoto(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !store.ValidPhotoID(id) {
		respond.Fail(w, r, respond.ErrNotFound)
		return
	}
	ph, err := a.store.PhotoFor(r.Context(), id, auth.From(r.Context()).Viewer())
	if err != nil {
		fail(w, r, err)
		return
	}
	f, err := os.Open(a.photos.Path(id, ph.ContentType))
	if err != nil {
		// recorded but not on this instance's disk: the data directory is not shared
		respond.Fail(w, r, fmt.Errorf("photo %s: %w", id, err))
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", ph.ContentType)
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	w.Header().Set("ETag", `"`+id+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	http.ServeContent(w, r, "", ph.CreatedAt, f)
}
