package democity

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"

	"citymap/server/catalog"
)

// catalogCSV is the demo city's indicator catalogue (测评体系) as a city's
// spreadsheet holds it; the seeder imports it through the same importer as
// `citymap indicators import`.
//
//go:embed catalog/indicators.csv
var catalogCSV []byte

// Catalog returns the demo city's catalogue, read and checked once.
var Catalog = sync.OnceValue(func() *catalog.Batch {
	b, err := catalog.Read(bytes.NewReader(catalogCSV))
	if err != nil {
		panic(fmt.Sprintf("democity: the embedded catalogue: %v", err))
	}
	return b
})

// catalogEntry is what an inspection of the demo city needs of an indicator.
type catalogEntry struct {
	code      string
	maxPoints float64
}

// fieldIndicators maps a point category and an indicator name to the field
// indicator of the catalogue.
var fieldIndicators = sync.OnceValue(func() map[[2]string]catalogEntry {
	out := map[[2]string]catalogEntry{}
	for _, r := range Catalog().Rows {
		if r.MaxPoints == nil {
			continue
		}
		for _, c := range r.PointCategories {
			out[[2]string{c, r.Name}] = catalogEntry{r.Code, *r.MaxPoints}
		}
	}
	return out
})

// fieldIndicator returns the catalogue's indicator of this name at points of
// category; the democity tables and the catalogue must agree.
func fieldIndicator(category, name string) catalogEntry {
	e, ok := fieldIndicators()[[2]string{category, name}]
	if !ok {
		panic(fmt.Sprintf("democity: the catalogue has no indicator %s for %s", name, category))
	}
	return e
}

// writeIndicators imports the catalogue (updating it when it is there).
func writeIndicators(ctx context.Context, tx pgx.Tx) (int64, error) {
	c, err := Catalog().ImportTx(ctx, tx)
	return int64(c.Created + c.Updated), err
}
