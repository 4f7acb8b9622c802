package parking

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s := newSubscriber(MQTTConfig{URL: "mqtt://127.0.0.1:1"}, nil, func() time.Time { return now })
	at := time.Date(2026, 11, 23, 19, 59, 0, 0, time.FixedZone("", 8*3600))
	for _, c := range []struct {
		topic, payload string
		zone           string
		occupied       int
		at             time.Time
		bad            bool
	}{
		{"citymap/parking/ZH0001/occupancy", `{"occupied": 12, "at": "2026-11-23T19:59:00+08:00"}`, "ZH0001", 12, at, false},
		{"citymap/parking/ZH0001/occupancy", `{"occupied": 12}`, "ZH0001", 12, now, false},
		{"citymap/parking/ZH0001/occupancy", " 7\n", "ZH0001", 7, now, false},
		{"citymap/parking/ZH0001/occupancy", `-3`, "ZH0001", -3, now, false}, // the store rejects it
		{"citymap/parking/ZH0001/occupancy", `{"occupied": 12, "battery": 80}`, "ZH0001", 12, now, false},
		{"citymap/parking/ZH0001/occupancy", `{"at": "2026-11-23T19:59:00+08:00"}`, "", 0, time.Time{}, true},
		{"citymap/parking/ZH0001/occupancy", `{"occupied": 12, "at": "tonight"}`, "", 0, time.Time{}, true},
		{"citymap/parking/ZH0001/occupancy", `twelve`, "", 0, time.Time{}, true},
		{"citymap/parking/ZH0001/occupancy", `12.5`, "", 0, time.Time{}, true},
		{"citymap/parking//occupancy", `12`, "", 0, time.Time{}, true},
		{"citymap/parking/a/b/occupancy", `12`, "", 0, time.Time{}, true},
		{"other/parking/ZH0001/occupancy", `12`, "", 0, time.Time{}, true},
	} {
		m := s.parse(c.topic, []byte(c.payload))
		if c.bad {
			if m.bad == nil {
				t.Errorf("%s %q: accepted as %+v", c.topic, c.payload, m.reading)
			}
			continue
		}
		r := m.reading
		if m.bad != nil || r.Zone != c.zone || r.Occupied != c.occupied || !r.At.Equal(c.at) {
			t.Errorf("%s %q: %+v (%v), want %s %d at %s", c.topic, c.payload, r, m.bad, c.zone, c.occupied, c.at)
		}
	}
}

func TestCheckMQTTURL(t *testing.T) {
	for raw, ok := range map[string]bool{"": true, "mqtt://127.0.0.1:1883": true, "tls://broker:8883": true,
		"ws://broker/mqtt": true, "127.0.0.1:1883": false, "http://broker": false, "mqtt://": false} {
		if err := CheckMQTTURL(raw); (err == nil) != ok {
			t.Errorf("CheckMQTTURL(%q) = %v", raw, err)
		}
	}
}
