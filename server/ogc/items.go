package ogc

import (
	"bytes"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"citymap/server/auth"
	"citymap/server/store"
)

// flushAt is how much of a page is buffered before it streams to the client.
// Until the first flush an error can still become a proper error answer; after
// it, pages of 10,000 features do not sit whole in memory.
const flushAt = 256 << 10

func (h *Handler) items(w http.ResponseWriter, r *http.Request) {
	id, ok := collectionOf(w, r)
	if !ok {
		return
	}
	req, err := parseItems(r.URL.Query(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	page := &pageWriter{w: w, crs: req.crs}
	_, err = h.store.OGCItems(r.Context(), store.OGCQuery{
		Collection: id,
		Filter:     req.filter,
		Areas:      auth.From(r.Context()).Areas,
		Limit:      req.limit,
		Offset:     req.offset,
		After:      req.after,
		SortBy:     req.sortBy,
		Properties: req.properties,
		Output:     req.crs.output(),
	}, page)
	if err == nil {
		err = page.finish(pageLinks(r, id, req, page))
	}
	if err != nil {
		if page.started {
			// the status line is gone: cut the response short so the client
			// cannot mistake it for a complete page
			panic(http.ErrAbortHandler)
		}
		fail(w, r, err)
	}
}

// pageWriter streams a FeatureCollection: the members before "features" go
// first, the features as the database yields them, the rest (which depends on
// how many there were) last.
type pageWriter struct {
	w        http.ResponseWriter
	crs      crs
	buf      bytes.Buffer
	matched  int64
	returned int
	lastID   int64 // row id of the last feature, where the next page starts
	started  bool  // headers sent
}

func (p *pageWriter) Matched(n int64) error {
	p.matched = n
	p.buf.WriteString(`{"type":"FeatureCollection","numberMatched":`)
	p.buf.WriteString(strconv.FormatInt(n, 10))
	p.buf.WriteString(`,"timeStamp":"`)
	p.buf.WriteString(time.Now().UTC().Format(time.RFC3339))
	p.buf.WriteString(`","features":[`)
	return nil
}

func (p *pageWriter) Feature(id int64, json []byte) error {
	if p.returned > 0 {
		p.buf.WriteByte(',')
	}
	p.returned++
	p.lastID = id
	p.buf.Write(json)
	if p.buf.Len() >= flushAt {
		return p.flush()
	}
	return nil
}

func (p *pageWriter) flush() error {
	if !p.started {
		h := p.w.Header()
		h.Set("Content-Type", mediaGeoJSON)
		h.Set("Content-Crs", p.crs.header())
		p.w.WriteHeader(http.StatusOK)
		p.started = true
	}
	if _, err := p.w.Write(p.buf.Bytes()); err != nil {
		return err
	}
	p.buf.Reset()
	// what was written leaves now, through a compressor too (which would
	// otherwise hold it until its block fills)
	if err := http.NewResponseController(p.w).Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

func (p *pageWriter) finish(links []Link) error {
	tail, err := marshal(links)
	if err != nil {
		return err
	}
	p.buf.WriteString(`],"numberReturned":`)
	p.buf.WriteString(strconv.Itoa(p.returned))
	p.buf.WriteString(`,"links":`)
	p.buf.Write(bytes.TrimSpace(tail))
	p.buf.WriteString("}\n")
	return p.flush()
}

// pageLinks are self, the neighbouring pages and the collection. Next and prev
// keep every other parameter, so a client following them keeps its filters.
// Next continues after the page's last feature (keyset paging), or by offset
// when the page is sorted; prev goes back by offset.
func pageLinks(r *http.Request, id string, req itemsRequest, page *pageWriter) []Link {
	l := linksFor(r)
	path := "/collections/" + id + "/items"
	at := func(offset int, after int64) string {
		q := url.Values{}
		for k, v := range r.URL.Query() {
			q[k] = v
		}
		q.Set("limit", strconv.Itoa(req.limit))
		q.Set("offset", strconv.Itoa(offset))
		q.Del("after")
		if after > 0 {
			q.Set("after", strconv.FormatInt(after, 10))
		}
		return l.href(path, q)
	}
	self := l.href(path, r.URL.Query())
	out := []Link{{Href: self, Rel: "self", Type: mediaGeoJSON, Title: "this page"}}
	if next := req.offset + page.returned; page.returned == req.limit && int64(next) < page.matched {
		after := page.lastID
		if len(req.sortBy) > 0 {
			after = 0
		}
		out = append(out, Link{Href: at(next, after), Rel: "next", Type: mediaGeoJSON, Title: "next page"})
	}
	if req.offset > 0 {
		out = append(out, Link{Href: at(max(0, req.offset-req.limit), 0), Rel: "prev", Type: mediaGeoJSON, Title: "previous page"})
	}
	out = append(out, l.link("/collections/"+id, "collection", mediaJSON, "the collection"))
	return out
}

var itemParams = map[string]bool{"f": true, "access_token": true, "crs": true}

func (h *Handler) item(w http.ResponseWriter, r *http.Request) {
	id, ok := collectionOf(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	if err := checkParams(q, func(name string) bool { return itemParams[name] }); err != nil {
		fail(w, r, err)
		return
	}
	c, err := crsParam(q, "crs")
	if err != nil {
		fail(w, r, err)
		return
	}
	featureID := r.PathValue("featureId")
	feature, version, err := h.store.OGCItem(r.Context(), id, featureID, auth.From(r.Context()).Areas, c.output())
	if err != nil {
		fail(w, r, err)
		return
	}
	if collectionInfos[id].writable && c == crs84 {
		// the version identifies the stored state; other CRSs are other
		// representations of it, so only the default one carries the tag
		w.Header().Set("ETag", etag(version))
	}
	w.Header().Set("Content-Crs", c.header())
	l := linksFor(r)
	writeFeature(w, r, http.StatusOK, feature, []Link{
		{Href: l.href("/collections/"+id+"/items/"+url.PathEscape(featureID), q), Rel: "self", Type: mediaGeoJSON},
		l.link("/collections/"+id, "collection", mediaJSON, "the collection"),
	})
}

// writeFeature sends a Feature from the database with links added as its last
// member (the feature functions do not know the API's URLs).
func writeFeature(w http.ResponseWriter, r *http.Request, status int, feature []byte, links []Link) {
	body := bytes.TrimRight(feature, " \n")
	tail, err := marshal(links)
	if err == nil && (len(body) == 0 || body[len(body)-1] != '}') {
		err = errors.New("ogc: stored feature is not a JSON object")
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	out := make([]byte, 0, len(body)+len(tail)+16)
	out = append(out, body[:len(body)-1]...)
	out = append(out, `, "links": `...)
	out = append(out, bytes.TrimSpace(tail)...)
	out = append(out, "}\n"...)
	w.Header().Set("Content-Type", mediaGeoJSON)
	w.WriteHeader(status)
	_, _ = w.Write(out)
}

func etag(version int) string { return `"` + strconv.Itoa(version) + `"` }
