"""What staff do to stock by hand: receipts, adjustments and transfers.

The pages, the API and the CLI all call these functions; each one posts its moves, writes
its audit entry and leaves the commit to the caller.
"""

import sqlalchemy as sa

from shopdesk import audit
from shopdesk.db import db, utcnow
from shopdesk_catalog.public import variants_with_ids

from .models import StockLevel, StockMove, Transfer, TransferLine, Warehouse
from .stock import InvalidStockRequest, actor, post_move, variants_by_sku, warehouse_by_code

ADJUSTMENT_REASONS = ("damaged", "lost", "found", "correction", "theft", "expired", "sample")


class StateError(ValueError):
    """An action that the document's state does not allow (409)."""


def receive(warehouse_code: str, lines: list[dict], *, reference="", note="") -> list[StockMove]:
    """Goods arrived in a warehouse: one ``receipt`` move per line (``sku``, ``quantity``,
    optional ``unit_cost`` in minor units, kept on the move)."""
    warehouse = warehouse_by_code(warehouse_code)
    variants = variants_by_sku([line["sku"] for line in lines], field="lines")
    moves = []
    for line in lines:
        moves.append(post_move(variants[line["sku"]], warehouse, line["quantity"], "receipt", reason="receipt",
                               reference=reference, note=note, unit_cost=line.get("unit_cost")))
    db.session.flush()
    audit.record("inventory.received", object_type="warehouse", object_id=warehouse.code,
                 after={"reference": reference, "lines": [{"sku": l["sku"], "quantity": l["quantity"]} for l in lines]})
    return moves


def adjust(sku: str, warehouse_code: str, quantity: int, reason: str, *, note="", reference="") -> StockMove:
    """Correct on hand by ``quantity`` (signed) for a reason code; a decrease below what is
    reserved is refused with ``OutOfStock``."""
    if reason not in ADJUSTMENT_REASONS:
        raise InvalidStockRequest("reason", f"Must be one of: {', '.join(ADJUSTMENT_REASONS)}.")
    variant = variants_by_sku([sku])[sku]
    warehouse = warehouse_by_code(warehouse_code)
    before = db.session.scalar(sa.select(StockLevel.on_hand).filter_by(variant_id=variant.id,
                                                                       warehouse_id=warehouse.id)) or 0
    move = post_move(variant, warehouse, quantity, "adjustment", reason=reason, note=note, reference=reference)
    db.session.flush()
    audit.record("inventory.adjusted", object_type="stock_move", object_id=move.id,
                 before={"sku": sku, "warehouse": warehouse.code, "on_hand": before},
                 after={"sku": sku, "warehouse": warehouse.code, "on_hand": before + quantity,
                        "quantity": quantity, "reason": reason, "note": note})
    return move


# --- transfers -----------------------------------------------------------------------------


def create_transfer(from_code: str, to_code: str, lines: list[dict], *, note="") -> Transfer:
    if from_code == to_code:
        raise InvalidStockRequest("to_warehouse", "Must differ from the source warehouse.")
    source, target = warehouse_by_code(from_code, "from_warehouse"), warehouse_by_code(to_code, "to_warehouse")
    if not lines:
        raise InvalidStockRequest("lines", "Give at least one line.")
    variants = variants_by_sku([line["sku"] for line in lines], field="lines")
    transfer = Transfer(from_warehouse=source, to_warehouse=target, note=note, created_by=actor(),
                        lines=[TransferLine(variant_id=variants[l["sku"]].id, quantity=l["quantity"]) for l in lines])
    db.session.add(transfer)
    db.session.flush()
    audit.record("inventory.transfer_created", object_type="transfer", object_id=transfer.id,
                 after={"from": from_code, "to": to_code, "lines": [dict(l) for l in lines]})
    return transfer


def _require(transfer: Transfer, *states):
    if transfer.status not in states:
        raise StateError(f"Transfer {transfer.id} is {transfer.status}; this needs {' or '.join(states)}.")


def ship_transfer(transfer: Transfer) -> Transfer:
    """draft → in_transit: the goods leave the source (``transfer_out`` moves, all or none)."""
    _require(transfer, "draft")
    variants = _variants_of(transfer)
    for line in transfer.lines:
        post_move(variants[line.variant_id], transfer.from_warehouse, -line.quantity, "transfer_out",
                  reference=f"transfer:{transfer.id}", reason="transfer")
    transfer.status, transfer.shipped_at = "in_transit", utcnow()
    audit.record("inventory.transfer_shipped", object_type="transfer", object_id=transfer.id,
                 before={"status": "draft"}, after={"status": "in_transit"})
    return transfer


def receive_transfer(transfer: Transfer, quantities: dict[int, int] | None = None) -> Transfer:
    """Post ``transfer_in`` moves for what arrived (``{line id: quantity}``, default: all
    that is still due). The transfer is received once every line has fully arrived."""
    _require(transfer, "in_transit")
    variants = _variants_of(transfer)
    lines = {line.id: line for line in transfer.lines}
    unknown = sorted(set(quantities or {}) - set(lines))
    if unknown:
        raise InvalidStockRequest("lines", f"Not lines of this transfer: {', '.join(map(str, unknown))}")
    arrived = {}
    for line in transfer.lines:
        due = line.quantity - line.received_quantity
        quantity = due if quantities is None else quantities.get(line.id, 0)
        if quantity < 0 or quantity > due:
            raise InvalidStockRequest("lines", f"{variants[line.variant_id].sku}: receive between 0 and {due}")
        if quantity:
            post_move(variants[line.variant_id], transfer.to_warehouse, quantity, "transfer_in",
                      reference=f"transfer:{transfer.id}", reason="transfer")
            line.received_quantity += quantity
            arrived[variants[line.variant_id].sku] = quantity
    if not arrived:
        raise InvalidStockRequest("lines", "Nothing to receive.")
    if all(line.received_quantity == line.quantity for line in transfer.lines):
        transfer.status, transfer.received_at = "received", utcnow()
    audit.record("inventory.transfer_received", object_type="transfer", object_id=transfer.id,
                 after={"status": transfer.status, "arrived": arrived})
    return transfer


def cancel_transfer(transfer: Transfer) -> Transfer:
    _require(transfer, "draft")
    transfer.status = "cancelled"
    audit.record("inventory.transfer_cancelled", object_type="transfer", object_id=transfer.id,
                 before={"status": "draft"}, after={"status": "cancelled"})
    return transfer


def _variants_of(transfer):
    return variants_with_ids(line.variant_id for line in transfer.lines)


def create_warehouse(code: str, name: str, priority: int = 100, active: bool = True) -> Warehouse:
    if db.session.scalar(sa.select(Warehouse.id).filter_by(code=code)) is not None:
        raise InvalidStockRequest("code", f"A warehouse with code {code} exists already.")
    warehouse = Warehouse(code=code, name=name, priority=priority, active=active)
    db.session.add(warehouse)
    db.session.flush()
    audit.record("inventory.warehouse_created", object_type="warehouse", object_id=warehouse.id,
                 after={"code": code, "name": name, "priority": priority, "active": active})
    return warehouse
