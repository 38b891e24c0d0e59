"""No oversell: many buyers at once, each on its own connection, for the last units.

Each buyer is a thread with its own app context, so its own session and database connection,
calling the store's ``reserve_stock`` hook as the orders plugin does and committing. They all
wait at a barrier and go together. On PostgreSQL the conditional UPDATEs queue on the row
lock and re-check it; on SQLite writers are serialised (busy_timeout lets them wait).
"""

import threading

import pytest
import sqlalchemy as sa

from shopdesk.commerce import OutOfStock, StockLine
from shopdesk.db import db as _db
from shopdesk.stores import Store, use_store
from shopdesk_inventory.models import Reservation, StockLevel

BUYERS = 24
LAST_UNITS = 5


@pytest.fixture
def app(make_app):
    # One connection per buyer, plus the test's own and the watcher's.
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"pool_size": BUYERS + 4, "max_overflow": 0, "pool_timeout": 60})
    with app.app_context():
        yield app


def _buy_concurrently(app, store_id, sku, quantity=1):
    registry = app.extensions["shopdesk"]
    barrier = threading.Barrier(BUYERS + 1)
    done = threading.Event()
    outcomes, lowest = [], []

    def buyer(number):
        with app.app_context():
            store = _db.session.get(Store, store_id)
            hooks = registry.for_store(store)
            barrier.wait()
            try:
                with use_store(store_id):
                    hooks.owner("reserve_stock", reference=f"order:{number}", lines=[StockLine(sku, quantity)])
                    _db.session.commit()
                outcomes.append(("ok", number))
            except OutOfStock as exc:
                _db.session.rollback()
                outcomes.append(("out", exc))
            except Exception as exc:  # anything else is a failure of the test
                _db.session.rollback()
                outcomes.append(("error", exc))
            finally:
                _db.session.remove()

    def watcher():
        """Reads availability over and over while the buyers run: it must never go below 0."""
        with app.app_context(), use_store(store_id):
            while not done.is_set():
                lowest.append(_db.session.scalar(sa.select(sa.func.min(StockLevel.on_hand - StockLevel.reserved))))
                _db.session.rollback()
            _db.session.remove()

    threads = [threading.Thread(target=buyer, args=(n,)) for n in range(BUYERS)]
    watching = threading.Thread(target=watcher)
    for thread in threads:
        thread.start()
    watching.start()
    barrier.wait()
    for thread in threads:
        thread.join(120)
    done.set()
    watching.join(30)
    return outcomes, lowest


def test_twenty_four_buyers_for_the_last_five_units_get_exactly_five(app, db, client, stocked, level):
    # MUG: MAIN has 10 and EAST 20; leave 5 in total, all in MAIN.
    assert client.post("/api/v1/inventory/adjustments", json={
        "sku": "MUG", "warehouse": "EAST", "quantity": -20, "reason": "correction"}).status_code == 201
    assert client.post("/api/v1/inventory/adjustments", json={
        "sku": "MUG", "warehouse": "MAIN", "quantity": -(10 - LAST_UNITS), "reason": "correction"}).status_code == 201

    outcomes, lowest = _buy_concurrently(app, stocked.store.id, "MUG")

    errors = [o for kind, o in outcomes if kind == "error"]
    assert errors == []
    assert len(outcomes) == BUYERS
    successes = [o for kind, o in outcomes if kind == "ok"]
    refusals = [o for kind, o in outcomes if kind == "out"]
    assert len(successes) == LAST_UNITS
    assert len(refusals) == BUYERS - LAST_UNITS
    assert all(r.shortages[0].sku == "MUG" and "MUG (requested 1, available 0)" in str(r) for r in refusals)
    assert min(value for value in lowest if value is not None) >= 0
    assert level("MUG", "MAIN") == (LAST_UNITS, LAST_UNITS, 0)
    with use_store(stocked.store):
        held = db.session.scalars(sa.select(Reservation.reference).filter_by(status="active")).all()
    assert sorted(held) == sorted(f"order:{n}" for n in successes)


def test_buyers_of_several_units_never_share_the_last_ones(app, db, client, stocked, level):
    # 10 TEE-L in MAIN, nothing elsewhere; 24 buyers of 3 each: 3 succeed, 1 unit is left.
    outcomes, lowest = _buy_concurrently(app, stocked.store.id, "TEE-L", quantity=3)
    assert [kind for kind, _ in outcomes].count("ok") == 3
    assert [kind for kind, _ in outcomes].count("error") == 0
    assert min(value for value in lowest if value is not None) >= 0
    assert level("TEE-L", "MAIN") == (10, 9, 1)
