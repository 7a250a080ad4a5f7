#!/usr/bin/env bash
# cquant stream: three simulated venues captured at once into the store through the
# in-process bus and through Redis Streams, with the recorder killed (SIGKILL) mid-stream and
# restarted: every event the capture published is applied exactly once. Also `stream status`
# and the usage errors.
. "$(dirname "$0")/lib.sh" "$1"

expect_status 2 "$CQ" stream --venue binance --symbol BTC/USDT --channels trades,bok
contains "$TMP/err" "unknown channel 'bok'"
expect_status 2 "$CQ" stream --venue binance --symbol BTC/USDT --role record
contains "$TMP/err" "needs a shared bus"
expect_status 2 "$CQ" stream --venue binance,okx --rest-url http://127.0.0.1:1 --symbol BTC/USDT
contains "$TMP/err" "one value per venue"
expect_status 2 "$CQ" stream --venue binance --symbol BTC/USDT --bus redis:/x
contains "$TMP/err" "expected inproc or redis://"
expect_status 1 "$CQ" stream status --status "$TMP/none.json"
contains "$TMP/err" "no capture has run"
expect_status 0 "$CQ" stream --help
contains "$TMP/out" "--role ROLE"

start_sim binance --speed 20
start_sim okx --speed 20
start_sim bybit --speed 20
urls="$(url_of binance),$(url_of okx),$(url_of bybit)" || fail "a simulator printed no URL"
common=(--venue binance,okx,bybit --rest-url "$urls" --as binance-sim,okx-sim,bybit-sim
        --symbol BTC/USDT,ETH/USDT --tf 1m,5m)

# Checks, from a capture's --json summary and a store, that every trades and candles topic
# was applied exactly as often as it was published, and each trade stored once.
check_once() { # summary.json store.db
  python3 - "$1" "$2" <<'PY' || fail "exactly once: $(cat "$1")"
import json, sqlite3, sys
cap = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
pub = {t["topic"]: t["published"] for t in cap["topics"]}
db = sqlite3.connect(sys.argv[2])
off = {t: a for t, a in db.execute("SELECT topic, applied FROM stream_offsets")}
stored = [t for t in pub if t.endswith(".trades") or ".candles." in t]
assert len(stored) == 3 * 2 * 3, stored
for t in stored:
    assert off.get(t) == pub[t], (t, pub[t], off.get(t))
for t in stored:
    if not t.endswith(".trades"):
        continue
    _, venue, sym, _ = t.split(".")
    n = db.execute("SELECT count(*) FROM trades WHERE venue = ? AND symbol = ?",
                   (venue, sym)).fetchone()[0]
    assert n == pub[t] and n > 20, (t, n, pub[t])
print("exactly once:", sum(pub[t] for t in stored), "events on", len(stored), "topics")
PY
}

# In-process: capture and record in one run.
expect_status 0 "$CQ" --json stream "${common[@]}" --duration 8 --repair-wait 3 \
  --store "sqlite:$TMP/inproc.db" --status "$TMP/st.json"
cp "$TMP/out" "$TMP/inproc.json"
check_once "$TMP/inproc.json" "$TMP/inproc.db"
python3 - "$TMP/inproc.json" <<'PY' || fail "in-process summary: $(cat "$TMP/inproc.json")"
import json, sys
s = json.loads(open(sys.argv[1]).read())
assert s["publish_errors"] == 0 and s["trades"] > 100 and s["candle_closes"] > 0, s
assert s["recorder"]["duplicates"] == 0, s
PY
expect_status 0 "$CQ" stream status --status "$TMP/st.json"
contains "$TMP/out" "capture stopped"
contains "$TMP/out" "okx-sim      ETH/USDT ticker"
contains "$TMP/out" "recorder:"

# Redis Streams: the capture and the recorder in two processes; the recorder is killed.
redis=$(command -v redis-server || true)
if [ -z "$redis" ]; then
  echo "skipped: no redis-server binary (the Redis part)"
  exit 0
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir "$TMP/redis"
"$redis" --port "$port" --bind 127.0.0.1 --dir "$TMP/redis" --save "" --appendonly no \
  --loglevel warning >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  if "$CQ" stream "${common[@]}" --bus "redis://127.0.0.1:$port" --role record --idle-exit 0.1 \
       --store "sqlite:$TMP/probe.db" --status "$TMP/probe.json" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
bus=(--bus "redis://127.0.0.1:$port" --store "sqlite:$TMP/redis.db")
"$CQ" --json stream "${common[@]}" "${bus[@]}" --role capture --duration 12 --repair-wait 3 \
  --status "$TMP/cap.json" >"$TMP/capture.json" 2>"$TMP/capture.err" &
cap=$!
pids+=($cap)
sleep 1
"$CQ" stream "${common[@]}" "${bus[@]}" --role record --status "$TMP/rec1.json" \
  >"$TMP/rec1.out" 2>"$TMP/rec1.err" &
rec1=$!
sleep 4
kill -9 "$rec1"
wait "$rec1" 2>/dev/null || true
sleep 1
"$CQ" --json stream "${common[@]}" "${bus[@]}" --role record --status "$TMP/rec2.json" \
  >"$TMP/rec2.out" 2>"$TMP/rec2.err" &
rec2=$!
pids+=($rec2)
wait "$cap" || { cat "$TMP/capture.err"; fail "the capture failed"; }
sleep 1
kill -TERM "$rec2"
wait "$rec2" || { cat "$TMP/rec2.err"; fail "the restarted recorder failed"; }
check_once "$TMP/capture.json" "$TMP/redis.db"
python3 - "$TMP/rec2.out" <<'PY' || fail "restarted recorder: $(cat "$TMP/rec2.out")"
import json, sys
s = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
assert s["role"] == "record" and s["recorder"]["applied"] > 0, s
print("restarted recorder:", s["recorder"])
PY
