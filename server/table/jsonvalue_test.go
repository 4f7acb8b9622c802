package table

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// TestAppendJSON checks that appendJSON writes exactly what json.Marshal
// writes, on the values reports hold and on the edges of its fast paths.
func TestAppendJSON(t *testing.T) {
	values := []any{nil, true, false, int64(0), int64(-1), int64(math.MaxInt64), int64(math.MinInt64), 7, -7,
		0.0, math.Copysign(0, -1), 1.0, -1.5, 0.1, 1e-6, 9.99999e-7, 1e-7, 1.234e-9, 1e20, 1e21, 1.5e21, -1e-7,
		123456789012345680000.0, math.MaxFloat64, math.SmallestNonzeroFloat64, 120.123456, 30.654321,
		"", "12,-34", "plain text", `a"quote`, `back\slash`, "<b>", "a&b", "tab\there", "line\nbreak",
		"\x7f", "中文 网格", "\u2028", "bad \xff utf-8", time.Date(2026, 11, 26, 20, 0, 0, 0, time.UTC),
		[]string{"a"}, map[string]int{"a": 1}}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		exp := r.IntN(60) - 30
		values = append(values, (r.Float64()-0.5)*math.Pow(10, float64(exp)), r.Int64()-r.Int64())
	}
	for _, v := range values {
		want, wantErr := json.Marshal(v)
		got, err := appendJSON([]byte("x"), v)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("%#v: error %v, json.Marshal's %v", v, err, wantErr)
		}
		if err == nil && string(got[1:]) != string(want) {
			t.Fatalf("%#v: %s, json.Marshal writes %s", v, got[1:], want)
		}
	}
	for _, v := range []any{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := appendJSON(nil, v); err == nil {
			t.Errorf("%v: no error; JSON has no such number", v)
		}
	}
}
