package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"citymap/server/bulletins"
)

func init() {
	register("bulletins", "prepare the draft bulletins of the periods just ended (bulletins prepare)", runBulletins)
}

// runBulletins is `citymap bulletins prepare`, for a cron job: the draft
// bulletin of the week, month, quarter and year that ended last (the city's
// time), each once.
func runBulletins(ctx context.Context, args []string) error {
	if len(args) != 1 || args[0] != "prepare" {
		return errors.New("usage: citymap bulletins prepare")
	}
	th, err := bulletins.ParseThresholds(os.Getenv("CITYMAP_BULLETIN_THRESHOLDS"))
	if err != nil {
		return fmt.Errorf("CITYMAP_BULLETIN_THRESHOLDS: %w", err)
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	ids, err := bulletins.Prepare(ctx, st, time.Now(), th)
	if err != nil {
		return err
	}
	fmt.Printf("prepared %d draft bulletin(s)\n", len(ids))
	return nil
}

// bulletinOptions are serve's bulletin settings.
type bulletinOptions struct {
	checks     *taskOptions
	thresholds *string
	chromium   *string
}

func addBulletinFlags(fs *flag.FlagSet) *bulletinOptions {
	o := &bulletinOptions{checks: &taskOptions{flag: "bulletin-checks", env: "CITYMAP_BULLETIN_CHECKS"}}
	fs.DurationVar(&o.checks.every, o.checks.flag, 10*time.Minute,
		"how often the draft bulletins of the periods just ended are prepared; 0 turns it off (env CITYMAP_BULLETIN_CHECKS)")
	o.thresholds = fs.String("bulletin-thresholds", os.Getenv("CITYMAP_BULLETIN_THRESHOLDS"),
		"who a bulletin proposes for an interview and a reward, key=value,… over the defaults "+
			"black_twice=true,black_n=3,on_time_rate=0.6,min_cases=5,points_lost=0 (off),completion_rate=0.5,reward=3,n=10 (env CITYMAP_BULLETIN_THRESHOLDS)")
	o.chromium = fs.String("chromium", os.Getenv("CITYMAP_CHROMIUM"),
		"the headless browser that prints bulletins as PDF; empty finds chromium on PATH (env CITYMAP_CHROMIUM)")
	return o
}

func (o *bulletinOptions) config(fs *flag.FlagSet) (time.Duration, bulletins.Thresholds, error) {
	every, err := o.checks.interval(fs)
	if err != nil {
		return 0, bulletins.Thresholds{}, err
	}
	th, err := bulletins.ParseThresholds(*o.thresholds)
	return every, th, err
}
