#!/usr/bin/env bash
# Runs every benchmark binary of a build tree (default build/release), one after another.
# bench_store also measures PostgreSQL: unless CQ_BENCH_PG already names a server, it runs
# under tests/integration/store/with_postgres.sh (a throw-away server), when one can start.
set -euo pipefail
dir=${1:-build/release}
list="$dir/bench/benches.txt"
if [ ! -f "$list" ]; then
  echo "bench: $list not found; build the release preset first (make release)" >&2
  exit 1
fi
with_pg="$(cd "$(dirname "$0")/.." && pwd)/tests/integration/store/with_postgres.sh"
status=0
while read -r b; do
  [ -n "$b" ] || continue
  echo "== $(basename "$b")"
  if [ "$(basename "$b")" = bench_store ] && [ -z "${CQ_BENCH_PG:-}" ] &&
    "$with_pg" --check 2>/dev/null; then
    "$with_pg" sh -c 'CQ_BENCH_PG=$CQ_TEST_STORE exec "$0"' "$b" </dev/null || status=1
  else
    "$b" </dev/null || status=1
  fi
  echo
done < "$list"
exit $status
