#!/usr/bin/env bash
# Install what running or testing needs, once: npm packages (npm ci when node_modules is missing or
# older than the lock file) and moto (the machine's, or a .venv). Safe to run every time.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "bootstrap: npm ci"
  npm ci --no-audit --no-fund
fi
scripts/ensure-moto.sh
