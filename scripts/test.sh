#!/usr/bin/env bash
# Runs every test: the Swift suites (unit tests, store and API tests against
# a private PostgreSQL, AMQP tests against a private RabbitMQ), then the live
# contract check of the API against api-spec/openapi.yaml. Starts what it
# needs and stops it after.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

# Throwaway PostgreSQL and RabbitMQ on their own ports, apart from a running farm's,
# and below Linux's ephemeral range (32768-60999): a port there may be any outgoing
# connection's, and the farm's port for the broker's questions is bound anew per test.
export KFARM_PG_PORT="${KFARM_TEST_PG_PORT:-24339}"
export KFARM_PG_DIR="/tmp/kfarm-test-pg-$KFARM_PG_PORT"
export KFARM_PG_FSYNC=off
scripts/postgres.sh reset
export KFARM_MQ_PORT="${KFARM_TEST_MQ_PORT:-24739}"
export KFARM_MQ_DIR="/tmp/kfarm-test-mq-$KFARM_MQ_PORT"
# Test farms answer the broker's questions about machines here (one farm at a time);
# a short cache, so a revoked token is refused within a second.
export KFARM_TEST_BROKER_AUTH_PORT="${KFARM_TEST_BROKER_AUTH_PORT:-24740}"
export KFARM_MQ_AUTH_URL="http://127.0.0.1:$KFARM_TEST_BROKER_AUTH_PORT"
export KFARM_MQ_AUTH_CACHE_MS=1000
trap 'scripts/postgres.sh stop; scripts/rabbitmq.sh stop' EXIT
scripts/rabbitmq.sh reset
KFARM_TEST_DATABASE_URL="$(scripts/postgres.sh url)"
KFARM_TEST_AMQP_URL="$(scripts/rabbitmq.sh url)"
KFARM_TEST_BROKER_MANAGEMENT_URL="$(scripts/rabbitmq.sh management-url)"
export KFARM_TEST_DATABASE_URL KFARM_TEST_AMQP_URL KFARM_TEST_BROKER_MANAGEMENT_URL
# The dashboard's browser test: Playwright in a venv, driving Debian's chromium; its screenshots land in test-output/.
KFARM_BROWSER_PYTHON="$(scripts/browser-tools.sh)"
export KFARM_BROWSER_PYTHON KFARM_TEST_OUTPUT="$PWD/test-output"

echo "== build"
swift build --build-tests

echo "== swift test"
swift test --skip-build --skip FarmIntegrationTests

# Whole-farm tests run on their own: they share the broker's farm queues,
# and one restarts the broker (scripts/rabbitmq.sh restart, on the ports above).
echo "== whole-farm tests (API, RabbitMQ, PostgreSQL, workers, real compilers)"
swift test --skip-build --filter FarmIntegrationTests

echo "== dashboard screenshots: $KFARM_TEST_OUTPUT/dashboard"

echo "== chaos: a burst of builds through kill -9 of a worker and of the API, a PostgreSQL stop and a broker restart"
KFARM_BIN="$(swift build --show-bin-path)/kfarm" scripts/chaos.sh

echo "== compose.yaml against the Compose specification"
scripts/check-compose.sh

echo "== contract check (schemathesis against the live server)"
KFARM_DATABASE_URL="$KFARM_TEST_DATABASE_URL" KFARM_BIN="$(swift build --show-bin-path)/kfarm" scripts/contract-check.sh
