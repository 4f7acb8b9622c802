package layerimport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	"citymap/server/store"
)

const minutesPerDay = 24 * 60

// window is a weekly window in minutes since midnight; src is its index in
// the file, for messages after past-midnight windows have been split.
type window struct {
	weekday, opens, closes, src int
}

// parseWindows reads a tidal zone's windows: an array of
// {"weekday": 1-7, "opens": "HH:MM", "closes": "HH:MM"}, or that array as a
// JSON string, since shapefile-based tools cannot hold arrays in attributes.
// A window that closes at or before it opens runs past midnight and becomes
// two rows, which is how the schema stores it.
func parseWindows(v any) ([]store.ParkingWindow, error) {
	items, err := windowItems(v)
	if err != nil {
		return nil, err
	}
	var ws []window
	for i, item := range items {
		w, err := parseWindow(item)
		if err != nil {
			return nil, fieldError(fmt.Sprintf("windows[%d]", i), "%v", err)
		}
		w.src = i
		ws = append(ws, splitMidnight(w)...)
	}
	if err := checkOverlaps(ws); err != nil {
		return nil, err
	}
	out := make([]store.ParkingWindow, len(ws))
	for i, w := range ws {
		out[i] = store.ParkingWindow{Weekday: int32(w.weekday), Opens: clock(w.opens), Closes: clock(w.closes)}
	}
	return out, nil
}

func windowItems(v any) ([]any, error) {
	if s, ok := v.(string); ok {
		dec := json.NewDecoder(bytes.NewReader([]byte(s)))
		dec.UseNumber()
		if err := dec.Decode(&v); err != nil {
			return nil, fieldError("windows", "a string here must hold a JSON array: %v", err)
		}
	}
	items, ok := v.([]any)
	if !ok {
		return nil, fieldError("windows", "must be an array, got %s", kind(v))
	}
	return items, nil
}

func parseWindow(item any) (window, error) {
	m, ok := item.(map[string]any)
	if !ok {
		return window{}, fmt.Errorf("must be an object {weekday, opens, closes}, got %s", kind(item))
	}
	var w window
	wd, err := toInteger(m["weekday"])
	if err != nil || wd < 1 || wd > 7 {
		return w, fmt.Errorf("weekday: must be 1 (Monday) to 7 (Sunday), got %v", orNull(m["weekday"]))
	}
	w.weekday = int(wd)
	if w.opens, err = parseClock(m["opens"], false); err != nil {
		return w, fmt.Errorf("opens: %v", err)
	}
	if w.closes, err = parseClock(m["closes"], true); err != nil {
		return w, fmt.Errorf("closes: %v", err)
	}
	if w.opens == w.closes {
		return w, fmt.Errorf("opens and closes are both %s (a whole day is 00:00 to 24:00)", clock(w.opens))
	}
	return w, nil
}

func orNull(v any) any {
	if v == nil {
		return "nothing"
	}
	return v
}

// parseClock reads "HH:MM"; "24:00" is midnight at the end of the day and
// only closes a window.
func parseClock(v any, end bool) (int, error) {
	s, ok := v.(string)
	var h, m int
	if ok && len(s) == 5 && s[2] == ':' && digits(s[:2], 2) && digits(s[3:], 2) {
		h, m = int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
		if (h < 24 && m < 60) || (end && h == 24 && m == 0) {
			return h*60 + m, nil
		}
	}
	if end {
		return 0, fmt.Errorf("must be a time \"HH:MM\" from 00:00 to 24:00, got %v", orNull(v))
	}
	return 0, fmt.Errorf("must be a time \"HH:MM\" from 00:00 to 23:59, got %v", orNull(v))
}

// splitMidnight turns a window past midnight into its part on its own day and
// its part on the next (Sunday is followed by Monday).
func splitMidnight(w window) []window {
	if w.closes > w.opens {
		return []window{w}
	}
	first := window{w.weekday, w.opens, minutesPerDay, w.src}
	if w.closes == 0 {
		return []window{first}
	}
	return []window{first, {w.weekday%7 + 1, 0, w.closes, w.src}}
}

// checkOverlaps rejects windows that overlap on a day: the schema keys them by
// (weekday, opens), and an overlap is a typing mistake in any case.
func checkOverlaps(ws []window) error {
	sorted := append([]window(nil), ws...)
	sort.Slice(sorted, func(i, j int) bool {
		a, b := sorted[i], sorted[j]
		return a.weekday < b.weekday || (a.weekday == b.weekday && a.opens < b.opens)
	})
	for i := 1; i < len(sorted); i++ {
		a, b := sorted[i-1], sorted[i]
		if a.weekday == b.weekday && b.opens < a.closes {
			first, second := min(a.src, b.src), max(a.src, b.src)
			return fieldError(fmt.Sprintf("windows[%d]", second), "overlaps windows[%d] on weekday %d", first, a.weekday)
		}
	}
	return nil
}

// clock formats minutes since midnight as "HH:MM".
func clock(m int) string {
	return fmt.Sprintf("%02d:%02d", m/60, m%60)
}
