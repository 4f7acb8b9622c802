package reportcube

// medianSeconds is percentile_cont(0.5) of the durations d (microseconds) as
// seconds, as PostgreSQL computes it over extract(epoch FROM interval)::float8:
// each value is the double nearest to d/10⁶ (an IEEE division of two exact
// doubles rounds as float8in does), and an even count interpolates lo + 0.5 ×
// (hi − lo). nil without values. d is reordered.
func medianSeconds(d []int64) *float64 {
	n := len(d)
	if n == 0 {
		return nil
	}
	k := (n - 1) / 2
	lo := float64(nthSmallest(d, k)) / 1e6
	if n%2 == 1 {
		return &lo
	}
	next := d[k+1]
	for _, v := range d[k+2:] {
		next = min(next, v)
	}
	hi := float64(next) / 1e6
	// the explicit conversion keeps the product from being fused into an FMA
	v := lo + float64(0.5*(hi-lo))
	return &v
}

// nthSmallest reorders d so that d[k] is its k-th smallest value (from 0),
// with nothing smaller after it, and returns it: Hoare's selection in linear
// expected time, where sorting a year's million durations would cost more
// than the rest of a report.
func nthSmallest(d []int64, k int) int64 {
	lo, hi := 0, len(d)-1
	for lo < hi {
		pivot := medianOf3(d[lo], d[lo+(hi-lo)/2], d[hi])
		i, j := lo, hi
		for i <= j {
			for d[i] < pivot {
				i++
			}
			for d[j] > pivot {
				j--
			}
			if i <= j {
				d[i], d[j] = d[j], d[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return d[k]
		}
	}
	return d[k]
}

func medianOf3(a, b, c int64) int64 {
	return max(min(a, b), min(max(a, b), c))
}
