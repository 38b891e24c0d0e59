"""Events per second through emit -> commit -> dispatch to 3 plugins, against plain SQL.

The baseline writes the same rows with the same transactions in raw SQL on the same kind of
database, in the same run: per event one transaction inserting the outbox row and its three
delivery rows, then per delivery one transaction claiming and marking it delivered.
The measured path does that through the host (payload validation, the tenant filter, the
ORM, ordering checks, the plugins' handle_event calls). It also counts lost deliveries.

Run: .venv/bin/python bench/events.py [--events 1000] [--postgres URL]
"""

import argparse
import sqlite3
import tempfile
import time
import uuid
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet
from marshmallow import Schema, fields

from shopdesk.events import EventType, dispatch_due, emit
from shopdesk.testing import make_plugin


class Placed(Schema):
    number = fields.Integer(required=True)
    total = fields.Integer(required=True)


handled = []
PLUGINS = [make_plugin("emitter", register_event_types=lambda: [EventType("order.placed", 1, Placed, "Bench.")],
                       handle_event=lambda event, ctx: handled.append(1))]
PLUGINS += [make_plugin(f"listener{i}", handle_event=lambda event, ctx: handled.append(1)) for i in range(2)]


def measured(url: str, instance: Path, count: int) -> float:
    from shopdesk.app import create_app
    from shopdesk.db import db
    from shopdesk.migrate import upgrade
    from shopdesk.stores import create_store, enable_plugin, use_store

    app = create_app({"SECRET_KEY": "b", "SHOPDESK_SETTINGS_KEY": Fernet.generate_key(), "INSTANCE_PATH": str(instance),
                      "SQLALCHEMY_DATABASE_URI": url, "SHOPDESK_EVENTS_DISPATCH": "manual"},
                     plugins=PLUGINS, entry_points=[])
    with app.app_context():
        upgrade(app)
        store = create_store("bench", "Bench")
        for plugin in ("emitter", "listener0", "listener1"):
            enable_plugin(app.extensions["shopdesk"], store, plugin)
        db.session.commit()
        start = time.perf_counter()
        for number in range(count):
            with use_store(store):
                emit("order.placed", {"number": number, "total": 100})
                db.session.commit()
            dispatch_due()
        return time.perf_counter() - start


def baseline(connect, count: int) -> float:
    conn = connect()
    cur = conn.cursor()
    cur.execute("CREATE TABLE b_outbox (id INTEGER PRIMARY KEY, event_id TEXT, name TEXT, payload TEXT, created_at TEXT)")
    cur.execute("CREATE TABLE b_deliveries (id INTEGER PRIMARY KEY, event_pk INTEGER, target TEXT, status TEXT, "
                "attempts INTEGER, delivered_at TEXT)")
    conn.commit()
    start = time.perf_counter()
    for number in range(count):
        cur.execute("INSERT INTO b_outbox (event_id, name, payload, created_at) VALUES (?, ?, ?, datetime('now'))",
                    (str(uuid.uuid4()), "order.placed", f'{{"number": {number}, "total": 100}}'))
        event_pk = cur.lastrowid
        cur.executemany("INSERT INTO b_deliveries (event_pk, target, status, attempts) VALUES (?, ?, 'pending', 0)",
                        [(event_pk, f"plugin:{t}") for t in ("emitter", "listener0", "listener1")])
        conn.commit()
        for (delivery_id,) in cur.execute("SELECT id FROM b_deliveries WHERE event_pk = ?", (event_pk,)).fetchall():
            cur.execute("UPDATE b_deliveries SET status = 'running' WHERE id = ? AND status = 'pending'", (delivery_id,))
            cur.execute("UPDATE b_deliveries SET status = 'delivered', attempts = 1, delivered_at = datetime('now') "
                        "WHERE id = ?", (delivery_id,))
            conn.commit()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)

        def connect():
            conn = sqlite3.connect(tmp / "baseline.db")
            conn.execute("PRAGMA journal_mode=WAL")
            return conn

        raw = baseline(connect, args.events)
        ours = measured(f"sqlite:///{tmp / 'shopdesk.db'}", tmp, args.events)
        engine = sa.create_engine(f"sqlite:///{tmp / 'shopdesk.db'}")
        with engine.connect() as conn:
            open_deliveries = conn.execute(sa.text("SELECT count(*) FROM event_deliveries WHERE status != 'delivered'")).scalar()
        engine.dispose()
    expected = args.events * 3
    lost = expected - len(handled) + open_deliveries
    print(f"plain SQL, same rows and transactions: {args.events / raw:8.0f} events/s")
    print(f"emit -> commit -> dispatch to 3 plugins: {args.events / ours:8.0f} events/s (SQLite, {args.events} events)")
    print(f"events: ratio {raw / ours:.2f} (shopdesk events/s / plain SQL events/s) lost {lost}")


if __name__ == "__main__":
    main()
