#!/usr/bin/env bash
# The wall's soak (docs/BENCHMARKS.md, "The wall, for hours"): the browser load
# test (webmap/browsertest TestWallLoad, webmap/test/wall-load.mjs) for half an
# hour on one 1920×1080 wall: new cases through the intake API at 10 a second,
# the page's JS heap (after a collection) and DOM size sampled every 30 s.
#
#   scripts/bench-wall.sh           WALL_SOAK_SECONDS=1800 WALL_SOAK_SIZES=1920x1080
#                                   WALL_SOAK_RATE=10 WALL_SOAK_SAMPLE_S=30
#
# The samples go to test-results/bench-wall.csv (wall, t, heap_mb, dom,
# counter, pulses, pulse_labels, feed_rows); the test fails if the heap of the
# last third is above the first third's (with slack) or any check fails.
set -euo pipefail
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

scripts/db.sh start
export CITYMAP_TEST_DATABASE_URL=${CITYMAP_TEST_DATABASE_URL:-$(scripts/db.sh url postgres)}
export CITYMAP_TEST_TEMPLATE=${CITYMAP_TEST_TEMPLATE:-$(scripts/test.sh --template-only)}
secs=${WALL_SOAK_SECONDS:-1800}
mkdir -p test-results
series=$root/test-results/bench-wall.csv
log "$secs s at ${WALL_SOAK_RATE:-10} cases/s on ${WALL_SOAK_SIZES:-1920x1080}; samples in $series"
CITYMAP_REQUIRE_BROWSER=1 \
	CITYMAP_WALL_SECONDS=$secs \
	CITYMAP_WALL_SIZES=${WALL_SOAK_SIZES:-1920x1080} \
	CITYMAP_WALL_RATE=${WALL_SOAK_RATE:-10} \
	CITYMAP_WALL_SAMPLE_S=${WALL_SOAK_SAMPLE_S:-30} \
	CITYMAP_WALL_ROLLOVER=0 \
	CITYMAP_WALL_SERIES=$series \
	go test -count=1 -timeout $((secs + 900))s -run '^TestWallLoad$' -v ./webmap/browsertest/ >test-results/bench-wall.log 2>&1 &&
	rc=0 || rc=$?
grep -v ' INFO http ' test-results/bench-wall.log | tail -40
[ -s "$series" ] || die "no samples (test-results/bench-wall.log)"
# the heap and DOM over the run, by wall: first, middle and last sample, min, max
awk -F, 'NR > 1 { w = $1; gsub(/"/, "", w); n[w]++; h[w, n[w]] = $3; d[w, n[w]] = $4; t[w, n[w]] = $2 }
	END { for (w in n) { k = n[w]; m = int((k + 1) / 2); lo = hi = h[w, 1]; dl = dh = d[w, 1]
		for (i = 1; i <= k; i++) { if (h[w, i] < lo) lo = h[w, i]; if (h[w, i] > hi) hi = h[w, i]; if (d[w, i] < dl) dl = d[w, i]; if (d[w, i] > dh) dh = d[w, i] }
		printf "%s: %d samples over %d s; heap MB first %s, middle %s, last %s (min %s, max %s); DOM %d..%d elements\n",
			w, k, t[w, k], h[w, 1], h[w, m], h[w, k], lo, hi, dl, dh } }' "$series"
exit "$rc"
