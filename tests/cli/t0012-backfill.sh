#!/usr/bin/env bash
# cquant backfill against the venue simulator over loopback, through the Binance adapter:
# a complete run; a venue maintenance window recorded as a gap; a rerun that asks for
# nothing; and a backfill killed (SIGKILL) at random points twenty times, then resumed, whose
# store must equal the uninterrupted run's, candle for candle.
. "$(dirname "$0")/lib.sh" "$1"

expect_status 0 "$CQ" backfill --help
contains "$TMP/out" "usage: cquant backfill"
expect_status 2 "$CQ" backfill --venue binance --symbol BTC/USDT --tf 1h
contains "$TMP/err" "--since are required"
expect_status 2 "$CQ" backfill --venue binanse --symbol BTC/USDT --tf 1h --since 1d
contains "$TMP/err" "binance"
expect_status 2 "$CQ" backfill --venue binance --symbol BTC/USDT --tf 7x --since 1d
contains "$TMP/err" "--tf 7x"

GAP_FROM=2024-02-10T00:00:00Z
GAP_TO=2024-02-10T06:00:00Z
"$CQ" venue-sim --port 0 --json --gap "$GAP_FROM..$GAP_TO" >"$TMP/sim.out" 2>"$TMP/sim.err" &
pid=$!
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
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
[ -n "$rest" ] || fail "venue-sim printed no URL"

# A symbol the venue does not list is named, with the closest one.
expect_status 2 "$CQ" backfill --venue binance --rest-url "$rest" --symbol BTC/USDX --tf 1h \
  --since 2024-01-01 --until 2024-01-02
contains "$TMP/err" "did you mean BTC/USDT"

# A fixed past range, so every run sees the same history: 40 days of 1m bars, two symbols
# (58 pages of 1000 each).
RANGE=(--since 2024-01-15 --until 2024-02-24)
SERIES=(--venue binance --rest-url "$rest" --symbol BTC/USDT,ETH/USDT --tf 1m)
whole="sqlite:$TMP/whole.db"
expect_status 0 "$CQ" --json backfill "${SERIES[@]}" "${RANGE[@]}" --store "$whole"
python3 - "$TMP/out" <<'PY' || fail "summary: $(cat "$TMP/out")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["instruments"] >= 2, d
s = {x["symbol"]: x for x in d["series"]}
for sym in ("BTC/USDT", "ETH/USDT"):
    x = s[sym]
    assert x["state"] == "done", x
    # 40 days of minutes, less the 6-hour window the venue has no candles for
    assert x["gap_bars"] == 360, x
    assert x["candles"] == 40 * 1440 - 360, x
    assert x["inserted"] == x["candles"], x
PY

# A rerun asks one page per series and stores nothing new.
expect_status 0 "$CQ" --json backfill "${SERIES[@]}" "${RANGE[@]}" --store "$whole"
python3 - "$TMP/out" <<'PY' || fail "rerun: $(cat "$TMP/out")"
import json, sys
d = json.load(open(sys.argv[1]))
for x in d["series"]:
    assert x["state"] == "done" and x["inserted"] == 0 and x["requests"] <= 1, x
PY

# Killed at random points, twenty times, then resumed to the end.
parts="sqlite:$TMP/parts.db"
kills=0
for i in $(seq 1 20); do
  "$CQ" backfill "${SERIES[@]}" "${RANGE[@]}" --store "$parts" >/dev/null 2>"$TMP/kill.err" &
  bf=$!
  # 20 .. 400 ms into the run
  sleep "0.$(printf '%03d' $(( (RANDOM % 380) + 20 )))"
  if kill -9 "$bf" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "$bf" 2>/dev/null || true
done
[ "$kills" -ge 10 ] || fail "only $kills of 20 runs were still going when killed"
expect_status 0 "$CQ" --json backfill "${SERIES[@]}" "${RANGE[@]}" --store "$parts"
python3 - "$TMP/out" <<'PY' || fail "resume: $(cat "$TMP/out")"
import json, sys
d = json.load(open(sys.argv[1]))
for x in d["series"]:
    assert x["state"] == "done", x
