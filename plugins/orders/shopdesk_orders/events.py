"""The events the orders plugin emits, with their versioned payloads.

Every ``order.*`` event carries the same payload (the order as it is after the change), so a
receiver that follows an order needs one schema. The key is ``order:<id>`` for everything
about one order (returns and complaints included), so every receiver sees them in order.
"""

from marshmallow import Schema, fields

from shopdesk.events import EventType, emit


class LinePayload(Schema):
    sku = fields.String(required=True, metadata={"description": "The SKU ordered."})
    quantity = fields.Integer(required=True, metadata={"description": "Units ordered."})
    unit_price = fields.Integer(required=True, metadata={"description": "Price per unit, minor units."})
    total = fields.Integer(required=True, metadata={"description": "quantity × unit_price, minor units."})


class OrderPayload(Schema):
    id = fields.Integer(required=True, metadata={"description": "The order's id in its store."})
    number = fields.String(required=True, metadata={"description": "The human order number (SO-01001)."})
    status = fields.String(required=True, metadata={"description": "Lifecycle status after the change."})
    payment_status = fields.String(required=True, metadata={
        "description": "unpaid, partially_paid, paid, partially_refunded or refunded."})
    channel = fields.String(required=True, metadata={"description": "web, marketplace, pos or manual."})
    external_id = fields.String(allow_none=True, metadata={"description": "The channel's own order id."})
    currency = fields.String(required=True, metadata={"description": "ISO 4217 code of every amount."})
    total = fields.Integer(required=True, metadata={"description": "Order total, minor units."})
    paid_total = fields.Integer(required=True, metadata={"description": "Paid so far, minor units."})
    refunded_total = fields.Integer(required=True, metadata={"description": "Refunded so far, minor units."})
    customer_email = fields.String(required=True, metadata={"description": "The buyer's email (may be empty)."})
    lines = fields.List(fields.Nested(LinePayload), required=True, metadata={"description": "The order lines."})


class PaymentPayload(Schema):
    order_id = fields.Integer(required=True, metadata={"description": "The order paid."})
    number = fields.String(required=True, metadata={"description": "The order number."})
    payment_id = fields.Integer(required=True, metadata={"description": "The payment record's id."})
    provider = fields.String(required=True, metadata={"description": "Payment provider code (cash, bank_transfer, …)."})
    amount = fields.Integer(required=True, metadata={"description": "Amount, minor units."})
    currency = fields.String(required=True, metadata={"description": "ISO 4217 code."})
    reference = fields.String(required=True, metadata={"description": "The provider's reference (may be empty)."})


class RefundPayload(Schema):
    order_id = fields.Integer(required=True, metadata={"description": "The order refunded."})
    number = fields.String(required=True, metadata={"description": "The order number."})
    refund_id = fields.Integer(required=True, metadata={"description": "The refund record's id."})
    return_id = fields.Integer(allow_none=True, metadata={"description": "The return it settles, if any."})
    amount = fields.Integer(required=True, metadata={"description": "Amount refunded, minor units."})
    currency = fields.String(required=True, metadata={"description": "ISO 4217 code."})
    refunded_total = fields.Integer(required=True, metadata={"description": "All refunds of the order so far."})


class ShipmentLinePayload(Schema):
    sku = fields.String(required=True, metadata={"description": "The SKU shipped."})
    quantity = fields.Integer(required=True, metadata={"description": "Units in the parcel."})
    warehouse = fields.String(allow_none=True, metadata={"description": "Warehouse code it left from."})


class ShipmentPayload(Schema):
    order_id = fields.Integer(required=True, metadata={"description": "The order."})
    number = fields.String(required=True, metadata={"description": "The order number."})
    shipment_id = fields.Integer(required=True, metadata={"description": "The shipment's id."})
    carrier = fields.String(required=True, metadata={"description": "Carrier name, entered by hand."})
    tracking_number = fields.String(required=True, metadata={"description": "Tracking number, entered by hand."})
    lines = fields.List(fields.Nested(ShipmentLinePayload), required=True, metadata={"description": "Parcel content."})


class ReturnLinePayload(Schema):
    sku = fields.String(required=True, metadata={"description": "The SKU returned."})
    quantity = fields.Integer(required=True, metadata={"description": "Units returned."})
    disposition = fields.String(allow_none=True, metadata={"description": "restock or scrap (once received)."})
    warehouse = fields.String(allow_none=True, metadata={"description": "Where restocked units went."})


