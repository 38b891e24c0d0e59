"""Demo orders: about fifteen, across channels and states, made through the service layer so
that stock is reserved, consumed and returned when an inventory plugin is enabled."""

import logging

from flask import current_app

from shopdesk import hookimpl
from shopdesk.db import db
from shopdesk_catalog import public as catalog

from . import aftersales, lifecycle
from .common import OrderError
from .intake import create_order

log = logging.getLogger(__name__)

BUYERS = [
    ("Mei-Ling Chen", "meiling.chen@example.com", "+886 912 345 678",
     {"name": "Mei-Ling Chen", "line1": "No. 7, Section 5, Xinyi Rd", "city": "Taipei", "postal_code": "110", "country": "TW"}),
    ("James Porter", "james.porter@example.com", "+1 415 555 0134",
     {"name": "James Porter", "line1": "1 Market St", "city": "San Francisco", "postal_code": "94105", "country": "US"}),
    ("Aiko Tanaka", "aiko.tanaka@example.com", "+81 3 1234 5678",
     {"name": "Aiko Tanaka", "line1": "2-1 Marunouchi", "city": "Tokyo", "postal_code": "100-0005", "country": "JP"}),
    ("Lucas Martin", "lucas.martin@example.com", "+33 1 23 45 67 89",
     {"name": "Lucas Martin", "line1": "10 Rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"}),
    ("Priya Nair", "priya.nair@example.com", "+44 20 7946 0018",
     {"name": "Priya Nair", "line1": "221B Baker St", "city": "London", "postal_code": "NW1 6XE", "country": "GB"}),
]

# (channel, buyer, [(variant index, quantity)], what happens next)
SCRIPT = [
    ("web", 0, [(0, 1), (1, 2)], "placed"),
    ("web", 1, [(2, 1)], "paid"),
    ("marketplace", 2, [(3, 1), (0, 1)], "paid"),
    ("pos", 3, [(1, 1)], "completed"),
    ("manual", 4, [(2, 2)], "draft"),
    ("web", 0, [(4, 1), (5, 1)], "partially_paid"),
    ("web", 1, [(0, 2), (3, 1)], "partially_fulfilled"),
    ("marketplace", 2, [(5, 1)], "fulfilled"),
    ("web", 3, [(1, 1), (4, 1)], "shipped"),
    ("web", 4, [(2, 1)], "delivered"),
    ("pos", 0, [(3, 1)], "completed"),
    ("web", 1, [(0, 1)], "cancelled"),
    ("web", 2, [(1, 1), (5, 1)], "returned"),
    ("marketplace", 3, [(4, 1)], "complaint"),
    ("web", 4, [(0, 1), (2, 1)], "discounted"),
]


def _variants():
    found = catalog.some_variants(6, priced=True, sellable=True)
    if found:
        return found
    # The catalog has nothing to sell yet (its own demo did not run): bring a few products.
    made = []
    for name, sku, price in [("Linen shirt", "DEMO-SHIRT", 3900), ("Canvas tote", "DEMO-TOTE", 1900),
                             ("Wool beanie", "DEMO-BEANIE", 2500)]:
        product = catalog.create_product({"name": name, "status": "active", "variants": [
            {"sku": sku, "price": price, "unit_cost": price // 2}]})
        made += product.variants
    return made


def _warehouse(line):
    return (line.allocations or [{}])[0].get("warehouse") or "MAIN"


def _ship_all(hooks, order, carrier="Demo Express"):
    shipment = lifecycle.fulfil(hooks, order, [{"order_line_id": l.id, "quantity": l.unfulfilled}
                                               for l in order.lines if l.unfulfilled])
    lifecycle.ship(hooks, order, shipment, carrier=carrier, tracking_number=f"DX{order.id:08d}")
    return shipment


def _play(hooks, order, step):
    pay = lambda amount=None, provider="bank_transfer": lifecycle.record_payment(  # noqa: E731
        hooks, order, provider=provider, amount=amount or order.balance_due, reference_text=f"DEMO-{order.id}")
    if step in ("placed", "draft"):
        return
    if step == "cancelled":
        lifecycle.cancel(hooks, order, "Customer changed their mind before payment.")
        return
    if step == "partially_paid":
        pay(order.total // 2)
        return
    pay(provider="cash" if order.channel == "pos" else "bank_transfer")
    if step in ("paid", "discounted"):
        return
    if step == "partially_fulfilled":
        first = order.lines[0]
        lifecycle.fulfil(hooks, order, [{"order_line_id": first.id, "quantity": 1}])
        return
    if step == "fulfilled":
        lifecycle.fulfil(hooks, order, [{"order_line_id": l.id, "quantity": l.quantity} for l in order.lines])
        return
    shipment = _ship_all(hooks, order)
    if step in ("shipped", "complaint"):
        if step == "complaint":
            complaint = aftersales.open_complaint(
                hooks, order, subject="Parcel not arrived yet",
                message="Tracking has not moved for four days. Where is my parcel?")
            aftersales.update_complaint(hooks, complaint, assignee="support@example.com")
        return
    lifecycle.deliver(hooks, order, shipment)
    if step == "completed":
        lifecycle.complete(hooks, order)
    if step == "returned":
        line = order.lines[0]
        rma = aftersales.request_return(hooks, order, items=[{"order_line_id": line.id, "quantity": 1}],
                                        reason="size_fit", comment="Too small, would like my money back.")
        aftersales.approve_return(hooks, rma, "Within the 30-day window.")
        aftersales.receive_return(hooks, rma, [{"return_line_id": rma.lines[0].id, "disposition": "restock",
                                                "warehouse": _warehouse(line)}])
        aftersales.refund_return(hooks, rma)


@hookimpl
def demo_data(ctx):
    hooks = current_app.extensions["shopdesk"].for_store(ctx.store)
    variants = _variants()
    for number, (channel, buyer, picks, step) in enumerate(SCRIPT, start=1):
        name, email, phone, address = BUYERS[buyer]
        data = {
            "channel": channel, "external_id": None if channel in ("manual", "pos") else f"DEMO-{channel[:3].upper()}-{number:04d}",
            "customer": {"name": name, "email": email, "phone": phone, "group": None},
            "shipping_address": address, "billing_address": address, "note": "",
            "lines": [{"sku": variants[i % len(variants)].sku, "quantity": q} for i, q in picks],
            "discounts": [{"label": "Welcome 10 %", "percent": 10}] if step == "discounted" else [],
            "shipping_fee": 0 if channel == "pos" else 500, "tax_rate": None,
        }
        try:
            with db.session.begin_nested():
                order, _ = create_order(hooks, data, place=step != "draft")
                _play(hooks, order, step)
        except OrderError as exc:  # e.g. the demo stock ran out: skip this one, keep the rest
            log.warning("demo order %s skipped: %s", number, exc.message)
