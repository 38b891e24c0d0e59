"""Replenishment (explained), stock.low, turnover, ABC classes, slow movers and the demo data."""

import math
import statistics
from datetime import timedelta

import pytest
import sqlalchemy as sa

from shopdesk.commerce import StockLine
from shopdesk.db import utcnow
from shopdesk.demo import fill_with_demo_data
from shopdesk.stores import configure_plugin, create_store, use_store
from shopdesk_catalog.models import Product, Variant
from shopdesk_inventory import jobs
from shopdesk_inventory.models import StockLevel, StockMove, Warehouse
from shopdesk_inventory.verify import verify


@pytest.fixture
def history(db, stocked):
    """``history(sku, warehouse, [(days_ago, quantity), ...], kind)``: moves in the past, with
    the level kept equal to the sum of its moves."""

    def add(sku, code, entries, kind="shipment"):
        with use_store(stocked.store):
            variant = db.session.scalar(sa.select(Variant).filter_by(sku=sku))
            warehouse = db.session.scalar(sa.select(Warehouse).filter_by(code=code))
            level = db.session.scalar(sa.select(StockLevel).filter_by(variant_id=variant.id, warehouse_id=warehouse.id))
            if level is None:
                level = StockLevel(variant_id=variant.id, warehouse_id=warehouse.id, on_hand=0, reserved=0)
                db.session.add(level)
            for days_ago, quantity in entries:
                signed = -quantity if kind == "shipment" else quantity
                db.session.add(StockMove(variant_id=variant.id, warehouse_id=warehouse.id, kind=kind,
                                         quantity=signed, unit_cost=variant.unit_cost, reference="history",
                                         created_at=utcnow() - timedelta(days=days_ago, seconds=1)))
                level.on_hand += signed
            db.session.commit()

    return add


def _configure(app, db, store, **values):
    configure_plugin(app.extensions["shopdesk"], store, "inventory", values)
    db.session.commit()


def test_replenishment_shows_every_number_with_its_inputs_and_formula(app, db, client, stocked, history):
    _configure(app, db, stocked.store, demand_window_days=10, service_level=0.95, default_lead_time_days=4,
               ordering_cost=2000, holding_cost_percent=20.0)
    history("MUG", "MAIN", [(0, 30)], kind="receipt")  # enough stock for the shipments below
    daily = [3, 0, 5, 2, 0, 4, 1, 0, 6, 2]  # oldest first, 10 days ending today
    history("MUG", "MAIN", [(len(daily) - 1 - i, q) for i, q in enumerate(daily) if q])
    item = client.get("/api/v1/inventory/replenishment?sku=MUG&warehouse=MAIN").json[0]

    mean, std = statistics.fmean(daily), statistics.stdev(daily)
    z = statistics.NormalDist().inv_cdf(0.95)
    safety = z * std * math.sqrt(4)
    rop = mean * 4 + safety
    eoq = math.sqrt(2 * mean * 365 * 2000 / (300 * 0.20))
    assert item["demand_mean"] == round(mean, 4) and item["demand_std"] == round(std, 4)
    assert item["z"] == round(z, 4) and item["lead_time_days"] == 4
    assert item["lead_time_source"] == "store default"
    assert item["safety_stock"] == round(safety, 2)
    assert item["reorder_point"] == round(rop, 2) and item["reorder_point_units"] == math.ceil(rop)
    assert item["eoq"] == round(eoq, 2)
    assert item["available"] == 10 - sum(daily) + 30
    assert item["formulas"]["safety_stock"] == f"z × σ × √L = {z:.3f} × {std:.3f} × √4 = {safety:.2f}"
    assert item["formulas"]["reorder_point"].startswith(f"μ × L + SS = {mean:.3f} × 4 + {safety:.2f}")

    lead = client.put("/api/v1/inventory/lead-times", json={"sku": "MUG", "days": 9})
    assert lead.status_code == 200
    item = client.get("/api/v1/inventory/replenishment?sku=MUG&warehouse=MAIN").json[0]
    assert (item["lead_time_days"], item["lead_time_source"]) == (9, "sku")


