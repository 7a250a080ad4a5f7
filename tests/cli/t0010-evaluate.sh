#!/usr/bin/env bash
# cquant evaluate end to end on a synthetic market: two strategies (one with a vector form,
# one event-only) on two symbols over two periods into a ranked scorecard; the report file
# holds the document; --json twice and on 1 or 2 threads is byte-identical; "not enough data"
# is said, never a NaN; bad input is refused with a clear message and no report. Then
# cquant compare, the top-level name of backtest compare.
. "$(dirname "$0")/lib.sh" "$1"

expect_status 0 "$CQ" data synth --symbol SYN/USDT --tf 1h --bars 2000 --seed 3
expect_status 0 "$CQ" data synth --symbol SYB/USDT --tf 1h --bars 2000 --seed 4 --price 2000

E=(evaluate --strategy sma_cross,grid --symbol SYN/USDT --symbol SYB/USDT --tf 1h
   --period 2024-01-01:2024-02-01 --period 2024-02-01..2024-03-01 --fee 0.001 --quiet)
expect_status 0 "$CQ" "${E[@]}" --param sma_cross.fast=8 --report "$TMP/ev.html" --output "$TMP/ev.json"
contains "$TMP/out" "evaluate: 2 strategies x 2 symbols x 2 periods = 8 backtests"
contains "$TMP/out" "period 1: 2024-01-01T00:00:00Z .. 2024-02-01T00:00:00Z"
contains "$TMP/out" "period 2: 2024-02-01T00:00:00Z .. 2024-03-01T00:00:00Z"
contains "$TMP/out" "pooled Sharpe [95%]"
contains "$TMP/out" "deflated Sharpe over 2 trials"
contains "$TMP/out" "report: $TMP/ev.html"
# both strategies ranked 1 and 2
grep -Eq '^  1  (sma_cross|grid) ' "$TMP/out" || fail "no rank 1: $(cat "$TMP/out")"
grep -Eq '^  2  (sma_cross|grid) ' "$TMP/out" || fail "no rank 2: $(cat "$TMP/out")"

# the document: cells, scorecard, ranking; the parameter given reached its strategy
contains "$TMP/ev.json" '"kind":"evaluate"'
contains "$TMP/ev.json" '"name":"sma_cross","summary"'
contains "$TMP/ev.json" '"fast":8'
contains "$TMP/ev.json" '"symbols":["SYN/USDT","SYB/USDT"]'
contains "$TMP/ev.json" '"periods":[{"from":"2024-01-01T00:00:00Z","to":"2024-02-01T00:00:00Z"},{"from":"2024-02-01T00:00:00Z","to":"2024-03-01T00:00:00Z"}]'
contains "$TMP/ev.json" '"strategy":"grid","symbol":"SYB/USDT","period":1,"from":"2024-02-01T00:00:00Z","to":"2024-03-01T00:00:00Z","engine":"event"'
contains "$TMP/ev.json" '"strategy":"sma_cross","symbol":"SYN/USDT","period":0,"from":"2024-01-01T00:00:00Z","to":"2024-02-01T00:00:00Z","engine":"vector"'
contains "$TMP/ev.json" '"scorecard":[{"strategy":'
contains "$TMP/ev.json" '"ranking":["'
contains "$TMP/ev.json" '"score_formula":"score = 100 x'
[ "$(grep -o '"metrics":{' "$TMP/ev.json" | wc -l)" = 8 ] || fail "expected 8 cells"
if grep -qiE 'nan|infinity' "$TMP/ev.json"; then fail "a NaN in the document"; fi

# the report: one self-contained file carrying the document
[ -s "$TMP/ev.html" ] || fail "no report"
contains "$TMP/ev.html" "<title>cquant evaluation</title>"
contains "$TMP/ev.html" '"kind":"evaluate"'
contains "$TMP/ev.html" "Cells: Sharpe by strategy, symbol and period"
grep -q "LightweightCharts" "$TMP/ev.html" || fail "the chart library is not embedded"
if grep -Eo '(src|href)="https?://[^"]*"' "$TMP/ev.html" | grep -v tradingview >/dev/null; then
  fail "the report fetches from the network"
fi

if command -v node >/dev/null; then
  node "$CQ_SOURCE_DIR/tests/cli/page_smoke.js" "$CQ_SOURCE_DIR/src/optimize/study_page.js" \
    "$TMP/ev.json" >"$TMP/page" 2>&1 || fail "evaluation page: $(cat "$TMP/page")"
fi

