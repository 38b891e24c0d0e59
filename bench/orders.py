"""Orders placed per second through the HTTP API (gunicorn, 4 workers), against raw SQL writing
the same rows, on PostgreSQL, in the same run.

* **API:** a fresh schema is migrated; a store gets catalog, orders and (when installed)
  inventory and pricing; 30 SKUs, 40 units each in warehouse MAIN (received through the
  inventory API), an API token. gunicorn runs with the shipped settings
  (``contrib/deploy/gunicorn.conf.py``: sync workers, garbage collector frozen after start-up)
  and 4 workers, the outbox on (events dispatched after commit, as in production).
  8 client threads, each with its own connection, POST orders of 3 lines (distinct
  random SKUs, one unit each, a unique marketplace external id). Demand (1,440 units) is
  above stock (1,200), so the last units are fought over and some orders are refused (409).
  Before the clock starts the same 8 clients place a few orders of separate, plentiful
  warm-up SKUs, so every worker has opened its connections and compiled its statements (the
  raw side opens its connections before its clock starts too); they are left out of every
  count.
* **Floor:** the same 8 clients then read a one-row page of the order list as often: the
  cheapest authenticated API call (token, store, permission, one query, JSON). No write can
  go faster through the API, so its rate bounds what the ratio can reach on this machine.
* **Raw SQL:** in another schema, 8 psycopg connections do per order what placing boils down
  to: bump the store's counter, insert the order, a conditional stock UPDATE per line (all
  or nothing), insert the lines, insert an outbox row, commit.

Afterwards each side counts **oversold** units (units placed beyond the stock of each SKU)
and **lost** orders (acknowledged but not in the database, or in it but not acknowledged).
Both must be 0.

Run: .venv/bin/python bench/orders.py [--postgres URL] [--per-client 60]
"""

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

from harness import run_threads, scratch_schemas

CLIENTS = 8
SKUS = 30
UNITS = 40
LINES = 3
WARM_SKUS = [f"WARM-{n}" for n in range(LINES)]
WARM_ORDERS = 5  # per client
PRICE = 1000
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ROOT = Path(__file__).resolve().parent.parent


def plan(per_client):
    rng = random.Random(11)
    return [[rng.sample(range(SKUS), LINES) for _ in range(per_client)] for _ in range(CLIENTS)]


# --- the API side -------------------------------------------------------------------------


def setup_store(url, instance):
    """Migrate, make the store, its catalog and a token; returns (token, enabled plugins)."""
    from shopdesk.app import create_app
    from shopdesk.auth.models import create_user
    from shopdesk.auth.permissions import permissions_in_store
    from shopdesk.auth.tokens import create_token
    from shopdesk.db import db
    from shopdesk.migrate import upgrade
    from shopdesk.stores import create_store, enable_plugin, use_store
    from shopdesk_catalog.models import Product, Variant

    app = create_app({"INSTANCE_PATH": str(instance), "SQLALCHEMY_DATABASE_URI": url,
                      "SHOPDESK_EVENTS_DISPATCH": "manual"})
    registry = app.extensions["shopdesk"]
    with app.app_context():
        upgrade(app)
        owner = create_user("bench@example.com", "bench password 1")
        store = create_store("bench", "Bench", owner=owner)
        enabled = [name for name in ("catalog", "inventory", "pricing", "orders") if name in registry.working]
        for name in enabled:
            enable_plugin(registry, store, name)
        with use_store(store):
            product = Product(name="Bench tee", status="active")
            db.session.add(product)
            db.session.flush()
            db.session.add_all(Variant(product_id=product.id, sku=sku, price=PRICE, unit_cost=400)
                               for sku in [f"SKU-{n:03d}" for n in range(SKUS)] + WARM_SKUS)
            db.session.commit()
        _, token = create_token(owner, store, "bench", permissions_in_store(owner, store), None)
        db.session.commit()
        db.engine.dispose()
    return token, enabled


class Api:
    def __init__(self, port, token):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method, path, body=None):
        self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=self.headers)
        response = self.conn.getresponse()
        data = response.read()
        return response.status, (json.loads(data) if data else None)


def start_gunicorn(url, instance, port):
    env = dict(os.environ, SHOPDESK_DATABASE_URL=url, SHOPDESK_INSTANCE_PATH=str(instance),
               SHOPDESK_API_RATE_LIMIT="1000000 per minute")
    command = [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "contrib/deploy/gunicorn.conf.py"),
               "--workers", "4", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
               "--access-logfile", os.devnull]
    server = subprocess.Popen(command, env=env, cwd=str(instance), start_new_session=True)
    return server


def wait_ready(port, token, server):
    for _ in range(300):
        if server.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        try:
            status, _ = Api(port, token).call("GET", "/api/v1/orders?page_size=1")
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer within 60 s")


