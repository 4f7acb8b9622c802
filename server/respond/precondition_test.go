package respond

import (
	"net/http/httptest"
	"slices"
	"testing"
)

func TestIfMatch(t *testing.T) {
	tests := []struct {
		header []string
		want   []int
	}{
		{nil, nil},
		{[]string{"*"}, nil},
		{[]string{`"3"`}, []int{3}},
		{[]string{`W/"3"`}, []int{3}},
		{[]string{`"3", W/"4"`}, []int{3, 4}},
		{[]string{`"3"`, `"5"`}, []int{3, 5}},
		{[]string{`3`}, []int{-1}}, // not a quoted tag: cannot match
		{[]string{`"abc"`}, []int{-1}},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "/", nil)
		for _, h := range tt.header {
			r.Header.Add("If-Match", h)
		}
		if got := IfMatch(r); !slices.Equal(got, tt.want) {
			t.Errorf("If-Match %q: %v, want %v", tt.header, got, tt.want)
		}
	}
}
