#!/usr/bin/env bash
# cquant indicators: list and show the registry (text and JSON), compute indicators over
# stored candles checked against the TA-Lib reference values, and errors (unknown indicator
# with did-you-mean, bad parameters, no candles).
. "$(dirname "$0")/lib.sh" "$1"
D=${CQ_SOURCE_DIR:?}/tests/data
S=(--venue binance --symbol BTC/USDT --tf 5m)

# the registry
expect_status 0 "$CQ" indicators list
contains "$TMP/out" "parameters"
grep -qE '^sma +overlap +Simple Moving Average +close +value +period=30 \[2\.\.100000\]$' \
  "$TMP/out" || fail "sma line in list"
contains "$TMP/out" "atr"
expect_status 0 "$CQ" indicators list --group volatility
contains "$TMP/out" "natr"
if grep -q '^sma ' "$TMP/out"; then fail "--group volatility lists sma"; fi
expect_status 0 "$CQ" indicators list --json
contains "$TMP/out" '{"name":"sma","group":"overlap","title":"Simple Moving Average","inputs":["close"],"params":[{"name":"period","default":30,"min":2,"max":100000,"integer":true}],"outputs":["value"]}'
n_json=$(grep -c '"name":' "$TMP/out")
expect_status 0 "$CQ" indicators list
[ "$(($(wc -l <"$TMP/out") - 1))" = "$n_json" ] || fail "text and JSON lists differ in length"
expect_status 2 "$CQ" indicators list --group volatilty
contains "$TMP/err" "did you mean 'volatility'"

expect_status 0 "$CQ" indicators show atr
contains "$TMP/out" "atr: Average True Range"
contains "$TMP/out" "inputs     high,low,close"
contains "$TMP/out" "period=14 [1..100000]"
contains "$TMP/out" "lookback   14 at the defaults"
expect_status 0 "$CQ" indicators show SMA --json
contains "$TMP/out" '"any_series":true'
contains "$TMP/out" '"lookback":29'
contains "$TMP/out" '"help":"bars in the window"'
expect_status 2 "$CQ" indicators show atrr
contains "$TMP/err" "unknown indicator 'atrr'; did you mean 'atr'?"

# compute over stored candles: TA-Lib's values
expect_status 0 "$CQ" data import "$D/binance_BTC_USDT-5m.head300.csv" "${S[@]}"
expect_status 0 "$CQ" indicators compute "${S[@]}" --ind sma:20 --ind ema:20 --ind atr:14 \
  --output "$TMP/i.csv"
contains "$TMP/err" "300 rows of binance BTC/USDT 5m, 3 indicators written to"
[ "$(head -1 "$TMP/i.csv")" = "open_time,sma_20,ema_20,atr_14" ] || fail "header"
[ "$(wc -l <"$TMP/i.csv")" = 301 ] || fail "rows"
[ "$(sed -n 2p "$TMP/i.csv")" = "2023-01-02T16:45:00Z,,," ] || fail "empty cells before lookback"
ref=$D/reference/talib/binance_BTC_USDT-5m.head300.csv
# columns of the reference: SMA_20 = 2, EMA_20 = 3, ATR_14 = 49
awk -F, 'function off(a, b) { d = a - b; if (d < 0) d = -d; return d > 1e-9 * (1 + (b < 0 ? -b : b)) }
  NR == FNR { if (FNR > 1) { s[FNR] = $2; e[FNR] = $3; a[FNR] = $49 } next }
  FNR > 1 {
    if ((s[FNR] == "") != ($2 == "")) { print "sma presence at row " FNR; bad = 1 }
    if ((e[FNR] == "") != ($3 == "")) { print "ema presence at row " FNR; bad = 1 }
    if ((a[FNR] == "") != ($4 == "")) { print "atr presence at row " FNR; bad = 1 }
    if (s[FNR] != "" && off($2, s[FNR])) { print "sma row " FNR ": " $2 " vs " s[FNR]; bad = 1 }
    if (e[FNR] != "" && off($3, e[FNR])) { print "ema row " FNR ": " $3 " vs " e[FNR]; bad = 1 }
    if (a[FNR] != "" && off($4, a[FNR])) { print "atr row " FNR ": " $4 " vs " a[FNR]; bad = 1 }
    if ($2 != "") m++
    n++
  }
  END { if (bad || n != 300 || m != 281) { print "rows " n ", sma values " m; exit 1 } }' \
  "$ref" "$TMP/i.csv" || fail "computed values differ from TA-Lib's"

# several outputs, parameters by name, JSON, a time range: the rows in range carry the
# values computed over the whole history (warm-up before --from included)
expect_status 0 "$CQ" indicators compute "${S[@]}" --ind "donchian:period=5" --ind trange \
  --format json --from 2023-01-03T17:30:00Z
contains "$TMP/out" '{"open_time":"2023-01-03T17:30:00Z","donchian_period=5_upper":16637,'
contains "$TMP/out" '"trange":16.299999999999272}'
[ "$(grep -c open_time "$TMP/out")" = 3 ] || fail "json rows in range"
expect_status 0 "$CQ" indicators compute "${S[@]}" --ind rsi:14 --from 2023-01-03T17:30:00Z
range_rsi=$(sed -n 2p "$TMP/out")
expect_status 0 "$CQ" indicators compute "${S[@]}" --ind rsi:14
[ "$(grep '^2023-01-03T17:30:00Z' "$TMP/out")" = "$range_rsi" ] || fail "rsi in range != rsi over all"
expect_status 0 "$CQ" indicators compute "${S[@]}" --ind ma:5,1 --ind ema:5
[ "$(cut -d, -f2 "$TMP/out" | tail -n +2 | md5sum)" = "$(cut -d, -f3 "$TMP/out" | tail -n +2 | md5sum)" ] ||
  fail "ma:5,1 differs from ema:5"
head -1 "$TMP/out" | grep -qx "open_time,ma_5_1,ema_5" || fail "ma header"

# errors
expect_status 2 "$CQ" indicators compute "${S[@]}" --ind atrr:14
contains "$TMP/err" "did you mean 'atr'?"
expect_status 2 "$CQ" indicators compute "${S[@]}" --ind sma:1
contains "$TMP/err" "sma: period = 1 is out of range; valid: a whole number 2..100000"
expect_status 2 "$CQ" indicators compute "${S[@]}" --ind "sma:periodd=3"
contains "$TMP/err" "sma: no parameter 'periodd'; it takes: period"
expect_status 2 "$CQ" indicators compute "${S[@]}"
contains "$TMP/err" "--ind is required"
expect_status 2 "$CQ" indicators compute "${S[@]}" --ind sma:3 --format xml
expect_status 1 "$CQ" indicators compute --venue binance --symbol ETH/USDT --tf 5m --ind sma:3
contains "$TMP/err" "no candles of binance ETH/USDT 5m"
expect_status 1 "$CQ" indicators compute "${S[@]}" --ind sma:3 --from 2030-01-01
contains "$TMP/err" "in that time range"
expect_status 2 "$CQ" indicators frobnicate
expect_status 2 "$CQ" indicators
for c in list show compute; do
  expect_status 0 "$CQ" indicators "$c" --help
  contains "$TMP/out" "usage: cquant indicators $c"
done
expect_status 0 "$CQ" --help
contains "$TMP/out" "indicators"
echo "ok"
