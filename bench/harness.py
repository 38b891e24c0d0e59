"""What the PostgreSQL benchmarks share: threads that start together, and schemas of their own."""

import os
import threading
import time
from contextlib import contextmanager

import psycopg


def run_threads(target, plans):
    """Run ``target(index, plan, barrier)`` in one thread per plan. Each thread prepares, then
    waits at the barrier; the clock runs from its release to the end of the last thread.
    Returns (seconds, the results in plan order)."""
    barrier = threading.Barrier(len(plans) + 1)
    results = [None] * len(plans)

    def run(index):
        results[index] = target(index, plans[index], barrier)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(plans))]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    return time.perf_counter() - start, results


@contextmanager
def scratch_schemas(dsn, **names):
    """Create one schema per ``side=prefix`` for this run and drop them afterwards, so runs
    (and the test database's own tables) never meet. Yields {side: schema name}."""
    suffix = f"{os.getpid()}_{int(time.time())}"
    schemas = {side: f"{prefix}_{suffix}" for side, prefix in names.items()}
    with psycopg.connect(dsn, autocommit=True) as conn:
        for schema in schemas.values():
            conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield schemas
    finally:
        with psycopg.connect(dsn, autocommit=True) as conn:
            for schema in schemas.values():
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
