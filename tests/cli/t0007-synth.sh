#!/usr/bin/env bash
# cquant data synth: a synthetic market into a temporary store (candles and instrument in
# one transaction), listed; the same seed again changes nothing; a CSV that imports back to
# the same candles; bad input refused with a clear message and nothing written.
. "$(dirname "$0")/lib.sh" "$1"

expect_status 0 "$CQ" data synth --symbol SYN/USDT --tf 1m --bars 2000 --seed 7
contains "$TMP/out" "synth SYN/USDT 1m: 2000 synthetic candles, seed 7"
contains "$TMP/out" "2024-01-01T00:00:00Z .. 2024-01-02T09:19:00Z"  # 2000 min = 33 h 20 min
contains "$TMP/out" "tick 0.01"
contains "$TMP/out" "(2000 new, 0 revised, 0 unchanged; instrument written)"

expect_status 0 "$CQ" data list
contains "$TMP/out" "synth"
contains "$TMP/out" "SYN/USDT"
grep -E 'SYN/USDT +1m +2024-01-01T00:00 +2024-01-02T09:19 +2000 +0 +0' "$TMP/out" >/dev/null ||
  fail "list does not show 2000 rows without gaps: $(cat "$TMP/out")"

# deterministic: the same seed writes the same candles, so nothing changes
expect_status 0 "$CQ" data synth --symbol SYN/USDT --tf 1m --bars 2000 --seed 7 --json
contains "$TMP/out" '"inserted":0,"revised":0,"unchanged":2000'
# another seed is another market: every candle differs
expect_status 0 "$CQ" data synth --symbol SYN/USDT --tf 1m --bars 2000 --seed 8 --json
contains "$TMP/out" '"inserted":0,"revised":2000,"unchanged":0'

# a CSV in the import format, the same candles the store got from seed 8
expect_status 0 "$CQ" data synth --symbol SYN/USDT --tf 1m --bars 2000 --seed 8 --out "$TMP/s.csv"
contains "$TMP/out" "-> $TMP/s.csv"
[ "$(wc -l <"$TMP/s.csv")" = 2001 ] || fail "the CSV has $(wc -l <"$TMP/s.csv") lines"
head -1 "$TMP/s.csv" | grep -qx 'open_time_ms,open,high,low,close,volume' || fail "CSV header"
expect_status 0 "$CQ" data export --venue synth --symbol SYN/USDT --tf 1m --output "$TMP/e.csv"
cmp -s "$TMP/s.csv" "$TMP/e.csv" || fail "the CSV differs from the stored candles"

# other venue and price: the tick follows the price
expect_status 0 "$CQ" data synth --symbol ABC/USDT --tf 1h --bars 48 --price 2.5 --venue lab
contains "$TMP/out" "lab ABC/USDT 1h: 48 synthetic candles"
contains "$TMP/out" "tick 0.0001"

# bad input: a clear message, exit 2, nothing written
expect_status 2 "$CQ" data synth --symbol SYN/USDT --tf 1m --bars 0
contains "$TMP/err" "bars must be 1..50000000, not 0"
expect_status 2 "$CQ" data synth --symbol SYN/USDT --tf 7x --bars 10
contains "$TMP/err" 'timeframe "7x"'
expect_status 2 "$CQ" data synth --symbol SYNUSDT --tf 1m --bars 10
contains "$TMP/err" 'symbol "SYNUSDT": expected BASE/QUOTE'
expect_status 2 "$CQ" data synth --symbol BAD/USDT --tf 1M --bars 10
contains "$TMP/err" "timeframe 1M has no fixed length"
expect_status 2 "$CQ" data synth --symbol BAD/USDT --tf 1m
contains "$TMP/err" "--bars are required"
expect_status 0 "$CQ" data list --symbol BAD/USDT
contains "$TMP/out" "(no candles stored)"

echo "t0007-synth: ok"
