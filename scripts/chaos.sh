#!/usr/bin/env bash
# The farm hurt while it works, bounded in builds and time: a private farm
# (PostgreSQL, RabbitMQ, `kfarm serve`, two no-op x86_64 workers, one of
# them holding each build 30 s) takes a burst of builds from patient
# clients (scripts/chaos/burst.py) while, one after another,
#   1. the holding worker is killed with SIGKILL with builds in hand,
#   2. the API is killed with SIGKILL and started again,
#   3. PostgreSQL is stopped and started again,
#   4. RabbitMQ is restarted.
# Then every acknowledged build must complete exactly once with its five
# stages (and every build the database holds, acknowledged or not, must end);
# no build may be in progress without a lease, no outbox row unsent.
# Prints each fault's figures; exits 1 on any broken promise.
#   KFARM_CHAOS_BUILDS (default 400), KFARM_BIN (default: the release build)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILDS="${KFARM_CHAOS_BUILDS:-400}"
PORT=24790
LEASE=20
LOGS=/tmp/kfarm-chaos
rm -rf "$LOGS" && mkdir -p "$LOGS"
ACKED="$LOGS/acknowledged"
: > "$ACKED"

# Below Linux's ephemeral ports, apart from scripts/test.sh's services.
source scripts/bench/private-farm.sh 24359 24759 24760
# Every request in the logs, for a failure's story.
export KFARM_TOKEN="$TOKEN" KFARM_LOG_LEVEL=info
API="http://127.0.0.1:$PORT"

