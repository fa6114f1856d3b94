#!/usr/bin/env bash
# Sets up Pantau and runs the main job on the embedded SQLite store.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
venv="${PANTAU_VENV:-$HOME/.cache/pantau/venv}"
"$venv/bin/pantau" index init
"$venv/bin/pantau" index stats