def api_side(url, plans, port):
    instance = Path(tempfile.mkdtemp(prefix="bench-orders-"))
    token, enabled = setup_store(url, instance)
    server = start_gunicorn(url, instance, port)
    try:
        wait_ready(port, token, server)
        api = Api(port, token)
        if "inventory" in enabled:
            status, body = api.call("POST", "/api/v1/inventory/warehouses", {"code": "MAIN", "name": "Main"})
            assert status == 201, body
            status, body = api.call("POST", "/api/v1/inventory/receipts", {
                "warehouse": "MAIN", "reference": "bench",
                "lines": [{"sku": f"SKU-{n:03d}", "quantity": UNITS} for n in range(SKUS)]
                + [{"sku": sku, "quantity": CLIENTS * WARM_ORDERS} for sku in WARM_SKUS]})
            assert status == 201, body

        def order_body(external_id, skus):
            return {"channel": "marketplace", "external_id": external_id,
                    "customer": {"name": "Bench", "email": "bench@example.com"},
                    "lines": [{"sku": sku, "quantity": 1} for sku in skus]}

        def warm_up(index, _, barrier):
            me = Api(port, token)
            barrier.wait()
            for number in range(WARM_ORDERS):
                status, answer = me.call("POST", "/api/v1/orders", order_body(f"W-{index}-{number}", WARM_SKUS))
                assert status == 201, answer

        run_threads(warm_up, [None] * CLIENTS)

        def client(index, orders, barrier):
            me = Api(port, token)
            me.call("GET", "/api/v1/orders?page_size=1")
            acknowledged, refused, latencies, errors = [], 0, [], []
            barrier.wait()
            for number, skus in enumerate(orders):
                body = order_body(f"B-{index}-{number}", [f"SKU-{s:03d}" for s in skus])
                started = time.perf_counter()
                try:
                    status, answer = me.call("POST", "/api/v1/orders", body)
                except (OSError, http.client.HTTPException) as exc:  # counted, never hidden
                    errors.append(("connection", repr(exc)))
                    me = Api(port, token)
                    continue
                latencies.append(time.perf_counter() - started)
                if status == 201:
                    acknowledged.append(answer["id"])
                elif status == 409:
                    refused += 1
                else:
                    errors.append((status, answer))
            return acknowledged, refused, latencies, errors

        elapsed, results = run_threads(client, plans)
        counts = count_api(url)

        def reader(index, orders, barrier):
            me = Api(port, token)
            barrier.wait()
            for _ in orders:
                status, answer = me.call("GET", "/api/v1/orders?page_size=1")
                assert status == 200, answer

        floor_elapsed, _ = run_threads(reader, plans)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    acknowledged = [i for r in results for i in r[0]]
    errors = [e for r in results for e in r[3]]
    latencies = sorted(l for r in results for l in r[2])
    stock_limited = "inventory" in enabled
    oversold = counts["oversold"] if stock_limited else 0
    lost = len(set(acknowledged) ^ set(counts["ids"]))
    return {"elapsed": elapsed, "placed": len(acknowledged), "refused": sum(r[1] for r in results),
            "errors": errors, "latencies": latencies, "oversold": oversold, "lost": lost, "enabled": enabled,
            "outbox": counts["outbox"], "floor_elapsed": floor_elapsed}


def count_api(url):
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM orders WHERE channel = 'marketplace' "
                                              "AND external_id LIKE 'B-%' AND status <> 'draft'")]
        per_sku = conn.execute("SELECT l.sku, sum(l.quantity) FROM orders_lines l JOIN orders o ON o.id = l.order_id "
                               "WHERE o.status <> 'cancelled' AND l.sku LIKE 'SKU-%' GROUP BY l.sku").fetchall()
        outbox = conn.execute("SELECT count(*) FROM outbox_events WHERE name = 'order.placed' "
                              "AND payload->>'external_id' LIKE 'B-%'").fetchone()[0]
    oversold = sum(max(0, quantity - UNITS) for _, quantity in per_sku)
    return {"ids": ids, "oversold": oversold, "outbox": outbox}


# --- the raw SQL side ---------------------------------------------------------------------


RAW_TABLES = """
CREATE TABLE counters (store_id integer PRIMARY KEY, last bigint NOT NULL);
CREATE TABLE stock (sku varchar(64) PRIMARY KEY, on_hand integer NOT NULL, reserved integer NOT NULL DEFAULT 0);
CREATE TABLE orders (id serial PRIMARY KEY, store_id integer NOT NULL, number varchar(40) NOT NULL,
  channel varchar(20) NOT NULL, external_id varchar(100), status varchar(24) NOT NULL, currency char(3) NOT NULL,
  total bigint NOT NULL, customer_email varchar(255) NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (store_id, number), UNIQUE (store_id, channel, external_id));
CREATE TABLE order_lines (id serial PRIMARY KEY, order_id integer NOT NULL REFERENCES orders(id),
  sku varchar(64) NOT NULL, quantity integer NOT NULL, unit_price bigint NOT NULL, total bigint NOT NULL,
  price_trail jsonb NOT NULL);
CREATE TABLE outbox (id serial PRIMARY KEY, name varchar(100) NOT NULL, payload jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now());
"""


