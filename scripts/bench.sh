#!/usr/bin/env bash
# Runs every benchmark binary of a build tree (default build/release), one after another.
# bench_store also measures PostgreSQL: unless CQ_BENCH_PG already names a server, it runs
# under tests/integration/store/with_postgres.sh (a throw-away server), when one can start.
# bench_ta writes its figures to $dir/bench/ta_ours.tsv; then the TA-Lib peer runs
# (bench/ta/peer_talib.py) in a venv made once in $dir/bench/venv, when python3 -m venv and
# pip install numpy TA-Lib work; otherwise it says why it was skipped.
# bench_backtest runs both backtest engines on 1,000,000 one-minute bars and prints bars/s,
# the ratio to a trivial loop and peak memory; then vectorbt and backtesting.py run on the
# same bars (bench/backtest/peer_backtest.py, in the same venv), when pip can install them.
set -euo pipefail
dir=${1:-build/release}
list="$dir/bench/benches.txt"
if [ ! -f "$list" ]; then
  echo "bench: $list not found; build the release preset first (make release)" >&2
  exit 1
fi
src="$(cd "$(dirname "$0")/.." && pwd)"
with_pg="$src/tests/integration/store/with_postgres.sh"
ours_ta="$dir/bench/ta_ours.tsv"
status=0
while read -r b; do
  [ -n "$b" ] || continue
  echo "== $(basename "$b")"
  if [ "$(basename "$b")" = bench_store ] && [ -z "${CQ_BENCH_PG:-}" ] &&
    "$with_pg" --check 2>/dev/null; then
    "$with_pg" sh -c 'CQ_BENCH_PG=$CQ_TEST_STORE exec "$0"' "$b" </dev/null || status=1
  elif [ "$(basename "$b")" = bench_ta ]; then
    "$b" --tsv "$ours_ta" </dev/null || status=1
  elif [ "$(basename "$b")" = bench_backtest ]; then
    "$b" --dump "$dir/bench/bt_bars.bin" --tsv "$dir/bench/bt_ours.tsv" </dev/null || status=1
  else
    "$b" </dev/null || status=1
  fi
  echo
done < "$list"

# Peers: never fail the run; say why when skipped.
peer_talib() {
  local venv="$dir/bench/venv" log="$dir/bench/venv-install.log"
  if [ ! -x "$venv/bin/python" ]; then
    if ! python3 -m venv "$venv" >"$log" 2>&1; then
      rm -rf "$venv"
      echo "peer ta-lib: skipped (python3 -m venv failed; see $log)"
      return 0
    fi
  fi
  if ! "$venv/bin/python" -c 'import numpy, talib' 2>/dev/null; then
    if ! "$venv/bin/python" -m pip install -q numpy TA-Lib >>"$log" 2>&1; then
      echo "peer ta-lib: skipped (pip install numpy TA-Lib failed: $(tail -1 "$log"))"
      return 0
    fi
  fi
  "$venv/bin/python" "$src/bench/ta/peer_talib.py" ${ours_ta:+--ours "$ours_ta"} </dev/null ||
    echo "peer ta-lib: skipped (peer_talib.py failed)"
}
if grep -q '/bench_ta$' "$list"; then
  echo "== peer ta-lib"
  peer_talib
fi

# vectorbt and backtesting.py on the bars bench_backtest used (same venv).
peer_backtest() {
  local venv="$dir/bench/venv" log="$dir/bench/venv-install.log"
  if [ ! -x "$venv/bin/python" ] && ! python3 -m venv "$venv" >"$log" 2>&1; then
    rm -rf "$venv"
    echo "peer backtest: skipped (python3 -m venv failed; see $log)"
    return 0
  fi
  if ! "$venv/bin/python" -c 'import vectorbt, backtesting' 2>/dev/null; then
    if ! "$venv/bin/python" -m pip install -q vectorbt backtesting >>"$log" 2>&1; then
      echo "peer backtest: skipped (pip install vectorbt backtesting failed: $(tail -1 "$log"))"
      return 0
    fi
  fi
  "$venv/bin/python" "$src/bench/backtest/peer_backtest.py" --bars "$dir/bench/bt_bars.bin" \
    --ours "$dir/bench/bt_ours.tsv" </dev/null || echo "peer backtest: skipped (peer_backtest.py failed)"
}
if [ -f "$dir/bench/bt_bars.bin" ]; then
  echo "== peer backtest"
  peer_backtest
fi
exit $status
