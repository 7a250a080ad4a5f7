#!/usr/bin/env bash
# cquant data: import (three formats), re-import, revisions, bad rows, export round trip,
# list, check and resample, against a SQLite store in a temporary folder.
. "$(dirname "$0")/lib.sh" "$1"
S=(--venue binance --symbol BTC/USDT)

# 2024-01-01 00:00 .. 00:09 UTC, one-minute candles, our CSV
cat >"$TMP/a.csv" <<'CSV'
open_time_ms,open,high,low,close,volume
1704067200000,42283.58,42298.62,42261.02,42298.61,35.92724
1704067260000,42298.62,42320.00,42290.60,42320.00,21.35922
1704067320000,42319.99,42331.54,42302.29,42307.47,21.02793
1704067380000,42307.47,42321.81,42306.46,42320.00,11.89863
1704067440000,42320.00,42355.05,42320.00,42353.03,18.81000
1704067500000,42353.03,42353.03,42334.60,42338.66,12.34455
1704067560000,42338.66,42338.66,42311.40,42311.40,10.21893
1704067620000,42311.40,42336.00,42306.37,42335.23,13.92021
1704067680000,42335.23,42340.00,42322.26,42322.27,9.61880
1704067740000,42322.27,42330.00,42313.84,42316.99,6.35880
CSV

expect_status 0 "$CQ" data import "$TMP/a.csv" "${S[@]}" --tf 1m
contains "$TMP/out" "10 candles (csv): 10 new, 0 revised, 0 unchanged"

# the same file again changes nothing
expect_status 0 "$CQ" data import "$TMP/a.csv" "${S[@]}" --tf 1m --json
contains "$TMP/out" '"inserted":0,"revised":0,"unchanged":10'

# the venue revised one candle's close and volume
sed 's/^1704067740000,.*/1704067740000,42322.27,42330.00,42313.84,42317.50,7.00000/' "$TMP/a.csv" >"$TMP/b.csv"
expect_status 0 "$CQ" data import "$TMP/b.csv" "${S[@]}" --tf 1m
contains "$TMP/out" "0 new, 1 revised, 9 unchanged"

# export round trip: what comes out is what went in (values in shortest exact form)
expect_status 0 "$CQ" data export "${S[@]}" --tf 1m --output "$TMP/out.csv"
[ "$(wc -l <"$TMP/out.csv")" = 11 ] || fail "export has $(wc -l <"$TMP/out.csv") lines"
contains "$TMP/out.csv" "1704067740000,42322.27,42330,42313.84,42317.5,7"
expect_status 0 "$CQ" data import "$TMP/out.csv" "${S[@]}" --tf 1m
contains "$TMP/out" "0 new, 0 revised, 10 unchanged"
expect_status 0 "$CQ" data export "${S[@]}" --tf 1m --from 2024-01-01T00:03:00Z --to 1704067500000 --format json
contains "$TMP/out" '"time":"2024-01-01T00:03:00Z"'
[ "$(grep -c '"open_time_ms"' "$TMP/out")" = 2 ] || fail "expected 2 candles in [00:03, 00:05)"

# a bad row: the file, line and column, and nothing written
cp "$TMP/a.csv" "$TMP/bad.csv"
sed -i 's/^1704067380000,42307.47,42321.81/1704067380000,42307.47,4x/' "$TMP/bad.csv"
expect_status 1 "$CQ" data import "$TMP/bad.csv" --venue binance --symbol ETH/USDT --tf 1m
contains "$TMP/err" "bad.csv:5:24: high: expected a decimal number, got \"4x\""
contains "$TMP/err" "nothing from"
expect_status 0 "$CQ" data list --symbol ETH/USDT
contains "$TMP/out" "(no candles stored)"
# ... or skipped and listed
expect_status 0 "$CQ" data import "$TMP/bad.csv" --venue binance --symbol ETH/USDT --tf 1m --skip-bad
contains "$TMP/out" "9 candles (csv): 9 new"
contains "$TMP/out" "skipped 1 bad rows"
contains "$TMP/out" "bad.csv:5:24: high: expected a decimal number"

# a misaligned open time and a wrong timeframe are refused
expect_status 1 "$CQ" data import "$TMP/a.csv" --venue binance --symbol SOL/USDT --tf 5m
contains "$TMP/err" "a.csv:3:1: open_time: open time 2024-01-01T00:01:00.000Z is not on the 5m grid"
expect_status 2 "$CQ" data import "$TMP/a.csv" --venue binance --symbol BTCUSDT --tf 1m
contains "$TMP/err" "expected BASE/QUOTE"
expect_status 2 "$CQ" data import "$TMP/a.csv" "${S[@]}" --tf 7x
contains "$TMP/err" "timeframe \"7x\""
expect_status 1 "$CQ" data import "$TMP/missing.csv" "${S[@]}" --tf 1m
contains "$TMP/err" "cannot open"

