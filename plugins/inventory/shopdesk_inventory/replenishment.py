"""Replenishment, explained: safety stock, reorder point and EOQ per SKU and warehouse.

Every figure comes back with its inputs and the formula filled in, so a buyer can check it:

* daily demand: units shipped per day over the last ``demand_window_days`` days (days
  without shipments count as 0), mean μ and sample standard deviation σ;
* lead time L: the SKU's override (``inventory_lead_times``) or ``default_lead_time_days``;
* z = NormalDist().inv_cdf(service_level);
* safety stock = z × σ × √L; reorder point = μ × L + safety stock;
* EOQ = √(2 × D × S / H), D = μ × 365, S = ``ordering_cost``, H = unit cost × ``holding_cost_percent`` / 100;
* suggested quantity = max(EOQ, ROP − available), rounded up, when available + on order < ROP.

Reorder points are stored on the stock levels (:func:`refresh_reorder_points`, run daily by a
job) so that ``stock.low`` can be checked by every move and reservation without recomputing.
"""

import math
import statistics
from datetime import timedelta

import sqlalchemy as sa

from shopdesk.db import db, utcnow
from shopdesk_catalog.public import Variant

from .models import LeadTime, StockLevel, StockMove, Warehouse
from .stock import watch_low


def daily_demand(days: int, now=None, variant_ids=None) -> dict[tuple[int, int], list[int]]:
    """Units shipped per (variant, warehouse) per day, oldest day first, zeros included."""
    now = now or utcnow()
    today = now.date()
    query = (sa.select(StockMove.variant_id, StockMove.warehouse_id, StockMove.quantity, StockMove.created_at)
             .where(StockMove.kind == "shipment", StockMove.created_at > now - timedelta(days=days)))
    if variant_ids is not None:
        query = query.where(StockMove.variant_id.in_(variant_ids))
    series: dict[tuple[int, int], list[int]] = {}
    for row in db.session.execute(query):
        age = (today - row.created_at.date()).days
        if 0 <= age < days:
            series.setdefault((row.variant_id, row.warehouse_id), [0] * days)[days - 1 - age] += -row.quantity
    return series


def _fmt(value, digits=2):
    return f"{value:.{digits}f}"


def explain(level: StockLevel, variant: Variant, warehouse: Warehouse, demand: list[int],
            lead_time: int | None, settings: dict) -> dict:
    """Every replenishment number of one level, with its inputs and formulas."""
    window = settings["demand_window_days"]
    demand = demand or [0] * window
    mean = statistics.fmean(demand)
    std = statistics.stdev(demand) if len(demand) > 1 else 0.0
    lead = lead_time if lead_time is not None else settings["default_lead_time_days"]
    service = settings["service_level"]
    z = statistics.NormalDist().inv_cdf(service)
    safety = z * std * math.sqrt(lead)
    rop = mean * lead + safety
    annual = mean * 365
    ordering = settings["ordering_cost"]
    holding_pct = settings["holding_cost_percent"]
    holding = variant.unit_cost * holding_pct / 100
    eoq = math.sqrt(2 * annual * ordering / holding) if holding > 0 else None
    available = level.on_hand - level.reserved
    on_order = 0  # purchase orders are the purchasing plugin's; nothing is on order until it exists
    rop_units = math.ceil(rop - 1e-9)
    needs = available + on_order < rop_units
    suggested = max(math.ceil(eoq) if eoq is not None else 0, rop_units - available - on_order) if needs else 0
    return {
        "sku": variant.sku, "variant_id": variant.id, "warehouse": warehouse.code,
        "on_hand": level.on_hand, "reserved": level.reserved, "available": available, "on_order": on_order,
        "demand_window_days": window, "demand_total": sum(demand),
        "demand_mean": round(mean, 4), "demand_std": round(std, 4),
        "lead_time_days": lead, "lead_time_source": "sku" if lead_time is not None else "store default",
        "service_level": service, "z": round(z, 4),
        "safety_stock": round(safety, 2), "reorder_point": round(rop, 2), "reorder_point_units": rop_units,
        "annual_demand": round(annual, 2), "ordering_cost": ordering, "holding_cost_percent": holding_pct,
        "unit_cost": variant.unit_cost, "holding_cost_per_unit": round(holding, 2),
        "eoq": round(eoq, 2) if eoq is not None else None,
        "needs_reorder": needs, "suggested_quantity": suggested,
        "formulas": {
            "demand": f"μ = {sum(demand)} units / {window} days = {_fmt(mean, 3)}; "
                      f"σ (sample, zero days included) = {_fmt(std, 3)}",
            "z": f"z = NormalDist().inv_cdf({service}) = {_fmt(z, 3)}",
            "safety_stock": f"z × σ × √L = {_fmt(z, 3)} × {_fmt(std, 3)} × √{lead} = {_fmt(safety)}",
            "reorder_point": f"μ × L + SS = {_fmt(mean, 3)} × {lead} + {_fmt(safety)} = {_fmt(rop)} "
                             f"(→ {rop_units} units)",
            "eoq": (f"√(2 × D × S / H) = √(2 × {_fmt(annual)} × {ordering} / {_fmt(holding)}) = {_fmt(eoq)}"
                    if eoq is not None else "undefined: the unit cost is 0, so holding costs nothing"),
            "suggested_quantity": (f"max(EOQ, ROP − available − on order) = max({_fmt(eoq) if eoq is not None else 0}, "
                                   f"{rop_units} − {available} − {on_order}) = {suggested}"
                                   if needs else f"available {available} + on order {on_order} ≥ ROP {rop_units}: "
                                                 "nothing to order"),
        },
    }


