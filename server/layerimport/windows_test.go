package layerimport

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"citymap/invalid"
	"citymap/server/store"
)

func pw(weekday int32, opens, closes string) store.ParkingWindow {
	return store.ParkingWindow{Weekday: weekday, Opens: opens, Closes: closes}
}

func TestParseWindows(t *testing.T) {
	w := func(weekday int, opens, closes string) map[string]any {
		return map[string]any{"weekday": weekday, "opens": opens, "closes": closes}
	}
	tests := []struct {
		name string
		in   []any
		want []store.ParkingWindow
		err  string // field: reason substring
	}{
		{"same day", []any{w(1, "08:00", "18:00")}, []store.ParkingWindow{pw(1, "08:00", "18:00")}, ""},
		{"until midnight", []any{w(2, "18:00", "24:00")}, []store.ParkingWindow{pw(2, "18:00", "24:00")}, ""},
		{"whole day", []any{w(6, "00:00", "24:00")}, []store.ParkingWindow{pw(6, "00:00", "24:00")}, ""},
		{"past midnight splits", []any{w(3, "19:00", "07:30")},
			[]store.ParkingWindow{pw(3, "19:00", "24:00"), pw(4, "00:00", "07:30")}, ""},
		{"Sunday night runs into Monday", []any{w(7, "22:00", "06:00")},
			[]store.ParkingWindow{pw(7, "22:00", "24:00"), pw(1, "00:00", "06:00")}, ""},
		{"closing at 00:00 is midnight", []any{w(5, "20:00", "00:00")}, []store.ParkingWindow{pw(5, "20:00", "24:00")}, ""},
		{"adjacent windows", []any{w(1, "07:00", "09:00"), w(1, "09:00", "10:00")},
			[]store.ParkingWindow{pw(1, "07:00", "09:00"), pw(1, "09:00", "10:00")}, ""},
		{"weekday as text", []any{map[string]any{"weekday": "2", "opens": "08:00", "closes": "09:00"}},
			[]store.ParkingWindow{pw(2, "08:00", "09:00")}, ""},

		{"overlap", []any{w(1, "07:00", "09:00"), w(1, "08:00", "10:00")}, nil, "properties.windows[1]: overlaps windows[0] on weekday 1"},
		{"overlap after midnight", []any{w(1, "22:00", "08:00"), w(2, "07:00", "09:00")}, nil, "properties.windows[1]: overlaps windows[0] on weekday 2"},
		{"no weekday", []any{map[string]any{"opens": "08:00", "closes": "09:00"}}, nil, "properties.windows[0]: weekday"},
		{"minutes out of range", []any{w(1, "08:60", "09:00")}, nil, "properties.windows[0]: opens"},
		{"closes after 24:00", []any{w(1, "08:00", "24:01")}, nil, "properties.windows[0]: closes"},
		{"item not an object", []any{"mon 8-9"}, nil, "properties.windows[0]: must be an object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseWindows(tc.in)
			if tc.err == "" {
				if err != nil || !slices.Equal(got, tc.want) {
					t.Errorf("got %v, %v; want %v", got, err, tc.want)
				}
				return
			}
			var ve *invalid.Error
			if !errors.As(err, &ve) || !strings.Contains(ve.Error(), tc.err) {
				t.Errorf("got %v, want …%s…", err, tc.err)
			}
		})
	}
}
