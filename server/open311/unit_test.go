package open311

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"citymap/invalid"
	"citymap/server/respond"
)

// TestDefinitions keeps the attribute data consistent: list types have values,
// other types none, codes are unique within a service, ranges are ranges.
func TestDefinitions(t *testing.T) {
	types := []string{typeString, typeNumber, typeDate, typeText, typeSingle, typeMulti}
	for service, x := range extras {
		seen := map[string]bool{}
		for _, a := range x.attrs {
			isList := a.datatype == typeSingle || a.datatype == typeMulti
			switch {
			case !slices.Contains(types, a.datatype):
				t.Errorf("%s.%s: datatype %q", service, a.code, a.datatype)
			case isList != (len(a.choices) > 0):
				t.Errorf("%s.%s: %s with %d values", service, a.code, a.datatype, len(a.choices))
			case seen[a.code]:
				t.Errorf("%s.%s: defined twice", service, a.code)
			case a.min > a.max || (a.min != a.max && a.datatype != typeNumber):
				t.Errorf("%s.%s: range %v..%v", service, a.code, a.min, a.max)
			case a.zh == "" || a.en == "":
				t.Errorf("%s.%s: a description in each language is needed", service, a.code)
			}
			seen[a.code] = true
		}
	}
}

func TestCheckAttributes(t *testing.T) {
	tests := []struct {
		name    string
		service string
		form    url.Values
		want    map[string]any
		errs    []string
	}{
		{"none needed", "trash_bin", url.Values{}, map[string]any{}, nil},
		{"required given", "noise", url.Values{"attribute[time_of_day]": {"day"}}, map[string]any{"time_of_day": "day"}, nil},
		{"required missing", "noise", url.Values{}, nil, []string{"attribute[time_of_day] is required"}},
		{"required blank", "noise", url.Values{"attribute[time_of_day]": {"  "}}, nil, []string{"is required"}},
		{"bad key", "noise", url.Values{"attribute[time_of_day]": {"dusk"}}, nil, []string{"is one of day, night"}},
		{"two values for one", "noise", url.Values{"attribute[time_of_day]": {"day", "night"}}, nil, []string{"takes one value"}},
		{"multi, [] spelling, repeated", "car_parking", url.Values{"attribute[blocking][]": {"sidewalk", "fire_lane", "sidewalk"}},
			map[string]any{"blocking": []string{"sidewalk", "fire_lane"}}, nil},
		{"multi bad key", "car_parking", url.Values{"attribute[blocking]": {"sidewalk", "moon"}}, nil, []string{"takes values from"}},
		{"number", "waterlogging", url.Values{"attribute[depth_cm]": {"35.5"}}, map[string]any{"depth_cm": 35.5}, nil},
		{"number inf", "waterlogging", url.Values{"attribute[depth_cm]": {"Inf"}}, nil, []string{"is a number"}},
		{"whole number", "street_vending", url.Values{"attribute[stalls]": {"2.5"}}, nil, []string{"whole number"}},
		{"datetime", "illegal_construction", url.Values{"attribute[started]": {"2026-05-01T09:00:00+08:00"}},
			map[string]any{"started": "2026-05-01T09:00:00+08:00"}, nil},
		{"bad datetime", "illegal_construction", url.Values{"attribute[started]": {"May 1st"}}, nil, []string{"W3C datetime"}},
		{"string too long", "car_parking", url.Values{"attribute[plate_number]": {strings.Repeat("苏", 201)}}, nil, []string{"more than 200"}},
		{"every problem at once", "noise", url.Values{"attribute[x]": {"1"}, "attribute[noise_source": {"traffic"}},
			nil, []string{"attribute[noise_source is not of the form", "attribute[x] is not", "time_of_day] is required"}},
		{"malformed names", "trash_bin", url.Values{"attribute[]": {"1"}, "attribute[a][b]": {"2"}}, nil,
			[]string{"attribute[] is not of the form", "attribute[a][b] is not of the form"}},
		{"other fields ignored", "trash_bin", url.Values{"lat": {"1"}, "attributes": {"2"}}, map[string]any{}, nil},
	}
	for _, tt := range tests {
		got, errs := checkAttributes(tt.service, tt.form)
		if len(errs) != len(tt.errs) {
			t.Errorf("%s: errors %v, want %v", tt.name, errs, tt.errs)
			continue
		}
		for i, want := range tt.errs {
			if !strings.Contains(errs[i].Description, want) || errs[i].Code != 400 {
				t.Errorf("%s: error %d is %+v, want %q", tt.name, i, errs[i], want)
			}
		}
		if tt.errs == nil && !jsonEqual(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestDateWindow(t *testing.T) {
	now := time.Date(2026, 6, 30, 12, 0, 0, 0, cityTime)
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, cityTime) }
	endOf := func(m time.Month, d int) time.Time { return day(m, d+1).Add(-time.Microsecond) }
	tests := []struct {
		start, end string
		from, to   *time.Time
		err        string
	}{
		{"", "", ptr(now.Add(-maxSpan)), nil, ""},
		{"2026-01-01", "2026-03-31", ptr(day(1, 1)), ptr(endOf(3, 31)), ""},
		{"2026-01-01", "2026-04-01", ptr(day(1, 1)), ptr(endOf(4, 1)), ""}, // exactly 90 days
		{"2026-01-01", "2026-04-02", nil, nil, "more than 90 days"},
		{"2026-01-01T00:00:00Z", "2026-04-01T08:00:00+08:00", nil, nil, ""},
		{"2026-01-01T00:00:00Z", "2026-04-01T08:00:01+08:00", nil, nil, "more than 90 days"},
		{"2026-03-01", "", ptr(day(3, 1)), ptr(day(3, 1).Add(maxSpan)), ""},
		{"", "2026-03-01", ptr(day(3, 1).Add(-maxSpan)), ptr(endOf(3, 1)), ""},
		{"2026-03-01T10:30", "", ptr(time.Date(2026, 3, 1, 10, 30, 0, 0, cityTime)), nil, ""},
		{"2026-03-02", "2026-03-01", nil, nil, "before"},
		{"2026-13-01", "", nil, nil, "start_date is a W3C datetime"},
		{"", "soon", nil, nil, "end_date is a W3C datetime"},
	}
	for _, tt := range tests {
		from, to, err := dateWindow(tt.start, tt.end, now)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q..%q: %v, want %q", tt.start, tt.end, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q..%q: %v", tt.start, tt.end, err)
			continue
		}
		if (tt.from != nil && !from.Equal(*tt.from)) || (tt.to != nil && !to.Equal(*tt.to)) ||
			(tt.to == nil && tt.end == "" && tt.start == "" && to != nil) {
			t.Errorf("%q..%q: %v..%v, want %v..%v", tt.start, tt.end, from, to, tt.from, tt.to)
		}
	}
}

