"""Turnover, days of inventory, ABC classes, slow and dead stock, count accuracy.

* turnover = cost of goods shipped in the period / average inventory value at cost, where
  the average is over the on-hand quantity at the end of every day of the period
  (rebuilt backwards from today's levels and the moves), valued at today's unit cost;
  days of inventory = days in the period / turnover.
* ABC: SKUs by shipped value over the demand window (units shipped × list price: the
  inventory plugin does not see order prices), descending; a SKU whose cumulative share
  (itself included) is within ``abc_a_percent`` is A (the top SKU always is), within
  ``abc_b_percent`` B, the rest C (and SKUs never shipped).
* slow / dead: stock on hand and no shipment for ``slow_after_days`` / ``dead_after_days``
  (a SKU never shipped counts from its first stock move).
"""

from collections import defaultdict
from datetime import timedelta

import sqlalchemy as sa

from shopdesk.db import db, utcnow
from shopdesk.events import emit
from shopdesk_catalog import public as catalog

from .models import CountSession, SlowMoverNotice, StockLevel, StockMove


def _on_hand_by_variant() -> dict[int, int]:
    return dict(db.session.execute(sa.select(StockLevel.variant_id, sa.func.sum(StockLevel.on_hand))
                                   .group_by(StockLevel.variant_id)).all())


def turnover(start, end, *, by="sku", now=None) -> list[dict]:
    """Turnover and days of inventory per SKU (``by="sku"``) or per category, for [start, end)."""
    now = now or utcnow()
    # Days of the period up to today (a future end adds no days: their stock is not known yet).
    days = max(1, min((end.date() - start.date()).days, (now.date() - start.date()).days + 1))
    on_hand = _on_hand_by_variant()
    moves = db.session.execute(sa.select(StockMove.variant_id, StockMove.kind, StockMove.quantity,
                                         StockMove.unit_cost, StockMove.created_at)
                               .where(StockMove.created_at >= start)).all()
    cogs = defaultdict(int)
    after = defaultdict(lambda: defaultdict(int))  # variant -> day index -> net quantity that day
    for move in moves:
        if move.kind == "shipment" and move.created_at < end:
            cogs[move.variant_id] += -move.quantity * move.unit_cost
        after[move.variant_id][(move.created_at.date() - start.date()).days] += move.quantity
    variants = catalog.variants_with_ids(set(on_hand) | set(cogs))
    per_variant = {}
    for variant_id, variant in variants.items():
        level = on_hand.get(variant_id, 0)
        # Walk from today back to the period's first day: the on hand at the end of day d is
        # today's minus every move made after day d.
        changes = after.get(variant_id, {})
        last_day = (now.date() - start.date()).days
        total, units = 0, level
        for day in range(last_day, -1, -1):
            if day < days:
                total += units
            units -= changes.get(day, 0)
        average_units = total / days
        per_variant[variant_id] = (cogs.get(variant_id, 0), average_units * variant.unit_cost, average_units)
    if by == "category":
        products = catalog.category_ids_by_product(v.product_id for v in variants.values())
        names = catalog.category_names()
        groups = defaultdict(lambda: [0, 0.0, 0.0])
        for variant_id, (cost, value, units) in per_variant.items():
            group = groups[products.get(variants[variant_id].product_id)]
            group[0] += cost
            group[1] += value
            group[2] += units
        rows = [{"category_id": cid, "category": names.get(cid, "(none)") if cid else "(none)",
                 **_ratios(cost, value, units, days)} for cid, (cost, value, units) in groups.items()]
        return sorted(rows, key=lambda r: r["category"])
    rows = [{"sku": variants[vid].sku, "variant_id": vid, **_ratios(cost, value, units, days)}
            for vid, (cost, value, units) in per_variant.items()]
    return sorted(rows, key=lambda r: r["sku"])


def _ratios(cogs, value, units, days):
    turns = cogs / value if value else None
    return {"period_days": days, "cogs": cogs, "average_units": round(units, 2),
            "average_value": round(value), "turnover": round(turns, 3) if turns is not None else None,
            "days_of_inventory": round(days / turns, 1) if turns else None,
            "formula": (f"turnover = COGS / average value = {cogs} / {round(value)} = {turns:.3f}; "
                        f"days of inventory = {days} / {turns:.3f} = {days / turns:.1f}"
                        if turns else f"turnover undefined: COGS {cogs}, average value {round(value)}")}


