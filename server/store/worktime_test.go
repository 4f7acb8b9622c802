package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"citymap/server/dbtest"
	"citymap/server/store"
)

// calendar2026 is the State Council's schedule for the holidays the cases
// below cross: Spring Festival (15–23 February, make-up workdays Saturday 14
// and Saturday 28 February) and National Day (1–7 October, make-up workdays
// Sunday 20 September and Saturday 10 October). The test writes it itself
// rather than trust the demo city's calendar.
var calendar2026 = []struct{ day, kind string }{
	{"2026-02-14", "workday"}, {"2026-02-15", "holiday"}, {"2026-02-16", "holiday"},
	{"2026-02-17", "holiday"}, {"2026-02-18", "holiday"}, {"2026-02-19", "holiday"},
	{"2026-02-20", "holiday"}, {"2026-02-21", "holiday"}, {"2026-02-22", "holiday"},
	{"2026-02-23", "holiday"}, {"2026-02-28", "workday"},
	{"2026-09-20", "workday"}, {"2026-10-01", "holiday"}, {"2026-10-02", "holiday"},
	{"2026-10-03", "holiday"}, {"2026-10-04", "holiday"}, {"2026-10-05", "holiday"},
	{"2026-10-06", "holiday"}, {"2026-10-07", "holiday"}, {"2026-10-10", "workday"},
}

func writeCalendar(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.Pool.Exec(ctx, `DELETE FROM calendar_days WHERE day BETWEEN '2026-01-01' AND '2026-12-31'`); err != nil {
		t.Fatal(err)
	}
	for _, d := range calendar2026 {
		if _, err := st.Pool.Exec(ctx, `INSERT INTO calendar_days (day, kind) VALUES ($1, $2)`, d.day, d.kind); err != nil {
			t.Fatal(err)
		}
	}
}

