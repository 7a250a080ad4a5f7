# Shared helpers for the numbered CLI scripts. Usage: . "$(dirname "$0")/lib.sh" "$1"
set -euo pipefail
CQ=${1:?usage: $0 path/to/cquant}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
export CQUANT_STORE="sqlite:$TMP/store.db"
unset CQUANT_CONFIG CQUANT_LOG_LEVEL

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_status N cmd...: runs cmd, keeps stdout in $TMP/out and stderr in $TMP/err
expect_status() {
  local want=$1; shift
  set +e
  "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  set -e
  if [ "$got" != "$want" ]; then
    echo "--- stdout"; cat "$TMP/out"; echo "--- stderr"; cat "$TMP/err"
    fail "$* exited $got, expected $want"
  fi
}

# contains FILE TEXT: FILE holds TEXT (fixed string)
contains() {
  grep -qF -- "$2" "$1" || { echo "--- $1"; cat "$1"; fail "expected to find: $2"; }
}

# Venue simulators in the background, stopped when the script exits.
# start_sim DIALECT [venue-sim options...]; url_of DIALECT prints its REST URL once it listens.
pids=()
stop_sims() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap 'stop_sims; rm -rf "$TMP"' EXIT
start_sim() {
  local d=$1; shift
  "$CQ" venue-sim --dialect "$d" --port 0 --json "$@" >"$TMP/sim-$d.out" 2>"$TMP/sim-$d.err" &
  pids+=($!)
}
url_of() {
  for _ in $(seq 1 100); do
    if grep -q '"rest"' "$TMP/sim-$1.out" 2>/dev/null; then
      sed -E 's/.*"rest":"([^"]+)".*/\1/' "$TMP/sim-$1.out"
      return 0
    fi
    sleep 0.1
  done
  cat "$TMP/sim-$1.err" >&2
  return 1
}