func TestPaging(t *testing.T) {
	tests := []struct {
		page, size    string
		limit, offset int
		ok            bool
	}{
		{"", "", 50, 0, true},
		{"3", "20", 20, 40, true},
		{"1", "1000", 1000, 0, true},
		{"", "1001", 0, 0, false},
		{"", "0", 0, 0, false},
		{"0", "", 0, 0, false},
		{"-1", "", 0, 0, false},
		{"1000001", "", 0, 0, false},
		{"x", "", 0, 0, false},
	}
	for _, tt := range tests {
		limit, offset, err := paging(tt.page, tt.size)
		if (err == nil) != tt.ok || (tt.ok && (limit != tt.limit || offset != tt.offset)) {
			t.Errorf("page=%q page_size=%q: %d %d %v", tt.page, tt.size, limit, offset, err)
		}
	}
}

func TestStatusAndLanguage(t *testing.T) {
	open, _ := parseStatus("open")
	closed, _ := parseStatus("closed")
	both, _ := parseStatus("open, closed")
	if !slices.Equal(open, []string{"reported", "registered", "dispatched", "in_progress", "resolved"}) ||
		!slices.Equal(closed, []string{"closed", "rejected", "merged"}) || len(both) != 8 {
		t.Errorf("open %v, closed %v, both %v", open, closed, both)
	}
	for _, tt := range []struct {
		param, accept string
		want          lang
	}{
		{"", "", zh}, {"en", "zh-CN", en}, {"zh", "en", zh}, {"", "en-US,en;q=0.9", en},
		{"", "fr-FR, zh-Hans;q=0.8, en;q=0.5", zh}, {"fr", "de", zh}, {"EN", "", en},
	} {
		if got := language(tt.param, tt.accept); got != tt.want {
			t.Errorf("lang=%q Accept-Language %q: %s, want %s", tt.param, tt.accept, got, tt.want)
		}
	}
}

func TestSplitDoc(t *testing.T) {
	for _, tt := range []struct {
		seg, name string
		f         format
		ok        bool
	}{
		{"services.json", "services", formatJSON, true},
		{"17.xml", "17", formatXML, true},
		{"a.b.json", "a.b", formatJSON, true},
		{"requests", "requests", formatJSON, false},
		{"requests.csv", "requests", "csv", false},
		{"requests.JSON", "requests", "JSON", false},
	} {
		name, f, ok := splitDoc(tt.seg)
		if name != tt.name || f != tt.f || ok != tt.ok {
			t.Errorf("%q: %q %q %v", tt.seg, name, f, ok)
		}
	}
}

// TestMissingValues: absent values are null in JSON and empty elements in XML,
// so both formats always carry every field.
func TestMissingValues(t *testing.T) {
	type doc struct {
		A opt[string]  `json:"a" xml:"a"`
		B opt[string]  `json:"b" xml:"b"`
		C opt[float64] `json:"c" xml:"c"`
	}
	d := doc{A: some("x&y"), B: optString(""), C: optPtr[float64](nil)}
	j, _ := encode(formatJSON, d, nil)
	x, _ := xml.Marshal(d)
	if string(j) != `{"a":"x&y","b":null,"c":null}`+"\n" || string(x) != `<doc><a>x&amp;y</a><b></b><c></c></doc>` {
		t.Errorf("JSON %s, XML %s", j, x)
	}
}

// writeError answers a failure however deeply it is wrapped, a field error
// of the intake as the 400 that names the Open311 parameter, and a client
// gone with nothing at all.
func TestWriteErrorWrapped(t *testing.T) {
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name   string
		err    error
		ctx    context.Context
		status int
		says   string
	}{
		{"a failure", fmt.Errorf("lookup: %w", fail(http.StatusNotFound, "no such request")), nil, 404, "no such request"},
		{"an intake field error", intakeError(fmt.Errorf("intake: %w", invalid.Field("category", "unknown_category", "no such category"))),
			nil, 400, "service_code"},
		{"an unknown error", errors.New("boom"), nil, 500, "internal"},
		{"the client gone", fmt.Errorf("query: %w", context.Canceled), cancelled, respond.StatusClientClosed, ""},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", "/open311/v2/requests.json", nil)
		if c.ctx != nil {
			r = r.WithContext(c.ctx)
		}
		w := httptest.NewRecorder()
		writeError(w, r, formatJSON, c.err)
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.says) {
			t.Errorf("%s: %d %s, want %d saying %q", c.name, w.Code, w.Body, c.status, c.says)
		}
	}
}
