#!/usr/bin/env bash
# The main job on the bundled samples: every file imported, checked, resampled, listed;
# a second run changes nothing.
. "$(dirname "$0")/lib.sh" "$1"
D="${CQ_SOURCE_DIR:?}/tests/data"

expect_status 0 "$CQ" demo --data "$D"
contains "$TMP/out" "binance_ALT_BTC-1m.head300.csv: 300 candles (csv): 300 new"
contains "$TMP/out" "binance_BTC_USDT-5m.head300.csv: 300 candles (csv): 300 new"
contains "$TMP/out" "binance ALT/BTC 1m: 300 candles"
contains "$TMP/out" "gap              110 (197 bars missing)"
contains "$TMP/out" "binance BTC/USDT 5m -> 1h"
contains "$TMP/err" "$ cquant data list"
expect_status 0 "$CQ" demo --data "$D"
contains "$TMP/out" "300 candles (csv): 0 new, 0 revised, 300 unchanged"

expect_status 1 "$CQ" demo --data "$TMP/nowhere"
contains "$TMP/err" "cannot read folder"
mkdir "$TMP/empty"
expect_status 1 "$CQ" demo --data "$TMP/empty"
contains "$TMP/err" "no candle files"
echo ok
