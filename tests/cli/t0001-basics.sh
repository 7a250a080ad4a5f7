#!/usr/bin/env bash
# Help, version, unknown commands and options.
. "$(dirname "$0")/lib.sh" "$1"

expect_status 0 "$CQ" --help
contains "$TMP/out" "usage: cquant"
contains "$TMP/out" "version"

expect_status 0 "$CQ" version
contains "$TMP/out" "cquant "
contains "$TMP/out" "commit:"
expect_status 0 "$CQ" version --json
contains "$TMP/out" '"version":'
expect_status 0 "$CQ" --json version
contains "$TMP/out" '"build_type":'
expect_status 0 "$CQ" --version
contains "$TMP/out" "cquant "

# an unknown command exits 2 and names the closest one
expect_status 2 "$CQ" frobnicate
contains "$TMP/err" "'frobnicate' is not a cquant command"
expect_status 2 "$CQ" verison
contains "$TMP/err" "Did you mean 'version'?"
expect_status 2 "$CQ" dat
contains "$TMP/err" "Did you mean 'data'?"

# no command at all is a usage error
expect_status 2 "$CQ"
contains "$TMP/err" "usage: cquant"

# every command has --help
for c in version config help data; do
  expect_status 0 "$CQ" "$c" --help
  contains "$TMP/out" "usage: cquant $c"
done
for c in import export list check resample; do
  expect_status 0 "$CQ" data "$c" --help
  contains "$TMP/out" "usage: cquant data $c"
done

# unknown options name the closest known one
expect_status 2 "$CQ" data list --venu binance
contains "$TMP/err" "unknown option --venu; did you mean --venue?"
expect_status 2 "$CQ" --log-level loud version
contains "$TMP/err" "log.level"
echo "ok"
