package declarations_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"slices"
	"testing"

	"citymap/server/access"
)

// TestRefused: every way a write can be refused answers a clear 4xx naming
// the problem and writes nothing.
func TestRefused(t *testing.T) {
	e := newEnv(t)
	e.open()
	draft := e.find("TD.1", "2031-02")
	other := e.find("TD.3", "2031-02")
	// a declaration with the unit's leader, and one with the 创建办
	submitted := e.find("TD.1", "2031-01")
	doc := e.document(access.Unit, pdf(2))
	e.attach(http.StatusCreated, submitted.ID, access.Unit, map[string]any{"kind": "document", "document": doc})
	e.act(http.StatusOK, submitted.ID, access.Unit, map[string]any{"action": "submit"})
	approved := e.find("TD.1", "2030-12")
	e.attach(http.StatusCreated, approved.ID, access.Unit, map[string]any{"kind": "text", "text": "十二月台账"})
	e.act(http.StatusOK, approved.ID, access.Unit, map[string]any{"action": "submit"})
	e.act(http.StatusOK, approved.ID, access.UnitLeader, map[string]any{"action": "approve"})
	foreignDoc := e.document("other_unit", pdf(3))
	actions := func(d decl) string { return fmt.Sprintf("/api/v1/declarations/%d/actions", d.ID) }
	materials := func(d decl) string { return fmt.Sprintf("/api/v1/declarations/%d/materials", d.ID) }
	for _, c := range []struct {
		name, method, path, role string
		body                     any
		headers                  []string
		status                   int
		code, field              string
		allowed                  []string // a 409's
	}{
		{"submit without materials", "POST", actions(draft), access.Unit, map[string]any{"action": "submit"}, nil,
			http.StatusUnprocessableEntity, "no_materials", "materials", nil},
		{"return without a note", "POST", actions(submitted), access.UnitLeader, map[string]any{"action": "return", "note": "  "}, nil,
			http.StatusUnprocessableEntity, "required", "note", nil},
		{"a unit approving", "POST", actions(submitted), access.Unit, map[string]any{"action": "approve"}, nil,
			http.StatusForbidden, "forbidden", "", nil},
		{"a viewer submitting", "POST", actions(draft), access.Viewer, map[string]any{"action": "submit"}, nil,
			http.StatusForbidden, "forbidden", "", nil},
		{"the 创建办 accepting before the leader", "POST", actions(submitted), access.Reviewer, map[string]any{"action": "accept"}, nil,
			http.StatusConflict, "transition_not_allowed", "action", []string{}},
		{"the leader approving twice", "POST", actions(approved), access.UnitLeader, map[string]any{"action": "approve"}, nil,
			http.StatusConflict, "transition_not_allowed", "action", []string{}},
		{"an admin accepting a draft", "POST", actions(draft), access.Admin, map[string]any{"action": "accept"}, nil,
			http.StatusConflict, "transition_not_allowed", "action", []string{"submit"}},
		{"a stale If-Match", "POST", actions(submitted), access.UnitLeader, map[string]any{"action": "approve"},
			[]string{"If-Match", `"1"`}, http.StatusPreconditionFailed, "version_mismatch", "", nil},
		{"another unit submitting", "POST", actions(other), access.Unit, map[string]any{"action": "submit"}, nil,
			http.StatusForbidden, "out_of_scope", "unit", nil},
		{"another unit's leader approving", "POST", actions(submitted), "other_leader", map[string]any{"action": "approve"}, nil,
			http.StatusForbidden, "out_of_scope", "unit", nil},
		{"an unknown action", "POST", actions(draft), access.Unit, map[string]any{"action": "approve_all"}, nil,
			http.StatusBadRequest, "invalid", "action", nil},
		{"an unknown field", "POST", actions(draft), access.Unit, map[string]any{"action": "submit", "force": true}, nil,
			http.StatusBadRequest, "unknown_field", "force", nil},
		{"text with a step other than submit", "POST", actions(submitted), access.UnitLeader,
			map[string]any{"action": "approve", "text": "改写"}, nil, http.StatusBadRequest, "not_applicable", "text", nil},
		{"an unknown declaration", "POST", "/api/v1/declarations/999999999/actions", access.Unit, map[string]any{"action": "submit"}, nil,
			http.StatusNotFound, "not_found", "", nil},
		{"a document the unit may not read", "POST", materials(draft), access.Unit,
			map[string]any{"kind": "document", "document": foreignDoc}, nil, http.StatusBadRequest, "unknown_document", "document", nil},
		{"a document never uploaded", "POST", materials(draft), access.Unit,
			map[string]any{"kind": "document", "document": fmt.Sprintf("%064d", 7)}, nil, http.StatusBadRequest, "unknown_document", "document", nil},
		{"a photo never uploaded", "POST", materials(draft), access.Unit,
			map[string]any{"kind": "photo", "photo": fmt.Sprintf("%064d", 7)}, nil, http.StatusBadRequest, "unknown_photo", "photo", nil},
		{"a malformed document id", "POST", materials(draft), access.Unit,
			map[string]any{"kind": "document", "document": "../../etc/passwd"}, nil, http.StatusBadRequest, "invalid", "document", nil},
		{"an unknown kind", "POST", materials(draft), access.Unit, map[string]any{"kind": "video", "text": "x"}, nil,
			http.StatusBadRequest, "invalid", "kind", nil},
		{"an empty text", "POST", materials(draft), access.Unit, map[string]any{"kind": "text", "text": " "}, nil,
			http.StatusBadRequest, "required", "text", nil},
		{"a text with a document", "POST", materials(draft), access.Unit, map[string]any{"kind": "text", "text": "x", "document": doc}, nil,
			http.StatusBadRequest, "not_applicable", "kind", nil},
		{"an unknown material field", "POST", materials(draft), access.Unit, map[string]any{"kind": "text", "text": "x", "url": "http://x"}, nil,
			http.StatusBadRequest, "unknown_field", "url", nil},
		{"attaching to a submitted declaration", "POST", materials(submitted), access.Unit, map[string]any{"kind": "text", "text": "补充"}, nil,
			http.StatusConflict, "not_editable", "action", []string{}},
		{"attaching to another unit's", "POST", materials(other), access.Unit, map[string]any{"kind": "text", "text": "x"}, nil,
			http.StatusForbidden, "out_of_scope", "unit", nil},
		{"the leader attaching", "POST", materials(draft), access.UnitLeader, map[string]any{"kind": "text", "text": "x"}, nil,
			http.StatusForbidden, "forbidden", "", nil},
		{"detaching from a submitted declaration", "DELETE", materials(submitted) + fmt.Sprintf("/%d", submitted.ID), access.Unit, nil, nil,
			http.StatusConflict, "not_editable", "action", []string{}},
		{"detaching an unknown material", "DELETE", materials(draft) + "/999999999", access.Unit, nil, nil,
			http.StatusNotFound, "not_found", "", nil},
		{"detaching a material of another declaration", "DELETE", materials(draft) + fmt.Sprintf("/%d", materialOf(e, submitted.ID)),
			access.Unit, nil, nil, http.StatusNotFound, "not_found", "", nil},
		{"a bad material id", "DELETE", materials(draft) + "/x", access.Unit, nil, nil, http.StatusBadRequest, "invalid", "mid", nil},
		{"reading another unit's", "GET", fmt.Sprintf("/api/v1/declarations/%d", other.ID), access.Unit, nil, nil,
			http.StatusForbidden, "out_of_scope", "unit", nil},
		{"a grid manager reading one", "GET", fmt.Sprintf("/api/v1/declarations/%d", draft.ID), access.GridManager, nil, nil,
			http.StatusForbidden, "out_of_scope", "unit", nil},
		{"a reporter listing", "GET", "/api/v1/declarations", access.Reporter, nil, nil, http.StatusForbidden, "forbidden", "", nil},
		{"listing another unit's", "GET", "/api/v1/declarations?unit=" + otherUnit, access.Unit, nil, nil,
			http.StatusForbidden, "out_of_scope", "unit", nil},
		{"an unknown due", "GET", "/api/v1/declarations?due=9d", access.Unit, nil, nil, http.StatusBadRequest, "invalid", "due", nil},
		{"a bad period", "GET", "/api/v1/declarations?period=2031-13", access.Unit, nil, nil, http.StatusBadRequest, "invalid", "period", nil},
		{"an unknown status", "GET", "/api/v1/declarations?status=done", access.Unit, nil, nil, http.StatusBadRequest, "invalid", "status", nil},
		{"an unknown parameter", "GET", "/api/v1/declarations?overdue=true", access.Unit, nil, nil,
			http.StatusBadRequest, "unknown_parameter", "overdue", nil},
		{"a report by street", "GET", "/api/v1/reports/declarations?by=street", access.Reviewer, nil, nil,
			http.StatusBadRequest, "invalid", "by", nil},
		{"a weekly report", "GET", "/api/v1/reports/declarations?period=week", access.Reviewer, nil, nil,
			http.StatusBadRequest, "invalid", "period", nil},
		{"a unit opening", "POST", "/api/v1/declarations/open", access.Unit, nil, nil, http.StatusForbidden, "forbidden", "", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := e.count()
			r := e.Call(c.method, c.path, c.role, c.body, c.headers...)
			if r.Status != c.status {
				t.Fatalf("%d, want %d\n%s", r.Status, c.status, r.Body)
			}
			code, fields := r.ErrorOf(t)
			if code != c.code || (c.field != "" && fields[c.field] == nil) {
				t.Errorf("error %s %v, want %s naming %q", code, fields, c.code, c.field)
			}
			if c.allowed != nil {
				var body struct {
					Error struct {
						Status  string
						Allowed []string
					}
				}
				r.Decode(t, &body)
				if body.Error.Status == "" || !slices.Equal(body.Error.Allowed, c.allowed) {
					t.Errorf("409 says status %q allowed %v, want allowed %v", body.Error.Status, body.Error.Allowed, c.allowed)
				}
			}
			if after := e.count(); after != before {
				t.Errorf("wrote something: %+v, then %+v", before, after)
			}
		})
	}
}