PY
for sym in BTC/USDT ETH/USDT; do
  for store in whole parts; do
    expect_status 0 "$CQ" data export --venue binance --symbol "$sym" --tf 1m \
      --format json --store "sqlite:$TMP/$store.db" --output "$TMP/$store.json"
  done
  cmp -s "$TMP/whole.json" "$TMP/parts.json" ||
    fail "$sym: the resumed store differs from the uninterrupted one"
  rows=$(grep -o '"open_time_ms"' "$TMP/whole.json" | wc -l)
  [ "$rows" -eq $((40 * 1440 - 360)) ] || fail "$sym: $rows candles stored"
done

# Through faults (a scenario: 429 bursts, 5xx answers to klines, latency, mid-run): the
# adapter waits and retries, and the store again equals the clean run's.
cat >"$TMP/faults.yaml" <<'YAML'
- after_requests: 5
  fault: "429:2"
- after_requests: 12
  fault: "5xx:2:/api/v3/klines"
- after_requests: 20
  fault: "latency:10"
- after_requests: 40
  fault: "429:1"
YAML
"$CQ" venue-sim --port 0 --gap "$GAP_FROM..$GAP_TO" --faults "$TMP/faults.yaml" \
  >"$TMP/sim2.out" 2>"$TMP/sim2.err" &
pid2=$!
trap 'stop; kill "$pid2" 2>/dev/null || true; rm -rf "$TMP"' EXIT
rest2=""
for _ in $(seq 1 100); do
  rest2=$(sed -n 's/^rest: //p' "$TMP/sim2.out" 2>/dev/null)
  [ -n "$rest2" ] && break
  kill -0 "$pid2" 2>/dev/null || { cat "$TMP/sim2.err"; fail "faulty venue-sim exited early"; }
  sleep 0.1
done
[ -n "$rest2" ] || fail "the faulty venue-sim printed no URL"
faulty="sqlite:$TMP/faulty.db"
SHORT=(--since 2024-01-15 --until 2024-01-27)
expect_status 0 "$CQ" --json backfill --venue binance --rest-url "$rest2" \
  --symbol BTC/USDT,ETH/USDT --tf 1m "${SHORT[@]}" --store "$faulty"
for sym in BTC/USDT ETH/USDT; do
  expect_status 0 "$CQ" data export --venue binance --symbol "$sym" --tf 1m "${SHORT[@]}" \
    --format json --store "$faulty" --output "$TMP/faulty.json"
  expect_status 0 "$CQ" data export --venue binance --symbol "$sym" --tf 1m "${SHORT[@]}" \
    --format json --store "$whole" --output "$TMP/whole.json"
  cmp -s "$TMP/whole.json" "$TMP/faulty.json" ||
    fail "$sym: the backfill through faults differs from the clean one"
done
kill -TERM "$pid2" 2>/dev/null || true
wait "$pid2" 2>/dev/null || true
# the scenario's first three faults (two 429s, two 503s) were answered, at least
grep -Eq 'requests \(([4-9]|[1-9][0-9]+) answered by faults' "$TMP/sim2.out" ||
  fail "the faults did not fire: $(cat "$TMP/sim2.out")"

# Ctrl-C (SIGINT) stops cleanly with 130 and says how to resume.
int="sqlite:$TMP/int.db"
"$CQ" backfill "${SERIES[@]}" "${RANGE[@]}" --store "$int" >"$TMP/int.out" 2>"$TMP/int.err" &
bf=$!
sleep 0.3
kill -INT "$bf" 2>/dev/null || true
set +e
wait "$bf"
st=$?
set -e
if [ "$st" != 0 ]; then
  [ "$st" = 130 ] || { cat "$TMP/int.err"; fail "interrupted backfill exited $st"; }
  contains "$TMP/int.err" "run the same command again to resume"
fi
echo "ok: backfill complete, gaps recorded, resumed after $kills kills equal to one run"
