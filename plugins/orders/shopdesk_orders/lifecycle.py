"""Moving an order through its life: place, pay, fulfil, ship, deliver, complete, cancel, refund.

Each status change goes through :func:`transition`, which checks ``states.TRANSITIONS``,
writes the timeline, the audit entry and the event in the caller's transaction. Stock moves
go through the store's owner hooks (``reserve_stock``, ``release_stock``, ``consume_stock``)
when an inventory plugin is enabled; without one, orders are placed without reservations.
Money changes lock the order row first (``shopdesk.db.lock_row``), so two refunds or two
payments at once are counted one after the other and never exceed what is allowed.
"""

from collections import defaultdict

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shopdesk.commerce import OrderLineSnapshot, OrderSnapshot, OutOfStock, StockDemand, StockLine
from shopdesk.db import db, lock_row, utcnow
from shopdesk.events import emit
from shopdesk.money import Money

from . import states
from .common import OrderError, actor, audited, note
from .events import emit_order
from .models import Order, OrderRisk, Payment, Refund, Shipment, ShipmentLine
from .providers import provider_codes


def money(amount, order) -> str:
    return str(Money(amount, order.currency))


def reference(order) -> str:
    return f"order:{order.id}"


def transition(order, target: str, message: str, **data):
    """Move ``order`` to ``target`` (or raise IllegalTransition): timeline, audit, event."""
    before = _set_status(order, target)
    db.session.flush()
    _record_transition(order, before, target, message, **data)


def _set_status(order, target: str) -> str:
    """Change the status (checked) and its timestamp in memory; returns the status before."""
    before = order.status
    states.check(before, target)
    order.status = target
    now = utcnow()
    if target == "placed":
        order.placed_at = now
    elif target == "paid":
        order.paid_at = now
    elif target == "cancelled":
        order.cancelled_at = now
    return before


def _record_transition(order, before: str, target: str, message: str, **data):
    note(order, target, message, **{"from": before, **data})
    audited(target, order, before={"status": before}, after={"status": target})
    emit_order(states.STATUS_EVENTS[target], order)


def snapshot(order) -> OrderSnapshot:
    return OrderSnapshot(
        number=order.number, channel=order.channel, currency=order.currency, total=order.total,
        lines=tuple(OrderLineSnapshot(l.sku, l.quantity, l.unit_price, l.total) for l in order.lines),
        customer_email=order.customer_email or "", customer_group=order.customer_group,
        shipping_address=dict(order.shipping_address or {}), billing_address=dict(order.billing_address or {}),
        external_id=order.external_id)


def _collected(hooks, hook, **kwargs):
    return [(result.plugin, item) for result in hooks.each(hook, isolate=False, **kwargs)
            for item in (result.value or [])]


def _stock_lines(order) -> list[StockLine]:
    quantities = defaultdict(int)
    for line in order.lines:
        quantities[line.sku] += line.quantity
    return [StockLine(sku, quantity) for sku, quantity in quantities.items()]


def out_of_stock(exc: OutOfStock) -> OrderError:
    skus = [s.sku for s in exc.shortages]
    return OrderError(409, str(exc), {"lines": [f"{s.sku}: requested {s.requested}, available {s.available}"
                                                for s in exc.shortages], "skus": skus}, code="out_of_stock")


def place(hooks, order):
    """Validate, score, reserve stock (all or nothing) and mark a draft order placed."""
    before = prepare_placement(hooks, order)
    db.session.flush()
    finish_placement(hooks, order, before)


