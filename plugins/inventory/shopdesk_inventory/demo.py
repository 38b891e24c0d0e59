"""Demo stock: two warehouses, ~90 days of receipts and shipments for the catalog's demo
variants (fast, steady, slow and dead movers, so replenishment, ABC and turnover show real
numbers), a transfer in transit, an open count and a reservation.

The history is written in one batch: moves with past timestamps, and levels whose on hand
is the sum of those moves (``shopdesk inventory verify`` agrees).
"""

import random
from datetime import timedelta

import sqlalchemy as sa

from shopdesk.commerce import StockLine
from shopdesk.db import current_store_id, db, utcnow
from shopdesk_catalog import public as catalog

from . import counts, operations, stock
from .models import BinLocation, LeadTime, StockLevel, StockMove, Warehouse
from .replenishment import refresh_reorder_points

HISTORY_DAYS = 90
# (share of variants, mean units a day in MAIN) from the busiest to the dead
PROFILES = [(0.2, 6.0), (0.3, 1.6), (0.3, 0.35), (0.2, 0.0)]


def load(ctx):
    main = Warehouse(code="MAIN", name="Main warehouse", priority=10,
                     bins=[BinLocation(code=f"A-{n:02d}") for n in range(1, 5)])
    east = Warehouse(code="EAST", name="East fulfilment centre", priority=20)
    db.session.add_all([main, east])
    db.session.flush()
    variants = catalog.some_variants(60)
    if not variants:
        return  # the catalog has no variants: warehouses only
    _history(variants, main, east)
    db.session.add(LeadTime(variant_id=variants[0].id, days=14))
    db.session.flush()
    refresh_reorder_points(ctx.settings)

    transfer = operations.create_transfer("MAIN", "EAST", [{"sku": v.sku, "quantity": 2} for v in variants[:2]],
                                          note="Rebalance before the weekend campaign")
    operations.ship_transfer(transfer)
    stock.reserve(ctx.settings, "order:DEMO-1001", [StockLine(variants[0].sku, 1)])
    session = counts.start_count(ctx.settings, "EAST")
    rows = counts.sheet(session)[:4]  # counting has started: a few shelves done, one short by one
    if rows:
        counts.record_counts(session, {row["sku"]: max(0, row["expected"] - (i == 1)) for i, row in enumerate(rows)})
    db.session.flush()


def _history(variants, main, east):
    rng = random.Random(20261127)
    now = utcnow().replace(hour=18, minute=0, second=0, microsecond=0) - timedelta(days=1)
    store_id = current_store_id.get()
    moves, totals = [], {}
    bounds = []
    start = 0
    for share, mean in PROFILES:
        end = start + max(1, round(share * len(variants)))
        bounds.append((start, end, mean))
        start = end

    def add(variant, warehouse, quantity, kind, when, reason="", reference=""):
        key = (variant.id, warehouse.id)
        totals[key] = totals.get(key, 0) + quantity
        moves.append({"store_id": store_id, "variant_id": variant.id, "warehouse_id": warehouse.id, "kind": kind,
                      "quantity": quantity, "reason": reason, "note": "", "reference": reference,
                      "unit_cost": variant.unit_cost, "user_email": "demo@example.com", "created_at": when})

    for index, variant in enumerate(variants):
        mean = next((m for s, e, m in bounds if s <= index < e), 0.0)
        if mean == 0.0:  # dead stock: received long ago, never shipped
            add(variant, main, 24, "receipt", now - timedelta(days=200), "receipt", "PO-DEMO-0001")
            continue
        for warehouse, factor in ((main, 1.0), (east, 0.4)):
            daily = mean * factor
            batch = max(10, round(daily * 21))
            on_hand = 0
            for age in range(HISTORY_DAYS + 5, -1, -1):
                day = now - timedelta(days=age)
                if on_hand < daily * 7 + 2:
                    add(variant, warehouse, batch, "receipt", day - timedelta(hours=8), "receipt",
                        f"PO-DEMO-{age:04d}")
                    on_hand += batch
                if age > HISTORY_DAYS:
                    continue
                weekend = 1.5 if day.weekday() >= 5 else 1.0
                wanted = _poisson(rng, daily * weekend)
                shipped = min(wanted, on_hand)
                if shipped:
                    add(variant, warehouse, -shipped, "shipment", day, "", f"order:DEMO-{age:03d}{index:02d}")
                    on_hand -= shipped
    db.session.execute(sa.insert(StockMove), moves)
    db.session.add_all(StockLevel(variant_id=v, warehouse_id=w, on_hand=q, reserved=0)
                       for (v, w), q in sorted(totals.items()))
    db.session.flush()


def _poisson(rng, mean):
    """Knuth's Poisson sampler: realistic day-to-day variability of small counts."""
    if mean <= 0:
        return 0
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1