def abc_classes(settings: dict, now=None) -> list[dict]:
    """Every SKU's ABC class by shipped value over the demand window, highest value first."""
    now = now or utcnow()
    since = now - timedelta(days=settings["demand_window_days"])
    shipped = dict(db.session.execute(sa.select(StockMove.variant_id, sa.func.sum(-StockMove.quantity))
                                      .where(StockMove.kind == "shipment", StockMove.created_at > since)
                                      .group_by(StockMove.variant_id)).all())
    variants = catalog.all_variants()
    values = sorted(((int(shipped.get(v.id, 0) or 0) * v.price, v) for v in variants),
                    key=lambda p: (-p[0], p[1].sku))
    total = sum(value for value, _ in values)
    rows, running = [], 0
    for rank, (value, variant) in enumerate(values):
        running += value
        share = running / total * 100 if total else 100
        if value and (rank == 0 or share <= settings["abc_a_percent"] + 1e-9):
            klass = "A"
        elif value and share <= settings["abc_b_percent"] + 1e-9:
            klass = "B"
        else:
            klass = "C"
        rows.append({"sku": variant.sku, "variant_id": variant.id, "units": int(shipped.get(variant.id, 0) or 0),
                     "shipped_value": value, "cumulative_percent": round(running / total * 100, 2) if total else 0,
                     "class": klass})
    return rows


def slow_movers(settings: dict, now=None) -> list[dict]:
    """SKUs with stock on hand and no shipment for the slow threshold, oldest first."""
    now = now or utcnow()
    on_hand = {vid: qty for vid, qty in _on_hand_by_variant().items() if qty and qty > 0}
    last_shipped = dict(db.session.execute(sa.select(StockMove.variant_id, sa.func.max(StockMove.created_at))
                                           .where(StockMove.kind == "shipment").group_by(StockMove.variant_id)).all())
    first_move = dict(db.session.execute(sa.select(StockMove.variant_id, sa.func.min(StockMove.created_at))
                                         .group_by(StockMove.variant_id)).all())
    variants = catalog.variants_with_ids(set(on_hand))
    rows = []
    for variant_id, quantity in on_hand.items():
        last = last_shipped.get(variant_id)
        since = last or first_move.get(variant_id)
        if since is not None and since.tzinfo is None:
            from datetime import timezone
            since = since.replace(tzinfo=timezone.utc)
        idle = (now - since).days if since else None
        if idle is None or idle < settings["slow_after_days"]:
            continue
        variant = variants[variant_id]
        rows.append({"sku": variant.sku, "variant_id": variant_id, "on_hand": int(quantity),
                     "unit_cost": variant.unit_cost, "stock_value": int(quantity) * variant.unit_cost,
                     "last_shipped_at": last, "days_without_shipment": idle,
                     "classification": "dead" if idle >= settings["dead_after_days"] else "slow"})
    return sorted(rows, key=lambda r: (-r["days_without_shipment"], r["sku"]))


def notify_slow_movers(settings: dict, currency: str, now=None) -> int:
    """Emit ``stock.slow_moving`` once per SKU per month; returns how many were sent."""
    now = now or utcnow()
    period = now.strftime("%Y-%m")
    noticed = set(db.session.scalars(sa.select(SlowMoverNotice.variant_id).filter_by(period=period)))
    sent = 0
    for row in slow_movers(settings, now):
        if row["variant_id"] in noticed:
            continue
        db.session.add(SlowMoverNotice(variant_id=row["variant_id"], period=period))
        last = row["last_shipped_at"]
        emit("stock.slow_moving", {
            "sku": row["sku"], "variant_id": row["variant_id"], "classification": row["classification"],
            "on_hand": row["on_hand"], "stock_value": row["stock_value"], "currency": currency,
            "last_shipped_at": last.isoformat() if last else None,
            "days_without_shipment": row["days_without_shipment"] if last else None, "period": period,
        }, key=f"stock:{row['variant_id']}")
        sent += 1
    db.session.flush()
    return sent


def count_accuracy() -> list[dict]:
    """Books vs shelves, one row per approved count, oldest first: the share of lines counted
    without variance, and the variance value at cost (net, and absolute)."""
    sessions = db.session.scalars(sa.select(CountSession).filter_by(status="approved")
                                  .order_by(CountSession.approved_at, CountSession.id)).all()
    rows = []
    for session in sessions:
        counted = [line for line in session.lines if line.counted is not None]
        exact = sum(1 for line in counted if line.variance == 0)
        rows.append({"session_id": session.id, "warehouse": session.warehouse.code,
                     "approved_at": session.approved_at, "lines": len(counted), "exact_lines": exact,
                     "accuracy_percent": round(exact / len(counted) * 100, 1) if counted else None,
                     "variance_value": sum(line.variance * line.unit_cost for line in counted),
                     "absolute_variance_value": sum(abs(line.variance) * line.unit_cost for line in counted)})
    return rows
