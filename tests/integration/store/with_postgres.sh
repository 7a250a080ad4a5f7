#!/usr/bin/env bash
# with_postgres.sh CMD [ARGS...]
# with_postgres.sh --check     (exit 0 when a server could be started here, 2 and why if not)
#
# Starts a throw-away PostgreSQL server, runs CMD with CQ_TEST_STORE naming it, then stops
# the server and removes its folder, whatever happens. Exits with CMD's status.
#
#   - binaries: /usr/lib/postgresql/<newest>/bin, or `pg_config --bindir`, or $PG_BINDIR
#   - data, socket and log in a new temporary folder (owned by the `postgres` user when we
#     run as root: PostgreSQL refuses to run as root)
#   - listens on 127.0.0.1 only, on a free port the kernel hands out, trust authentication
#   - fsync off: the data is thrown away anyway
#
# Inside CMD: CQ_TEST_STORE=postgres://postgres@127.0.0.1:PORT/postgres
#             (plus PGHOST/PGPORT/PGUSER/PGDATABASE for psql)
set -euo pipefail

me=with_postgres.sh
die() {
  echo "$me: $*" >&2
  exit 2
}

[ $# -ge 1 ] || die "usage: $me CMD [ARGS...]   or   $me --check"
check_only=0
[ "$1" != "--check" ] || check_only=1

find_bindir() {
  if [ -n "${PG_BINDIR:-}" ]; then
    echo "$PG_BINDIR"
    return
  fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5nr); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
      echo "$d"
      return
    fi
  done
  if command -v pg_config >/dev/null 2>&1; then
    d=$(pg_config --bindir 2>/dev/null || true)
    if [ -n "$d" ] && [ -x "$d/initdb" ]; then
      echo "$d"
      return
    fi
  fi
}

bindir=$(find_bindir)
[ -n "$bindir" ] || die "no PostgreSQL server binaries (initdb, pg_ctl) found in" \
  "/usr/lib/postgresql/*/bin or pg_config --bindir; install postgresql-15 (scripts/deps.sh)" \
  "or set PG_BINDIR"
for b in initdb pg_ctl pg_isready; do
  [ -x "$bindir/$b" ] || die "$bindir/$b is missing; install postgresql-15 (scripts/deps.sh)"
done

# As root, the server runs as the `postgres` user; otherwise as ourselves.
as_pg=()
if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 ||
    die "running as root but there is no 'postgres' user to run the server as" \
      "(PostgreSQL refuses to run as root); run as a normal user or create one"
  command -v runuser >/dev/null 2>&1 || die "running as root and runuser is missing (util-linux)"
  as_pg=(runuser -u postgres --)
fi
[ "$check_only" = 0 ] || exit 0

# As root the folder is in /tmp: the postgres user must be able to reach it.
base=${TMPDIR:-/tmp}
[ "$(id -u)" -ne 0 ] || base=/tmp
tmp=$(mktemp -d "$base/cq_pg.XXXXXX") || die "cannot make a temporary folder"
started=0
cleanup() {
  local rc=$?
  if [ "$started" = 1 ]; then
    "${as_pg[@]}" "$bindir/pg_ctl" -D "$tmp/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$tmp" || die "cannot give $tmp to the postgres user"
fi
chmod 700 "$tmp"

if ! "${as_pg[@]}" "$bindir/initdb" -D "$tmp/data" -U postgres -A trust -E UTF8 --locale=C \
  --no-sync >"$tmp/initdb.log" 2>&1; then
  cat "$tmp/initdb.log" >&2
  die "initdb failed (log above)"
fi

# A port nobody listens on, from the kernel (bind to port 0); a probe loop without python3.
free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null && return
  fi
  local p tries=0
  while [ $tries -lt 200 ]; do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
    tries=$((tries + 1))
  done
  return 1
}

# Another process may take the port between our probe and the server's bind: try again.
port=""
for attempt in 1 2 3 4 5; do
  p=$(free_port) || die "cannot find a free TCP port on 127.0.0.1"
  if "${as_pg[@]}" "$bindir/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $p -k $tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50" \
    start >"$tmp/pg_ctl.log" 2>&1; then
    port=$p
    started=1
    break
  fi
  if ! grep -qi "address already in use\|could not bind\|could not create listen socket" \
    "$tmp/server.log" 2>/dev/null; then
    cat "$tmp/pg_ctl.log" "$tmp/server.log" >&2 2>/dev/null || true
    die "the PostgreSQL server did not start (logs above)"
  fi
  : >"$tmp/server.log"
done
[ -n "$port" ] || die "the PostgreSQL server could not bind a port after 5 attempts"

ready=0
for _ in $(seq 1 100); do
  if "$bindir/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; then
    ready=1
    break
  fi
  sleep 0.1
done
if [ "$ready" != 1 ]; then
  cat "$tmp/server.log" >&2 || true
  die "the PostgreSQL server on 127.0.0.1:$port is not ready after 10 s (log above)"
fi

export CQ_TEST_STORE="postgres://postgres@127.0.0.1:$port/postgres"
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres PGDATABASE=postgres
set +e
"$@"
status=$?
set -e
exit $status
