#!/usr/bin/env bash
# A private RabbitMQ node for kfarm: its own node name, ports, data and log
# dirs, no system service. Usage: rabbitmq.sh start|stop|restart|reset|status|url
#   KFARM_MQ_PORT  AMQP port (default 56729; Erlang distribution port = +1000)
#   KFARM_MQ_DIR   (default /tmp/kfarm-mq-$KFARM_MQ_PORT; owned by the
#                   rabbitmq user when run as root, as the server drops to it)
#   KFARM_MQ_AUTH_URL  the farm's API (e.g. http://127.0.0.1:8080): machines
#                   (workers, agents) log in with their own tokens, checked
#                   by `kfarm serve` through rabbitmq_auth_backend_http
#   KFARM_MQ_AUTH_CACHE_MS  how long the broker keeps the farm's answers
#                   (default 10000): a revoked token is refused after at most that
# The farm's own processes log in as `kfarm` (an administrator, also of the
# management API on KFARM_MQ_PORT+2, where the API closes revoked machines'
# connections) with the password kept in $KFARM_MQ_DIR/farm-password;
# `guest` is deleted.
set -euo pipefail

PORT="${KFARM_MQ_PORT:-56729}"
DIR="${KFARM_MQ_DIR:-/tmp/kfarm-mq-$PORT}"
NODE="kfarm$PORT@localhost"
BIN=/usr/lib/rabbitmq/bin
AUTH_URL="${KFARM_MQ_AUTH_URL:-}"
PASSWORD_FILE="$DIR/farm-password"

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
  printf 'listeners.tcp.default = 127.0.0.1:%s\n' "$PORT" > "$DIR/rabbitmq.conf"
  if [ -n "$AUTH_URL" ]; then
    # The farm's own account first (internal), then each machine's token, asked of the farm and cached.
    cat >> "$DIR/rabbitmq.conf" <<EOF
auth_backends.1 = internal
auth_backends.2 = cache
auth_cache.cached_backend = http
auth_cache.cache_ttl = ${KFARM_MQ_AUTH_CACHE_MS:-10000}
auth_http.http_method = post
auth_http.user_path = $AUTH_URL/broker/user
auth_http.vhost_path = $AUTH_URL/broker/vhost
auth_http.resource_path = $AUTH_URL/broker/resource
auth_http.topic_path = $AUTH_URL/broker/topic
management.tcp.ip = 127.0.0.1
management.tcp.port = $((PORT + 2))
EOF
    echo '[rabbitmq_auth_backend_cache,rabbitmq_auth_backend_http,rabbitmq_management].' > "$DIR/enabled_plugins"
  else
    echo '[].' > "$DIR/enabled_plugins"
  fi
  [ -s "$PASSWORD_FILE" ] || (umask 077; head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$PASSWORD_FILE")
  [ "$(id -u)" -eq 0 ] && chown -R rabbitmq:rabbitmq "$DIR"
  return 0
}

ctl() { as_owner "$BIN/rabbitmqctl" -n "$NODE" -q "$@"; }

# The farm's account with every permission on its vhost; no guest.
accounts() {
  local password
  password="$(cat "$PASSWORD_FILE")"
  if ctl list_users | awk '$1 == "kfarm" { found = 1 } END { exit !found }'; then
    ctl change_password kfarm "$password" >/dev/null
  else
    ctl add_user kfarm "$password" >/dev/null
  fi
  ctl set_user_tags kfarm administrator >/dev/null
  ctl set_permissions -p / kfarm '.*' '.*' '.*' >/dev/null
  ctl set_topic_permissions -p / kfarm '.*' '.*' '.*' >/dev/null
  if ctl list_users | awk '$1 == "guest" { found = 1 } END { exit !found }'; then ctl delete_user guest >/dev/null; fi
  # Dead letters are for reading, not a machine's way to fill the disk (and block every publisher).
  ctl set_policy -p / kfarm-dead-letters '^kfarm\.dead$' '{"max-length-bytes": 268435456, "overflow": "drop-head"}' \
    --apply-to queues >/dev/null
}

start() {
  if running; then
    if [ -z "$AUTH_URL" ] || grep -qF "user_path = $AUTH_URL/" "$DIR/rabbitmq.conf" 2>/dev/null; then
      accounts
      echo "rabbitmq: already running on port $PORT"
      return
    fi
    echo "rabbitmq: restarting to ask $AUTH_URL about machines"
    stop
  fi
  prepare
  as_owner "$BIN/rabbitmq-server" -detached
  for _ in $(seq 1 60); do
    if running; then
      accounts
      echo "rabbitmq: running on 127.0.0.1:$PORT (node $NODE, data $DIR${AUTH_URL:+, machines checked by $AUTH_URL})"
      return
    fi
    sleep 1
  done
  echo "rabbitmq: did not start within 60 s; logs in $DIR/log" >&2
  tail -20 "$DIR/log/"*.log >&2 || true
  exit 1
}

stop() {
  # With the pid file, rabbitmqctl waits until the node's VM has exited: a start right after
  # (restart, reset) would otherwise meet the old node still halting, and never come up.
  # (rabbitmqctl waits for ever for a pid file that is gone: bounded.)
  if running; then as_owner timeout 120 "$BIN/rabbitmqctl" -n "$NODE" -q stop "$DIR/rabbitmq.pid" >/dev/null; fi
  echo "rabbitmq: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  reset) stop; rm -rf "$DIR"; start ;;
  restart) stop; start ;;
  status) if running; then echo "rabbitmq: running on port $PORT"; else echo "rabbitmq: not running"; exit 1; fi ;;
  url) echo "amqp://kfarm:$(cat "$PASSWORD_FILE")@127.0.0.1:$PORT/" ;;
  machine-url) echo "amqp://127.0.0.1:$PORT/" ;;  # workers and agents log in with their own tokens
  management-url) echo "http://127.0.0.1:$((PORT + 2))" ;;
  *) echo "usage: $0 start|stop|restart|reset|status|url|machine-url|management-url" >&2; exit 2 ;;
esac
