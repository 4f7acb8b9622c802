package campaign

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"path"
	"strings"
	"unicode"

	"citymap/server/auth"
	"citymap/server/documents"
	"citymap/server/respond"
	"citymap/server/store"
)

// documentField is the multipart field that carries a document.
const documentField = "file"

// uploadDocument is POST /api/v1/documents (multipart, one "file" part): 201
// with the document's id to put in a task step's documents.
func (a *API) uploadDocument(w http.ResponseWriter, r *http.Request) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		respond.Fail(w, r, respond.Errorf(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"send multipart/form-data with the document in the field \"file\""))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, documents.MaxSize+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		respond.Fail(w, r, respond.Field(documentField, "invalid", err.Error()))
		return
	}
	var saved *store.Document
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			respond.Fail(w, r, a.docs.UploadError(documentField, err))
			return
		}
		if part.FormName() != documentField {
			respond.Fail(w, r, respond.Field(part.FormName(), "unknown_field",
				fmt.Sprintf("unknown field %q: send the document as %q", part.FormName(), documentField)))
			return
		}
		if saved != nil {
			respond.Fail(w, r, respond.Field(documentField, "too_many", "one document per request"))
			return
		}
		d, err := a.saveDocument(r, part)
		if err != nil {
			respond.Fail(w, r, err)
			return
		}
		saved = &d
	}
	if saved == nil {
		respond.Fail(w, r, respond.Field(documentField, "required", "the field \"file\" with a document is required"))
		return
	}
	respond.JSON(w, http.StatusCreated, map[string]any{"id": saved.ID, "url": "/api/v1/documents/" + saved.ID,
		"content_type": saved.ContentType, "size": saved.Size, "filename": saved.Filename})
}

func (a *API) saveDocument(r *http.Request, part *multipart.Part) (store.Document, error) {
	defer part.Close()
	s, err := a.docs.Save(part)
	if err != nil {
		return store.Document{}, a.docs.UploadError(documentField, err)
	}
	p := auth.From(r.Context())
	return a.store.RecordDocument(r.Context(), store.Document{ID: s.ID, ContentType: s.ContentType, Size: s.Size,
		Filename: cleanName(part.FileName()), UploadedBy: p.Actor(), Unit: p.Unit})
}

// cleanName keeps the base of an uploaded file's name without control
// characters, quotes or path separators, at most 200 characters.
func cleanName(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || strings.ContainsRune(`"/\`, r) {
			return -1
		}
		return r
	}, name)
	if name == "." || name == "/" {
		return ""
	}
	if runes := []rune(name); len(runes) > 200 {
		name = string(runes[:200])
	}
	return name
}

// serveDocument is GET /api/v1/documents/{id}[?inline=1]: the bytes with the
// sniffed type, as a download (images inline, and a PDF with inline=1), never
// to be run or sniffed by the browser. A caller gets the documents it uploaded and those of the tasks it
// may see (unit staff: their own unit's; a scoped token: those in its areas).
func (a *API) serveDocument(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !store.ValidPhotoID(id) {
		respond.Fail(w, r, respond.ErrNotFound)
		return
	}
	d, err := a.store.DocumentByID(r.Context(), id, auth.From(r.Context()).Viewer())
	if err != nil {
		fail(w, r, err)
		return
	}
	f, err := os.Open(a.docs.Path(id, d.ContentType))
	if err != nil {
		respond.Fail(w, r, fmt.Errorf("document %s: %w", id, err))
		return
	}
	defer f.Close()
	name := d.Filename
	if name == "" {
		name = id[:12] + documents.Types[d.ContentType]
	}
	disposition := "attachment"
	if strings.HasPrefix(d.ContentType, "image/") || (d.ContentType == documents.PDF && r.URL.Query().Get("inline") == "1") {
		// images, and a PDF asked for inline (the review desk's viewer); the
		// sandbox CSP and nosniff below keep either from running anything
		disposition = "inline"
	}
	w.Header().Set("Content-Type", d.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Header().Set("Cache-Control", "private, max-age=31536000, immutable")
	w.Header().Set("ETag", `"`+id+`"`)
	http.ServeContent(w, r, "", d.CreatedAt, f)
}
