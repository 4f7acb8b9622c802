package invalid

import (
	"errors"
	"testing"
)

func TestErrorAndPrefix(t *testing.T) {
	tests := []struct {
		prefix string
		err    error
		want   string
	}{
		{"location", &Error{Field: "coordinates", Message: "r"}, "location.coordinates: r"},
		{"coordinates", &Error{Field: "[0][3]", Message: "r"}, "coordinates[0][3]: r"},
		{"geometry", &Error{Message: "r"}, "geometry: r"},
		{"", &Error{Field: "type", Message: "r"}, "type: r"},
		{"", &Error{Message: "r"}, "r"},
		{"x", errors.New("plain"), "plain"},
	}
	for _, tc := range tests {
		if got := Prefix(tc.prefix, tc.err).Error(); got != tc.want {
			t.Errorf("Prefix(%q, %v) = %q, want %q", tc.prefix, tc.err, got, tc.want)
		}
	}
	if Prefix("x", nil) != nil {
		t.Errorf("Prefix of nil must be nil")
	}
}
