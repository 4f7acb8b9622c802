package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
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
	staged, err := a.receivePhotos(w, r, 1)
	defer discard(staged)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	saved, err := a.store.RecordPhotos(r.Context(), records(r, staged), place(staged))
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	ph := saved[0]
	respond.JSON(w, http.StatusCreated, photoAnswer{ID: ph.ID, URL: photoURL(ph.ID), ContentType: ph.ContentType, Size: ph.Size})
}

// attachPhotos is POST /api/v1/issues/{id}/photos (multipart, one or more
// "photo" parts): 200 with the issue. The photos are recorded and attached in
// one transaction and their files placed just before it commits, so a refused
// request (a part refused, a stale If-Match, an issue with too many photos)
// leaves neither rows nor files.
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
	staged, err := a.receivePhotos(w, r, maxPhotosPerRequest)
	defer discard(staged)
	if err != nil {
		respond.Fail(w, r, err)
		return
	}
	res, err := a.store.AttachUploadedPhotos(r.Context(), p.IssueActor(), id, records(r, staged), "", respond.IfMatch(r), place(staged))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeFeature(w, http.StatusOK, res.Version, res.Feature)
}

// receivePhotos reads and checks the "photo" parts of a multipart request (at
// most max) into temporary files, streamed, never held in memory. The photos
// are staged even when an error is returned, for the caller to discard.
func (a *API) receivePhotos(w http.ResponseWriter, r *http.Request, max int) ([]*photos.Staged, error) {
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
	var staged []*photos.Staged
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return staged, a.photos.UploadError(photoField, err)
		}
		if part.FormName() != photoField {
			return staged, respond.Field(part.FormName(), "unknown_field",
				fmt.Sprintf("unknown field %q: send the image as %q", part.FormName(), photoField))
		}
		if len(staged) == max {
			return staged, respond.Field(photoField, "too_many", fmt.Sprintf("at most %d photos per request", max))
		}
		st, err := a.photos.Stage(part)
		part.Close()
		if err != nil {
			return staged, a.photos.UploadError(photoField, err)
		}
		staged = append(staged, st)
	}
	if len(staged) == 0 {
		return nil, respond.Field(photoField, "required", "the field \"photo\" with an image is required")
	}
	return staged, nil
}

// records are the rows of staged photos, uploaded by the caller.
func records(r *http.Request, staged []*photos.Staged) []store.Photo {
	out := make([]store.Photo, len(staged))
	for i, s := range staged {
		out[i] = store.Photo{ID: s.ID, ContentType: s.ContentType, Size: s.Size,
			UploadedBy: auth.From(r.Context()).Actor()}
	}
	return out
}

// place puts staged photos where they are served from.
func place(staged []*photos.Staged) func() error {
	return func() error {
		for _, s := range staged {
			if err := s.Place(); err != nil {
				return err
			}
		}
		return nil
	}
}

// discard removes the files of staged photos not placed.
func discard(staged []*photos.Staged) {
	for _, s := range staged {
		s.Discard()
	}
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
