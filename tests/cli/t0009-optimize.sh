#!/usr/bin/env bash
# cquant optimize and walkforward end to end on a synthetic market: each sampler runs and
# reports, the same seed gives the same document on 1 and 2 threads, a study is stored,
# listed and resumed to the same trials as one uninterrupted run, a walk-forward stitches
# its windows, and bad input is refused with a clear message and nothing stored.
. "$(dirname "$0")/lib.sh" "$1"

expect_status 0 "$CQ" data synth --symbol SYN/USDT --tf 1h --bars 6000 --seed 5

O=(optimize --strategy sma_cross --symbol SYN/USDT --tf 1h --fee 0.001 --quiet)
expect_status 0 "$CQ" "${O[@]}" --sampler grid --param fast=5:30:5 --param slow=40:120:20 \
  --objective2 max_drawdown --report "$TMP/grid.html"
contains "$TMP/out" "sma_cross: 30 trials (grid sampler)"
contains "$TMP/out" "best: trial"
contains "$TMP/out" "PBO (CSCV)"
contains "$TMP/out" "study 1 stored"
grep -q "LightweightCharts" "$TMP/grid.html" || fail "the chart library is not embedded"
grep -q '"kind":"optimize"' "$TMP/grid.html" || fail "the study document is not in the report"
grep -q '"pareto":\[' "$TMP/grid.html" || fail "no Pareto front with --objective2"
if grep -Eo '(src|href)="https?://[^"]*"' "$TMP/grid.html" | grep -v tradingview >/dev/null; then
  fail "the report fetches from the network"
fi

# the same seed, 1 or 2 threads: the same document
T=("${O[@]}" --sampler tpe --trials 40 --param fast=2:60 --param slow=10:300
   --constraint 'fast < slow' --no-store --json)
expect_status 0 "$CQ" "${T[@]}" --threads 1
cp "$TMP/out" "$TMP/t1.json"
expect_status 0 "$CQ" "${T[@]}" --threads 2
cmp -s "$TMP/out" "$TMP/t1.json" || fail "1 and 2 threads gave different studies"
grep -q 'NaN' "$TMP/t1.json" && fail "NaN in the study document"
expect_status 0 "$CQ" "${O[@]}" --sampler random --trials 25 --seed 3 --no-store
contains "$TMP/out" "25 trials (random sampler)"

# stored, interrupted at 20 trials, resumed to 40: the trials of one 40-trial run
R=("${O[@]}" --sampler tpe --param fast=2:60 --param slow=10:300 --constraint 'fast < slow')
expect_status 0 "$CQ" "${R[@]}" --trials 20
contains "$TMP/out" "study 2 stored"
expect_status 0 "$CQ" optimize --resume 2 --trials 40 --quiet --output "$TMP/resumed.json"
contains "$TMP/out" "40 trials (tpe sampler)"
expect_status 0 "$CQ" "${R[@]}" --trials 40 --no-store --output "$TMP/whole.json"
python3 - "$TMP/resumed.json" "$TMP/whole.json" <<'PY' || fail "resumed study differs"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a["trials"] == b["trials"], "trials differ"
assert a["best"] == b["best"]
PY
expect_status 0 "$CQ" optimize list
contains "$TMP/out" "tpe"
[ "$(grep -c sma_cross "$TMP/out")" = 2 ] || fail "expected 2 stored studies: $(cat "$TMP/out")"

# walk-forward
expect_status 0 "$CQ" walkforward --strategy sma_cross --symbol SYN/USDT --tf 1h --quiet \
  --sampler grid --param fast=5:30:5 --param slow=40:120:20 --is 60d --oos 30d \
  --report "$TMP/wf.html"
contains "$TMP/out" "sma_cross walk-forward: 7 windows"
contains "$TMP/out" "stitched OOS"
contains "$TMP/out" "walk-forward efficiency"
grep -q '"kind":"walkforward"' "$TMP/wf.html" || fail "no walk-forward document in the report"

# the report page draws both documents without a browser (when Node.js is here)
expect_status 0 "$CQ" walkforward --strategy sma_cross --symbol SYN/USDT --tf 1h --quiet \
  --sampler grid --param fast=5:30:5 --param slow=40:120:20 --is 60d --oos 30d \
  --output "$TMP/wf.json"
if command -v node >/dev/null; then
  node "$CQ_SOURCE_DIR/tests/cli/page_smoke.js" "$CQ_SOURCE_DIR/src/optimize/study_page.js" \
    "$TMP/resumed.json" "$TMP/wf.json" >"$TMP/page" 2>&1 || fail "study page: $(cat "$TMP/page")"
fi

# bad input: a clear message, exit 2, nothing stored
expect_status 2 "$CQ" "${O[@]}" --objective sharp
contains "$TMP/err" "did you mean sharpe"
expect_status 2 "$CQ" "${O[@]}" --param fast=10 --param slow=30
contains "$TMP/err" "nothing to search"
expect_status 2 "$CQ" "${O[@]}" --param fast=5:30:5 --param slow=40:60:10 --constraint 'fast > slow'
contains "$TMP/err" "no point of the space"
expect_status 2 "$CQ" "${O[@]}" --constraint 'fast <'
contains "$TMP/err" "column"
expect_status 2 "$CQ" "${O[@]}" --param fats=1:5
contains "$TMP/err" "did you mean fast"
expect_status 2 "$CQ" "${O[@]}" --sampler grid
contains "$TMP/err" "narrow the ranges"
expect_status 2 "$CQ" walkforward --strategy sma_cross --symbol SYN/USDT --tf 1h --quiet \
  --is 900d --oos 30d
contains "$TMP/err" "shorter than one in-sample window"
expect_status 0 "$CQ" optimize list
[ "$(grep -c sma_cross "$TMP/out")" = 2 ] || fail "a refused study was stored"
echo ok
