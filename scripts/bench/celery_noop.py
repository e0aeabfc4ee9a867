"""The baseline for `scripts/bench.sh`: the farm's no-op build as a Celery
task on the same RabbitMQ and PostgreSQL. Each task records a build row and
its five stages in PostgreSQL (what a kfarm no-op build records) and its
result goes to PostgreSQL through Celery's database result backend.

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

app = Celery("celery_noop", broker=AMQP_URL,
             backend="db+" + DATABASE_URL.replace("postgres://", "postgresql+psycopg2://", 1))
app.conf.update(task_acks_late=True, worker_prefetch_multiplier=16, result_extended=False,
                broker_connection_retry_on_startup=True)

STAGES = ["initialization", "compiling_core", "compiling_modules", "packaging", "testing"]
_connection = None


def connection():
    global _connection
    if _connection is None:
        _connection = psycopg2.connect(DATABASE_URL)
    return _connection


@app.task
def noop_build(build_id):
    with connection() as db, db.cursor() as cursor:
        cursor.execute("INSERT INTO celery_builds (id, status) VALUES (%s, 'completed')", (build_id,))
        cursor.executemany("INSERT INTO celery_build_stages (build_id, name, status) VALUES (%s, %s, 'completed')",
                           [(build_id, stage) for stage in STAGES])
    return build_id


def main():
    tasks = int(sys.argv[1])
    with psycopg2.connect(DATABASE_URL) as db, db.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS celery_builds (id uuid PRIMARY KEY, status text NOT NULL)")
        cursor.execute("CREATE TABLE IF NOT EXISTS celery_build_stages (build_id uuid, name text, status text)")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "celery_noop", "worker", "--loglevel", "WARNING",
         "--concurrency", str(os.cpu_count() or 2)],
        cwd=os.path.dirname(os.path.abspath(__file__)))
    try:
        noop_build.delay(str(uuid.uuid4())).get(timeout=60)  # the worker is up
        start = time.monotonic()
        results = [noop_build.delay(str(uuid.uuid4())) for _ in range(tasks)]
        for result in results:
            result.get(timeout=600)
        elapsed = time.monotonic() - start
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    print(f"celery baseline: {tasks} no-op build tasks in {elapsed:.2f} s = {tasks / elapsed:.0f} tasks/s")
    print(f"BENCH celery_tasks_per_second={tasks / elapsed:.0f}")


if __name__ == "__main__":
    main()
