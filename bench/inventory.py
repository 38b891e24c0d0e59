"""Reservations per second through the inventory plugin, against the bare conditional UPDATE.

Both sides run on PostgreSQL in the same run, each in a schema of its own, with 8 worker
threads holding one connection each, over the same stock: 50 SKUs with 30 units each in one
warehouse, and 8 × 250 one-unit reservations of random SKUs, so the last units of many SKUs
are fought over and about a quarter of the requests are refused.

* **Service:** the store's ``reserve_stock`` hook (``g.hooks.owner`` as the orders plugin
  calls it): SKU lookup, warehouse choice, the conditional UPDATE, the reservation row, the
  reorder-point check, one commit per reservation.
* **Raw:** ``UPDATE levels SET reserved = reserved + 1 WHERE id = %s AND on_hand - reserved >= 1``
  and a commit, in psycopg, nothing else.

Afterwards each side counts oversell: levels whose reserved exceeds on hand, plus units
granted beyond the stock. It must be 0.

Run: .venv/bin/python bench/inventory.py [--postgres URL] [--per-worker 250]
"""

import argparse
import os
import random
import tempfile
import threading
from pathlib import Path

import psycopg
import sqlalchemy as sa
from cryptography.fernet import Fernet

from harness import run_threads, scratch_schemas

WORKERS = 8
SKUS = 50
UNITS = 30
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _plan(per_worker):
    rng = random.Random(7)
    return [[rng.randrange(SKUS) for _ in range(per_worker)] for _ in range(WORKERS)]


def service(url, schema, plans):
    from shopdesk.app import create_app
    from shopdesk.commerce import OutOfStock, StockLine
    from shopdesk.db import db
    from shopdesk.migrate import upgrade
    from shopdesk.stores import Store, create_store, enable_plugin, use_store
    from shopdesk.testing import with_search_path
    from shopdesk_catalog.models import Product, Variant
    from shopdesk_inventory.models import StockLevel, Warehouse
    from shopdesk_inventory.operations import receive

    instance = Path(tempfile.mkdtemp())
    app = create_app({"SECRET_KEY": "b", "SHOPDESK_SETTINGS_KEY": Fernet.generate_key(),
                      "INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": with_search_path(url, schema),
                      "SHOPDESK_EVENTS_DISPATCH": "manual",
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": WORKERS + 2, "max_overflow": 0}})
    registry = app.extensions["shopdesk"]
    with app.app_context():
        upgrade(app)
        store = create_store("bench", "Bench")
        for plugin in ("catalog", "inventory"):
            enable_plugin(registry, store, plugin)
        with use_store(store):
            product = Product(name="Bench", status="active")
            db.session.add(product)
            db.session.flush()
            db.session.add_all(Variant(product_id=product.id, sku=f"SKU-{n:03d}", price=1000, unit_cost=400)
                               for n in range(SKUS))
            db.session.add(Warehouse(code="MAIN", name="Main", priority=10))
            db.session.flush()
            receive("MAIN", [{"sku": f"SKU-{n:03d}", "quantity": UNITS} for n in range(SKUS)], reference="bench")
        db.session.commit()
        store_id = store.id

    def worker(_index, plan, barrier):
        granted = refused = 0
        with app.app_context():
            hooks = registry.for_store(db.session.get(Store, store_id))
            db.session.rollback()
            barrier.wait()
            for number, sku in enumerate(plan):
                try:
                    with use_store(store_id):
                        hooks.owner("reserve_stock", reference=f"order:{threading.get_ident()}:{number}",
                                    lines=[StockLine(f"SKU-{sku:03d}", 1)])
                        db.session.commit()
                    granted += 1
                except OutOfStock:
                    db.session.rollback()
                    refused += 1
            db.session.remove()
        return granted, refused

    elapsed, results = run_threads(worker, plans)
    with app.app_context(), use_store(store_id):
        over = db.session.scalar(sa.select(sa.func.count()).select_from(StockLevel)
                                 .where(StockLevel.reserved > StockLevel.on_hand))
        reserved = db.session.scalar(sa.select(sa.func.sum(StockLevel.reserved)))
        db.session.remove()
        db.engine.dispose()
    granted = sum(g for g, _ in results)
    oversell = over + max(0, granted - SKUS * UNITS) + abs(granted - reserved)
    return elapsed, granted, sum(r for _, r in results), oversell


def raw(dsn, schema, plans):
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"CREATE TABLE {schema}.levels (id integer PRIMARY KEY, on_hand integer NOT NULL, "
                     "reserved integer NOT NULL DEFAULT 0)")
        with conn.cursor() as cur:
            cur.executemany(f"INSERT INTO {schema}.levels (id, on_hand) VALUES (%s, %s)",
                            [(n, UNITS) for n in range(SKUS)])

    def worker(_index, plan, barrier):
        granted = refused = 0
        with psycopg.connect(dsn) as conn:
            barrier.wait()
            for sku in plan:
                cur = conn.execute(f"UPDATE {schema}.levels SET reserved = reserved + 1 "
                                   "WHERE id = %s AND on_hand - reserved >= 1", (sku,))
                conn.commit()
                if cur.rowcount:
                    granted += 1
                else:
                    refused += 1
        return granted, refused

    elapsed, results = run_threads(worker, plans)
    with psycopg.connect(dsn) as conn:
        over = conn.execute(f"SELECT count(*) FROM {schema}.levels WHERE reserved > on_hand").fetchone()[0]
    granted = sum(g for g, _ in results)
    return elapsed, granted, sum(r for _, r in results), over + max(0, granted - SKUS * UNITS)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("SHOPDESK_BENCH_POSTGRES_URL", DEFAULT_URL))
    parser.add_argument("--per-worker", type=int, default=250)
    args = parser.parse_args()
    plans = _plan(args.per_worker)
    total = WORKERS * args.per_worker
    dsn = args.postgres.replace("postgresql+psycopg://", "postgresql://")
    with scratch_schemas(dsn, service="bench_inventory", raw="bench_inventory_raw") as schemas:
        s_time, s_granted, s_refused, s_over = service(args.postgres, schemas["service"], plans)
        r_time, r_granted, r_refused, r_over = raw(dsn, schemas["raw"], plans)
    s_rate, r_rate = total / s_time, total / r_time
    print(f"stock: {SKUS} SKUs x {UNITS} units; {WORKERS} workers x {args.per_worker} one-unit reservations")
    print(f"service (reserve_stock hook): {s_rate:8.0f} reservations/s  granted {s_granted}  refused {s_refused}  "
          f"oversell {s_over}")
    print(f"raw conditional UPDATE:       {r_rate:8.0f} reservations/s  granted {r_granted}  refused {r_refused}  "
          f"oversell {r_over}")
    print(f"inventory: ratio {s_rate / r_rate:.2f} (service reservations/s / raw UPDATE/s) with {WORKERS} workers "
          f"on PostgreSQL, oversell {s_over + r_over}")


if __name__ == "__main__":
    main()
