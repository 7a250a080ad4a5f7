#!/usr/bin/env bash
# Runs every benchmark binary of a build tree (default build/release), one after another.
set -euo pipefail
dir=${1:-build/release}
list="$dir/bench/benches.txt"
if [ ! -f "$list" ]; then
  echo "bench: $list not found; build the release preset first (make release)" >&2
  exit 1
fi
status=0
while read -r b; do
  [ -n "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" || status=1
  echo
done < "$list"
exit $status
