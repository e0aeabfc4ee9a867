#!/usr/bin/env bash
# Sets up and runs the farm on this machine: installs the Debian packages
# (with the arm64 and riscv64 cross compilers), starts a private PostgreSQL
# and RabbitMQ, builds kfarm, migrates, makes sure an admin exists, prints a
# fresh admin token, and runs the API (with its relay, recorder and lease
# reaper) and one build worker serving x86_64, arm64 and riscv64. The
# worker's token is kept in the state directory, so a restarted farm comes
# back with the same worker. Ctrl-C stops both gracefully; when either exits
# on its own the script stops the other and says which.
# scripts/postgres.sh stop and scripts/rabbitmq.sh stop stop the services.
# Workers and agents log in to RabbitMQ with their own tokens, which the API
# checks on KFARM_BROKER_AUTH_PORT; the farm's own account stays with the API.
#   KFARM_PORT (default 8080), KFARM_BROKER_AUTH_PORT (default KFARM_PORT+1),
#   KFARM_ADMIN (default admin),
#   KFARM_BUILD (release or debug; default release),
#   KFARM_GIT_ALLOW (space-separated URL prefixes of git repositories kernels
#   and external modules may come from, for the API and the worker; default
#   file:///srv/kfarm/git/, local repositories only),
#   KFARM_STATE_DIR (default /tmp/kfarm-state-pg$KFARM_PG_PORT: the worker's
#   token belongs to the database, whichever port the API listens on)
set -euo pipefail
cd "$(dirname "$0")/.."

PORT="${KFARM_PORT:-8080}"
ADMIN="${KFARM_ADMIN:-admin}"
BUILD="${KFARM_BUILD:-release}"
STATE="${KFARM_STATE_DIR:-/tmp/kfarm-state-pg${KFARM_PG_PORT:-54329}}"
BROKER_AUTH_PORT="${KFARM_BROKER_AUTH_PORT:-$((PORT + 1))}"
GIT_ALLOW=()
for prefix in ${KFARM_GIT_ALLOW:-file:///srv/kfarm/git/}; do GIT_ALLOW+=(--git-allow "$prefix"); done

scripts/install-deps.sh
scripts/postgres.sh start
KFARM_MQ_AUTH_URL="http://127.0.0.1:$BROKER_AUTH_PORT" scripts/rabbitmq.sh start
KFARM_DATABASE_URL="$(scripts/postgres.sh url)"
KFARM_AMQP_URL="$(scripts/rabbitmq.sh url)"
MACHINE_AMQP_URL="$(scripts/rabbitmq.sh machine-url)"
export KFARM_DATABASE_URL

echo "== building kfarm ($BUILD; the first build takes several minutes)"
swift build -c "$BUILD" --product kfarm
KFARM="$(swift build -c "$BUILD" --show-bin-path)/kfarm"

"$KFARM" migrate
"$KFARM" admin create-user "$ADMIN" --role admin --if-missing
TOKEN="$("$KFARM" admin create-token "$ADMIN" --name "farm.sh $(date -u +%FT%TZ)")"
mkdir -p "$STATE" && chmod 700 "$STATE"

cat <<INFO

kfarm API: http://127.0.0.1:$PORT   (database: $KFARM_DATABASE_URL, broker for machines: $MACHINE_AMQP_URL)
Admin token for '$ADMIN' (shown once; keep it):

  export KFARM_TOKEN=$TOKEN

Dashboard: http://127.0.0.1:$PORT/ui   (sign in with that token)
Metrics:   http://127.0.0.1:$PORT/metrics

Try:
  curl -H "Authorization: Bearer \$KFARM_TOKEN" http://127.0.0.1:$PORT/users/me
  curl -H "Authorization: Bearer \$KFARM_TOKEN" http://127.0.0.1:$PORT/workers

A target system's deployment agent (after POST /systems, as a release manager of its project):
  KFARM_SYSTEM_TOKEN=\$(KFARM_DATABASE_URL=$KFARM_DATABASE_URL "$KFARM" admin create-token $ADMIN --kind system) \\
  KFARM_AMQP_URL=$MACHINE_AMQP_URL "$KFARM" agent --system SYSTEM_ID --root /tmp/kfarm-agent \\
    --api-url http://127.0.0.1:$PORT --boot-initramfs INITRAMFS   (or --health-command CMD)

INFO
KFARM_AMQP_URL="$KFARM_AMQP_URL" "$KFARM" serve --port "$PORT" --broker-auth-port "$BROKER_AUTH_PORT" \
  --broker-management-url "$(scripts/rabbitmq.sh management-url)" --artifact-dir "${KFARM_ARTIFACT_DIR:-/tmp/kfarm-artifacts}" \
  "${GIT_ALLOW[@]}" &
SERVE=$!
STOPPING=
trap 'STOPPING=1; kill -TERM ${WORKER:-} $SERVE 2>/dev/null' INT TERM
until curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; do
  kill -0 $SERVE 2>/dev/null || { echo "kfarm serve exited before it answered /health" >&2; exit 1; }
  sleep 0.5
done
# The worker keeps its name and token across restarts (a new token for the
# same name would be refused); a token the farm no longer knows (a reset
# database, a revocation) is replaced.
# (Earlier versions kept it per API port, in /tmp/kfarm-state-$PORT: read there too.)
WORKER_TOKEN="$(cat "$STATE/worker-token" 2>/dev/null || cat "/tmp/kfarm-state-$PORT/worker-token" 2>/dev/null || true)"
if [ -z "$WORKER_TOKEN" ] || [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $WORKER_TOKEN" \
      "http://127.0.0.1:$PORT/users/me")" = 401 ]; then
  WORKER_TOKEN="$("$KFARM" admin create-token "$ADMIN" --name "farm.sh worker $(date -u +%FT%TZ)" --kind worker)"
fi
(umask 077 && printf '%s\n' "$WORKER_TOKEN" > "$STATE/worker-token")
# One worker for all three architectures (Debian's cross compilers), building
# real kernels from linux-source-6.1; see `kfarm worker --help` for more
# workers and options.
KFARM_WORKER_TOKEN="$WORKER_TOKEN" KFARM_AMQP_URL="$MACHINE_AMQP_URL" "$KFARM" worker --api-url "http://127.0.0.1:$PORT" --name "$(hostname)-worker" \
  "${GIT_ALLOW[@]}" &
WORKER=$!
# Until Ctrl-C, or until one of the two exits on its own: then the farm is not whole, so stop the other and say so.
status=0
wait -n $SERVE $WORKER || status=$?
if [ -z "$STOPPING" ]; then
  if kill -0 $SERVE 2>/dev/null; then who="kfarm worker"; else who="kfarm serve"; fi
  echo "$who exited (status $status): stopping the farm; its log is above" >&2
  kill -TERM $WORKER $SERVE 2>/dev/null || true
  wait
  exit 1
fi
wait