def raw_side(dsn, schema, plans):
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"SET search_path TO {schema}")
        conn.execute(RAW_TABLES)
        conn.execute("INSERT INTO counters VALUES (1, 1000)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO stock (sku, on_hand) VALUES (%s, %s)",
                            [(f"SKU-{n:03d}", UNITS) for n in range(SKUS)])

    def client(index, orders, barrier):
        acknowledged, refused = [], 0
        with psycopg.connect(dsn, options=f"-csearch_path={schema}") as conn:
            barrier.wait()
            for number, skus in enumerate(orders):
                value = conn.execute("UPDATE counters SET last = last + 1 WHERE store_id = 1 RETURNING last").fetchone()[0]
                order_id = conn.execute(
                    "INSERT INTO orders (store_id, number, channel, external_id, status, currency, total, customer_email) "
                    "VALUES (1, %s, 'marketplace', %s, 'placed', 'USD', %s, 'bench@example.com') RETURNING id",
                    (f"SO-{value:05d}", f"B-{index}-{number}", PRICE * LINES)).fetchone()[0]
                short = False
                for s in skus:
                    cur = conn.execute("UPDATE stock SET reserved = reserved + 1 WHERE sku = %s AND on_hand - reserved >= 1",
                                       (f"SKU-{s:03d}",))
                    if not cur.rowcount:
                        short = True
                        break
                if short:
                    conn.rollback()
                    refused += 1
                    continue
                with conn.cursor() as cur:
                    cur.executemany("INSERT INTO order_lines (order_id, sku, quantity, unit_price, total, price_trail) "
                                    "VALUES (%s, %s, 1, %s, %s, %s)",
                                    [(order_id, f"SKU-{s:03d}", PRICE, PRICE, json.dumps(
                                        [{"label": "catalog list price", "change": PRICE, "price": PRICE}]))
                                     for s in skus])
                conn.execute("INSERT INTO outbox (name, payload) VALUES ('order.placed', %s)",
                             (json.dumps({"id": order_id, "number": f"SO-{value:05d}", "total": PRICE * LINES}),))
                conn.commit()
                acknowledged.append(order_id)
        return acknowledged, refused

    elapsed, results = run_threads(client, plans)
    with psycopg.connect(dsn, options=f"-csearch_path={schema}") as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM orders")]
        oversold = conn.execute("SELECT coalesce(sum(reserved - on_hand), 0) FROM stock WHERE reserved > on_hand").fetchone()[0]
        lines_over = conn.execute("SELECT coalesce(sum(greatest(0, q - %s)), 0) FROM (SELECT sku, sum(quantity) q "
                                  "FROM order_lines GROUP BY sku) t", (UNITS,)).fetchone()[0]
    acknowledged = [i for r in results for i in r[0]]
    return {"elapsed": elapsed, "placed": len(acknowledged), "refused": sum(r[1] for r in results),
            "oversold": int(oversold) + int(lines_over), "lost": len(set(acknowledged) ^ set(ids))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("SHOPDESK_BENCH_POSTGRES_URL", DEFAULT_URL))
    parser.add_argument("--per-client", type=int, default=60)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from shopdesk.testing import with_search_path

    plans = plan(args.per_client)
    total = CLIENTS * args.per_client
    dsn = args.postgres.replace("postgresql+psycopg://", "postgresql://")
    with scratch_schemas(dsn, api="bench_orders", raw="bench_orders_raw") as schemas:
        api = api_side(with_search_path(args.postgres, schemas["api"]), plans, args.port)
        raw = raw_side(dsn, schemas["raw"], plans)
    missing = [p for p in ("inventory", "pricing") if p not in api["enabled"]]
    print(f"plugins enabled: {', '.join(api['enabled'])}"
          + (f" (not installed: {', '.join(missing)}; run without them)" if missing else ""))
    print(f"{CLIENTS} clients x {args.per_client} orders of {LINES} lines; stock {SKUS} SKUs x {UNITS} units")
    if api["errors"]:
        print(f"API errors (neither 201 nor 409): {len(api['errors'])}, first: {api['errors'][0]}")
    a_rate, r_rate = total / api["elapsed"], total / raw["elapsed"]
    p50 = statistics.median(api["latencies"]) * 1000
    p99 = api["latencies"][max(0, int(len(api["latencies"]) * 0.99) - 1)] * 1000
    print(f"API (gunicorn 4 workers): {a_rate:7.1f} orders/s  p50 {p50:.1f} ms  p99 {p99:.1f} ms  "
          f"placed {api['placed']}  refused {api['refused']}  order.placed events {api['outbox']}  "
          f"oversold {api['oversold']}  lost {api['lost']}")
    floor = total / api["floor_elapsed"]
    print(f"floor (one-row order list, same clients): {floor:7.1f} requests/s, {floor / r_rate:.2f} of raw SQL")
    print(f"raw SQL (8 connections):  {r_rate:7.1f} orders/s  placed {raw['placed']}  refused {raw['refused']}  "
          f"oversold {raw['oversold']}  lost {raw['lost']}")
    print(f"orders: ratio {a_rate / r_rate:.2f} (API orders/s / raw SQL orders/s) floor {floor / r_rate:.2f} "
          f"p50 {p50:.1f} ms p99 {p99:.1f} ms "
          f"oversold {api['oversold'] + raw['oversold']} lost {api['lost'] + raw['lost']}")


if __name__ == "__main__":
    main()
