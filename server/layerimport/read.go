package layerimport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"citymap/geo/coordsys"
	"citymap/invalid"
	"citymap/server/store"
)

// Batch is a checked file: one store row per feature, in the order they are
// to be written.
type Batch struct {
	Layer   Layer
	Areas   []store.AreaRow // Grids and Areas layers, parents first
	Points  []store.PointRow
	Parking []store.ParkingRow
	refs    []ref           // the feature behind each row, for messages
	sys     coordsys.System // of the file, for messages about converted coordinates
}

// ref names the feature a row came from.
type ref struct {
	index int
	code  string
}

// Len returns the number of features in the batch.
func (b *Batch) Len() int { return len(b.refs) }

// Read decodes a GeoJSON FeatureCollection (or a single Feature) from r and
// checks every feature for layer, converting coordinates from sys to WGS-84.
// The file is streamed: only the rows are kept, never the whole document. A
// bad feature comes back as a *FeatureError; when r is a seekable file, broken
// JSON is located to the byte, line and column.
func Read(r io.Reader, layer Layer, sys coordsys.System) (*Batch, error) {
	counted := &countingReader{r: r}
	rd := &reader{
		src:   r,
		read:  counted,
		dec:   json.NewDecoder(counted),
		batch: &Batch{Layer: layer, sys: sys},
		sys:   sys,
		codes: map[string]int{},
	}
	if err := rd.document(); err != nil {
		return nil, err
	}
	if rd.batch.Len() == 0 {
		return nil, errors.New("the FeatureCollection has no features: nothing to import")
	}
	if layer == Areas {
		rd.batch.sortParentsFirst()
	}
	return rd.batch, nil
}

type reader struct {
	src   io.Reader
	read  *countingReader // src as the decoder reads it
	dec   *json.Decoder
	batch *Batch
	sys   coordsys.System
	codes map[string]int // code → index of the feature that has it
	next  int            // index of the next feature
}

// Top-level GeoJSON types the import reads.
const (
	typeCollection = "FeatureCollection"
	typeFeature    = "Feature"
)

// document walks the top-level object member by member, so that "features"
// is streamed wherever it appears and its siblings (type, bbox, crs, name)
// are the only members held whole.
func (rd *reader) document() error {
	if err := rd.openObject(); err != nil {
		return err
	}
	members := map[string]json.RawMessage{}
	sawFeatures := false
	for rd.dec.More() {
		key, err := rd.key()
		if err != nil {
			return err
		}
		if key == "features" {
			sawFeatures = true
			err = rd.features()
		} else {
			err = rd.member(key, members)
		}
		if err != nil {
			return err
		}
	}
	if err := rd.end(); err != nil {
		return err
	}
	return rd.finish(members, sawFeatures)
}

func (rd *reader) openObject() error {
	tok, err := rd.dec.Token()
	if errors.Is(err, io.EOF) {
		return errors.New("the file is empty")
	}
	if err != nil {
		return rd.jsonError(err)
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("not a GeoJSON FeatureCollection: the file holds %s, not an object", tokenKind(tok))
	}
	return nil
}

func (rd *reader) key() (string, error) {
	tok, err := rd.dec.Token()
	if err != nil {
		return "", rd.jsonError(err)
	}
	key, _ := tok.(string)
	return key, nil
}

// member keeps a top-level member other than "features", rejecting a wrong
// "type" at once rather than after reading a large file.
func (rd *reader) member(key string, members map[string]json.RawMessage) error {
	var raw json.RawMessage
	if err := rd.dec.Decode(&raw); err != nil {
		return rd.jsonError(err)
	}
	members[key] = raw
	if key != "type" {
		return nil
	}
	_, err := topType(raw)
	return err
}

func topType(raw json.RawMessage) (string, error) {
	if raw == nil {
		return "", errors.New(`not GeoJSON: the top-level object has no "type" (want "FeatureCollection")`)
	}
	var typ string
	if err := json.Unmarshal(raw, &typ); err != nil {
		return "", fmt.Errorf(`not GeoJSON: the top-level "type" is %s, not a string`, raw)
	}
	if typ != typeCollection && typ != typeFeature {
		return "", fmt.Errorf("not a FeatureCollection: the top-level type is %q (want FeatureCollection, or a single Feature)", typ)
	}
	return typ, nil
}

// end consumes the closing brace and checks that nothing follows it.
func (rd *reader) end() error {
	if _, err := rd.dec.Token(); err != nil {
		return rd.jsonError(err)
	}
	if tok, err := rd.dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return rd.jsonError(err)
		}
		return fmt.Errorf("invalid GeoJSON: %s after the top-level object, near byte %d", tokenKind(tok), rd.dec.InputOffset())
	}
	return nil
}

