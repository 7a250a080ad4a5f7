#!/usr/bin/env bash
# The one list of Debian packages cquant needs to build, test and benchmark.
# Idempotent: installs only what is missing, and refreshes the package lists only then.
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  # tests and code quality
  libcmocka-dev clang-tidy cppcheck clang-format curl python3
  # core
  libfyaml-dev
  # network stack (see docs/decisions/0001-network-stack.md)
  libwebsockets-dev libcivetweb-dev libcurl4-openssl-dev libssl-dev libuv1-dev
  libjansson-dev
  # store: SQLite (embedded default) and PostgreSQL (server 15 for the tests, libpq)
  libsqlite3-dev sqlite3 libpq-dev postgresql-15 postgresql-client-15
)

# The web packages (scripts/web-deps.sh) need Node.js and npm: the machine's own when present
# (never installed over), Debian's only where there is no node at all.
if ! command -v node >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
elif ! command -v npm >/dev/null 2>&1; then
  echo "deps: node is here but npm is not: install npm (it comes with Node.js)" >&2
  exit 1
fi

missing=()
for p in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "deps: missing Debian packages: ${missing[*]}" >&2
if ! command -v apt-get >/dev/null 2>&1; then
  echo "deps: apt-get not found: cquant's scripts expect Debian 12; install the packages above by hand" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "deps: installing packages needs root (run as root, or give this user password-less sudo)" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq; then
  echo "deps: 'apt-get update' failed: is the network or the package mirror reachable?" >&2
  exit 1
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
  echo "deps: 'apt-get install ${missing[*]}' failed (see the messages above)" >&2
  exit 1
fi
echo "deps: installed ${missing[*]}" >&2
