#!/usr/bin/env bash
# The farm's benchmark: brings up a private farm (PostgreSQL, RabbitMQ, the
# release API, a no-op worker for x86_64 with 64 build slots and a
# log-flood worker for riscv64), runs `kfarm bench` against it (submit→claim
# latency on the idle farm, as the client sees it and in the database's
# clock; no-op builds/s end to end; log lines/s to a following client),
# then measures the baseline in the same run: the same
# no-op job as a Celery task on the same RabbitMQ and PostgreSQL. Prints
# figures and ratios; stops everything it started.
#   KFARM_BENCH_BUILDS (default 2000), KFARM_BENCH_LINES (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILDS="${KFARM_BENCH_BUILDS:-2000}"
LINES="${KFARM_BENCH_LINES:-100000}"
PORT=18090
TOOLS=/tmp/kfarm-tools

source scripts/bench/private-farm.sh 54349 56749 56750

"$KFARM" serve --port "$PORT" --broker-auth-port "$BROKER_AUTH_PORT" --rate-limit-user 100000000 --rate-limit-ip 100000000 \
  --artifact-dir /tmp/kfarm-bench-artifacts & pids+=($!)
until curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; do sleep 0.2; done
KFARM_WORKER_TOKEN="$WORKER_TOKEN" "$KFARM" worker --api-url "http://127.0.0.1:$PORT" --name bench-noop \
  --recipe noop --architecture x86_64 --builds 64 --work-dir /tmp/kfarm-bench-noop & pids+=($!)
KFARM_WORKER_TOKEN="$WORKER_TOKEN" "$KFARM" worker --api-url "http://127.0.0.1:$PORT" --name bench-flood \
  --recipe log-flood --flood-lines "$LINES" --architecture riscv64 --work-dir /tmp/kfarm-bench-flood & pids+=($!)
until [ "$(curl -fsS -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/workers" \
          | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["pagination"]["total"])')" = 2 ]; do
  sleep 0.2
done
sleep 1

echo "== kfarm bench ($BUILDS no-op builds, a $LINES-line log)"
KFARM_TOKEN="$TOKEN" "$KFARM" bench --api-url "http://127.0.0.1:$PORT" --builds "$BUILDS" \
  --log-architecture riscv64 --log-lines "$LINES" | tee /tmp/kfarm-bench.out

# The same latency in PostgreSQL's clock (microseconds): from the start of
# the submit transaction to the start of the claim, without the client's
# HTTP round trips and polling.
psql -qAt "$KFARM_DATABASE_URL" -c "
  SELECT format('submit → claim in the database, same builds: p50 %s ms, p99 %s ms',
         round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM b.claimed_at - b.started_at)) * 1000)::numeric, 1),
         round((percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM b.claimed_at - b.started_at)) * 1000)::numeric, 1))
  FROM builds b JOIN configurations c ON c.id = b.configuration_id WHERE c.name LIKE '%-latency'" | tee -a /tmp/kfarm-bench.out

for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()

echo "== baseline: the same no-op job as a Celery task on the same RabbitMQ and PostgreSQL"
[ -x "$TOOLS/venv/bin/python" ] || python3 -m venv "$TOOLS/venv"
"$TOOLS/venv/bin/pip" install -q "celery==5.4.0" "psycopg2-binary==2.9.10"
BENCH_AMQP_URL="$KFARM_AMQP_URL" BENCH_DATABASE_URL="$KFARM_DATABASE_URL" \
  "$TOOLS/venv/bin/python" scripts/bench/celery_noop.py "$BUILDS" | tee -a /tmp/kfarm-bench.out

kfarm=$(sed -n 's/^BENCH builds_per_second=\([0-9]*\).*/\1/p' /tmp/kfarm-bench.out)
celery=$(sed -n 's/^BENCH celery_tasks_per_second=\([0-9]*\).*/\1/p' /tmp/kfarm-bench.out)
python3 -c "print(f'== kfarm {$kfarm} builds/s vs Celery {$celery} tasks/s: {$kfarm / $celery:.2f}x')"
