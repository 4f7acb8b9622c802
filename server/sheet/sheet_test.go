package sheet_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"citymap/server/sheet"
)

func TestReadCSV(t *testing.T) {
	// a byte-order mark, a quoted field over two lines, a ragged row
	in := "\xef\xbb\xbfa,b\n\"x\ny\",2\n3\n"
	records, lines, err := sheet.Read(strings.NewReader(in), 1<<10)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 3 || records[0][0] != "a" || records[1][0] != "x\ny" || len(records[2]) != 1 {
		t.Fatalf("records %q", records)
	}
	if !slices.Equal(lines, []int{1, 2, 4}) {
		t.Errorf("lines %v, want [1 2 4]", lines)
	}
}

func TestReadXLSX(t *testing.T) {
	f := excelize.NewFile()
	for i, r := range [][]any{{"日期", "类型"}, {"2030-01-01", "放假"}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	records, lines, err := sheet.Read(&b, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 2 || records[1][1] != "放假" || !slices.Equal(lines, []int{1, 2}) {
		t.Fatalf("records %q lines %v", records, lines)
	}
}

func TestReadRefuses(t *testing.T) {
	cases := []struct {
		name, in string
		max      int64
		says     string
	}{
		{"too large", strings.Repeat("a,b\n", 100), 64, "larger than 64 bytes"},
		{"not UTF-8", "名称\n\xb2\xe2\xca\xd4\n", 1 << 10, "not UTF-8"},
		{"broken quotes", "a,\"b\n", 1 << 10, "CSV"},
		{"a zip that is no workbook", "PK\x03\x04garbage", 1 << 10, "XLSX"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := sheet.Read(strings.NewReader(c.in), c.max)
			if err == nil || !strings.Contains(err.Error(), c.says) {
				t.Errorf("err %v, want one saying %q", err, c.says)
			}
		})
	}
}

func TestBlank(t *testing.T) {
	for rec, want := range map[string]bool{"": true, " , \t": true, " ,x": false} {
		if got := sheet.Blank(strings.Split(rec, ",")); got != want {
			t.Errorf("Blank(%q) = %v", rec, got)
		}
	}
}