def plan(settings: dict, *, sku=None, warehouse=None, now=None) -> list[dict]:
    """The explained replenishment of every stock level (or those of one SKU / warehouse)."""
    query = (sa.select(StockLevel, Variant, Warehouse)
             .join(Variant, Variant.id == StockLevel.variant_id)
             .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
             .where(Warehouse.active.is_(True)).order_by(Variant.sku, Warehouse.priority, Warehouse.code))
    if sku:
        query = query.where(Variant.sku == sku)
    if warehouse:
        query = query.where(Warehouse.code == warehouse)
    rows = db.session.execute(query).all()
    variant_ids = sorted({variant.id for _, variant, _ in rows})
    demand = daily_demand(settings["demand_window_days"], now, variant_ids)
    leads = dict(db.session.execute(sa.select(LeadTime.variant_id, LeadTime.days)
                                    .where(LeadTime.variant_id.in_(variant_ids))).all())
    return [explain(level, variant, wh, demand.get((variant.id, wh.id)), leads.get(variant.id), settings)
            for level, variant, wh in rows]


def suggestions(settings: dict, **filters) -> list[dict]:
    """What to order: the levels below their reorder point, the largest shortfall first."""
    wanted = [p for p in plan(settings, **filters) if p["needs_reorder"]]
    return sorted(wanted, key=lambda p: (p["available"] - p["reorder_point_units"], p["sku"], p["warehouse"]))


def refresh_reorder_points(settings: dict, now=None) -> int:
    """Store each level's reorder point (in units) and send ``stock.low`` for levels already
    below it. Returns how many levels were refreshed."""
    explained = plan(settings, now=now)
    for item in explained:
        level = db.session.scalar(sa.select(StockLevel).join(Warehouse).where(
            StockLevel.variant_id == item["variant_id"], Warehouse.code == item["warehouse"]))
        level.reorder_point = item["reorder_point_units"]
        db.session.flush()
        watch_low(db.session.execute(sa.select(
            StockLevel.id, StockLevel.variant_id, StockLevel.warehouse_id, StockLevel.on_hand,
            StockLevel.reserved, StockLevel.reorder_point, StockLevel.low_alerted).filter_by(id=level.id)).one())
    return len(explained)