def prepare_placement(hooks, order) -> str:
    """Validate and risk-score ``order`` and set it placed, in memory only: a blocking problem
    raises before anything is written. An order taken in and placed at once is then inserted
    as placed, without a draft row to update. Returns the status before."""
    states.check(order.status, "placed")
    view = snapshot(order)
    problems = _collected(hooks, "validate_order", order=view)
    blocking = [p for _, p in problems if p.blocking]
    if blocking:
        errors = defaultdict(list)
        for problem in blocking:
            errors[problem.field or "order"].append(problem.message)
        raise OrderError(422, " ".join(p.message for p in blocking), dict(errors))
    order.warnings = [{"plugin": plugin, "code": p.code, "message": p.message, "field": p.field}
                      for plugin, p in problems]
    order.risk_scores.extend(OrderRisk(plugin=plugin, code=score.code, score=score.score, reason=score.reason)
                             for plugin, score in _collected(hooks, "score_risk", order=view))
    return _set_status(order, "placed")


def finish_placement(hooks, order, before: str):
    """After the placed order is flushed: timeline, audit, event, then the stock reservation."""
    _record_transition(order, before, "placed", f"Order placed: {money(order.total, order)}.")
    # Stock last: the inventory plugin's rows stay locked from here to the commit, so
    # everything else is written first and other orders of the same SKUs wait the least.
    if hooks.owns("reserve_stock"):
        try:
            allocations = hooks.owner("reserve_stock", reference=reference(order), lines=_stock_lines(order)) or []
        except OutOfStock as exc:
            raise out_of_stock(exc) from exc
        _remember_allocations(order, allocations)
        note(order, "reserved", "Stock reserved: " + ", ".join(
            f"{a.quantity} × {a.sku} at {a.warehouse}" for a in allocations) + ".",
             reserved=[{"sku": a.sku, "quantity": a.quantity, "warehouse": a.warehouse} for a in allocations])
    if order.total == 0:
        order.payment_status = "paid"
        transition(order, "paid", "Nothing to pay: the order is paid.")


def _remember_allocations(order, allocations):
    """Spread the reservation's warehouses over the lines, so shipments know where to pick."""
    left = defaultdict(list)
    for a in allocations:
        left[a.sku].append([a.warehouse, a.quantity])
    for line in order.lines:
        need, split = line.quantity, []
        for slot in left[line.sku]:
            take = min(need, slot[1])
            if take:
                split.append({"warehouse": slot[0], "quantity": take})
                slot[1] -= take
                need -= take
        line.allocations = split


def shipped_quantities(order) -> defaultdict:
    """Order line id → units that left in parcels (shipped or delivered)."""
    shipped = defaultdict(int)
    for shipment in order.shipments:
        if shipment.status in ("shipped", "delivered"):
            for item in shipment.lines:
                shipped[item.order_line_id] += item.quantity
    return shipped


def open_demand() -> list[StockDemand]:
    """Open orders' units still to ship that no reservation was made for when they were placed
    (no stock owner then): what ``open_stock_demand`` answers, oldest order first."""
    orders = db.session.scalars(
        sa.select(Order).where(Order.status.in_(states.AWAITING_STOCK)).order_by(Order.placed_at, Order.id)
        .options(selectinload(Order.lines), selectinload(Order.shipments).selectinload(Shipment.lines))).all()
    demand = []
    for order in orders:
        shipped = shipped_quantities(order)
        left = defaultdict(int)
        for line in order.lines:
            if not line.allocations and line.quantity > shipped[line.id]:
                left[line.sku] += line.quantity - shipped[line.id]
        if left:
            demand.append(StockDemand(reference(order), order.number, order.placed_at or order.created_at,
                                      tuple(StockLine(sku, quantity) for sku, quantity in left.items())))
    return demand


def cancel(hooks, order, reason: str = ""):
    """Cancel and release the stock reserved for it."""
    was = order.status
    states.check(was, "cancelled")
    released = None
    if was != "draft" and hooks.owns("release_stock"):
        released = hooks.owner("release_stock", reference=reference(order))
    transition(order, "cancelled", f"Order cancelled. {reason}".strip(), reason=reason, released=released)


# --- payments -----------------------------------------------------------------------------


def _locked(order):
    lock_row(Order, order.id)
    db.session.refresh(order)
    return order


