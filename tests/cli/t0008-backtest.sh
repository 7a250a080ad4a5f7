#!/usr/bin/env bash
# cquant backtest end to end on a synthetic market: both engines give the same numbers, the
# HTML report is self-contained, runs are stored and listed, shown and compared, a run file
# with overrides, --json twice is byte-identical, and bad input is refused with a clear
# message, no report and nothing stored.
. "$(dirname "$0")/lib.sh" "$1"

expect_status 0 "$CQ" data synth --symbol SYN/USDT --tf 1h --bars 3000 --seed 3
expect_status 0 "$CQ" data synth --symbol SYB/USDT --tf 1h --bars 3000 --seed 4 --price 2000

B=(backtest --strategy sma_cross --symbol SYN/USDT --tf 1h --param fast=8 --param slow=40
   --fee 0.001 --slippage bps:2)
expect_status 0 "$CQ" "${B[@]}" --engine event --report "$TMP/ev.html"
contains "$TMP/out" "sma_cross (event engine) on synth SYN/USDT 1h"
contains "$TMP/out" "run 1 stored"
ev=$(grep -E '^(orders|total_return|end_equity|fees)' "$TMP/out")
expect_status 0 "$CQ" "${B[@]}" --engine vector
contains "$TMP/out" "sma_cross (vector engine)"
vec=$(grep -E '^(orders|total_return|end_equity|fees)' "$TMP/out")
[ "$ev" = "$vec" ] || fail "event and vector differ: $ev / $vec"

# the report: one file, the chart library inside, no network fetches
[ -s "$TMP/ev.html" ] || fail "no report"
grep -q "LightweightCharts" "$TMP/ev.html" || fail "the chart library is not embedded"
if grep -Eo '(src|href)="https?://[^"]*"' "$TMP/ev.html" | grep -v tradingview >/dev/null; then
  fail "the report fetches from the network"
fi

# deterministic JSON, stored runs
expect_status 0 "$CQ" "${B[@]}" --json --no-store
cp "$TMP/out" "$TMP/a.json"
expect_status 0 "$CQ" "${B[@]}" --json --no-store
cmp -s "$TMP/out" "$TMP/a.json" || fail "two identical runs gave different JSON"
contains "$TMP/a.json" '"strategy":"sma_cross"'

expect_status 0 "$CQ" backtest list
contains "$TMP/out" "sma_cross"
[ "$(grep -c sma_cross "$TMP/out")" = 2 ] || fail "expected 2 stored runs: $(cat "$TMP/out")"
expect_status 0 "$CQ" backtest show 1
contains "$TMP/out" "run 1: sma_cross (event engine) on synth SYN/USDT 1h"
contains "$TMP/out" "sharpe"
expect_status 0 "$CQ" backtest show 1 --report "$TMP/again.html"
grep -q "LightweightCharts" "$TMP/again.html" || fail "show --report"
expect_status 0 "$CQ" backtest compare 1 2
contains "$TMP/out" "#1 sma_cross"
contains "$TMP/out" "#2 sma_cross"
expect_status 2 "$CQ" backtest show 99
contains "$TMP/err" "99"

# a run file, a parameter overridden on the command line, two symbols sharing cash
cat >"$TMP/run.yaml" <<'YAML'
strategy: donchian
symbols: [SYN/USDT, SYB/USDT]
tf: 1h
params: {entry_period: 30, exit_period: 10}
fee: 0.001
latency: 1bar
YAML
expect_status 0 "$CQ" backtest "$TMP/run.yaml" --param exit_period=15 --json --no-store
contains "$TMP/out" '"exit_period":15'
contains "$TMP/out" '"entry_period":30'
contains "$TMP/out" '"SYB/USDT"'

# every built-in strategy runs
for s in ema_cross rsi_reversion bbands_breakout macd grid; do
  expect_status 0 "$CQ" backtest --strategy "$s" --symbol SYN/USDT --tf 1h --no-store
done

