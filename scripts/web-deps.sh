#!/usr/bin/env bash
# The npm packages of web/ (the chart library the HTML backtest report embeds at build time).
# Idempotent: runs `npm ci` only when web/node_modules lacks the library, and installs
# Debian's nodejs and npm only when there is no `node` at all.
set -euo pipefail
cd "$(dirname "$0")/../web"

LIB=node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js
if [ -f "$LIB" ]; then
  exit 0
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if command -v node >/dev/null 2>&1; then
    echo "web-deps: node is here but npm is not: install npm (it comes with Node.js)" >&2
    exit 1
  fi
  echo "web-deps: node not found: installing Debian's nodejs and npm" >&2
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "web-deps: apt-get not found: install Node.js and npm by hand" >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      SUDO="sudo -n"
    else
      echo "web-deps: installing nodejs and npm needs root (or password-less sudo)" >&2
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq || { echo "web-deps: 'apt-get update' failed" >&2; exit 1; }
  if ! $SUDO apt-get install -y -qq --no-install-recommends nodejs npm; then
    echo "web-deps: 'apt-get install nodejs npm' failed (see the messages above)" >&2
    exit 1
  fi
fi

echo "web-deps: npm ci in web/ (lightweight-charts for the HTML report)" >&2
if ! npm ci --no-audit --no-fund --loglevel=error; then
  echo "web-deps: 'npm ci' failed: is the npm registry reachable?" >&2
  exit 1
fi
if [ ! -f "$LIB" ]; then
  echo "web-deps: npm ci finished but $LIB is missing" >&2
  exit 1
fi
