#!/usr/bin/env bash
# Runs every test: the Swift suites (unit tests, and store and API tests
# against a private PostgreSQL), then the live contract check of the API
# against api-spec/openapi.yaml. Starts what it needs and stops it after.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

# A throwaway cluster on its own port, apart from a running farm's.
export KFARM_PG_PORT="${KFARM_TEST_PG_PORT:-54339}"
export KFARM_PG_DIR="/tmp/kfarm-test-pg-$KFARM_PG_PORT"
export KFARM_PG_FSYNC=off
scripts/postgres.sh reset
trap 'scripts/postgres.sh stop' EXIT
KFARM_TEST_DATABASE_URL="$(scripts/postgres.sh url)"
export KFARM_TEST_DATABASE_URL

echo "== build"
swift build --build-tests

echo "== swift test"
swift test --skip-build

echo "== contract check (schemathesis against the live server)"
KFARM_DATABASE_URL="$KFARM_TEST_DATABASE_URL" KFARM_BIN="$(swift build --show-bin-path)/kfarm" scripts/contract-check.sh
