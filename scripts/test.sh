#!/usr/bin/env bash
# Sets up Pantau, starts the real search engines the contract suite needs
# (OpenSearch and Elasticsearch, from Maven Central), runs the whole test suite
# and stops the engines again. Extra arguments go to pytest.
#
#   PANTAU_SKIP_ENGINES=1   run without engines (their tests skip, unless CI=true)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh
venv="${PANTAU_VENV:-$HOME/.cache/pantau/venv}"

started=()
stop_engines() {
  for engine in "${started[@]}"; do
    bash "scripts/engines/$engine.sh" stop || true
  done
}
trap stop_engines EXIT

start_engine() {  # prints the URL of the started engine
  local engine=$1 out
  out="$(bash "scripts/engines/$engine.sh" start | tee /dev/stderr | tail -n 1)"
  case "$out" in
    URL=*) printf '%s' "${out#URL=}" ;;
    *) echo "test: scripts/engines/$engine.sh start did not print URL=...: $out" >&2; return 1 ;;
  esac
}

if [ "${PANTAU_SKIP_ENGINES:-0}" != 1 ]; then
  started+=(opensearch)
  PANTAU_TEST_OPENSEARCH_URL="$(start_engine opensearch)"
  started+=(elasticsearch)
  PANTAU_TEST_ELASTICSEARCH_URL="$(start_engine elasticsearch)"
  export PANTAU_TEST_OPENSEARCH_URL PANTAU_TEST_ELASTICSEARCH_URL
fi
# In CI a missing engine is a failure, never a skip.
if [ "${CI:-}" = true ]; then
  export PANTAU_REQUIRE_ENGINES=1
fi

# Tests never touch the developer's real data directory.
PANTAU_DATA_DIR="$(mktemp -d)"
export PANTAU_DATA_DIR
"$venv/bin/python" -m pytest "$@"
