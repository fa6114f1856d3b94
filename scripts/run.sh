#!/usr/bin/env bash
# Sets up Pantau and runs the main job on the embedded SQLite store: crawl,
# extract, group syndicated copies, classify and index.
#
# This machine kind reaches no news site, so by default the job crawls the
# bundled fixture outlets served on 127.0.0.1 (tests/fixtures/sites). With
# network access, crawl the real starter list instead:
#   bash scripts/run.sh --real      # crawlers/sources.yaml
# The data lands in $PANTAU_DATA_DIR (default ~/.local/share/pantau).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
venv="${PANTAU_VENV:-$HOME/.cache/pantau/venv}"
pantau="$venv/bin/pantau"

if [ "${1:-}" = --real ]; then
  "$pantau" crawl --sources crawlers/sources.yaml
else
  work="$(mktemp -d)"
  port="${PANTAU_FIXTURE_PORT:-8765}"
  "$venv/bin/python" scripts/fixture_server.py --port "$port" \
    --write-sources "$work/sources.yaml" >"$work/server.log" 2>&1 &
  server=$!
  trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
  for _ in $(seq 1 50); do
    [ -s "$work/sources.yaml" ] && break
    sleep 0.2
  done
  if [ ! -s "$work/sources.yaml" ]; then
    echo "run: the fixture server did not start (port $port busy?):" >&2
    cat "$work/server.log" >&2
    exit 1
  fi
  "$pantau" crawl --sources "$work/sources.yaml"
fi
"$pantau" index stats
"$pantau" index search "netralitas ASN" --limit 5
