#!/usr/bin/env bash
# Imports every real candle file in $CQ_SHARED_DATA/market into the store named by
# CQUANT_STORE (a fresh SQLite file unless the caller sets CQ_TEST_STORE) and checks the row
# counts, first and last times and gaps that the folder's README lists.
. "$(dirname "$0")/lib.sh" "$1"
[ -n "${CQ_TEST_STORE:-}" ] && export CQUANT_STORE="$CQ_TEST_STORE"
M="${CQ_SHARED_DATA:-}/market"
if [ ! -f "$M/binance_BTC_USDT-5m.csv" ]; then
  echo "skipped: no shared data"
  exit 0
fi

expect_status 0 "$CQ" data import "$M/binance_BTC_USDT-5m.csv" --venue binance --symbol BTC/USDT --tf 5m
contains "$TMP/out" "10999 candles (csv): 10999 new, 0 revised, 0 unchanged"
expect_status 0 "$CQ" data import "$M/binance_ALT_BTC-1m.csv" --venue binance --symbol ALT/BTC --tf 1m
contains "$TMP/out" "13681 candles (csv): 13681 new, 0 revised, 0 unchanged"
# importing again changes nothing
expect_status 0 "$CQ" data import "$M/binance_ALT_BTC-1m.csv" --venue binance --symbol ALT/BTC --tf 1m
contains "$TMP/out" "0 new, 0 revised, 13681 unchanged"

expect_status 0 "$CQ" data list --json
contains "$TMP/out" '"symbol":"ALT/BTC","tf":"1m","first":"2017-11-04T23:02:00Z","last":"2017-11-14T22:59:00Z","rows":13681,"missing":717,"gaps":538'
contains "$TMP/out" '"symbol":"BTC/USDT","tf":"5m","first":"2023-01-02T16:45:00Z","last":"2023-02-09T21:15:00Z","rows":10999,"missing":0,"gaps":0'

# the largest gap: 7 bars after 2017-11-05 03:12
expect_status 0 "$CQ" data check --venue binance --symbol ALT/BTC --tf 1m --json --max-issues 100000
contains "$TMP/out" '"rows":13681,"missing":717'
contains "$TMP/out" '"kind":"gap","row":'
contains "$TMP/out" '"time":"2017-11-05T03:13:00Z","until":"2017-11-05T03:19:00Z","count":7'
grep -q '"ohlc":0' "$TMP/out" || fail "real data has OHLC issues"

# export → import round trip is exact on the small-price file
expect_status 0 "$CQ" data export --venue binance --symbol ALT/BTC --tf 1m --output "$TMP/alt.csv"
cmp <(tail -n +2 "$M/binance_ALT_BTC-1m.csv" | awk -F, '{printf "%s,%.10g,%.10g,%.10g,%.10g,%.10g\n",$1,$2,$3,$4,$5,$6}') \
    <(tail -n +2 "$TMP/alt.csv" | awk -F, '{printf "%s,%.10g,%.10g,%.10g,%.10g,%.10g\n",$1,$2,$3,$4,$5,$6}') \
  || fail "exported ALT/BTC differs from the source file"
expect_status 0 "$CQ" data import "$TMP/alt.csv" --venue binance --symbol ALT/BTC --tf 1m
contains "$TMP/out" "0 new, 0 revised, 13681 unchanged"
echo ok
