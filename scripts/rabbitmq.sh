#!/usr/bin/env bash
# A private RabbitMQ node for kfarm: its own node name, ports, data and log
# dirs, no system service. Usage: rabbitmq.sh start|stop|restart|reset|status|url
#   KFARM_MQ_PORT  AMQP port (default 56729; Erlang distribution port = +1000)
#   KFARM_MQ_DIR   (default /tmp/kfarm-mq-$KFARM_MQ_PORT; owned by the
#                   rabbitmq user when run as root, as the server drops to it)
set -euo pipefail

PORT="${KFARM_MQ_PORT:-56729}"
DIR="${KFARM_MQ_DIR:-/tmp/kfarm-mq-$PORT}"
NODE="kfarm$PORT@localhost"
BIN=/usr/lib/rabbitmq/bin

# As root the node runs as the rabbitmq user, with that user's Erlang cookie.
as_owner() {
  local vars=(
    RABBITMQ_NODENAME="$NODE" RABBITMQ_NODE_PORT="$PORT" RABBITMQ_DIST_PORT="$((PORT + 1000))"
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_MNESIA_BASE="$DIR/mnesia" RABBITMQ_LOG_BASE="$DIR/log"
    RABBITMQ_CONFIG_FILE="$DIR/rabbitmq" RABBITMQ_ENABLED_PLUGINS_FILE="$DIR/enabled_plugins"
    RABBITMQ_PID_FILE="$DIR/rabbitmq.pid"
  )
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u rabbitmq -- env HOME=/var/lib/rabbitmq "${vars[@]}" "$@"
  else
    env "${vars[@]}" "$@"
  fi
}

running() { as_owner "$BIN/rabbitmqctl" -n "$NODE" -q status >/dev/null 2>&1; }

prepare() {
  mkdir -p "$DIR/mnesia" "$DIR/log"
  # Guest may log in from loopback only because the node listens only there.
  printf 'loopback_users = none\nlisteners.tcp.default = 127.0.0.1:%s\n' "$PORT" > "$DIR/rabbitmq.conf"
  echo '[].' > "$DIR/enabled_plugins"
  [ "$(id -u)" -eq 0 ] && chown -R rabbitmq:rabbitmq "$DIR"
  return 0
}

start() {
  if running; then echo "rabbitmq: already running on port $PORT"; return; fi
  prepare
  as_owner "$BIN/rabbitmq-server" -detached
  for _ in $(seq 1 60); do
    if running; then echo "rabbitmq: running on 127.0.0.1:$PORT (node $NODE, data $DIR)"; return; fi
    sleep 1
  done
  echo "rabbitmq: did not start within 60 s; logs in $DIR/log" >&2
  tail -20 "$DIR/log/"*.log >&2 || true
  exit 1
}

stop() {
  if running; then as_owner "$BIN/rabbitmqctl" -n "$NODE" -q stop >/dev/null; fi
  echo "rabbitmq: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  reset) stop; rm -rf "$DIR"; start ;;
  restart) stop; start ;;
  status) if running; then echo "rabbitmq: running on port $PORT"; else echo "rabbitmq: not running"; exit 1; fi ;;
  url) echo "amqp://guest:guest@127.0.0.1:$PORT/" ;;
  *) echo "usage: $0 start|stop|reset|status|url" >&2; exit 2 ;;
esac
