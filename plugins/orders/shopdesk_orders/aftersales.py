"""After-sales: returns (RMA) with refund or exchange, and complaints.

A return goes requested → approved (or rejected) → received → refunded or exchanged.
Receiving puts each line either back on hand in a warehouse (``return_stock``, when an
inventory plugin is enabled) or in the scrap bin. A refund never exceeds what was paid minus
earlier refunds (see ``lifecycle.refund``); an exchange is a new order for the same goods,
linked to the old one, whose whole price is discounted and which is placed (and so reserves
stock) at once.
"""

from datetime import timedelta

import sqlalchemy as sa

from shopdesk.commerce import StockLine
from shopdesk.db import db, utcnow
from shopdesk.events import emit
from shopdesk.i18n import N_

from . import lifecycle, states
from .common import OrderError, actor, audited, note, settings
from .events import complaint_payload, return_payload
from .models import Complaint, ComplaintMessage, Return, ReturnLine

REASONS = {
    "damaged": N_("Arrived damaged"),
    "defective": N_("Defective or does not work"),
    "wrong_item": N_("Wrong item sent"),
    "not_as_described": N_("Not as described"),
    "size_fit": N_("Size or fit"),
    "changed_mind": N_("Changed mind"),
    "late_delivery": N_("Arrived too late"),
    "other": N_("Other"),
}
RETURN_FLOW = {
    "requested": ("approved", "rejected"),
    "approved": ("received",),
    "received": ("refunded", "exchanged"),
    "rejected": (),
    "refunded": (),
    "exchanged": (),
}
DISPOSITIONS = ("restock", "scrap")
COMPLAINT_STATUSES = ("open", "pending", "closed")


def _move(rma, target):
    allowed = RETURN_FLOW[rma.status]
    if target not in allowed:
        raise OrderError(409, f"Cannot move the return to {target}: it is {rma.status}; allowed from "
                              f"{rma.status}: {', '.join(allowed) or 'none (final status)'}.",
                         {"status": [rma.status]}, code="invalid_transition")
    before, rma.status = rma.status, target
    return before


def _record(rma, event, message, **data):
    db.session.flush()
    note(rma.order, f"return_{rma.status}", message, return_id=rma.id, **data)
    audited(f"return_{rma.status}", rma.order, after={"return_id": rma.id, "status": rma.status, **data})
    emit(event, return_payload(rma), key=f"order:{rma.order_id}")


def request_return(hooks, order, *, items: list[dict], reason: str, comment: str = ""):
    """Ask to return shipped units of ``order``: items are (order_line_id, quantity)."""
    states.check_action(order.status, "request a return", states.RETURNABLE)
    if reason not in REASONS:
        raise OrderError(422, f"Unknown return reason {reason!r}.", {"reason": [f"Must be one of: {', '.join(REASONS)}."]})
    by_id = {line.id: line for line in order.lines}
    shipped = lifecycle.shipped_quantities(order)
    errors = {} if items else {"lines": ["Choose at least one unit to return."]}
    for i, item in enumerate(items):
        line = by_id.get(item["order_line_id"])
        if line is None:
            errors[f"lines.{i}.order_line_id"] = ["Not a line of this order."]
        elif item["quantity"] > shipped.get(line.id, 0) - line.returned_quantity:
            errors[f"lines.{i}.quantity"] = [
                f"Only {shipped.get(line.id, 0) - line.returned_quantity} of {line.sku} can be returned."]
    if errors:
        raise OrderError(422, "Cannot return: " + "; ".join(m for ms in errors.values() for m in ms), errors)
    count = db.session.scalar(sa.select(sa.func.count(Return.id)).filter_by(order_id=order.id))
    rma = Return(order_id=order.id, order=order, number=f"RMA-{order.number}-{count + 1}", status="requested",
                 reason=reason, comment=comment)
    for item in items:
        line = by_id[item["order_line_id"]]
        line.returned_quantity += item["quantity"]
        rma.lines.append(ReturnLine(order_line_id=line.id, sku=line.sku, quantity=item["quantity"]))
    db.session.add(rma)
    _record(rma, "return.requested", f"Return {rma.number} requested: {REASONS[reason]}.", reason=reason)
    return rma


def approve_return(hooks, rma, decision_note: str = ""):
    _move(rma, "approved")
    rma.decision_note = decision_note
    _record(rma, "return.approved", f"Return {rma.number} approved.")
    return rma


def reject_return(hooks, rma, decision_note: str = ""):
    _move(rma, "rejected")
    rma.decision_note = decision_note
    lines = {line.id: line for line in rma.order.lines}
    for item in rma.lines:
        lines[item.order_line_id].returned_quantity -= item.quantity
    _record(rma, "return.rejected", f"Return {rma.number} rejected. {decision_note}".strip())
    return rma


