package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"citymap/server/calendar"
)

func init() {
	register("calendar", "the holiday calendar deadlines and tidal parking count on (calendar import FILE | calendar list)", runCalendar)
}

const calendarUsage = "usage: citymap calendar import [--dry-run] FILE.csv|FILE.xlsx | citymap calendar list [--year YYYY]"

func runCalendar(ctx context.Context, args []string) error {
	if len(args) == 0 {
		return errors.New(calendarUsage)
	}
	switch args[0] {
	case "import":
		return importCalendar(ctx, args[1:])
	case "list":
		return listCalendar(ctx, args[1:])
	}
	return errors.New(calendarUsage)
}

func importCalendar(ctx context.Context, args []string) error {
	fs := newFlags("calendar import")
	dryRun := fs.Bool("dry-run", false, "run every check, the database's included, and write nothing")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), calendarUsage+"\n\nColumns: date (日期), kind (类型: holiday/放假 or workday/上班), name (名称). "+
			"Each year the file covers replaces that year's stored days; one bad row rejects the whole file.")
		fs.PrintDefaults()
	}
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return errors.New(calendarUsage)
	}
	in, err := openInput(files[0])
	if err != nil {
		return err
	}
	defer in.Close()
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	s, replaced, err := calendar.Import(ctx, st, in, *dryRun)
	if err != nil {
		return fmt.Errorf("%s: %w; nothing was written", files[0], err)
	}
	verb := "imported"
	if *dryRun {
		verb = "dry run, nothing written; would import"
	}
	years := make([]string, len(s.Years))
	for i, y := range s.Years {
		years[i] = strconv.Itoa(y)
	}
	fmt.Printf("%s: %s %d days of %s (replacing %d stored)\n", files[0], verb, len(s.Days), strings.Join(years, ", "), replaced)
	return nil
}

func listCalendar(ctx context.Context, args []string) error {
	fs := newFlags("calendar list")
	year := fs.Int("year", 0, "only this year's days (default: the years held, and what is missing)")
	if err := parse(fs, args); err != nil {
		return err
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if *year == 0 {
		held, err := st.CalendarYears(ctx)
		if err != nil {
			return err
		}
		tz, err := st.CityTimezone(ctx)
		if err != nil {
			return err
		}
		zone, err := time.LoadLocation(tz)
		if err != nil {
			return err
		}
		fmt.Printf("years held: %v\nmissing: %v\n", held, calendar.Missing(held, time.Now(), zone))
		return nil
	}
	days, err := st.CalendarDays(ctx, time.Date(*year, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(*year, 12, 31, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return err
	}
	for _, d := range days {
		fmt.Printf("%s\t%s\t%s\n", d.Day.Format(time.DateOnly), d.Kind, d.Name)
	}
	return nil
}
