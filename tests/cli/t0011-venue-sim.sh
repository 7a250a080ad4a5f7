#!/usr/bin/env bash
# cquant venue-sim: started on a port the kernel picks, a few Binance endpoints over HTTP
# (public, signed, an error), then stopped by SIGTERM with its summary; bad options refused.
. "$(dirname "$0")/lib.sh" "$1"

expect_status 0 "$CQ" venue-sim --help
contains "$TMP/out" "usage: cquant venue-sim"
contains "$TMP/out" "--fault F"

expect_status 2 "$CQ" venue-sim --fault explode:1
contains "$TMP/err" "unknown kind"
expect_status 2 "$CQ" venue-sim --trade-rate 1001
contains "$TMP/err" "--trade-rate: at most 1000"
expect_status 1 "$CQ" venue-sim --market replay:sqlite:nothing.db
contains "$TMP/err" "expected replay:STORE?venue=V"

"$CQ" venue-sim --port 0 --json --account demo:secret:USDT=10000,BTC=1 \
  >"$TMP/sim.out" 2>"$TMP/sim.err" &
pid=$!
stop() { kill "$pid" 2>/dev/null || true; }
trap 'stop; rm -rf "$TMP"' EXIT
rest=""
for _ in $(seq 1 100); do
  if grep -q '"rest"' "$TMP/sim.out" 2>/dev/null; then
    rest=$(sed -E 's/.*"rest":"([^"]+)".*/\1/' "$TMP/sim.out")
    break
  fi
  kill -0 "$pid" 2>/dev/null || { cat "$TMP/sim.err"; fail "venue-sim exited early"; }
  sleep 0.1
done
[ -n "$rest" ] || fail "venue-sim printed no URL: $(cat "$TMP/sim.out" "$TMP/sim.err")"
contains "$TMP/sim.out" '"ws":"ws://127.0.0.1:'

get() { curl -s -D "$TMP/h" -o "$TMP/b" -w '%{http_code}' "$@"; }

[ "$(get "$rest/api/v3/ping")" = 200 ] || fail "ping"
[ "$(cat "$TMP/b")" = "{}" ] || fail "ping body: $(cat "$TMP/b")"
contains "$TMP/h" "X-MBX-USED-WEIGHT-1M:"

[ "$(get "$rest/api/v3/klines?symbol=BTCUSDT&interval=1h&limit=3")" = 200 ] || fail "klines"
python3 - "$TMP/b" <<'PY' || fail "klines body: $(cat "$TMP/b")"
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 3 and all(len(r) == 12 for r in rows)
assert rows[1][0] - rows[0][0] == 3600000
PY

[ "$(get "$rest/api/v3/klines?symbol=NOPE&interval=1h")" = 400 ] || fail "bad symbol status"
contains "$TMP/b" '"code":-1121'

# a signed request: HMAC-SHA256 of the query with the account's secret
ts=$(($(date +%s) * 1000))
q="timestamp=$ts"
sig=$(printf '%s' "$q" | openssl dgst -sha256 -hmac secret | sed 's/^.* //')
[ "$(get -H 'X-MBX-APIKEY: demo' "$rest/api/v3/account?$q&signature=$sig")" = 200 ] ||
  fail "account: $(cat "$TMP/b")"
contains "$TMP/b" '"asset":"USDT","free":"10000.00000000"'
[ "$(get -H 'X-MBX-APIKEY: demo' "$rest/api/v3/account?$q&signature=00")" = 400 ] || fail "bad sig"
contains "$TMP/b" '"code":-1022'

kill -TERM "$pid"
wait "$pid" || fail "venue-sim exited $? after SIGTERM"
contains "$TMP/sim.out" '"port":'

# faults from the command line: the first /time answers 503, the next one 200
"$CQ" venue-sim --fault 5xx:1:/api/v3/time --latency 1 >"$TMP/sim.out" 2>"$TMP/sim.err" &
pid=$!
rest=""
for _ in $(seq 1 100); do
  rest=$(sed -n 's/^rest: //p' "$TMP/sim.out" 2>/dev/null)
  [ -n "$rest" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$TMP/sim.err"; fail "venue-sim exited early"; }
  sleep 0.1
done
[ -n "$rest" ] || fail "venue-sim printed no URL: $(cat "$TMP/sim.out" "$TMP/sim.err")"
[ "$(get "$rest/api/v3/ping")" = 200 ] || fail "ping under a fault of /time"
[ "$(get "$rest/api/v3/time")" = 503 ] || fail "the 5xx fault"
[ "$(get "$rest/api/v3/time")" = 200 ] || fail "after the 5xx fault"
kill -INT "$pid"
wait "$pid" || fail "venue-sim exited $? after SIGINT"
contains "$TMP/sim.out" "venue-sim: stopped by signal 2 after 3 requests"

# the OKX and Bybit dialects: their candles, newest first, in their envelopes
for d in okx bybit; do
  "$CQ" venue-sim --dialect "$d" --port 0 --json >"$TMP/sim.out" 2>"$TMP/sim.err" &
  pid=$!
  rest=""
  for _ in $(seq 1 100); do
    if grep -q '"rest"' "$TMP/sim.out" 2>/dev/null; then
      rest=$(sed -E 's/.*"rest":"([^"]+)".*/\1/' "$TMP/sim.out")
      break
    fi
    kill -0 "$pid" 2>/dev/null || { cat "$TMP/sim.err"; fail "venue-sim $d exited early"; }
    sleep 0.1
  done
  [ -n "$rest" ] || fail "venue-sim $d printed no URL"
  contains "$TMP/sim.out" "\"dialect\":\"$d\""
  if [ "$d" = okx ]; then
    [ "$(get "$rest/api/v5/market/candles?instId=BTC-USDT&bar=1H&limit=3")" = 200 ] ||
      fail "okx candles"
    python3 - "$TMP/b" <<'PY' || fail "okx candles body: $(cat "$TMP/b")"
import json, sys
j = json.load(open(sys.argv[1]))
rows = j["data"]
assert j["code"] == "0" and len(rows) == 3 and all(len(r) == 9 for r in rows)
assert int(rows[0][0]) - int(rows[1][0]) == 3600000 and rows[0][8] == "0" and rows[1][8] == "1"
PY
    [ "$(get "$rest/api/v5/market/candles?instId=NO-PE&bar=1H")" = 400 ] || fail "okx bad symbol"
    contains "$TMP/b" '"code":"51001"'
  else
    [ "$(get "$rest/v5/market/kline?category=spot&symbol=BTCUSDT&interval=60&limit=3")" = 200 ] ||
      fail "bybit kline"
    python3 - "$TMP/b" <<'PY' || fail "bybit kline body: $(cat "$TMP/b")"
import json, sys
j = json.load(open(sys.argv[1]))
rows = j["result"]["list"]
assert j["retCode"] == 0 and len(rows) == 3 and all(len(r) == 7 for r in rows)
assert int(rows[0][0]) - int(rows[1][0]) == 3600000
PY
  fi
  kill -TERM "$pid"
  wait "$pid" || fail "venue-sim $d exited $? after SIGTERM"
done
