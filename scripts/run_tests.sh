#!/usr/bin/env bash
# Runs the whole suite: SQLite always, PostgreSQL too (a throwaway cluster on loopback, started here and
# stopped afterwards, unless CLAIMFLOW_TEST_POSTGRES_URL already points at one).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python

pg_dir=""
cleanup() {
  if [[ -n "$pg_dir" ]]; then scripts/pg_test_cluster.sh stop "$pg_dir" >&2 || true; fi
}
trap cleanup EXIT

if [[ -z "${CLAIMFLOW_TEST_POSTGRES_URL:-}" && "${CLAIMFLOW_TEST_NO_POSTGRES:-}" != "1" ]]; then
  pg_dir=$(mktemp -d /tmp/claimflow-pg.XXXXXX)
  CLAIMFLOW_TEST_POSTGRES_URL=$(scripts/pg_test_cluster.sh start "$pg_dir")
  export CLAIMFLOW_TEST_POSTGRES_URL
  echo "PostgreSQL for tests: $CLAIMFLOW_TEST_POSTGRES_URL" >&2
fi

# The end-to-end tests drive Debian's chromium through Playwright (no browser download); the letter tests
# read PDFs with pdftotext.
scripts/ensure_test_tools.sh

# Two workers on two cores (pytest-xdist); a worker that runs dry takes tests from the other (worksteal),
# so the long tests do not queue behind each other; CLAIMFLOW_TEST_WORKERS=0 runs in one process.
workers=${CLAIMFLOW_TEST_WORKERS:-2}
if [[ "$workers" == "0" ]]; then
  $PY -m pytest "$@"
else
  $PY -m pytest -n "$workers" --dist worksteal "$@"
fi
