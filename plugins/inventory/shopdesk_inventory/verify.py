"""Books against the ledger: recompute every level from the moves and the reservations."""

from dataclasses import dataclass

import sqlalchemy as sa

from shopdesk.db import db
from shopdesk_catalog.public import skus_by_id

from .models import Reservation, StockLevel, StockMove, Warehouse


@dataclass(frozen=True)
class Mismatch:
    sku: str
    warehouse: str
    field: str  # "on_hand" or "reserved"
    recorded: int
    expected: int

    def __str__(self):
        source = "the sum of its moves" if self.field == "on_hand" else "its open reservations"
        return (f"{self.sku} @ {self.warehouse}: {self.field} is {self.recorded}, "
                f"{source} say {self.expected}")


def verify() -> list[Mismatch]:
    """Every level whose on hand differs from the sum of its moves, or whose reserved differs
    from the open quantity of its active reservations (in the current store)."""
    moved = {(r.variant_id, r.warehouse_id): int(r.total) for r in db.session.execute(
        sa.select(StockMove.variant_id, StockMove.warehouse_id, sa.func.sum(StockMove.quantity).label("total"))
        .group_by(StockMove.variant_id, StockMove.warehouse_id))}
    held = {(r.variant_id, r.warehouse_id): int(r.total) for r in db.session.execute(
        sa.select(Reservation.variant_id, Reservation.warehouse_id,
                  sa.func.sum(Reservation.open_quantity).label("total"))
        .where(Reservation.status == "active").group_by(Reservation.variant_id, Reservation.warehouse_id))}
    levels = {(r.variant_id, r.warehouse_id): (r.on_hand, r.reserved) for r in db.session.execute(
        sa.select(StockLevel.variant_id, StockLevel.warehouse_id, StockLevel.on_hand, StockLevel.reserved))}
    keys = set(moved) | set(held) | set(levels)
    skus = skus_by_id()
    codes = dict(db.session.execute(sa.select(Warehouse.id, Warehouse.code)).all())
    found = []
    for key in sorted(keys):
        on_hand, reserved = levels.get(key, (0, 0))
        name = (skus.get(key[0], f"variant {key[0]}"), codes.get(key[1], f"warehouse {key[1]}"))
        if on_hand != moved.get(key, 0):
            found.append(Mismatch(*name, "on_hand", on_hand, moved.get(key, 0)))
        if reserved != held.get(key, 0):
            found.append(Mismatch(*name, "reserved", reserved, held.get(key, 0)))
    return found
