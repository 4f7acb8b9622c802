package main

import (
	"context"
	"fmt"
	"time"

	"citymap/server/democity"
)

func init() {
	register("seed", "generate the demo city (Yixing) into the database", runSeed)
}

func runSeed(ctx context.Context, args []string) error {
	opt, err := seedFlags(args)
	if err != nil {
		return err
	}
	st, err := openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	opt.Progress = func(t democity.TableCount) {
		fmt.Printf("%-18s %10d rows %9s\n", t.Table, t.Rows, t.Took.Round(time.Millisecond))
	}
	res, err := democity.Seed(ctx, st.Pool, opt)
	if err != nil {
		return err
	}
	if res.Skipped {
		fmt.Println("the database already has a city: nothing to do")
		return nil
	}
	fmt.Printf("seeded scale %g, seed %d, now %s in %s\n", opt.Scale, opt.Seed, opt.Now.Format(time.RFC3339),
		res.Took.Round(time.Millisecond))
	return nil
}

func seedFlags(args []string) (democity.SeedOptions, error) {
	fs := newFlags("seed")
	scale := fs.Float64("scale", 1, "issue multiplier: 1 gives 52,000 issues, 20 about a million (fractions allowed); the map is the same at every scale")
	seed := fs.Uint64("seed", 1, "random seed: the same --seed and --now give the same data")
	now := fs.String("now", "", "RFC 3339 time the data leads up to (default: the current hour)")
	replace := fs.Bool("replace", false, "empty the seeded tables first when the database already has a city")
	ifEmpty := fs.Bool("if-empty", false, "do nothing when the database already has areas")
	dataDir := fs.String("data-dir", envOr("CITYMAP_DATA_DIR", ".data"), "where the declarations' generated documents are stored, as serve keeps uploads (env CITYMAP_DATA_DIR)")
	if err := parse(fs, args); err != nil {
		return democity.SeedOptions{}, err
	}
	opt := democity.SeedOptions{Options: democity.Options{Scale: *scale, Seed: *seed, Now: time.Now().Truncate(time.Hour)},
		Replace: *replace, IfEmpty: *ifEmpty, DataDir: *dataDir}
	if *now != "" {
		t, err := time.Parse(time.RFC3339, *now)
		if err != nil {
			return opt, fmt.Errorf("--now: %w", err)
		}
		opt.Now = t
	}
	if *scale < 0 {
		return opt, fmt.Errorf("--scale must not be negative")
	}
	return opt, nil
}
