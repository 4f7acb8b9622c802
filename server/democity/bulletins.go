package democity

import (
	"context"
	"time"

	"citymap/server/bulletins"
	"citymap/server/period"
	"citymap/server/store"
)

// The demo city's bulletins: the last seededWeeks weekly and seededMonths
// monthly bulletins before its instant, frozen from its own data as the
// 创建办 would have frozen them the day after each period ended, and
// numbered as a city that published one a period since January would have
// (第47期 for the 47th week starting in the year). The figures depend on
// the data and the instant only, so they are the same at every seed.
const (
	seededWeeks  = 4
	seededMonths = 3
)

// seedBulletins freezes the bulletins; it runs after the city is written
// and committed, since it assembles them from the reports.
func seedBulletins(ctx context.Context, st *store.Store, now time.Time) (int64, error) {
	var n int64
	for _, p := range []struct {
		kind  string
		count int
	}{{period.Week, seededWeeks}, {period.Month, seededMonths}} {
		cur, _ := period.Of(p.kind, now)
		rngs := []period.Range{}
		for r, i := cur.Previous(), 0; i < p.count; r, i = r.Previous(), i+1 {
			rngs = append([]period.Range{r}, rngs...)
		}
		for _, rng := range rngs {
			if err := seedBulletin(ctx, st, rng, now); err != nil {
				return n, err
			}
			n++
		}
	}
	return n, nil
}

func seedBulletin(ctx context.Context, st *store.Store, rng period.Range, now time.Time) error {
	// frozen the morning after the period ended (09:00), or at the instant
	at := rng.To.Add(33 * time.Hour)
	if at.After(now) {
		at = now
	}
	f, err := bulletins.Assemble(ctx, st, rng, at, bulletins.DefaultThresholds)
	if err != nil {
		return err
	}
	b, err := bulletins.Stored(rng, f, "", "", at, "reviewer:创建办")
	if err != nil {
		return err
	}
	number := ordinal(rng)
	b.Number = &number
	_, err = st.PublishBulletin(ctx, b)
	return err
}

// ordinal is the period's place in the year it starts in: the month, or the
// week counted from the year's first Monday.
func ordinal(rng period.Range) int {
	from := rng.From.In(period.Zone)
	if rng.Kind == period.Month {
		return int(from.Month())
	}
	return (from.YearDay()-1)/7 + 1
}
