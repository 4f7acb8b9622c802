package calendar_test

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"citymap/server/calendar"
	"citymap/server/dbtest"
)

// A year's schedule as an office would type it: Chinese headers and kinds,
// slashes in dates, a trailing blank row.
const sheet2030 = "日期,类型,名称\n" +
	"2030/1/1,放假,元旦\n" +
	"2030-02-02,上班,春节调休上班\n" + // a Saturday
	"2030-02-03,holiday,春节\n" +
	"2030-02-04,休,春节\n" +
	",,\n"

func TestRead(t *testing.T) {
	s, err := calendar.Read(strings.NewReader("\xef\xbb\xbf" + sheet2030))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.Years, []int{2030}) || len(s.Days) != 4 {
		t.Fatalf("years %v, %d days", s.Years, len(s.Days))
	}
	want := []string{"2030-01-01 holiday 元旦", "2030-02-02 workday 春节调休上班", "2030-02-03 holiday 春节", "2030-02-04 holiday 春节"}
	for i, d := range s.Days {
		if got := d.Day.Format(time.DateOnly) + " " + d.Kind + " " + d.Name; got != want[i] {
			t.Errorf("day %d: %q, want %q", i, got, want[i])
		}
	}
}

func TestReadRefuses(t *testing.T) {
	cases := []struct {
		name, file  string
		line        int
		field, says string
	}{
		{"empty", "", 1, "date", "empty"},
		{"header only", "date,kind\n", 1, "date", "no day"},
		{"unknown column", "date,kind,weather\n2030-01-01,holiday,rain\n", 1, "weather", "unknown column"},
		{"no kind column", "date,name\n2030-01-01,元旦\n", 1, "kind", "lacks the column kind"},
		{"column twice", "date,日期,kind\n", 1, "日期", "appears twice"},
		{"bad date", "date,kind\n2030-13-01,holiday\n", 2, "date", "not a date"},
		{"bad kind", "date,kind\n2030-01-01,party\n", 2, "kind", "neither holiday"},
		{"workday on a weekday", "date,kind\n2030-01-02,上班\n", 2, "kind", "falls on a weekend"},
		{"date twice", "date,kind\n2030-01-01,holiday\n2030/1/1,holiday\n", 3, "date", "already on line 2"},
		{"long name", "date,kind,name\n2030-01-01,holiday," + strings.Repeat("节", 101) + "\n", 2, "name", "longer than 100"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := calendar.Read(strings.NewReader(c.file))
			var re *calendar.RowError
			if !errors.As(err, &re) {
				t.Fatalf("err %v, want a RowError", err)
			}
			if re.Line != c.line || re.Field != c.field || !strings.Contains(re.Reason, c.says) {
				t.Errorf("got %+v, want line %d field %s saying %q", re, c.line, c.field, c.says)
			}
		})
	}
}

func TestReadXLSX(t *testing.T) {
	f := excelize.NewFile()
	rows := [][]any{{"日期", "类型", "名称"}, {"2031-01-01", "放假", "元旦"}, {"2031-10-11", "补班", "国庆节调休上班"}}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	s, err := calendar.Read(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Days) != 2 || s.Days[1].Kind != "workday" || s.Days[1].Day.Weekday() != time.Saturday {
		t.Fatalf("days %+v", s.Days)
	}
}

func TestMissing(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		held []int
		now  string
		want []int
	}{
		{"mid-year, held", []int{2026}, "2026-06-01T12:00:00+08:00", nil},
		{"mid-year, next not due yet", []int{2026}, "2026-11-30T23:59:00+08:00", nil},
		{"December wants the next", []int{2026}, "2026-12-01T00:00:00+08:00", []int{2027}},
		{"December in the city, still November in UTC", []int{2026}, "2026-11-30T16:30:00Z", []int{2027}},
		{"both held", []int{2025, 2026, 2027}, "2026-12-15T09:00:00+08:00", nil},
		{"nothing held", nil, "2027-01-01T00:00:00+08:00", []int{2027}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			now, err := time.Parse(time.RFC3339, c.now)
			if err != nil {
				t.Fatal(err)
			}
			if got := calendar.Missing(c.held, now, shanghai); !slices.Equal(got, c.want) {
				t.Errorf("Missing(%v, %s) = %v, want %v", c.held, c.now, got, c.want)
			}
		})
	}
}

// An import replaces the years it covers and leaves the others; a refused or
// dry-run one writes nothing; working-time deadlines count on what it wrote.
func TestImport(t *testing.T) {
	st := dbtest.New(t)
	ctx := context.Background()
	if _, err := st.Pool.Exec(ctx, `INSERT INTO calendar_days (day, kind, name) VALUES
		('2030-05-01', 'holiday', '旧'), ('2029-05-01', 'holiday', '劳动节')`); err != nil {
		t.Fatal(err)
	}
	days := func() []string {
		t.Helper()
		got, err := st.CalendarDays(ctx, time.Date(2029, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2030, 12, 31, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range got {
			out = append(out, d.Day.Format(time.DateOnly)+" "+d.Name)
		}
		return out
	}
	before := days()
	if _, _, err := calendar.Import(ctx, st, strings.NewReader(sheet2030), true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := calendar.Import(ctx, st, strings.NewReader("date,kind\n2030-01-01,holiday\n2030-01-02,上班\n"), false); err == nil {
		t.Fatal("a bad file was imported")
	}
	if got := days(); !slices.Equal(got, before) {
		t.Fatalf("a dry run or a refused file changed the calendar: %v, was %v", got, before)
	}
	s, replaced, err := calendar.Import(ctx, st, strings.NewReader(sheet2030), false)
	if err != nil {
		t.Fatal(err)
	}
	if replaced != 1 || len(s.Days) != 4 {
		t.Fatalf("replaced %d, imported %d", replaced, len(s.Days))
	}
	want := []string{"2029-05-01 劳动节", "2030-01-01 元旦", "2030-02-02 春节调休上班", "2030-02-03 春节", "2030-02-04 春节"}
	if got := days(); !slices.Equal(got, want) {
		t.Fatalf("calendar %v, want %v", got, want)
	}
	held, err := st.CalendarYears(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(held, 2029) || !slices.Contains(held, 2030) {
		t.Fatalf("years held %v", held)
	}
	// Friday 2030-02-01 16:30 with 2 working hours: the make-up Saturday counts,
	// the holiday Sunday and Monday don't
	var due time.Time
	if err := st.Pool.QueryRow(ctx, `SELECT worktime_due('2030-02-01T16:30:00+08:00'::timestamptz, 2, 'hours')`).Scan(&due); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2030, 2, 2, 9, 30, 0, 0, time.FixedZone("CST", 8*3600)); !due.Equal(want) {
		t.Errorf("due %s, want %s", due, want)
	}
}
