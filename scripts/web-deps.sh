#!/usr/bin/env bash
# The npm packages of web/ (the chart library the HTML backtest report embeds at build time).
# Idempotent: runs `npm ci` only when web/node_modules lacks the library. Node.js and npm come
# from the machine, or from scripts/deps.sh where there is no node.
set -euo pipefail
cd "$(dirname "$0")/../web"

LIB=node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js
if [ -f "$LIB" ]; then
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "web-deps: npm not found: run scripts/deps.sh first (it installs Node.js where missing)" >&2
  exit 1
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
