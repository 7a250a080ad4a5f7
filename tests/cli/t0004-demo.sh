#!/usr/bin/env bash
# The main job on the bundled samples: every file imported, checked, resampled, a feature
# set built over each series, listed; a second run changes nothing.
. "$(dirname "$0")/lib.sh" "$1"
D="${CQ_SOURCE_DIR:?}/tests/data"

F="${CQ_SOURCE_DIR:?}/examples/features/trend.yaml"
expect_status 0 "$CQ" demo --data "$D" --features "$F"
contains "$TMP/out" "binance_ALT_BTC-1m.head300.csv: 300 candles (csv): 300 new"
contains "$TMP/out" "binance_BTC_USDT-5m.head300.csv: 300 candles (csv): 300 new"
contains "$TMP/out" "binance ALT/BTC 1m: 300 candles"
contains "$TMP/out" "gap              110 (197 bars missing)"
contains "$TMP/out" "binance BTC/USDT 5m -> 1h"
contains "$TMP/err" "$ cquant data list"
contains "$TMP/err" "$ cquant features build $F --venue binance --symbol BTC/USDT --tf 5m"
contains "$TMP/out" ": 300 rows x 8 features = 2400 values built and stored"
expect_status 0 "$CQ" demo --data "$D" --features "$F"
contains "$TMP/out" "300 candles (csv): 0 new, 0 revised, 300 unchanged"
contains "$TMP/out" "up to date (300 rows x 8 features); nothing written"

expect_status 1 "$CQ" demo --data "$TMP/nowhere"
contains "$TMP/err" "cannot read folder"
mkdir "$TMP/empty"
expect_status 1 "$CQ" demo --data "$TMP/empty"
contains "$TMP/err" "no candle files"
echo ok
