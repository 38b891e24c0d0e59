"""Reserving stock for orders placed before inventory was enabled in the store.

Such orders hold no reservation, so new orders could take their stock and they would fail
to ship. The orders plugin (or any plugin with documents waiting for stock) lists what they
still have to ship through the ``open_stock_demand`` hook; this module reserves it, oldest
first, through the same ``stock.reserve`` (conditional UPDATEs, never an oversell) that new
orders use. One line at a time: a short line does not keep the rest of its order from being
reserved, and each line is served whole by one warehouse, as always.

It is idempotent: a line of a document that already holds a reservation for its SKU (of any
status) is left alone, so a second run reserves nothing more. The SKU's level rows are locked
before that check, so two runs at once (the command and the page) reserve a line once.
:func:`run` commits after each document, so a long run never holds many orders' stock rows.
"""

from dataclasses import asdict, dataclass, field

import sqlalchemy as sa

from shopdesk import audit
from shopdesk.commerce import OutOfStock
from shopdesk.db import db, lock_row
from shopdesk_catalog.public import variant_ids_by_sku

from . import stock
from .models import Reservation, StockLevel


@dataclass
class Shortfall:
    label: str
    reference: str
    sku: str
    wanted: int
    reserved: int
    available: int


@dataclass
class Outcome:
    """What one document's lines got: ``reserved`` (sku, quantity, warehouse), ``short``."""

    reference: str
    label: str
    reserved: list = field(default_factory=list)
    short: list = field(default_factory=list)


def demand(hooks) -> list:
    """Every enabled plugin's open, never-reserved demand, oldest first."""
    found = [item for result in hooks.each("open_stock_demand", isolate=False) for item in (result.value or [])]
    return sorted(found, key=lambda d: (d.since, d.reference))


def _holds(reference, variant_id) -> bool:
    """Whether ``reference`` holds (or held) a reservation of the variant."""
    return db.session.scalar(sa.select(Reservation.id).filter_by(reference=reference, variant_id=variant_id)
                             .limit(1)) is not None


def unreserved(hooks) -> list:
    """The demands with at least one line holding no reservation, each with only those lines."""
    items = demand(hooks)
    ids = variant_ids_by_sku(line.sku for item in items for line in item.lines)
    held = {}
    for reference, variant_id in db.session.execute(
            sa.select(Reservation.reference, Reservation.variant_id)
            .where(Reservation.reference.in_({item.reference for item in items})).distinct()):
        held.setdefault(reference, set()).add(variant_id)
    todo = []
    for item in items:
        lines = tuple(l for l in item.lines if ids.get(l.sku) not in held.get(item.reference, ()))
        if lines:
            todo.append((item, lines))
    return todo


def reserve_one(settings: dict, item, lines) -> Outcome:
    """Reserve ``lines`` of one demand, line by line; audited. The caller commits."""
    outcome = Outcome(item.reference, item.label)
    ids = variant_ids_by_sku(line.sku for line in lines)
    for line in sorted(lines, key=lambda l: ids.get(l.sku, 0)):  # the lock order of reservations
        variant_id = ids.get(line.sku)
        if variant_id is None:
            outcome.short.append(Shortfall(item.label, item.reference, line.sku, line.quantity, 0, 0))
            continue
        for level_id in sorted(db.session.scalars(sa.select(StockLevel.id).filter_by(variant_id=variant_id))):
            lock_row(StockLevel, level_id)
        if _holds(item.reference, variant_id):
            continue  # reserved meanwhile (another run)
        try:
            allocation, = stock.reserve(settings, item.reference, [line])
        except OutOfStock as exc:
            outcome.short.append(Shortfall(item.label, item.reference, line.sku, line.quantity, 0,
                                           exc.shortages[0].available))
        else:
            outcome.reserved.append((allocation.sku, allocation.quantity, allocation.warehouse))
    if outcome.reserved:
        audit.record("inventory.open_order_reserved", object_type="reservation", object_id=item.reference,
                     after={"reference": item.reference, "label": item.label,
                            "lines": [list(r) for r in outcome.reserved]})
    return outcome


def record_run(outcomes: list[Outcome]) -> dict:
    """The run's summary, audited (in the caller's transaction)."""
    summary = {"documents": len(outcomes),
               "reserved_documents": sum(1 for o in outcomes if o.reserved),
               "reserved_units": sum(q for o in outcomes for _, q, _ in o.reserved),
               "shortfalls": [asdict(s) for o in outcomes for s in o.short]}
    audit.record("inventory.open_orders_reserved", object_type="store", after=summary)
    return summary


def run(hooks, settings: dict, *, progress=None) -> dict:
    """Reserve every open never-reserved line, oldest document first, committing after each
    document; returns the audited summary (``shortfalls``: label, sku, wanted, reserved,
    available)."""
    todo = unreserved(hooks)
    db.session.commit()  # the listing's reads end here: each document then locks and writes on its own
    outcomes = []
    for item, lines in (progress(todo) if progress else todo):
        outcomes.append(reserve_one(settings, item, lines))
        db.session.commit()
    summary = record_run(outcomes)
    db.session.commit()
    return summary
