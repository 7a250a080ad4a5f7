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

# One simulator per dialect.
start_sim binance
start_sim okx
start_sim bybit
rest=$(url_of binance) || fail "venue-sim binance printed no URL"
okx=$(url_of okx) || fail "venue-sim okx printed no URL"
bybit=$(url_of bybit) || fail "venue-sim bybit printed no URL"

# Three venues at once, each through its own adapter and limits, into one store.
store3="sqlite:$TMP/three.db"
expect_status 0 "$CQ" --json backfill --venue binance,okx,bybit --rest-url "$rest,$okx,$bybit" \
  --symbol BTC/USDT --tf 1h --since 2024-01-01 --until 2024-02-01 --store "$store3"
python3 - "$TMP/out" <<'PY' || fail "three venues: $(cat "$TMP/out")"
import json, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
assert sorted(r["venue"] for r in runs) == ["binance", "bybit", "okx"], runs
for r in runs:
    assert r["instruments"] >= 2, r
    (x,) = r["series"]
    assert x["state"] == "done", x
    assert x["candles"] == 31 * 24, x
PY
# and a rerun asks for nothing new
expect_status 0 "$CQ" --json backfill --venue binance,okx,bybit --rest-url "$rest,$okx,$bybit" \
  --symbol BTC/USDT --tf 1h --since 2024-01-01 --until 2024-02-01 --store "$store3"
python3 - "$TMP/out" <<'PY' || fail "rerun: $(cat "$TMP/out")"
import json, sys
for l in open(sys.argv[1]):
    if l.strip():
        for x in json.loads(l)["series"]:
            assert x["state"] == "done" and x["inserted"] == 0, x
PY
for v in okx bybit; do
  expect_status 0 "$CQ" data export --venue "$v" --symbol BTC/USDT --tf 1h --format json \
    --store "$store3" --output "$TMP/$v.json"
  rows=$(grep -o '"open_time_ms"' "$TMP/$v.json" | wc -l)
  [ "$rows" -eq $((31 * 24)) ] || fail "$v: $rows candles stored"
done

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
echo "ok: binance, okx and bybit backfilled in parallel; two runs of one venue under two names"