// at is a local time of the city (+08:00).
func at(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse("2006-01-02 15:04 -0700", s+" +0800")
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestWorktimeDue checks the deadline rule of migration 0023 against cases
// worked out by hand on the 2026 calendar, with the default working day
// 08:30–12:00 and 13:30–17:30.
func TestWorktimeDue(t *testing.T) {
	t.Parallel()
	st := dbtest.New(t)
	writeCalendar(t, st)
	tests := []struct {
		name   string
		start  string
		amount int
		unit   string
		want   string
	}{
		// 40 minutes on Wednesday 30 September, the holiday, then 80 minutes from 08:30 on Thursday 8 October
		{"last workday before National Day", "2026-09-30 16:50", 2, "hours", "2026-10-08 09:50"},
		{"over the lunch break", "2026-09-29 11:00", 2, "hours", "2026-09-29 14:30"},
		{"started at lunch", "2026-09-29 12:30", 4, "hours", "2026-09-29 17:30"},
		{"ends at the close, not the next morning", "2026-09-29 16:30", 1, "hours", "2026-09-29 17:30"},
		{"started before work", "2026-09-29 07:00", 1, "hours", "2026-09-29 09:30"},
		{"started on a holiday", "2026-10-03 10:00", 1, "hours", "2026-10-08 09:30"},
		// 30 minutes on Friday 9 October, 90 on the make-up Saturday
		{"into a make-up Saturday", "2026-10-09 17:00", 2, "hours", "2026-10-10 10:00"},
		{"a Saturday before a make-up Sunday", "2026-09-19 10:00", 1, "hours", "2026-09-20 09:30"},
		{"over a weekend", "2026-11-27 17:00", 1, "hours", "2026-11-30 09:00"},
		{"two working days of hours", "2026-09-29 08:30", 15, "hours", "2026-09-30 17:30"},
		// Saturday 14 February is a make-up workday, then nine days of holiday
		{"workdays across Spring Festival", "2026-02-13 10:00", 3, "workdays", "2026-02-25 17:30"},
		{"workdays from the make-up Saturday", "2026-02-14 09:00", 2, "workdays", "2026-02-25 17:30"},
		{"one workday, the day itself not counted", "2026-02-12 15:00", 1, "workdays", "2026-02-13 17:30"},
		{"workdays to the make-up Saturday after National Day", "2026-09-30 10:00", 3, "workdays", "2026-10-10 17:30"},
		{"urgent into a Saturday night", "2026-11-27 22:00", 4, "urgent", "2026-11-28 02:00"},
		{"urgent across a weekend", "2026-11-27 22:00", 48, "urgent", "2026-11-29 22:00"},
		{"urgent on a holiday", "2026-10-01 10:00", 6, "urgent", "2026-10-01 16:00"},
	}
	for _, tt := range tests {
		var got time.Time
		err := st.Pool.QueryRow(context.Background(), `SELECT worktime_due($1, $2, $3)`,
			at(t, tt.start), tt.amount, tt.unit).Scan(&got)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if want := at(t, tt.want); !got.Equal(want) {
			t.Errorf("%s: %s + %d %s = %s, want %s", tt.name, tt.start, tt.amount, tt.unit,
				got.In(want.Location()).Format(time.DateTime), tt.want)
		}
	}
}

// TestWorktimeResume checks how a suspension moves a deadline: by the working
// time it lasted (hours and workdays), by the wall-clock time (urgent).
func TestWorktimeResume(t *testing.T) {
	t.Parallel()
	st := dbtest.New(t)
	writeCalendar(t, st)
	tests := []struct {
		name                   string
		deadline, since, until string
		unit                   string
		wantBetween            time.Duration
		want                   string
	}{
		// 30 Sep 11:00–12:00 and 13:30–17:30 (5 h), 8 Oct (7.5 h), 9 Oct 08:30–09:00: 13 h; from
		// 9 Oct 09:00, 7 h that day and 6 h on the make-up Saturday
		{"over National Day", "2026-10-09 09:00", "2026-09-30 11:00", "2026-10-09 09:00", "hours", 13 * time.Hour, "2026-10-10 16:00"},
		{"over lunch", "2026-09-29 17:00", "2026-09-29 11:30", "2026-09-29 14:00", "hours", time.Hour, "2026-09-30 09:00"},
		{"a weekend suspension moves nothing", "2026-11-30 10:00", "2026-11-28 09:00", "2026-11-29 18:00", "workdays", 0, "2026-11-30 10:00"},
		{"urgent counts the weekend", "2026-11-30 10:00", "2026-11-28 09:00", "2026-11-29 18:00", "urgent", 33 * time.Hour, "2026-12-01 19:00"},
	}
	for _, tt := range tests {
		var seconds float64
		var got time.Time
		err := st.Pool.QueryRow(context.Background(), `SELECT extract(epoch FROM worktime_between($1, $2))::float8,
			worktime_resume($3, $1, $2, $4)`, at(t, tt.since), at(t, tt.until), at(t, tt.deadline), tt.unit).Scan(&seconds, &got)
		between := time.Duration(seconds * float64(time.Second))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if tt.unit != "urgent" && between != tt.wantBetween {
			t.Errorf("%s: worked %s while suspended, want %s", tt.name, between, tt.wantBetween)
		}
		if want := at(t, tt.want); !got.Equal(want) {
			t.Errorf("%s: deadline %s, want %s", tt.name, got.In(want.Location()).Format(time.DateTime), tt.want)
		}
	}
}

// TestWorkHoursSetting checks that the configured working day is the one
// counted, as serve --work-hours sets it for every connection.
func TestWorkHoursSetting(t *testing.T) {
	t.Parallel()
	st := dbtest.New(t)
	writeCalendar(t, st)
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, st.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL citymap.work_hours = '09:00-17:00'`); err != nil {
			return err
		}
		var got time.Time
		if err := tx.QueryRow(ctx, `SELECT worktime_due($1, 2, 'hours')`, at(t, "2026-09-30 16:50")).Scan(&got); err != nil {
			return err
		}
		if want := at(t, "2026-10-08 10:50"); !got.Equal(want) {
			t.Errorf("09:00-17:00: %s, want %s", got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestWorkHoursOption checks that a store opened with WorkHours (what serve
// --work-hours and CITYMAP_WORK_HOURS do) counts that working day on every
// connection, intake included.
func TestWorkHoursOption(t *testing.T) {
	t.Parallel()
	st := dbtest.New(t)
	writeCalendar(t, st)
	ctx := context.Background()
	other, err := store.Open(ctx, st.Pool.Config().ConnString(), store.WorkHours("09:00-17:00"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var got, dflt time.Time
	start := at(t, "2026-09-30 16:50")
	if err := other.Pool.QueryRow(ctx, `SELECT worktime_due($1, 2, 'hours')`, start).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if err := st.Pool.QueryRow(ctx, `SELECT worktime_due($1, 2, 'hours')`, start).Scan(&dflt); err != nil {
		t.Fatal(err)
	}
	if !got.Equal(at(t, "2026-10-08 10:50")) || !dflt.Equal(at(t, "2026-10-08 09:50")) {
		t.Errorf("with 09:00-17:00: %s; without: %s", got, dflt)
	}
}

func TestParseWorkHours(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{store.DefaultWorkHours, store.DefaultWorkHours, true},
		{"09:00-17:00", "09:00-17:00", true},
		{" 08:00-12:00, 14:00-18:00 ", "08:00-12:00,14:00-18:00", true},
		{"00:00-24:00", "00:00-24:00", true},
		{"", "", false},
		{"9:00-17:00", "", false},
		{"17:00-09:00", "", false},
		{"08:30-12:00,11:00-17:30", "", false},
		{"13:30-17:30,08:30-12:00", "", false},
		{"08:30", "", false},
		{"08:30-25:00", "", false},
	}
	for _, tt := range tests {
		got, err := store.ParseWorkHours(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseWorkHours(%q) = %q, %v; want %q (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