def test_suggestions_list_what_to_order_with_max_of_eoq_and_the_shortfall(app, db, client, stocked, history):
    _configure(app, db, stocked.store, demand_window_days=10, default_lead_time_days=7)
    history("TEE-M", "MAIN", [(d, 1) for d in range(10)])  # 1 a day: ROP ≈ 7 + safety, 0 left
    suggestions = client.get("/api/v1/inventory/replenishment/suggestions").json
    item = next(s for s in suggestions if (s["sku"], s["warehouse"]) == ("TEE-M", "MAIN"))
    assert item["available"] == 0 and item["on_order"] == 0 and item["needs_reorder"]
    assert item["suggested_quantity"] == max(math.ceil(item["eoq"]), item["reorder_point_units"] - 0)
    assert all(s["needs_reorder"] for s in suggestions)
    assert ("CAP", "MAIN") not in {(s["sku"], s["warehouse"]) for s in suggestions}  # never shipped: ROP 0


def test_stock_low_is_emitted_once_when_available_crosses_the_reorder_point(
        app, db, client, stocked, history, hooks, emitted):
    _configure(app, db, stocked.store, demand_window_days=10, default_lead_time_days=2)
    history("CAP", "MAIN", [(d, 1) for d in range(1, 10)])  # 9 shipped, 1 left... top up:
    history("CAP", "MAIN", [(0, 9)], kind="receipt")  # 10 on hand, demand ~0.9/day
    assert client.post("/api/v1/inventory/replenishment/refresh").status_code == 200
    rop = client.get("/api/v1/inventory/levels?sku=CAP&warehouse=MAIN").json[0]["reorder_point"]
    assert 0 < rop < 10 and emitted("stock.low") == []

    hooks("reserve_stock", reference="order:1", lines=[StockLine("CAP", 10 - rop + 1)])  # available rop-1
    hooks("reserve_stock", reference="order:2", lines=[StockLine("CAP", 1)])  # still below: no repeat
    db.session.commit()
    low = emitted("stock.low")
    assert len(low) == 1
    assert low[0][1] == {"sku": "CAP", "variant_id": low[0][1]["variant_id"], "warehouse": "MAIN", "on_hand": 10,
                         "reserved": 10 - rop + 1, "available": rop - 1, "reorder_point": rop}

    dashboard = client.get("/s/acme/").get_data(as_text=True)
    assert "Low stock" in dashboard and "<td>CAP</td><td>MAIN</td>" in dashboard

    hooks("release_stock", reference="order:1")  # recovers: the next crossing alerts again
    hooks("reserve_stock", reference="order:3", lines=[StockLine("CAP", 10 - rop + 1)])
    db.session.commit()
    assert len(emitted("stock.low")) == 2


def test_turnover_is_cost_shipped_over_average_stock_at_cost(app, db, client, stocked, history):
    history("TEE-L", "EAST", [(30, 20)], kind="receipt")
    history("TEE-L", "EAST", [(10, 10)])
    today = utcnow().date()
    start, end = today - timedelta(days=20), today + timedelta(days=1)
    row = next(r for r in client.get(f"/api/v1/inventory/reports/turnover?start={start}&end={end}").json
               if r["sku"] == "TEE-L")
    # EAST: 20 until the shipment day, 10 after; MAIN: its 10 arrived today (the fixture).
    days = 21
    shipped_on = ((utcnow() - timedelta(days=10, seconds=1)).date() - start).days
    units = [(20 if d < shipped_on else 10) + (10 if d == days - 1 else 0) for d in range(days)]
    average = sum(units) / days
    assert row["cogs"] == 10 * 500
    assert row["average_units"] == round(average, 2)
    assert row["turnover"] == round(5000 / (average * 500), 3)
    assert row["days_of_inventory"] == round(days / (5000 / (average * 500)), 1)
    by_category = client.get(f"/api/v1/inventory/reports/turnover?start={start}&end={end}&by=category").json
    assert [(r["category"], r["cogs"]) for r in by_category] == [("Apparel", 5000)]
    bad = client.get(f"/api/v1/inventory/reports/turnover?start={end}&end={start}")
    assert bad.status_code == 422


