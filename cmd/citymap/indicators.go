package main

import (
	"context"
	"errors"
	"fmt"

	"citymap/server/catalog"
)

func init() {
	register("indicators", "import the indicator catalogue from the city's spreadsheet (indicators import FILE)", runIndicators)
}

const indicatorsUsage = "usage: citymap indicators import [--dry-run] FILE.csv|FILE.xlsx"

func runIndicators(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "import" {
		return errors.New(indicatorsUsage)
	}
	fs := newFlags("indicators import")
	dryRun := fs.Bool("dry-run", false, "run every check, the database's included, and write nothing")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), indicatorsUsage+"\n\nColumns: code, parent, name, kind (field/declaration/questionnaire), "+
			"max_points, standard, point_categories, lead_unit, co_units, task_days. One bad row rejects the whole file; "+
			"indicators already stored are updated by code.")
		fs.PrintDefaults()
	}
	files, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if len(files) != 1 {
		return errors.New(indicatorsUsage)
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
	c, err := catalog.Import(ctx, st, in, *dryRun)
	if err != nil {
		return fmt.Errorf("%s: %w; nothing was written", files[0], err)
	}
	verb := "imported"
	if *dryRun {
		verb = "dry run, nothing written; would import"
	}
	fmt.Printf("%s: %s %d indicators (%d created, %d updated)\n", files[0], verb, c.Created+c.Updated, c.Created, c.Updated)
	return nil
}
