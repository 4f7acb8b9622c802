package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"citymap/geo/coordsys"
	"citymap/server/layerimport"
)

func init() {
	register("import", "import a city's own GeoJSON layer (grids, areas, points, parking)", runImport)
}

const importUsage = "usage: citymap import --layer grids|areas|points|parking [--coord-sys wgs84|gcj02|bd09] [--dry-run] FILE.geojson"

func runImport(ctx context.Context, args []string) error {
	fs := newFlags("import")
	layer := fs.String("layer", "", "what the file holds: grids, areas (any level, property \"level\"), points or parking")
	sys := fs.String("coord-sys", "wgs84", "coordinate system of the file: wgs84, gcj02 (AMap, Tencent) or bd09 (Baidu)")
	dryRun := fs.Bool("dry-run", false, "run every check, the database's included, and write nothing")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), importUsage+"\n\nFILE may be - for standard input. One bad feature rejects the whole file.")
		fs.PrintDefaults()
	}
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	opt, err := importOptions(*layer, *sys, *dryRun, files)
	if err != nil {
		return err
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
	report, err := layerimport.Import(ctx, st, in, opt)
	if err != nil {
		return fmt.Errorf("%s: %w; nothing was written", files[0], err)
	}
	fmt.Printf("%s: %s\n", files[0], report)
	return nil
}

func importOptions(layer, sys string, dryRun bool, files []string) (layerimport.Options, error) {
	opt := layerimport.Options{DryRun: dryRun}
	if len(files) != 1 {
		return opt, errors.New(importUsage)
	}
	var err error
	if opt.Layer, err = layerimport.ParseLayer(layer); err != nil {
		return opt, fmt.Errorf("--layer: %w", err)
	}
	if opt.CoordSys, err = coordsys.Parse(sys); err != nil {
		return opt, fmt.Errorf("--coord-sys: %w", err)
	}
	return opt, nil
}

// parseInterspersed parses flags wherever they stand, so that
// `citymap import grids.geojson --layer grids` works too.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// openInput opens FILE, or standard input for "-". A file stays seekable,
// which lets the importer point at broken JSON by line and column.
func openInput(name string) (io.ReadCloser, error) {
	if name == "-" {
		return io.NopCloser(os.Stdin), nil
	}
	return os.Open(name)
}