// finish checks the top-level type now that every member has been seen, and
// reads the object itself when it is a single Feature.
func (rd *reader) finish(members map[string]json.RawMessage, sawFeatures bool) error {
	typ, err := topType(members["type"])
	if err != nil {
		return err
	}
	switch {
	case typ == typeCollection && !sawFeatures:
		return errors.New(`the FeatureCollection has no "features" array: nothing to import`)
	case typ == typeFeature && sawFeatures:
		return errors.New(`a Feature with a "features" member: want a FeatureCollection`)
	case typ == typeFeature:
		raw, err := json.Marshal(members)
		if err != nil {
			return err
		}
		return rd.add(raw)
	}
	return nil
}

// features streams the features array, checking each feature as it arrives.
func (rd *reader) features() error {
	tok, err := rd.dec.Token()
	if err != nil {
		return rd.jsonError(err)
	}
	if tok != json.Delim('[') {
		if d, ok := tok.(json.Delim); ok && d == '{' {
			return errors.New(`invalid GeoJSON: "features" must be an array, got an object`)
		}
		return fmt.Errorf(`invalid GeoJSON: "features" must be an array, got %s`, tokenKind(tok))
	}
	for rd.dec.More() {
		var raw json.RawMessage
		if err := rd.dec.Decode(&raw); err != nil {
			return rd.jsonError(err)
		}
		if err := rd.add(raw); err != nil {
			return err
		}
	}
	if _, err := rd.dec.Token(); err != nil {
		return rd.jsonError(err)
	}
	return nil
}

// add checks the next feature and appends its row.
func (rd *reader) add(raw []byte) error {
	index := rd.next
	rd.next++
	code, row, err := checkFeature(rd.batch.Layer, raw, rd.sys)
	if err != nil {
		return &FeatureError{Index: index, Code: code, Err: err}
	}
	if first, dup := rd.codes[code]; dup {
		return &FeatureError{Index: index, Code: code,
			Err: &invalid.Error{Field: "properties.code", Message: fmt.Sprintf("duplicate: feature %d has the same code", first)}}
	}
	rd.codes[code] = index
	b := rd.batch
	switch r := row.(type) {
	case store.AreaRow:
		b.Areas = append(b.Areas, r)
	case store.PointRow:
		b.Points = append(b.Points, r)
	case store.ParkingRow:
		b.Parking = append(b.Parking, r)
	}
	b.refs = append(b.refs, ref{index, code})
	return nil
}

// sortParentsFirst orders areas from districts down, keeping the file's
// order within a level, so that each level finds the parents written before.
func (b *Batch) sortParentsFirst() {
	order := make([]int, len(b.Areas))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		return levelRank(b.Areas[order[i]].Level) < levelRank(b.Areas[order[j]].Level)
	})
	areas, refs := make([]store.AreaRow, len(order)), make([]ref, len(order))
	for i, k := range order {
		areas[i], refs[i] = b.Areas[k], b.refs[k]
	}
	b.Areas, b.refs = areas, refs
}

func tokenKind(tok json.Token) string {
	switch tok := tok.(type) {
	case json.Delim:
		if tok == '[' {
			return "an array"
		}
		return fmt.Sprintf("%q", string(tok))
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}

// jsonError reports broken JSON with its position. The decoder's own offsets
// are only approximate once tokens and values are mixed, so when the input
// can be re-read the position is found by parsing it again whole — on this
// error path only, where holding the file in memory once is affordable.
func (rd *reader) jsonError(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	var syntax *json.SyntaxError
	if !errors.As(err, &syntax) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("reading the file: %w", err)
	}
	if located := rd.locate(); located != nil {
		return located
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("invalid JSON: the input ends at byte %d inside a value (truncated?)", rd.read.n)
	}
	return fmt.Errorf("invalid JSON near byte %d: %v", rd.dec.InputOffset(), err)
}

// countingReader counts the bytes read, which is where a truncated input ends.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// locate re-reads a seekable input to find the exact position of its syntax
// error; nil when it cannot.
func (rd *reader) locate() error {
	seeker, ok := rd.src.(io.ReadSeeker)
	if !ok {
		return nil
	}
	if _, err := seeker.Seek(0, io.SeekStart); err != nil {
		return nil
	}
	data, err := io.ReadAll(seeker)
	var syntax *json.SyntaxError
	if err != nil || !errors.As(json.Unmarshal(data, new(json.RawMessage)), &syntax) {
		return nil
	}
	return positionError(data, syntax)
}

// positionError places a syntax error at its 0-based byte offset and 1-based
// line and column. SyntaxError.Offset counts the bytes read including the
// offending one; for a truncated file it is the file's length.
func positionError(data []byte, e *json.SyntaxError) error {
	off := max(e.Offset-1, 0)
	if strings.Contains(e.Error(), "unexpected end") {
		off = int64(len(data))
	}
	before := data[:min(off, int64(len(data)))]
	line := bytes.Count(before, []byte("\n")) + 1
	col := len(before) - bytes.LastIndexByte(before, '\n')
	return fmt.Errorf("invalid JSON at byte %d (line %d, column %d): %v", off, line, col, e)
}