def receive_return(hooks, rma, dispositions: list[dict]):
    """Goods arrived: each return line is restocked (to a warehouse) or scrapped."""
    by_id = {line.id: line for line in rma.lines}
    errors, chosen = {}, {}
    for i, item in enumerate(dispositions):
        line = by_id.get(item["return_line_id"])
        if line is None:
            errors[f"lines.{i}.return_line_id"] = ["Not a line of this return."]
        elif item["disposition"] == "restock" and not item.get("warehouse") and hooks.owns("return_stock"):
            errors[f"lines.{i}.warehouse"] = ["Name the warehouse to restock to."]
        else:
            chosen[line.id] = item
    errors.update(lifecycle.unknown_warehouses(
        hooks, [item if item["disposition"] == "restock" else {} for item in dispositions]))
    missing = [line.sku for line in rma.lines if line.id not in chosen and not errors]
    if missing:
        errors["lines"] = [f"Say what happens to {', '.join(missing)}."]
    if errors:
        raise OrderError(422, "Cannot receive: " + "; ".join(m for ms in errors.values() for m in ms), errors)
    _move(rma, "received")
    restock = []
    for line in rma.lines:
        item = chosen[line.id]
        line.disposition = item["disposition"]
        line.warehouse = item.get("warehouse") if line.disposition == "restock" else None
        if line.disposition == "restock":
            restock.append(StockLine(line.sku, line.quantity, line.warehouse))
    if restock and hooks.owns("return_stock"):
        hooks.owner("return_stock", reference=f"return:{rma.id}", lines=restock)
    _record(rma, "return.received", f"Return {rma.number} received: " + ", ".join(
        f"{l.quantity} × {l.sku} {l.disposition}" + (f" to {l.warehouse}" if l.warehouse else "")
        for l in rma.lines) + ".")
    return rma


def return_value(rma) -> int:
    """What the returned units cost the buyer: their share of price, discount and tax."""
    lines = {line.id: line for line in rma.order.lines}
    value = 0
    for item in rma.lines:
        line = lines[item.order_line_id]
        value += (line.total - line.discount + line.tax) * item.quantity // line.quantity
    return value


def refund_return(hooks, rma, amount: int | None = None, reason: str = ""):
    order = rma.order
    if rma.status != "received":
        _move(rma, "refunded")  # raises the 409 naming the allowed moves
    value = min(return_value(rma), order.paid_total - order.refunded_total) if amount is None else amount
    if value <= 0:
        raise OrderError(422, "Nothing left to refund on this order.", {"amount": ["Nothing left to refund."]})
    refund = lifecycle.refund(hooks, order, amount=value, reason=reason or f"Return {rma.number}",
                              return_id=rma.id)
    _move(rma, "refunded")
    _record(rma, "return.resolved", f"Return {rma.number} refunded.", refund_id=refund.id)
    return refund


def exchange_return(hooks, rma):
    """Send the same goods again as a linked replacement order, at no charge, placed at once."""
    from .intake import create_order

    order = rma.order
    if rma.status != "received":
        _move(rma, "exchanged")
    data = {
        "channel": "manual", "customer": {"name": order.customer_name, "email": order.customer_email,
                                          "phone": order.customer_phone, "group": order.customer_group},
        "shipping_address": order.shipping_address, "billing_address": order.billing_address,
        "lines": [{"sku": item.sku, "quantity": item.quantity} for item in rma.lines],
        "discounts": [{"label": f"Exchange for {rma.number}", "percent": 100}],
        "shipping_fee": 0, "tax_rate": 0, "note": f"Replacement for {order.number} ({rma.number}).",
        "replaces_order_id": order.id,
    }
    replacement, _ = create_order(hooks, data, place=True)
    rma.exchange_order_id = replacement.id
    _move(rma, "exchanged")
    _record(rma, "return.resolved", f"Return {rma.number} exchanged: replacement order {replacement.number}.",
            exchange_order_id=replacement.id)
    return replacement


# --- complaints ---------------------------------------------------------------------------


def open_complaint(hooks, order, *, subject: str, message: str, assignee: str = "", from_customer: bool = True):
    hours = settings(hooks)["complaint_response_hours"]
    complaint = Complaint(order_id=order.id, order=order, subject=subject, status="open", assignee=assignee,
                          due_at=utcnow() + timedelta(hours=hours))
    complaint.messages.append(ComplaintMessage(author=order.customer_email if from_customer else actor(),
                                               from_customer=from_customer, body=message))
    db.session.add(complaint)
    db.session.flush()
    note(order, "complaint", f"Complaint opened: {subject}", complaint_id=complaint.id)
    audited("complaint_opened", order, after={"complaint_id": complaint.id, "subject": subject})
    emit("complaint.opened", complaint_payload(complaint), key=f"order:{order.id}")
    return complaint


def add_message(hooks, complaint, *, body: str, from_customer: bool = False):
    message = ComplaintMessage(complaint_id=complaint.id, author=actor() if not from_customer
                               else complaint.order.customer_email, from_customer=from_customer, body=body)
    complaint.messages.append(message)
    if not from_customer and complaint.first_response_at is None:
        complaint.first_response_at = utcnow()
    if from_customer and complaint.status == "pending":
        complaint.status = "open"
    db.session.flush()
    return message


def update_complaint(hooks, complaint, *, status: str | None = None, assignee: str | None = None):
    before = {"status": complaint.status, "assignee": complaint.assignee}
    if assignee is not None:
        complaint.assignee = assignee
    if status is not None and status != complaint.status:
        complaint.status = status
        complaint.closed_at = utcnow() if status == "closed" else None
        if status == "closed":
            emit("complaint.closed", complaint_payload(complaint), key=f"order:{complaint.order_id}")
    db.session.flush()
    after = {"status": complaint.status, "assignee": complaint.assignee}
    if after != before:
        audited("complaint_updated", complaint.order, before={"complaint_id": complaint.id, **before},
                after={"complaint_id": complaint.id, **after})
    return complaint