func materialOf(e *env, id int64) int64 {
	return e.Int(`SELECT min(id) FROM declaration_materials WHERE declaration_id = $1`, id)
}

// TestUploads: a file of the wrong type or cut short half-way leaves no row
// and no file; a PDF is served inline only when asked, never sniffed or run.
func TestUploads(t *testing.T) {
	e := newEnv(t)
	files := func() []string {
		var out []string
		_ = filepath.WalkDir(filepath.Join(e.DataDir, "documents"), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				out = append(out, p)
			}
			return nil
		})
		return out
	}
	before := e.count()
	r := e.upload("/api/v1/documents", access.Unit, "file", "evil.pdf", []byte("<html><script>alert(1)</script></html>"))
	if code, fields := r.ErrorOf(t); r.Status != http.StatusUnsupportedMediaType || code != "unsupported_type" || fields["file"] == nil {
		t.Errorf("HTML named .pdf: %d %s", r.Status, r.Body)
	}
	// a body cut half-way through the file: the multipart reader hits the end
	// before the closing boundary
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	w, _ := mw.CreateFormFile("file", "台账.pdf")
	big := bytes.Repeat(pdf(4), 4000)
	_, _ = w.Write(big)
	_ = mw.Close()
	cut := b.Bytes()[:b.Len()/2]
	r = e.Call("POST", "/api/v1/documents", access.Unit, cut, "Content-Type", mw.FormDataContentType())
	if r.Status != http.StatusBadRequest {
		t.Errorf("a body cut half-way: %d %s", r.Status, r.Body)
	}
	if after := e.count(); after != before {
		t.Errorf("refused uploads wrote rows: %+v, then %+v", before, after)
	}
	if left := files(); len(left) > 0 {
		t.Errorf("refused uploads left files: %v", left)
	}
	id := e.document(access.Unit, pdf(5))
	docx := e.upload("/api/v1/documents", access.Unit, "file", "a.docx", docxFile(t)).Want(t, http.StatusCreated).JSON(t)["id"].(string)
	for _, c := range []struct {
		path, disposition string
	}{
		{"/api/v1/documents/" + id, "attachment"},
		{"/api/v1/documents/" + id + "?inline=1", "inline"},
		{"/api/v1/documents/" + docx + "?inline=1", "attachment"},
	} {
		r := e.Get(c.path, access.Unit)
		h := r.Header
		if got := h.Get("Content-Disposition"); !bytes.HasPrefix([]byte(got), []byte(c.disposition+";")) ||
			h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Content-Security-Policy") != "default-src 'none'; sandbox" {
			t.Errorf("%s: %s / %s / %s", c.path, got, h.Get("X-Content-Type-Options"), h.Get("Content-Security-Policy"))
		}
	}
}