class ReturnPayload(Schema):
    id = fields.Integer(required=True, metadata={"description": "The return's id."})
    number = fields.String(required=True, metadata={"description": "The return number (RMA)."})
    order_id = fields.Integer(required=True, metadata={"description": "The order it returns."})
    order_number = fields.String(required=True, metadata={"description": "The order number."})
    status = fields.String(required=True, metadata={
        "description": "requested, approved, rejected, received, refunded or exchanged."})
    reason = fields.String(required=True, metadata={"description": "Reason code from the taxonomy."})
    lines = fields.List(fields.Nested(ReturnLinePayload), required=True, metadata={"description": "Returned lines."})
    exchange_order_id = fields.Integer(allow_none=True, metadata={"description": "The replacement order, if any."})


class ComplaintPayload(Schema):
    id = fields.Integer(required=True, metadata={"description": "The complaint's id."})
    order_id = fields.Integer(required=True, metadata={"description": "The order it is about."})
    subject = fields.String(required=True, metadata={"description": "What it is about."})
    status = fields.String(required=True, metadata={"description": "open, pending or closed."})
    assignee = fields.String(required=True, metadata={"description": "Email of the staff member on it (may be empty)."})


def _order_type(name, what):
    return EventType(name, 1, OrderPayload, what)


EVENT_TYPES = [
    _order_type("order.created", "An order was created as a draft (not placed yet)."),
    _order_type("order.placed", "An order was placed: validated, risk-scored, stock reserved."),
    _order_type("order.paid", "Payments now cover the order's total."),
    _order_type("order.partially_fulfilled", "Some, not all, units of an order are packed."),
    _order_type("order.fulfilled", "Every unit of an order is packed in shipments."),
    _order_type("order.shipped", "Every shipment of a fully fulfilled order has left."),
    _order_type("order.delivered", "Every shipment of an order was delivered."),
    _order_type("order.completed", "An order was closed as complete."),
    _order_type("order.cancelled", "An order was cancelled; its stock reservation was released."),
    _order_type("order.refunded", "Refunds reached the whole paid amount of an order."),
    EventType("payment.recorded", 1, PaymentPayload, "A payment was recorded against an order."),
    EventType("refund.recorded", 1, RefundPayload, "Money was refunded on an order (partial or whole)."),
    EventType("shipment.shipped", 1, ShipmentPayload, "A parcel left: carrier and tracking number recorded."),
    EventType("return.requested", 1, ReturnPayload, "A customer asked to return lines of an order."),
    EventType("return.approved", 1, ReturnPayload, "A return request was approved."),
    EventType("return.rejected", 1, ReturnPayload, "A return request was rejected."),
    EventType("return.received", 1, ReturnPayload, "Returned goods arrived: restocked or scrapped per line."),
    EventType("return.resolved", 1, ReturnPayload, "A received return was settled by a refund or an exchange."),
    EventType("complaint.opened", 1, ComplaintPayload, "A complaint was opened about an order."),
    EventType("complaint.closed", 1, ComplaintPayload, "A complaint was closed."),
]


def order_payload(order) -> dict:
    return {
        "id": order.id, "number": order.number, "status": order.status,
        "payment_status": order.payment_status, "channel": order.channel,
        "external_id": order.external_id, "currency": order.currency, "total": order.total,
        "paid_total": order.paid_total, "refunded_total": order.refunded_total,
        "customer_email": order.customer_email or "",
        "lines": [{"sku": line.sku, "quantity": line.quantity, "unit_price": line.unit_price,
                   "total": line.total} for line in order.lines],
    }


def return_payload(rma) -> dict:
    return {
        "id": rma.id, "number": rma.number, "order_id": rma.order_id, "order_number": rma.order.number,
        "status": rma.status, "reason": rma.reason, "exchange_order_id": rma.exchange_order_id,
        "lines": [{"sku": line.sku, "quantity": line.quantity, "disposition": line.disposition,
                   "warehouse": line.warehouse} for line in rma.lines],
    }


def complaint_payload(complaint) -> dict:
    return {"id": complaint.id, "order_id": complaint.order_id, "subject": complaint.subject,
            "status": complaint.status, "assignee": complaint.assignee or ""}


def emit_order(name, order):
    emit(name, order_payload(order), key=f"order:{order.id}")