# bad input: clear errors, exit 2, no report, nothing stored
expect_status 2 "$CQ" backtest --strategy sma_cros --symbol SYN/USDT --tf 1h --report "$TMP/bad.html"
contains "$TMP/err" "sma_cross"
[ ! -e "$TMP/bad.html" ] || fail "a report was written for a failed run"
expect_status 2 "$CQ" backtest --strategy sma_cross --symbol SYN/USDT --tf 1h --param fats=5
contains "$TMP/err" "fast"
expect_status 2 "$CQ" backtest --strategy sma_cross --symbol SYN/USDT --tf 1h --param fast=1
contains "$TMP/err" "fast"
expect_status 2 "$CQ" backtest --strategy sma_cross --symbol SYN/USDT --tf 1h --param fast=50 --param slow=20
contains "$TMP/err" "slow"
expect_status 2 "$CQ" backtest --strategy grid --symbol SYN/USDT --tf 1h --engine vector
contains "$TMP/err" "no vector form"
expect_status 2 "$CQ" backtest --strategy sma_cross --symbol SYN/USDT --tf 1h --fill close --latency 1bar
contains "$TMP/err" "--fill close needs --latency 0"
expect_status 2 "$CQ" backtest --strategy sma_cross --symbol SYN/USDT --tf 1h --fee 0.5
contains "$TMP/err" "a fee rate is a fraction"
expect_status 2 "$CQ" backtest --strategy sma_cross --symbol SYN/USDT --tf 1h --slippage bsp:2
contains "$TMP/err" "expected none, bps:N"
expect_status 1 "$CQ" backtest --strategy sma_cross --symbol SYN/USDT --tf 1h --from 2030-01-01 --venue synth
contains "$TMP/err" "no synth SYN/USDT 1h candles in the range asked (the store holds"
expect_status 2 "$CQ" backtest --strategy sma_cross --symbol NOPE/USDT --tf 1h
contains "$TMP/err" "holds no 1h candles of NOPE/USDT"
printf 'strategy: sma_cross\nsymbol: SYN/USDT\ntf: 1h\nfees: 0.001\n' >"$TMP/typo.yaml"
expect_status 2 "$CQ" backtest "$TMP/typo.yaml"
contains "$TMP/err" "typo.yaml:4:1: fees: unknown setting"

# a gap: refused with the missing range, accepted with --allow-gaps
expect_status 0 "$CQ" data synth --symbol GAP/USDT --tf 1h --bars 100 --seed 5 --out "$TMP/g.csv"
sed -i '50,54d' "$TMP/g.csv"
expect_status 0 "$CQ" data import "$TMP/g.csv" --venue synth --symbol GAP/USDT --tf 1h
expect_status 1 "$CQ" backtest --strategy sma_cross --symbol GAP/USDT --tf 1h
contains "$TMP/err" "5 bars missing in 1 gap"
contains "$TMP/err" "--allow-gaps"
expect_status 0 "$CQ" backtest --strategy sma_cross --symbol GAP/USDT --tf 1h --allow-gaps
expect_status 0 "$CQ" backtest list --json
[ "$(grep -c '"id"' "$TMP/out")" = 3 ] || fail "failed runs were stored: $(cat "$TMP/out")"

# tick data: trades written straight into the store (10 hours, 12 trades an hour at the
# hour's level plus 0.1 a trade: a fall, a rise, a fall), candles aggregated from them. SMA(2)
# crosses above SMA(3) at hour 4's close and below at hour 8's: a buy at hour 5's first trade,
# a sell at hour 9's.
T0=1704067200000000000  # 2024-01-01T00:00Z in ns
L=(150 140 130 140 150 160 170 160 150 140)
sql="BEGIN;"
for i in $(seq 0 119); do
  p="${L[$((i / 12))]}.$((i % 12))"
  [ $((i % 12)) -ge 10 ] && p="$((${L[$((i / 12))]} + 1)).$((i % 12 - 10))"
  sql="$sql INSERT INTO trades VALUES ('synth','TCK/USDT','$i',$((T0 + i * 300000000000)),'$p','2',1);"
done
sqlite3 "$TMP/store.db" "$sql COMMIT;"
TB=(backtest --strategy sma_cross --venue synth --symbol TCK/USDT --tf 1h --param fast=2 --param slow=3)
expect_status 0 "$CQ" "${TB[@]}" --ticks --json --no-store
contains "$TMP/out" '"time":"2024-01-01T05:00:00Z","symbol":"TCK/USDT","side":"buy","price":160'
contains "$TMP/out" '"time":"2024-01-01T09:00:00Z","symbol":"TCK/USDT","side":"sell","price":140'
expect_status 1 "$CQ" "${TB[@]}"
contains "$TMP/err" "no synth TCK/USDT 1h candles"
expect_status 2 "$CQ" "${TB[@]}" --ticks --engine vector
contains "$TMP/err" "trade data needs the event engine"
expect_status 1 "$CQ" "${TB[@]/TCK/NOPE}" --ticks
contains "$TMP/err" "no synth NOPE/USDT trades stored"

expect_status 0 "$CQ" backtest strategies
for s in sma_cross ema_cross rsi_reversion bbands_breakout macd donchian grid; do
  contains "$TMP/out" "$s"
done
expect_status 2 "$CQ" backtest lsit
contains "$TMP/err" "list"
echo ok
