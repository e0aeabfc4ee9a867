#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for kfarm: its own data dir and port, no
# system service. Usage: postgres.sh start|stop|reset|status|url
#   KFARM_PG_PORT  (default 54329)
#   KFARM_PG_DIR   (default /tmp/kfarm-pg-$KFARM_PG_PORT; /tmp so the
#                   postgres user can reach it when run as root)
set -euo pipefail

PORT="${KFARM_PG_PORT:-54329}"
DIR="${KFARM_PG_DIR:-/tmp/kfarm-pg-$PORT}"
DATA="$DIR/data"
BIN=/usr/lib/postgresql/15/bin
DB=kfarm
ROLE=kfarm

# As root the server must run as the postgres user; otherwise as ourselves.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    su postgres -s /bin/bash -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

running() { [ -f "$DATA/postmaster.pid" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

psql_admin() { as_owner "$BIN/psql" -h "$DIR" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }

init() {
  mkdir -p "$DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$DIR"
  chmod 700 "$DIR"
  as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
}

start() {
  if running; then echo "postgres: already running on port $PORT"; return; fi
  [ -f "$DATA/PG_VERSION" ] || init
  as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 60 \
    -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=${KFARM_PG_FSYNC:-on}" start >/dev/null
  psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'" | grep -q 1 \
    || psql_admin -c "CREATE ROLE $ROLE LOGIN CREATEDB"
  psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1 \
    || psql_admin -c "CREATE DATABASE $DB OWNER $ROLE"
  echo "postgres: running on 127.0.0.1:$PORT (data $DATA)"
}

stop() {
  if running; then as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; fi
  echo "postgres: stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  reset) stop; rm -rf "$DIR"; start ;;
  status) if running; then echo "postgres: running on port $PORT"; else echo "postgres: not running"; exit 1; fi ;;
  url) echo "postgres://$ROLE@127.0.0.1:$PORT/$DB" ;;
  *) echo "usage: $0 start|stop|reset|status|url" >&2; exit 2 ;;
esac