def record_payment(hooks, order, *, provider: str, amount: int, reference_text: str = "", paid_at=None):
    """Record money received. Over-payment is refused; covering the total makes it paid."""
    if provider not in provider_codes(hooks):
        raise OrderError(422, f"Unknown payment provider {provider!r}.",
                         {"provider": [f"Must be one of: {', '.join(provider_codes(hooks))}."]})
    _locked(order)
    states.check_action(order.status, "record a payment", states.PAYABLE)
    if amount > order.balance_due:
        raise OrderError(422, f"Over-payment refused: {money(order.balance_due, order)} is due.",
                         {"amount": [f"At most {order.balance_due} (minor units) is due."]})
    payment = Payment(order_id=order.id, provider=provider, amount=amount, currency=order.currency,
                      reference=reference_text, paid_at=paid_at or utcnow(), recorded_by=actor())
    db.session.add(payment)
    order.paid_total += amount
    order.payment_status = "paid" if order.paid_total >= order.total else "partially_paid"
    db.session.flush()
    note(order, "payment", f"Payment of {money(amount, order)} by {provider} recorded.",
         payment_id=payment.id, reference=reference_text)
    audited("payment_recorded", order, after={"payment_id": payment.id, "provider": provider, "amount": amount,
                                              "reference": reference_text})
    emit("payment.recorded", {"order_id": order.id, "number": order.number, "payment_id": payment.id,
                              "provider": provider, "amount": amount, "currency": order.currency,
                              "reference": reference_text}, key=f"order:{order.id}")
    if order.paid_total >= order.total:
        transition(order, "paid", f"Paid in full: {money(order.paid_total, order)}.")
    return payment


def refund(hooks, order, *, amount: int, reason: str = "", provider: str = "manual",
           reference_text: str = "", return_id: int | None = None):
    """Refund money. The order row is locked first, so the refunds of an order never add up
    to more than was paid, however many arrive at once."""
    if provider not in provider_codes(hooks):
        raise OrderError(422, f"Unknown payment provider {provider!r}.",
                         {"provider": [f"Must be one of: {', '.join(provider_codes(hooks))}."]})
    _locked(order)
    states.check_action(order.status, "refund", states.REFUNDABLE)
    if amount > order.refundable:
        raise OrderError(422, f"Refund refused: at most {money(order.refundable, order)} can still be refunded.",
                         {"amount": [f"At most {order.refundable} (minor units) can still be refunded."]})
    row = Refund(order_id=order.id, return_id=return_id, amount=amount, currency=order.currency,
                 provider=provider, reference=reference_text, reason=reason, recorded_by=actor())
    db.session.add(row)
    order.refunded_total += amount
    order.payment_status = "refunded" if order.refunded_total >= order.paid_total else "partially_refunded"
    db.session.flush()
    note(order, "refund", f"Refund of {money(amount, order)} recorded. {reason}".strip(), refund_id=row.id)
    audited("refunded", order, before={"refunded_total": order.refunded_total - amount},
            after={"refund_id": row.id, "amount": amount, "refunded_total": order.refunded_total, "reason": reason})
    emit("refund.recorded", {"order_id": order.id, "number": order.number, "refund_id": row.id,
                             "return_id": return_id, "amount": amount, "currency": order.currency,
                             "refunded_total": order.refunded_total}, key=f"order:{order.id}")
    if order.refunded_total >= order.paid_total and order.status != "cancelled":
        transition(order, "refunded", "Everything paid was refunded.")
    return row


# --- fulfilment ---------------------------------------------------------------------------


def _warehouse_room(order) -> dict:
    """(line id, warehouse) → units reserved there and not packed yet."""
    room = defaultdict(int)
    for line in order.lines:
        for slot in line.allocations or []:
            room[(line.id, slot["warehouse"])] += slot["quantity"]
    for shipment in order.shipments:
        if shipment.status == "cancelled":
            continue
        for item in shipment.lines:
            room[(item.order_line_id, item.warehouse)] -= item.quantity
    return room


