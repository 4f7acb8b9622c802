package layerimport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"citymap/geo/coordsys"
	"citymap/invalid"
	"citymap/server/store"
)

// Options say what a file holds and how to write it.
type Options struct {
	Layer    Layer
	CoordSys coordsys.System // of the file's coordinates; stored as WGS-84
	DryRun   bool            // check everything, including the database's checks, and write nothing
}

// Report says what an import wrote (or, in a dry run, would have written).
type Report struct {
	Features int
	DryRun   bool
	Counts   []store.ImportCount
}

func (r Report) String() string {
	parts := make([]string, len(r.Counts))
	for i, c := range r.Counts {
		parts[i] = fmt.Sprintf("%s: %d created, %d updated", c.Kind, c.Created, c.Updated)
	}
	verb := "imported"
	if r.DryRun {
		verb = "dry run, nothing written; would import"
	}
	return fmt.Sprintf("%s %d features (%s)", verb, r.Features, strings.Join(parts, "; "))
}

// Import reads, checks and writes a file in one transaction. A rejected
// feature comes back as a *FeatureError; in every error case nothing is written.
func Import(ctx context.Context, st *store.Store, r io.Reader, opt Options) (Report, error) {
	b, err := Read(r, opt.Layer, opt.CoordSys)
	if err != nil {
		return Report{}, err
	}
	return b.Write(ctx, st, opt.DryRun)
}

// Write writes a checked batch through the store in one transaction.
func (b *Batch) Write(ctx context.Context, st *store.Store, dryRun bool) (Report, error) {
	var counts []store.ImportCount
	var err error
	switch b.Layer {
	case Grids, Areas:
		counts, err = st.ImportAreas(ctx, b.Areas, dryRun)
	case Points:
		counts, err = st.ImportPoints(ctx, b.Points, dryRun)
	case Parking:
		counts, err = st.ImportParking(ctx, b.Parking, dryRun)
	default:
		err = fmt.Errorf("unknown layer %q", b.Layer)
	}
	if err != nil {
		return Report{}, b.featureError(err)
	}
	return Report{Features: b.Len(), DryRun: dryRun, Counts: counts}, nil
}

// featureError names the feature behind a row the database refused.
func (b *Batch) featureError(err error) error {
	var ie *store.ImportError
	if !errors.As(err, &ie) || ie.Row < 0 || ie.Row >= len(b.refs) {
		return fmt.Errorf("writing the file: %w", err)
	}
	reason := ie.Reason
	switch {
	case ie.Field == "parent":
		reason += ": import it first (e.g. in an --layer areas file, which may hold every level)"
	case ie.Field == "geometry" && (b.sys == coordsys.WGS84 || b.sys == ""):
		reason += " (PostGIS)"
	case ie.Field == "geometry":
		reason += fmt.Sprintf(" (PostGIS, at the position converted from %s to WGS-84)", b.sys)
	}
	ref := b.refs[ie.Row]
	return &FeatureError{Index: ref.index, Code: ref.code, Err: &invalid.Error{Field: ie.Field, Message: reason}}
}
