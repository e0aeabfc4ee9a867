"""The baseline for `scripts/bench.sh`: the farm's no-op build as Celery at
its best for this job, on the same RabbitMQ and PostgreSQL.

- No result backend: completion is read from PostgreSQL rows, as a farm
  reads its builds (waiting on each task's result one after another would
  measure the result backend, not the dispatch).
- The task records what a farm records, one commit each: the build started,
  each of the five stages started and completed, the build completed (12
  commits per build).
- acks_late (a worker lost mid-task gives the task back), prefork workers,
  one per core; run with prefetch 1 and 16, the better one counts.
- Latency: tasks sent one at a time on the idle worker, submit → start in
  the database's clock (the task's first commit).

    python celery_noop.py TASKS      (BENCH_AMQP_URL, BENCH_DATABASE_URL)
"""
import os
import subprocess
import sys
import time
import uuid

import psycopg2
from celery import Celery

AMQP_URL = os.environ["BENCH_AMQP_URL"]
DATABASE_URL = os.environ["BENCH_DATABASE_URL"]
PREFETCH = int(os.environ.get("BENCH_PREFETCH", "1"))

app = Celery("celery_noop", broker=AMQP_URL)
app.conf.update(task_acks_late=True, task_ignore_result=True, worker_prefetch_multiplier=PREFETCH,
                broker_connection_retry_on_startup=True)

STAGES = ["initialization", "compiling_core", "compiling_modules", "packaging", "testing"]
_connection = None


def connection():
    global _connection
    if _connection is None:
        _connection = psycopg2.connect(DATABASE_URL)
        _connection.autocommit = True
    return _connection


@app.task
def noop_build(build_id, run, submitted_at):
    cursor = connection().cursor()
    cursor.execute("INSERT INTO celery_builds (id, run, status, submitted_at, started_at) "
                   "VALUES (%s, %s, 'in_progress', to_timestamp(%s), clock_timestamp())", (build_id, run, submitted_at))
    for stage in STAGES:
        cursor.execute("INSERT INTO celery_build_stages (build_id, name, status, started_at) "
                       "VALUES (%s, %s, 'in_progress', clock_timestamp())", (build_id, stage))
        cursor.execute("UPDATE celery_build_stages SET status = 'completed', completed_at = clock_timestamp() "
                       "WHERE build_id = %s AND name = %s", (build_id, stage))
    cursor.execute("UPDATE celery_builds SET status = 'completed', completed_at = clock_timestamp() WHERE id = %s",
                   (build_id,))


def completed(cursor, run):
    cursor.execute("SELECT count(*) FROM celery_builds WHERE run = %s AND status = 'completed'", (run,))
    return cursor.fetchone()[0]


def wait_for(cursor, run, count, seconds):
    deadline = time.monotonic() + seconds
    while completed(cursor, run) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"celery baseline: {completed(cursor, run)} of {count} tasks done after {seconds} s")
        time.sleep(0.01)


def throughput(cursor, tasks, prefetch):
    """Tasks per second end to end with `prefetch`, on a worker started for it."""
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "celery_noop", "worker", "--loglevel", "WARNING", "--pool", "prefork",
         "--concurrency", str(os.cpu_count() or 2), "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=os.path.dirname(os.path.abspath(__file__)), env={**os.environ, "BENCH_PREFETCH": str(prefetch)})
    try:
        warmup = str(uuid.uuid4())
        noop_build.delay(str(uuid.uuid4()), warmup, time.time())
        wait_for(cursor, warmup, 1, 60)  # the worker is up
        run = str(uuid.uuid4())
        start = time.monotonic()
        for _ in range(tasks):
            noop_build.delay(str(uuid.uuid4()), run, time.time())
        wait_for(cursor, run, tasks, 600)
        elapsed = time.monotonic() - start
        latency = latencies(cursor) if prefetch == 1 else None
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    print(f"celery (prefetch {prefetch}, {os.cpu_count() or 2} prefork processes): {tasks} no-op builds "
          f"in {elapsed:.2f} s = {tasks / elapsed:.0f} builds/s")
    return tasks / elapsed, latency


def latencies(cursor, samples=200):
    """Submit → start (the task's first commit) of tasks sent one at a time on the idle worker."""
    run = str(uuid.uuid4())
    for index in range(samples):
        noop_build.delay(str(uuid.uuid4()), run, time.time())
        wait_for(cursor, run, index + 1, 30)
    cursor.execute("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - submitted_at)), "
                   "percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM started_at - submitted_at)) "
                   "FROM celery_builds WHERE run = %s", (run,))
    p50, p99 = cursor.fetchone()
    return p50 * 1000, p99 * 1000


def main():
    tasks = int(sys.argv[1])
    db = psycopg2.connect(DATABASE_URL)
    db.autocommit = True
    cursor = db.cursor()
    cursor.execute("DROP TABLE IF EXISTS celery_build_stages, celery_builds")
    cursor.execute("CREATE TABLE celery_builds (id uuid PRIMARY KEY, run text NOT NULL, status text NOT NULL, "
                   "submitted_at timestamptz, started_at timestamptz, completed_at timestamptz)")
    cursor.execute("CREATE INDEX ON celery_builds (run, status)")
    cursor.execute("CREATE TABLE celery_build_stages (build_id uuid, name text, status text, "
                   "started_at timestamptz, completed_at timestamptz, PRIMARY KEY (build_id, name))")
    results = {prefetch: throughput(cursor, tasks, prefetch) for prefetch in (1, 16)}
    best = max(rate for rate, _ in results.values())
    p50, p99 = results[1][1]
    print(f"celery submit → start on the idle worker (database clock, 200 tasks one at a time): p50 {p50:.1f} ms, p99 {p99:.1f} ms")
    print(f"BENCH celery_tasks_per_second={best:.0f}")


if __name__ == "__main__":
    main()