def unknown_warehouses(hooks, items) -> dict:
    """``{"lines.<i>.warehouse": [why]}`` for each item naming a warehouse the store's stock
    owner does not ship from (unknown, inactive, another store's); empty without an owner,
    where a warehouse is free text."""
    named = [(i, item["warehouse"]) for i, item in enumerate(items) if item.get("warehouse")]
    if not named or not hooks.owns("warehouse_codes"):
        return {}
    codes = set(hooks.owner("warehouse_codes") or ())
    choices = ", ".join(sorted(codes)) or "none: add a warehouse first"
    return {f"lines.{i}.warehouse": [f"Unknown warehouse {code!r}; the store's warehouses: {choices}."]
            for i, code in named if code not in codes}


def fulfil(hooks, order, items: list[dict]):
    """Pack ``items`` (order_line_id, quantity, optional warehouse) into one new shipment.

    Without a warehouse a line is split over the warehouses its reservation came from; with
    one, all of it comes from there. Returns the shipment (status ``packed``).
    """
    _locked(order)
    states.check_action(order.status, "fulfil", states.FULFILLABLE)
    by_id = {line.id: line for line in order.lines}
    errors = {}
    wanted = defaultdict(int)
    for i, item in enumerate(items):
        line = by_id.get(item["order_line_id"])
        if line is None:
            errors[f"lines.{i}.order_line_id"] = ["Not a line of this order."]
            continue
        wanted[line.id] += item["quantity"]
        if wanted[line.id] > line.unfulfilled:
            errors[f"lines.{i}.quantity"] = [f"Only {line.unfulfilled} of {line.sku} left to fulfil."]
    errors.update(unknown_warehouses(hooks, items))
    if errors:
        raise OrderError(422, "Cannot fulfil: " + "; ".join(m for ms in errors.values() for m in ms), errors)
    room = _warehouse_room(order)
    shipment = Shipment(order_id=order.id, status="packed")
    for item in items:
        line = by_id[item["order_line_id"]]
        line.fulfilled_quantity += item["quantity"]
        for warehouse, quantity in _split(line, item["quantity"], item.get("warehouse"), room):
            shipment.lines.append(ShipmentLine(order_line_id=line.id, sku=line.sku, quantity=quantity,
                                               warehouse=warehouse))
    order.shipments.append(shipment)
    db.session.flush()
    done = all(line.fulfilled_quantity >= line.quantity for line in order.lines)
    packed = ", ".join(f"{l.quantity} × {l.sku}" + (f" from {l.warehouse}" if l.warehouse else "")
                       for l in shipment.lines)
    note(order, "packed", f"Shipment #{shipment.id} packed: {packed}.", shipment_id=shipment.id)
    audited("fulfilled", order, after={"shipment_id": shipment.id,
                                       "lines": [[l.sku, l.quantity, l.warehouse] for l in shipment.lines]})
    target = "fulfilled" if done else "partially_fulfilled"
    if order.status != target:
        transition(order, target, "Every unit is packed." if done else "Some units are packed.")
    return shipment


def _split(line, quantity, warehouse, room):
    if warehouse:
        room[(line.id, warehouse)] -= quantity
        return [(warehouse, quantity)]
    parts, need = [], quantity
    for slot in line.allocations or []:
        key = (line.id, slot["warehouse"])
        take = min(need, max(0, room[key]))
        if take:
            parts.append((slot["warehouse"], take))
            room[key] -= take
            need -= take
    if need:
        parts.append((None, need))
    return parts


