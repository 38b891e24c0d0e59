"""The stock ledger: every change of on hand or reserved goes through this module.

Levels change only through conditional UPDATEs whose WHERE clause carries the invariant
(``on_hand - reserved >= q`` before taking ``q``), checked by the row count, so two
transactions can never both take the last unit, on PostgreSQL (the second UPDATE waits for
the first and re-checks the row) or SQLite (writers are serialised). Nothing here commits:
the caller's transaction decides, so a rolled-back order leaves no trace. When a document
of several lines cannot be served entirely, the lines already taken are given back in the
same transaction before ``OutOfStock`` is raised (all lines or none, without savepoints).
"""

from datetime import timedelta

import sqlalchemy as sa
from flask import has_request_context
from sqlalchemy.dialects import postgresql, sqlite

from shopdesk.commerce import Allocation, OutOfStock, Shortage
from shopdesk.db import NoStoreContext, current_store_id, db, utcnow
from shopdesk.events import emit
from shopdesk_catalog.public import Variant, variants_with_skus

from .models import Reservation, StockLevel, StockMove, Warehouse


class InvalidStockRequest(ValueError):
    """A request naming an unknown SKU or warehouse, or a bad quantity; ``field`` says which."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def actor() -> str:
    """Who is changing stock: the signed-in user, else ``system`` (jobs, hooks from the CLI)."""
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user.email
    return "system"


# --- lookups -------------------------------------------------------------------------------


def variants_by_sku(skus, field="sku") -> dict[str, Variant]:
    wanted = sorted(set(skus))
    found = variants_with_skus(wanted)
    missing = [s for s in wanted if s not in found]
    if missing:
        raise InvalidStockRequest(field, f"Unknown SKU: {', '.join(missing)}")
    return found


def warehouse_by_code(code: str, field="warehouse") -> Warehouse:
    warehouse = db.session.scalar(sa.select(Warehouse).filter_by(code=code))
    if warehouse is None:
        raise InvalidStockRequest(field, f"Unknown warehouse: {code}")
    if not warehouse.active:
        raise InvalidStockRequest(field, f"Warehouse {code} is not active")
    return warehouse


def active_warehouses() -> list[Warehouse]:
    return db.session.scalars(
        sa.select(Warehouse).filter_by(active=True).order_by(Warehouse.priority, Warehouse.code)).all()


def ensure_level(variant_id: int, warehouse_id: int) -> int:
    """The id of the (variant, warehouse) level, created empty if missing; race-safe on both
    databases (INSERT ... ON CONFLICT DO NOTHING, then read)."""
    level_id = _level_id(variant_id, warehouse_id)
    if level_id is not None:
        return level_id
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(StockLevel.__table__)
    db.session.execute(insert.values(store_id=current_store_id.get(), variant_id=variant_id,
                                     warehouse_id=warehouse_id, on_hand=0, reserved=0, low_alerted=False)
                       .on_conflict_do_nothing(index_elements=["variant_id", "warehouse_id"]))
    return _level_id(variant_id, warehouse_id)


def _level_id(variant_id, warehouse_id):
    return db.session.scalar(sa.select(StockLevel.id).filter_by(variant_id=variant_id, warehouse_id=warehouse_id))


def _available(level_id) -> int:
    row = db.session.execute(sa.select(StockLevel.on_hand, StockLevel.reserved).filter_by(id=level_id)).one()
    return row.on_hand - row.reserved


# --- the conditional updates -----------------------------------------------------------------

_RETURNED = (StockLevel.id, StockLevel.variant_id, StockLevel.warehouse_id, StockLevel.on_hand,
             StockLevel.reserved, StockLevel.reorder_point, StockLevel.low_alerted)


def _update(level_id, where, **values):
    """One conditional UPDATE of a level; the new row, or None when the condition failed.

    A Core statement on the table (the hot path of every reservation), so it names the
    current store itself instead of relying on the ORM's tenant filter.
    """
    table = StockLevel.__table__
    statement = (sa.update(table).where(table.c.id == level_id, table.c.store_id == current_store_id.get(), *where)
                 .values(**values).returning(*_RETURNED))
    return db.session.execute(statement).first()


def take_reserved(level_id, quantity):
    """Reserve ``quantity`` if that much is available: the no-oversell UPDATE."""
    return _update(level_id, [StockLevel.on_hand - StockLevel.reserved >= quantity],
                   reserved=StockLevel.reserved + quantity)


def give_back_reserved(level_id, quantity):
    return _update(level_id, [StockLevel.reserved >= quantity], reserved=StockLevel.reserved - quantity)


def change_on_hand(level_id, delta, *, unreserve=0):
    """Add ``delta`` (signed) to on hand, using ``unreserve`` reserved units first; refused
    (None) if availability would go below zero."""
    return _update(level_id, [StockLevel.reserved >= unreserve,
                              StockLevel.on_hand + delta >= StockLevel.reserved - unreserve],
                   on_hand=StockLevel.on_hand + delta, reserved=StockLevel.reserved - unreserve)


def watch_low(row, skus: dict[int, str] | None = None):
    """Emit ``stock.low`` when a change left availability below the reorder point (once per
    crossing: the flag is set by a conditional UPDATE), and clear the flag on recovery."""
    if row is None or row.reorder_point is None:
        return
    available = row.on_hand - row.reserved
    if available < row.reorder_point and not row.low_alerted:
        flagged = db.session.execute(
            sa.update(StockLevel).where(StockLevel.id == row.id, StockLevel.low_alerted.is_(False))
            .values(low_alerted=True).execution_options(synchronize_session=False)).rowcount
        if flagged:
            sku = (skus or {}).get(row.variant_id) or db.session.scalar(
                sa.select(Variant.sku).filter_by(id=row.variant_id))
            code = db.session.scalar(sa.select(Warehouse.code).filter_by(id=row.warehouse_id))
            emit("stock.low", {"sku": sku, "variant_id": row.variant_id, "warehouse": code,
                               "on_hand": row.on_hand, "reserved": row.reserved, "available": available,
                               "reorder_point": row.reorder_point}, key=f"stock:{row.variant_id}:{code}")
    elif available >= row.reorder_point and row.low_alerted:
        db.session.execute(sa.update(StockLevel).where(StockLevel.id == row.id)
                           .values(low_alerted=False).execution_options(synchronize_session=False))


# --- moves ---------------------------------------------------------------------------------


def post_move(variant: Variant, warehouse: Warehouse, quantity: int, kind: str, *, reason="",
              reference="", note="", user=None, unreserve=0, unit_cost=None) -> StockMove:
    """Change on hand by ``quantity`` (signed) and write the move; refuse with ``OutOfStock``
    a decrease that would take availability below zero."""
    if quantity == 0:
        raise InvalidStockRequest("quantity", "Must not be zero.")
    level_id = ensure_level(variant.id, warehouse.id) if quantity > 0 else _level_id(variant.id, warehouse.id)
    row = change_on_hand(level_id, quantity, unreserve=unreserve) if level_id is not None else None
    if row is None:
        available = _available(level_id) if level_id is not None else 0
        raise OutOfStock([Shortage(variant.sku, -quantity, available)])
    move = StockMove(variant_id=variant.id, warehouse_id=warehouse.id, kind=kind, quantity=quantity,
                     reason=reason, reference=reference, note=note, user_email=user or actor(),
                     unit_cost=variant.unit_cost if unit_cost is None else unit_cost)
    db.session.add(move)
    watch_low(row, {variant.id: variant.sku})
    return move


# --- reservations --------------------------------------------------------------------------


def _check_lines(lines, *, need_warehouse=False):
    if not lines:
        raise InvalidStockRequest("lines", "Give at least one line.")
    for index, line in enumerate(lines):
        if not isinstance(line.quantity, int) or line.quantity <= 0:
            raise InvalidStockRequest(f"lines.{index}.quantity", f"{line.sku}: quantity must be a positive whole number")
        if need_warehouse and not line.warehouse:
            raise InvalidStockRequest(f"lines.{index}.warehouse", f"{line.sku}: name the warehouse")


def candidate_levels(variant_id, rule: str, warehouse: Warehouse | None = None):
    """The levels a line may be served from, in the order the allocation rule tries them.

    ``priority``: active warehouses by ascending priority, then code. ``most_stock``: by
    descending availability, then priority. A line naming its warehouse uses that one only.
    """
    query = (sa.select(StockLevel.id, Warehouse.code, Warehouse.priority,
                       (StockLevel.on_hand - StockLevel.reserved).label("available"))
             .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
             .where(StockLevel.variant_id == variant_id, Warehouse.active.is_(True)))
    if warehouse is not None:
        query = query.where(Warehouse.id == warehouse.id)
    rows = db.session.execute(query).all()
    if rule == "most_stock":
        return sorted(rows, key=lambda r: (-r.available, r.priority, r.code))
    return sorted(rows, key=lambda r: (r.priority, r.code))


def _stock_of(skus):
    """Each SKU's variant id and its levels in active warehouses, for a whole order in one
    query: ``{sku: (variant_id, [level rows])}``; an unknown SKU is refused naming it.

    A Core query (it runs for every reservation), naming the current store on each table.
    """
    store_id = current_store_id.get()
    if store_id is None:
        raise NoStoreContext("reserving stock needs a current store")
    variants, levels, warehouses = Variant.__table__, StockLevel.__table__, Warehouse.__table__
    rows = db.session.execute(
        sa.select(variants.c.id.label("variant_id"), variants.c.sku, levels.c.id, warehouses.c.code,
                  warehouses.c.priority, (levels.c.on_hand - levels.c.reserved).label("available"))
        .select_from(variants
                     .outerjoin(levels, sa.and_(levels.c.variant_id == variants.c.id, levels.c.store_id == store_id))
                     .outerjoin(warehouses, sa.and_(warehouses.c.id == levels.c.warehouse_id,
                                                    warehouses.c.active.is_(True), warehouses.c.store_id == store_id)))
        .where(variants.c.store_id == store_id, variants.c.sku.in_(sorted(set(skus))))).all()
    found = {}
    for row in rows:
        stocked_in = found.setdefault(row.sku, (row.variant_id, []))[1]
        if row.id is not None and row.code is not None:
            stocked_in.append(row)
    missing = sorted(set(skus) - set(found))
    if missing:
        raise InvalidStockRequest("lines", f"Unknown SKU: {', '.join(missing)}")
    return found


def _in_rule_order(levels, rule):
    if rule == "most_stock":
        return sorted(levels, key=lambda r: (-r.available, r.priority, r.code))
    return sorted(levels, key=lambda r: (r.priority, r.code))


def reserve(settings: dict, reference: str, lines) -> list[Allocation]:
    """Reserve every line for ``reference`` or nothing: see the module docstring."""
    lines = list(lines)
    _check_lines(lines)
    stock = _stock_of([line.sku for line in lines])
    for line in lines:
        if line.warehouse:
            warehouse_by_code(line.warehouse, field="lines")  # unknown or inactive: refused by name
    rule = settings.get("allocation", "priority")
    taken = []
    shortages = []
    # Lock order by variant id, so two multi-line orders never wait on each other in a cycle.
    for index, line in sorted(enumerate(lines), key=lambda p: stock[p[1].sku][0]):
        levels = [r for r in stock[line.sku][1] if not line.warehouse or r.code == line.warehouse]
        candidates = _in_rule_order(levels, rule)
        for candidate in candidates:
            row = take_reserved(candidate.id, line.quantity)
            if row is not None:
                taken.append((index, row, candidate.code))
                break
        else:
            best = max((_available(c.id) for c in candidates), default=0)
            shortages.append(Shortage(line.sku, line.quantity, max(best, 0)))
    if shortages:
        for index, row, _ in taken:
            give_back_reserved(row.id, lines[index].quantity)
        raise OutOfStock(sorted(shortages, key=lambda s: s.sku))
    minutes = settings.get("reservation_expiry_minutes", 0)
    now = utcnow()
    expires_at = now + timedelta(minutes=minutes) if minutes else None
    db.session.execute(sa.insert(Reservation.__table__), [
        {"store_id": current_store_id.get(), "reference": reference, "variant_id": row.variant_id,
         "warehouse_id": row.warehouse_id, "quantity": lines[index].quantity,
         "open_quantity": lines[index].quantity, "status": "active", "expires_at": expires_at,
         "created_at": now, "updated_at": now} for index, row, _ in taken])
    skus = {variant_id: sku for sku, (variant_id, _) in stock.items()}
    allocations = {}
    for index, row, code in taken:
        watch_low(row, skus)
        allocations[index] = Allocation(lines[index].sku, lines[index].quantity, code)
    return [allocations[i] for i in sorted(allocations)]


def _close(reservation_id, quantity, status) -> bool:
    """Take ``quantity`` off an active reservation (closing it at zero); False if someone
    else changed it first."""
    values = {"open_quantity": Reservation.open_quantity - quantity}
    closes = sa.case((Reservation.open_quantity == quantity, status), else_=Reservation.status)
    values["status"] = closes
    return bool(db.session.execute(
        sa.update(Reservation).where(Reservation.id == reservation_id, Reservation.status == "active",
                                     Reservation.open_quantity >= quantity)
        .values(**values).execution_options(synchronize_session=False)).rowcount)


def release(reference: str, *, status="released", only=None) -> int:
    """Release what is still reserved for ``reference``; idempotent. Returns the units freed.
    ``only``: the reservation rows to release (the expiry job passes the expired ones)."""
    query = sa.select(Reservation.id, Reservation.variant_id, Reservation.warehouse_id,
                      Reservation.open_quantity).filter_by(reference=reference, status="active")
    if only is not None:
        query = query.where(Reservation.id.in_(only))
    released = 0
    for row in db.session.execute(query.order_by(Reservation.variant_id, Reservation.id)).all():
        if not _close(row.id, row.open_quantity, status):
            continue
        level_id = _level_id(row.variant_id, row.warehouse_id)
        watch_low(give_back_reserved(level_id, row.open_quantity))
        released += row.open_quantity
    return released


def consume(settings: dict, reference: str, lines, *, user=None) -> list[Allocation]:
    """Ship ``lines`` of ``reference``: reserved units of the reference first, then free
    stock of the same warehouse. All lines or none (``OutOfStock``)."""
    lines = list(lines)
    _check_lines(lines)
    variants = variants_by_sku([line.sku for line in lines], field="lines")
    named = {line.warehouse: warehouse_by_code(line.warehouse, field="lines")
             for line in lines if line.warehouse}
    undo, shortages, done = [], [], []
    for index, line in sorted(enumerate(lines), key=lambda p: variants[p[1].sku].id):
        variant = variants[line.sku]
        held = db.session.execute(
            sa.select(Reservation.id, Reservation.warehouse_id, Reservation.open_quantity)
            .filter_by(reference=reference, variant_id=variant.id, status="active")
            .order_by(Reservation.open_quantity.desc(), Reservation.id)).all()
        if line.warehouse:
            warehouse = named[line.warehouse]
        elif held:
            warehouse = db.session.get(Warehouse, held[0].warehouse_id)
        else:
            candidates = candidate_levels(variant.id, settings.get("allocation", "priority"))
            enough = [c for c in candidates if c.available >= line.quantity]
            code = (enough or candidates)[0].code if candidates else None
            warehouse = db.session.scalar(sa.select(Warehouse).filter_by(code=code)) if code else None
        if warehouse is None:
            shortages.append(Shortage(line.sku, line.quantity, 0))
            continue
        claimed, closed = 0, []
        for reservation in (h for h in held if h.warehouse_id == warehouse.id):
            part = min(reservation.open_quantity, line.quantity - claimed)
            if part and _close(reservation.id, part, "consumed"):
                claimed += part
                closed.append((reservation.id, part))
        level_id = _level_id(variant.id, warehouse.id)
        row = change_on_hand(level_id, -line.quantity, unreserve=claimed) if level_id else None
        if row is None:
            _reopen(closed)
            shortages.append(Shortage(line.sku, line.quantity,
                                      (_available(level_id) if level_id else 0) + claimed))
            continue
        undo.append((level_id, line.quantity, claimed, closed))
        done.append((index, variant, warehouse, line, row))
    if shortages:
        for level_id, quantity, claimed, closed in undo:
            _update(level_id, [], on_hand=StockLevel.on_hand + quantity, reserved=StockLevel.reserved + claimed)
            _reopen(closed)
        raise OutOfStock(sorted(shortages, key=lambda s: s.sku))
    allocations = {}
    for index, variant, warehouse, line, row in done:
        db.session.add(StockMove(variant_id=variant.id, warehouse_id=warehouse.id, kind="shipment",
                                 quantity=-line.quantity, reference=reference, user_email=user or actor(),
                                 unit_cost=variant.unit_cost))
        watch_low(row, {variant.id: variant.sku})
        allocations[index] = Allocation(line.sku, line.quantity, warehouse.code)
    return [allocations[i] for i in sorted(allocations)]


def _reopen(closed):
    for reservation_id, part in closed:
        db.session.execute(sa.update(Reservation).where(Reservation.id == reservation_id)
                           .values(open_quantity=Reservation.open_quantity + part, status="active")
                           .execution_options(synchronize_session=False))


def restock_return(settings: dict, reference: str, lines, *, user=None) -> list[Allocation]:
    """Put returned units back on hand with ``return`` moves, in the line's warehouse. A line
    without one goes back where the reference shipped it from, else to the first warehouse by
    priority. A unit shipped before inventory was enabled is added too: the opening receipt
    counted the shelves after it had left (see the README, "Returns")."""
    _check_lines(lines)
    variants = variants_by_sku([line.sku for line in lines], field="lines")
    allocations = []
    for line in lines:
        variant = variants[line.sku]
        if line.warehouse:
            warehouse = warehouse_by_code(line.warehouse, field="lines")
        else:
            shipped_from = db.session.scalar(
                sa.select(StockMove.warehouse_id).filter_by(reference=reference, variant_id=variant.id,
                                                            kind="shipment").order_by(StockMove.id.desc()))
            warehouse = db.session.get(Warehouse, shipped_from) if shipped_from else None
            if warehouse is None:
                found = active_warehouses()
                if not found:
                    raise InvalidStockRequest("lines", "No active warehouse to return stock to")
                warehouse = found[0]
        post_move(variant, warehouse, line.quantity, "return", reference=reference, user=user,
                  reason="return")
        allocations.append(Allocation(line.sku, line.quantity, warehouse.code))
    return allocations


def expire_reservations(now=None) -> int:
    """Release every active reservation past its ``expires_at``; returns the units freed."""
    now = now or utcnow()
    rows = db.session.execute(sa.select(Reservation.id, Reservation.reference)
                              .where(Reservation.status == "active", Reservation.expires_at.is_not(None),
                                     Reservation.expires_at <= now)).all()
    by_reference = {}
    for row in rows:
        by_reference.setdefault(row.reference, []).append(row.id)
    return sum(release(reference, status="expired", only=ids) for reference, ids in by_reference.items())
