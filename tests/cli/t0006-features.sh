#!/usr/bin/env bash
# cquant features: show, build (and the no-op rebuild), a new version beside the old one,
# export as CSV and JSON checked against the TA-Lib reference values, list, and errors that
# name the file, line, column and feature.
. "$(dirname "$0")/lib.sh" "$1"
D=${CQ_SOURCE_DIR:?}/tests/data
S=(--venue binance --symbol BTC/USDT --tf 5m)

expect_status 0 "$CQ" data import "$D/binance_BTC_USDT-5m.head300.csv" "${S[@]}"

cat >"$TMP/trend.yaml" <<'YAML'
name: trend
features:
  ema20: ema:20            # TA-Lib's EMA_20 column
  sma20: {ind: sma, params: {period: 20}}
  gap: {diff: [ema20, sma20]}
  rel: {ratio: [close, sma20]}
  gap_prev: {lag: gap, periods: 1}
  gap_z: {zscore: gap, window: 30}
YAML

expect_status 0 "$CQ" features show "$TMP/trend.yaml"
contains "$TMP/out" "set trend, version "
contains "$TMP/out" "sma20 = ind sma(period=20) output=value inputs=close"
version=$(sed -n 's/^set trend, version \([0-9a-f]*\),.*/\1/p' "$TMP/out")
[ ${#version} = 16 ] || fail "version '$version'"

expect_status 0 "$CQ" features build "$TMP/trend.yaml" "${S[@]}"
contains "$TMP/out" "trend $version: 300 rows x 6 features = 1800 values built and stored"
expect_status 0 "$CQ" features build "$TMP/trend.yaml" "${S[@]}" --json
contains "$TMP/out" '"up_to_date":true'

# the stored values are TA-Lib's (the reference fixture holds EMA_20 and SMA_20)
expect_status 0 "$CQ" features export trend "${S[@]}" --output "$TMP/f.csv"
[ "$(head -1 "$TMP/f.csv")" = "open_time,ema20,sma20,gap,rel,gap_prev,gap_z" ] || fail "header"
[ "$(wc -l <"$TMP/f.csv")" = 301 ] || fail "rows"
ref=$D/reference/talib/binance_BTC_USDT-5m.head300.csv
awk -F, 'NR == FNR { if (FNR > 1) { e[FNR] = $3; s[FNR] = $2 } next }
  FNR > 1 {
    if (e[FNR] == "" && $2 != "") { print "ema at row " FNR " before TA-Lib"; bad = 1 }
    if (e[FNR] != "" && (($2 - e[FNR]) > 1e-6 || (e[FNR] - $2) > 1e-6)) { print "ema row " FNR ": " $2 " vs " e[FNR]; bad = 1 }
    if (s[FNR] != "" && (($3 - s[FNR]) > 1e-6 || (s[FNR] - $3) > 1e-6)) { print "sma row " FNR; bad = 1 }
    n++
  }
  END { if (bad || n != 300) exit 1 }' "$ref" "$TMP/f.csv" || fail "exported values differ from TA-Lib's"

expect_status 0 "$CQ" features export "$TMP/trend.yaml" "${S[@]}" --format json --from 2023-01-03T17:30:00Z
contains "$TMP/out" '"open_time":"2023-01-03T17:30:00Z","ema20":'
[ "$(grep -c open_time "$TMP/out")" = 3 ] || fail "json rows in range"

# a changed definition is a new version; the old one stays readable
sed 's/ema:20/ema:21/' "$TMP/trend.yaml" >"$TMP/trend2.yaml"
expect_status 0 "$CQ" features build "$TMP/trend2.yaml" "${S[@]}"
expect_status 0 "$CQ" features list --json
[ "$(grep -c '"set":"trend"' "$TMP/out")" = 2 ] || fail "two versions listed"
expect_status 0 "$CQ" features export trend "${S[@]}" --version "$version"
[ "$(wc -l <"$TMP/out")" = 301 ] || fail "old version export"

# errors say what and where
printf 'features:\n  a: ema:12\n  b: {diff: [a, c]}\n' >"$TMP/bad.yaml"
expect_status 2 "$CQ" features build "$TMP/bad.yaml" "${S[@]}"
contains "$TMP/err" "bad.yaml:3:"
contains "$TMP/err" "features.b: unknown input 'c'"
printf 'features:\n  a: emaa:12\n' >"$TMP/bad.yaml"
expect_status 2 "$CQ" features show "$TMP/bad.yaml"
contains "$TMP/err" "did you mean 'ema'"
expect_status 1 "$CQ" features export nosuchset "${S[@]}"
contains "$TMP/err" "no features of set nosuchset"
expect_status 1 "$CQ" features build "$TMP/trend.yaml" --venue binance --symbol ETH/USDT --tf 5m
contains "$TMP/err" "no candles of binance ETH/USDT 5m"
expect_status 2 "$CQ" features frobnicate
expect_status 0 "$CQ" features build --help
contains "$TMP/out" "usage: cquant features build"
echo "ok"