def ship(hooks, order, shipment, *, carrier: str, tracking_number: str):
    """The parcel leaves: stock is consumed from its warehouses, carrier and tracking kept."""
    _locked(order)
    states.check_action(order.status, "ship", states.SHIPPABLE)
    if shipment.status != "packed":
        raise OrderError(409, f"Shipment #{shipment.id} is {shipment.status}, not packed.",
                         {"status": [shipment.status]}, code="invalid_transition")
    if hooks.owns("consume_stock"):
        try:
            hooks.owner("consume_stock", reference=reference(order),
                        lines=[StockLine(l.sku, l.quantity, l.warehouse) for l in shipment.lines])
        except OutOfStock as exc:
            raise out_of_stock(exc) from exc
    shipment.status, shipment.carrier, shipment.tracking_number = "shipped", carrier, tracking_number
    shipment.shipped_at = utcnow()
    db.session.flush()
    note(order, "shipment_shipped", f"Shipment #{shipment.id} shipped with {carrier or 'no carrier'}"
         + (f", tracking {tracking_number}." if tracking_number else "."), shipment_id=shipment.id)
    audited("shipment_shipped", order, after={"shipment_id": shipment.id, "carrier": carrier,
                                              "tracking_number": tracking_number})
    emit("shipment.shipped", {
        "order_id": order.id, "number": order.number, "shipment_id": shipment.id, "carrier": carrier,
        "tracking_number": tracking_number,
        "lines": [{"sku": l.sku, "quantity": l.quantity, "warehouse": l.warehouse} for l in shipment.lines],
    }, key=f"order:{order.id}")
    if order.status == "fulfilled" and all(s.status != "packed" for s in order.shipments):
        transition(order, "shipped", "Every shipment has left.")
        _release_leftover(hooks, order)
    return shipment


def _release_leftover(hooks, order):
    """Everything has left: units reserved in a warehouse the parcels did not ship from (a
    chosen warehouse won over the reservation's) are no longer wanted there."""
    room = _warehouse_room(order)
    if any(left > 0 for (_, warehouse), left in room.items() if warehouse) and hooks.owns("release_stock"):
        released = hooks.owner("release_stock", reference=reference(order))
        if released:
            note(order, "released", f"{released} reserved unit(s) not shipped from their warehouse released.",
                 released=released)


def cancel_shipment(hooks, order, shipment):
    """Unpack a parcel that has not left: its units are unfulfilled again and the order goes
    back to the fulfilment status it had without it (paid or partially fulfilled). Nothing
    left the warehouse yet, so stock and reservations stay as they are."""
    _locked(order)
    if shipment.status != "packed":
        raise OrderError(409, f"Shipment #{shipment.id} is {shipment.status}: only a packed parcel can be cancelled.",
                         {"status": [shipment.status]}, code="invalid_transition")
    states.check_action(order.status, "cancel a parcel", states.UNPACKABLE)
    by_id = {line.id: line for line in order.lines}
    for item in shipment.lines:
        by_id[item.order_line_id].fulfilled_quantity -= item.quantity
    shipment.status = "cancelled"
    before = order.status
    order.status = "partially_fulfilled" if any(line.fulfilled_quantity for line in order.lines) else "paid"
    db.session.flush()
    unpacked = ", ".join(f"{l.quantity} × {l.sku}" for l in shipment.lines)
    note(order, "shipment_cancelled", f"Shipment #{shipment.id} cancelled: {unpacked} to pack again.",
         shipment_id=shipment.id, **{"from": before})
    audited("shipment_cancelled", order, before={"status": before, "shipment_id": shipment.id},
            after={"status": order.status, "shipment_id": shipment.id,
                   "lines": [[l.sku, l.quantity, l.warehouse] for l in shipment.lines]})
    return shipment


def deliver(hooks, order, shipment):
    _locked(order)
    if shipment.status != "shipped":
        raise OrderError(409, f"Shipment #{shipment.id} is {shipment.status}: only a shipped parcel can be delivered.",
                         {"status": [shipment.status]}, code="invalid_transition")
    shipment.status, shipment.delivered_at = "delivered", utcnow()
    db.session.flush()
    note(order, "shipment_delivered", f"Shipment #{shipment.id} delivered.", shipment_id=shipment.id)
    audited("shipment_delivered", order, after={"shipment_id": shipment.id})
    if order.status == "shipped" and all(s.status in ("delivered", "cancelled") for s in order.shipments):
        transition(order, "delivered", "Every shipment was delivered.")
    return shipment


def complete(hooks, order):
    transition(order, "completed", "Order completed.")
