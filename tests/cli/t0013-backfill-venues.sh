#!/usr/bin/env bash
# cquant backfill over several venues at once: one run per venue in parallel, each within its
# own limits, into one store; the usage errors of the venue lists.
. "$(dirname "$0")/lib.sh" "$1"

expect_status 2 "$CQ" backfill --venue binance,okz --symbol BTC/USDT --tf 1h --since 1d
contains "$TMP/err" "okx"
expect_status 2 "$CQ" backfill --venue binance,binance --symbol BTC/USDT --tf 1h --since 1d
contains "$TMP/err" "given twice"
expect_status 2 "$CQ" backfill --venue binance,okx --rest-url http://127.0.0.1:1 \
  --symbol BTC/USDT --tf 1h --since 1d
contains "$TMP/err" "one value per venue"
expect_status 0 "$CQ" backfill --help
contains "$TMP/out" "binance,okx,bybit"

"$CQ" venue-sim --port 0 --json >"$TMP/sim.out" 2>"$TMP/sim.err" &
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

# The same simulator under two names: two venues filled at once into one store.
store="sqlite:$TMP/multi.db"
expect_status 0 "$CQ" --json backfill --venue binance,binance --as sim-a,sim-b \
  --rest-url "$rest,$rest" --symbol BTC/USDT,ETH/USDT --tf 1h \
  --since 2024-01-01 --until 2024-03-01 --store "$store"
python3 - "$TMP/out" <<'PY' || fail "summary: $(cat "$TMP/out")"
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert sorted(r["venue"] for r in runs) == ["sim-a", "sim-b"], runs
for r in runs:
    assert len(r["series"]) == 2, r
    for x in r["series"]:
        assert x["state"] == "done", x
        assert x["candles"] == 60 * 24, x
PY
for v in sim-a sim-b; do
  expect_status 0 "$CQ" data export --venue "$v" --symbol BTC/USDT --tf 1h --format json \
    --store "$store" --output "$TMP/$v.json"
done
cmp -s "$TMP/sim-a.json" "$TMP/sim-b.json" || fail "the two runs stored different candles"
echo "ok: two venues backfilled in parallel into one store"
