# Sourced by the benchmark scripts: installs what is missing, starts a
# private PostgreSQL and RabbitMQ on the ports given ($1, $2: their data
# dirs are /tmp/kfarm-bench-{pg,mq}-PORT; the API answers the broker's
# questions about machines on $3, so `kfarm serve` takes
# --broker-auth-port "$BROKER_AUTH_PORT"), stopped again on exit along with
# every pid the script adds to `pids`; builds the release kfarm ($KFARM;
# $KFARM_BIN instead, when set),
# migrates, and makes an admin's token ($TOKEN) and a worker token
# ($WORKER_TOKEN).
scripts/install-deps.sh
export KFARM_PG_PORT="$1" KFARM_PG_DIR="/tmp/kfarm-bench-pg-$1"
export KFARM_MQ_PORT="$2" KFARM_MQ_DIR="/tmp/kfarm-bench-mq-$2"
BROKER_AUTH_PORT="$3"
export KFARM_MQ_AUTH_URL="http://127.0.0.1:$BROKER_AUTH_PORT"
pids=()
# Waits (at most $1 s) until the command in the rest holds; fails if it never does.
wait_until() {
  local seconds="$1"; shift
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}
none_alive() {
  local pid
  for pid in "${pids[@]}"; do ! kill -0 "$pid" 2>/dev/null || return 1; done
}
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  # Stopped gracefully if they can within a minute, killed otherwise: a hung process must not hang the run.
  wait_until 60 none_alive || true
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  scripts/postgres.sh stop; scripts/rabbitmq.sh stop
}
trap cleanup EXIT
scripts/postgres.sh reset
scripts/rabbitmq.sh reset
KFARM_DATABASE_URL="$(scripts/postgres.sh url)"
KFARM_AMQP_URL="$(scripts/rabbitmq.sh url)"
export KFARM_DATABASE_URL KFARM_AMQP_URL KFARM_LOG_LEVEL=warning

if [ -n "${KFARM_BIN:-}" ]; then
  KFARM="$KFARM_BIN"
else
  echo "== building kfarm (release)"
  swift build -c release --product kfarm
  KFARM="$(swift build -c release --show-bin-path)/kfarm"
fi
"$KFARM" migrate >/dev/null
"$KFARM" admin create-user bench --role admin >/dev/null
TOKEN="$("$KFARM" admin create-token bench --name bench)"
WORKER_TOKEN="$("$KFARM" admin create-token bench --name bench-workers --kind worker)"
