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