fail() {
  echo "chaos: FAILED: $*" >&2
  for log in "$LOGS"/*.log; do echo "--- $log (last lines)" >&2; tail -15 "$log" >&2; done
  exit 1
}
sql() { psql -qAt "$KFARM_DATABASE_URL" -c "$1"; }
acknowledged() { wc -l < "$ACKED"; }
healthy() { curl -fsS "$API/health" >/dev/null 2>&1; }
acknowledged_reaches() { [ "$(acknowledged)" -ge "$1" ]; }

start_api() {
  "$KFARM" serve --port "$PORT" --broker-auth-port "$BROKER_AUTH_PORT" --lease-seconds "$LEASE" --artifact-dir "$LOGS/artifacts" --shutdown-seconds 10 \
    --rate-limit-user 100000000 --rate-limit-ip 100000000 >> "$LOGS/api.log" 2>&1 &
  API_PID=$!; pids+=("$API_PID")
  wait_until 60 healthy || fail "the API did not answer /health within 60 s"
}
start_worker() { # NAME HOLD-SECONDS BUILDS
  KFARM_WORKER_TOKEN="$WORKER_TOKEN" "$KFARM" worker --api-url "$API" --name "$1" --recipe noop --hold-seconds "$2" \
    --architecture x86_64 --builds "$3" --heartbeat-seconds 1 --work-dir "$LOGS/work-$1" >> "$LOGS/$1.log" 2>&1 &
  pids+=($!)
}

start_api
start_worker chaos-fast 0 16
FAST_PID=${pids[-1]}
start_worker chaos-holder 30 4
HOLDER_PID=${pids[-1]}
workers_joined() { [ "$(sql "SELECT count(*) FROM workers")" = 2 ]; }
wait_until 60 workers_joined || fail "the workers did not join within 60 s"

source scripts/bench/farm-api.sh
project=$(api POST /projects '{"name":"chaos"}' | field '["id"]')
version=$(api POST /configurations "{\"name\":\"chaos\",\"baseVersion\":\"6.1.0\",\"architecture\":\"x86_64\",
  \"projectId\":\"$project\",\"modules\":[{\"name\":\"ext4\",\"path\":\"fs/ext4\",\"isBuiltin\":true}]}" | field '["versions"][0]["id"]')

echo "== chaos: $BUILDS builds from 4 patient clients while the farm is hurt (lease $LEASE s)"
start=$SECONDS
scripts/chaos/burst.py "$API" "$version" "$BUILDS" 4 "$ACKED" > "$LOGS/burst.out" 2>&1 &
BURST_PID=$!; pids+=("$BURST_PID")

# Each fault waits for its share of the burst, so all four land mid-burst.
fault_at() { # SHARE-OF-BUILDS (percent) DESCRIPTION
  wait_until 300 acknowledged_reaches $((BUILDS * $1 / 100)) || fail "the burst stalled at $(acknowledged) builds before: $2"
  echo "-- at $(acknowledged) acknowledged builds ($((SECONDS - start)) s): $2"
}
# How long until the next build is acknowledged after a fault healed.
recovered() { # FROM-COUNT
  local t0=$SECONDS
  # A fast machine may have acknowledged the whole burst before the fault: then there is nothing to wait for.
  if [ "$1" -ge "$BUILDS" ]; then echo "   (the burst had ended before this fault)"; return; fi
  wait_until 120 acknowledged_reaches $(($1 + 1)) || fail "no build acknowledged within 120 s after the fault"
  echo "   next build acknowledged $((SECONDS - t0)) s after the fault healed"
}

fault_at 10 "kill -9 the worker holding builds"
holding() { [ "$(sql "SELECT count(*) FROM builds b JOIN workers w ON w.id = b.worker_id
                      WHERE w.name = 'chaos-holder' AND b.status = 'in_progress'")" -ge 1 ]; }
wait_until 30 holding || fail "the holding worker took no build within 30 s"
in_hand=$(sql "SELECT count(*) FROM builds b JOIN workers w ON w.id = b.worker_id
               WHERE w.name = 'chaos-holder' AND b.status = 'in_progress'")
kill -KILL "$HOLDER_PID"
echo "   it held $in_hand builds"

fault_at 30 "kill -9 the API, start it again"
kill -KILL "$API_PID"
sleep 1
count=$(acknowledged)
start_api
recovered "$count"

fault_at 50 "stop PostgreSQL for 3 s"
scripts/postgres.sh stop >/dev/null
sleep 3
count=$(acknowledged)
scripts/postgres.sh start >/dev/null
recovered "$count"

fault_at 70 "restart RabbitMQ"
count=$(acknowledged)
scripts/rabbitmq.sh restart >/dev/null
recovered "$count"

wait "$BURST_PID" || fail "the burst: $(cat "$LOGS/burst.out")"
cat "$LOGS/burst.out"
[ "$(acknowledged)" = "$BUILDS" ] || fail "$(acknowledged) of $BUILDS builds acknowledged"

ids="'{$(paste -sd, "$ACKED")}'::uuid[]"
all_ended() { [ "$(sql "SELECT count(*) FROM builds WHERE status IN ('queued', 'in_progress')")" = 0 ]; }
wait_until 300 all_ended || fail "builds still unfinished 300 s after the burst:
$(sql "SELECT status, attempt, count(*) FROM builds GROUP BY 1, 2 ORDER BY 1, 2")"
echo "== every build ended $((SECONDS - start)) s after the burst began"

read -r completed once five retried < <(sql "
  SELECT count(*) FILTER (WHERE b.status = 'completed'),
         count(*) FILTER (WHERE (SELECT count(*) FROM audit_events a
                                 WHERE a.action = 'build.complete' AND a.resource_id = b.id::text) = 1),
         count(*) FILTER (WHERE (SELECT count(*) FROM build_stages s
                                 WHERE s.build_id = b.id AND s.status = 'completed') = 5),
         count(*) FILTER (WHERE b.attempt > 1)
  FROM builds b WHERE b.id = ANY($ids)" | tr '|' ' ')
read -r total unacknowledged unended < <(sql "
  SELECT count(*), count(*) FILTER (WHERE NOT id = ANY($ids)),
         count(*) FILTER (WHERE status NOT IN ('completed', 'failed', 'cancelled'))
  FROM builds" | tr '|' ' ')
leaseless=$(sql "SELECT count(*) FROM builds WHERE status = 'in_progress' AND lease_expires_at IS NULL")
outbox_empty() { [ "$(sql "SELECT count(*) FROM outbox WHERE sent_at IS NULL")" = 0 ]; }
wait_until 30 outbox_empty || true
unsent=$(sql "SELECT count(*) FROM outbox WHERE sent_at IS NULL")

echo "acknowledged $BUILDS: completed $completed, completed exactly once $once, with five completed stages $five;" \
  "retried after a lost worker or dispatch $retried"
echo "the database holds $total builds ($unacknowledged committed without their answer reaching the client), $unended unended;" \
  "in progress without a lease $leaseless; outbox rows unsent $unsent"
[ "$completed" = "$BUILDS" ] || fail "$((BUILDS - completed)) acknowledged builds did not complete"
[ "$once" = "$BUILDS" ] || fail "$((BUILDS - once)) acknowledged builds did not complete exactly once"
[ "$five" = "$BUILDS" ] || fail "$((BUILDS - five)) acknowledged builds lack a completed stage"
[ "$in_hand" -le "$retried" ] || fail "the killed worker held $in_hand builds, but only $retried were retried"
[ "$unended" = 0 ] && [ "$leaseless" = 0 ] && [ "$unsent" = 0 ] || fail "builds left unended, leaseless, or unsent"
# Through all that, the API and the worker still stop when asked, gracefully (status 0) and soon.
stop_started=$SECONDS
kill -TERM "$API_PID" "$FAST_PID" 2>/dev/null || fail "the API or the worker was already gone before SIGTERM"
api_status=0; wait "$API_PID" || api_status=$?
worker_status=0; wait "$FAST_PID" || worker_status=$?
echo "the API and the worker stopped $((SECONDS - stop_started)) s after SIGTERM (status $api_status and $worker_status)"
[ "$api_status" = 0 ] && [ "$worker_status" = 0 ] || fail "a graceful stop ended with status $api_status (API), $worker_status (worker)"
[ $((SECONDS - stop_started)) -le 20 ] || fail "stopping took $((SECONDS - stop_started)) s: a request or service outlived its cancellation"
echo "== chaos: passed"