# deterministic: the same bytes twice, and on 1 or 2 threads
expect_status 0 "$CQ" "${E[@]}" --json --threads 1
cp "$TMP/out" "$TMP/a.json"
expect_status 0 "$CQ" "${E[@]}" --json --threads 2
cmp -s "$TMP/out" "$TMP/a.json" || fail "1 and 2 threads gave different documents"
expect_status 0 "$CQ" "${E[@]}" --json --threads 2
cmp -s "$TMP/out" "$TMP/a.json" || fail "two identical evaluations differ"

# --periods N cuts the stored range; one strategy takes NAME=VALUE parameters
expect_status 0 "$CQ" evaluate --strategy ema_cross --param fast=5 --symbol SYN/USDT --tf 1h --periods 3 -q
contains "$TMP/out" "1 strategy x 1 symbol x 3 periods = 3 backtests"
contains "$TMP/out" "period 3: "
contains "$TMP/out" "not enough data:"
contains "$TMP/out" "Sharpe spread across symbols: needs at least 2 symbols with a Sharpe ratio (has 1)"

# bad input: exit 2, the reason, no report
expect_status 2 "$CQ" "${E[@]/sma_cross,grid/sma_cros,grid}" --report "$TMP/bad.html"
contains "$TMP/err" "unknown strategy 'sma_cros'; did you mean 'sma_cross'?"
[ ! -e "$TMP/bad.html" ] || fail "a report was written for a failed evaluation"
expect_status 2 "$CQ" evaluate --strategy sma_cross --symbol NOPE/USDT --tf 1h
contains "$TMP/err" "holds no 1h candles of NOPE/USDT"
expect_status 2 "$CQ" evaluate --strategy sma_cross --symbol SYN/USDT --tf 1h \
  --period 2024-01-01:2024-02-01 --period 2030-01-01:2030-02-01
contains "$TMP/err" "SYN/USDT has no candles in period 2 (2030-01-01T00:00:00Z .. 2030-02-01T00:00:00Z)"
expect_status 2 "$CQ" evaluate --strategy sma_cross --symbol SYN/USDT --tf 1h --period 2024-02-01:2024-02-01
contains "$TMP/err" "period 1 (2024-02-01T00:00:00Z .. 2024-02-01T00:00:00Z) is empty"
expect_status 2 "$CQ" evaluate --strategy sma_cross --symbol SYN/USDT --tf 1h \
  --period 2024-01-01:2024-02-01 --period 2024-01-15:2024-03-01
contains "$TMP/err" "periods 1 (2024-01-01T00:00:00Z .. 2024-02-01T00:00:00Z) and 2 (2024-01-15T00:00:00Z .. 2024-03-01T00:00:00Z) overlap"
expect_status 2 "$CQ" evaluate --strategy sma_cross --symbol SYN/USDT --tf 1h \
  --period 2024-02-01:2024-03-01 --period 2024-01-01:2024-01-15
contains "$TMP/err" "are out of order"
expect_status 2 "$CQ" evaluate --strategy sma_cross --symbol SYN/USDT --tf 1h --period soon
contains "$TMP/err" '--period "soon": expected FROM:TO or FROM..TO'
expect_status 2 "$CQ" "${E[@]}" --param fast=5
contains "$TMP/err" "say which strategy it is for: STRATEGY.NAME=VALUE"
expect_status 2 "$CQ" "${E[@]}" --param macd.fast=5
contains "$TMP/err" "macd is not among the strategies evaluated (sma_cross, grid)"
expect_status 2 "$CQ" "${E[@]}" --periods 3
contains "$TMP/err" "give the periods or their number, not both"
expect_status 2 "$CQ" "${E[@]}" --engine vector
contains "$TMP/err" "strategy grid has no vector form"
expect_status 2 "$CQ" evaluate --symbol SYN/USDT --tf 1h
contains "$TMP/err" "--strategy is required"

# help, and compare at the top level (the same table as backtest compare)
expect_status 0 "$CQ" evaluate --help
contains "$TMP/out" "usage: cquant evaluate"
expect_status 0 "$CQ" --help
contains "$TMP/out" "evaluate"
contains "$TMP/out" "compare"
expect_status 0 "$CQ" backtest --strategy sma_cross --symbol SYN/USDT --tf 1h
expect_status 0 "$CQ" backtest --strategy ema_cross --symbol SYN/USDT --tf 1h
expect_status 0 "$CQ" compare 1 2
contains "$TMP/out" "#1 sma_cross"
contains "$TMP/out" "#2 ema_cross"
cp "$TMP/out" "$TMP/top.txt"
expect_status 0 "$CQ" backtest compare 1 2
cmp -s "$TMP/out" "$TMP/top.txt" || fail "compare and backtest compare differ"
expect_status 2 "$CQ" compare 1
contains "$TMP/err" "cquant compare: expected two run ids or more"
expect_status 2 "$CQ" compare 1 99
contains "$TMP/err" "99"
echo ok