# Binance public-data CSV (no header; microsecond times in newer files) and REST JSON
cat >"$TMP/k.csv" <<'CSV'
1704067200000000,42283.58000000,42554.57000000,42261.02000000,42475.23000000,1271.68108000,1704070799999999,53957248.97378900,47134,682.57581000,28957416.81964500,0
1704070800000000,42475.23000000,42775.00000000,42431.65000000,42613.56000000,1196.37856000,1704074399999999,50984554.74809200,44633,712.45004000,30359829.73074900,0
CSV
expect_status 0 "$CQ" data import "$TMP/k.csv" "${S[@]}" --tf 1h
contains "$TMP/out" "2 candles (binance-csv, microsecond times): 2 new"
cat >"$TMP/k.json" <<'JSON'
[[1704074400000,"42613.57000000","42638.99000000","42550.00000000","42588.01000000","818.46127000",1704077999999,"34853187.98063200",36314,"396.75245000","16895634.67524600","0"]]
JSON
expect_status 0 "$CQ" data import "$TMP/k.json" "${S[@]}" --tf 1h --json
contains "$TMP/out" '"format":"binance-json","rows":1,"inserted":1'
echo '[[1704078000000,"1","2"]]' >"$TMP/bad.json"
expect_status 1 "$CQ" data import "$TMP/bad.json" "${S[@]}" --tf 1h
contains "$TMP/err" "kline 0"

# list: coverage
expect_status 0 "$CQ" data list --json
contains "$TMP/out" '"venue":"binance","symbol":"BTC/USDT","tf":"1h","first":"2024-01-01T00:00:00Z","last":"2024-01-01T02:00:00Z","rows":3,"missing":0,"gaps":0'

# check: a file with a gap, a duplicate, a broken OHLC row and a zero-volume run
cat >"$TMP/q.csv" <<'CSV'
open_time_ms,open,high,low,close,volume
1704067200000,100,101,99,100.5,1
1704067260000,100.5,101,100,100.2,1
1704067260000,100.5,101,100,100.2,1
1704067440000,100.2,100.1,99.5,100,1
1704067500000,100,100,100,100,0
1704067560000,100,100,100,100,0
1704067620000,100,100,100,100,0
CSV
expect_status 0 "$CQ" data check "$TMP/q.csv" --tf 1m --min-zero-run 3
contains "$TMP/out" "7 candles, 4 issues"
contains "$TMP/out" "gap              1 (2 bars missing)"
contains "$TMP/out" "duplicate        1"
contains "$TMP/out" "ohlc             1"
contains "$TMP/out" "zero_volume_run  1"
contains "$TMP/out" "2024-01-01T00:02:00Z .. 2024-01-01T00:03:00Z  2 bars missing"
expect_status 1 "$CQ" data check "$TMP/q.csv" --tf 1m --min-zero-run 3 --strict --json
contains "$TMP/out" '"issues_total":4'
contains "$TMP/out" '"kind":"ohlc","row":3'
# a clean stored series passes --strict
expect_status 0 "$CQ" data check "${S[@]}" --tf 1m --strict
contains "$TMP/out" "binance BTC/USDT 1m: 10 candles, 0 issues"

# resample the stored 1m candles into 5m: two complete buckets
expect_status 0 "$CQ" data resample "${S[@]}" --tf 1m --into 5m
contains "$TMP/out" "10 source candles, 2 buckets (2 new, 0 revised, 0 unchanged)"
expect_status 0 "$CQ" data export "${S[@]}" --tf 5m
contains "$TMP/out" "1704067200000,42283.58,42355.05,42261.02,42353.03,109.02302"
contains "$TMP/out" "1704067500000,42353.03,42353.03,42306.37,42317.5,53.10249"
# into 1h: the one bucket lacks 50 bars, so it is left out unless asked for
expect_status 0 "$CQ" data resample "${S[@]}" --tf 1m --into 1h
contains "$TMP/out" "0 buckets"
contains "$TMP/out" "1 incomplete buckets left out, from 2024-01-01T00:00:00Z to 2024-01-01T00:00:00Z"
expect_status 2 "$CQ" data resample "${S[@]}" --tf 1m --to 5m
contains "$TMP/err" "--into is required"
expect_status 1 "$CQ" data resample --venue binance --symbol BTC/USDT --tf 1w --into 1M
contains "$TMP/err" "1w does not divide 1M"

# retention needs TimescaleDB: SQLite says so; a bad duration is a usage error
expect_status 1 "$CQ" data retention --keep 730d
contains "$TMP/err" "retention policies need PostgreSQL with TimescaleDB"
expect_status 2 "$CQ" data retention --keep 2y
contains "$TMP/err" "--keep: duration"
expect_status 2 "$CQ" data retention
echo ok
