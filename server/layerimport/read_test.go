package layerimport

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"citymap/geo/coordsys"
)

// collection wraps features in a FeatureCollection.
func collection(features ...[]byte) string {
	return `{"type":"FeatureCollection","features":[` + string(bytes.Join(features, []byte(","))) + `]}`
}

// onlyReader hides Seek, as standard input does.
type onlyReader struct{ io.Reader }

func TestReadDocuments(t *testing.T) {
	good := feature(square, gridProps)
	second := feature(square, with(gridProps, map[string]any{"code": "32028200100204"}))
	tests := []struct {
		name   string
		doc    string
		err    string // substring; "" reads without error
		seekOK bool   // false: read through a reader that cannot seek
	}{
		{"collection", collection(good, second), "", true},
		{"single feature", string(good), "", true},
		{"type after features", `{"features":[` + string(good) + `],"type":"FeatureCollection","name":"grids"}`, "", true},
		{"foreign members", `{"type":"FeatureCollection","crs":{"type":"name"},"bbox":[1,2,3,4],"features":[` + string(good) + `]}`, "", true},

		{"broken JSON", `{"type":"FeatureCollection","features":[{"type":"Feature",}]}`,
			"invalid JSON at byte 58 (line 1, column 59): invalid character '}'", true},
		{"broken JSON on a later line", "{\"type\":\"FeatureCollection\",\n\"features\":[\n  {\"type\" \"Feature\"}]}",
			"invalid JSON at byte 52 (line 3, column 11): invalid character '\"' after object key", true},
		{"truncated", collection(good)[:100], "invalid JSON at byte 100 (line 1, column 101): unexpected end", true},
		{"truncated pipe", collection(good)[:100], "the input ends at byte 100 inside a value", false},
		{"broken JSON from a pipe", `{"type":"FeatureCollection","features":[{"type":"Feature",}]}`, "invalid JSON near byte", false},
		{"trailing data", collection(good) + ` {"type":"FeatureCollection"}`, "after the top-level object", true},
		{"empty file", ``, "the file is empty", true},
		{"array", `[` + string(good) + `]`, "the file holds an array, not an object", true},
		{"geometry", square, `not a FeatureCollection: the top-level type is "Polygon"`, true},
		{"no type", `{"features":[]}`, `has no "type"`, true},
		{"type not a string", `{"type":7,"features":[]}`, `"type" is 7`, true},
		{"empty collection", `{"type":"FeatureCollection","features":[]}`, "has no features", true},
		{"no features member", `{"type":"FeatureCollection"}`, `has no "features" array`, true},
		{"features not an array", `{"type":"FeatureCollection","features":{"a":1}}`, `"features" must be an array, got an object`, true},
		{"bad feature is named by index", collection(good, feature(point, with(gridProps, map[string]any{"code": "32028200100204"}))),
			"feature 1 (code 32028200100204): geometry.type: Point not allowed", true},
		{"duplicate code", collection(good, second, good),
			"feature 2 (code 32028200100203): properties.code: duplicate: feature 0 has the same code", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r io.Reader = strings.NewReader(tc.doc)
			if !tc.seekOK {
				r = onlyReader{r}
			}
			b, err := Read(r, Grids, coordsys.WGS84)
			if tc.err == "" {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				if b.Len() == 0 {
					t.Fatal("no rows")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("got %v\nwant …%s…", err, tc.err)
			}
		})
	}
}

func TestReadFeatureError(t *testing.T) {
	doc := collection(feature(square, gridProps), feature(bowTie, with(gridProps, map[string]any{"code": "32028200100204"})))
	_, err := Read(strings.NewReader(doc), Grids, coordsys.WGS84)
	var fe *FeatureError
	if !errors.As(err, &fe) || fe.Index != 1 || fe.Code != "32028200100204" {
		t.Fatalf("got %v, want a FeatureError for feature 1", err)
	}
	want := "feature 1 (code 32028200100204): geometry.coordinates[0]: ring self-intersects"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %q, want %q…", err, want)
	}
}

func TestReadAreasParentsFirst(t *testing.T) {
	area := func(level, code string) []byte {
		return feature(square, map[string]any{"level": level, "code": code, "name": code})
	}
	doc := collection(
		area("grid", "32028200100201"), area("community", "320282001002"), area("grid", "32028200100202"),
		area("street", "320282001"), area("district", "320282"))
	b, err := Read(strings.NewReader(doc), Areas, coordsys.WGS84)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, a := range b.Areas {
		got = append(got, a.Code)
		if b.refs[i].code != a.Code {
			t.Errorf("row %d: ref %v does not follow its row %s", i, b.refs[i], a.Code)
		}
	}
	want := "320282 320282001 320282001002 32028200100201 32028200100202"
	if strings.Join(got, " ") != want {
		t.Errorf("order %v, want %s", got, want)
	}
	if b.refs[0].index != 4 || b.refs[3].index != 0 {
		t.Errorf("refs %v lost the file's feature indexes", b.refs)
	}
}