def test_abc_classes_follow_the_shipped_value_thresholds(app, db, client, stocked, history):
    history("MUG", "EAST", [(1, 20)], kind="receipt")
    history("TEE-M", "MAIN", [(1, 8)])   # 8 × 1200 = 9600
    history("MUG", "EAST", [(2, 2)])     # 2 × 900 = 1800 (cumulative 9600 → 11400)
    history("CAP", "MAIN", [(3, 1)])     # 1 × 1500 = 1500 (→ 12900)
    classes = {r["sku"]: r["class"] for r in client.get("/api/v1/inventory/reports/abc?page_size=100").json}
    assert classes == {"TEE-M": "A", "MUG": "B", "CAP": "C", "TEE-L": "C"}


def test_slow_and_dead_stock_is_listed_with_its_value_and_announced_once_a_month(
        app, db, client, stocked, history, emitted):
    _configure(app, db, stocked.store, slow_after_days=30, dead_after_days=90)
    with use_store(stocked.store):
        product_id = db.session.scalar(sa.select(Product.id))
        db.session.add_all([Variant(product_id=product_id, sku="OLD", price=500, unit_cost=200),
                            Variant(product_id=product_id, sku="SLOW", price=500, unit_cost=100)])
        db.session.commit()
    history("OLD", "MAIN", [(120, 6)], kind="receipt")
    history("SLOW", "MAIN", [(100, 10)], kind="receipt")
    history("SLOW", "MAIN", [(45, 2)])
    rows = {r["sku"]: r for r in client.get("/api/v1/inventory/reports/slow-movers").json}
    assert set(rows) == {"OLD", "SLOW"}
    assert (rows["OLD"]["classification"], rows["OLD"]["stock_value"], rows["OLD"]["last_shipped_at"]) == (
        "dead", 1200, None)
    assert (rows["SLOW"]["classification"], rows["SLOW"]["on_hand"], rows["SLOW"]["stock_value"]) == ("slow", 8, 800)

    registry = app.extensions["shopdesk"]
    for _ in range(2):  # the daily job, twice in one month
        with use_store(stocked.store):
            jobs.slow_moving(registry.for_store(stocked.store).context("inventory"))
            db.session.commit()
    sent = emitted("stock.slow_moving")
    assert sorted((p["sku"], p["classification"]) for _, p in sent) == [("OLD", "dead"), ("SLOW", "slow")]


def test_the_demo_store_has_warehouses_history_a_transfer_in_transit_and_an_open_count(app, db, user):
    store = create_store("demo-inv", "Demo", owner=user)
    fill_with_demo_data(app.extensions["shopdesk"], store, ["catalog", "inventory"])  # not others: theirs is theirs
    db.session.commit()
    with use_store(store):
        assert [w.code for w in db.session.scalars(sa.select(Warehouse).order_by(Warehouse.priority))] == [
            "MAIN", "EAST"]
        assert verify() == []
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Variant)) > 0  # the catalog's demo
    client = app.test_client(user=user)
    client.environ_base["HTTP_SHOPDESK_STORE"] = "demo-inv"
    assert [t["status"] for t in client.get("/api/v1/inventory/transfers").json] == ["in_transit"]
    assert [c["status"] for c in client.get("/api/v1/inventory/counts").json] == ["open"]
    classes = {r["class"] for r in client.get("/api/v1/inventory/reports/abc?page_size=100").json}
    assert classes == {"A", "B", "C"}
    plan = client.get("/api/v1/inventory/replenishment").json
    assert any(p["demand_std"] > 0 and p["safety_stock"] > 0 for p in plan)
    assert client.get("/api/v1/inventory/reports/slow-movers").json  # the dead movers
