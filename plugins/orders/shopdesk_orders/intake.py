"""Taking an order in: numbering, pricing, totals, and one order per channel + external id.

Lines are priced by the store's ``price_lines`` owner (the pricing plugin) when one is
enabled, with its explanation trail stored on each line; otherwise by the catalog variant's
list price, with a one-step trail saying so. A price the channel already charged
(``unit_price`` on an imported marketplace line) is kept as it is.
"""

import sqlalchemy as sa

from shopdesk.commerce import StockLine
from shopdesk.db import current_store_id, db
from shopdesk_catalog.public import variants_by_sku

from . import totals
from .common import OrderError, audited, note, settings
from .events import emit_order
from .models import Order, OrderCounter, OrderLine


def next_number(prefix: str, *, apart: bool = False) -> str:
    """The store's next order number, from its counter row bumped by one atomic UPDATE …
    RETURNING, so concurrent orders never share a number.

    With ``apart`` (on PostgreSQL) the bump commits in a short transaction of its own, so the
    counter row is not held while the order is priced and its stock reserved (orders of one
    store would queue behind it); an order refused after that leaves a gap, as a database
    sequence would. Only callers whose transaction has written nothing yet may ask for it (the
    API, the import, the new-order page): a second connection must never wait on rows of the
    first. Otherwise, and on SQLite (one writer anyway), the bump is part of the order's
    transaction.
    """
    store_id = current_store_id.get()
    engine = db.session.get_bind()
    value = None
    if apart and engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            value = _bump(conn, store_id)
            conn.commit()
    if value is None:
        value = _bump(db.session, store_id)
    return f"{prefix}{value:05d}"


def _bump(executor, store_id) -> int:
    table = OrderCounter.__table__
    bump = (sa.update(table).where(table.c.store_id == store_id)
            .values(last=table.c.last + 1).returning(table.c.last))
    value = executor.execute(bump).scalar()
    if value is None:  # the first order of this store
        try:
            with executor.begin_nested():
                executor.execute(sa.insert(table).values(store_id=store_id, last=1001))
            value = 1001
        except sa.exc.IntegrityError:
            value = executor.execute(bump).scalar()
    return value


def find_by_external_id(channel: str, external_id: str | None):
    if not external_id:
        return None
    order_id = db.session.scalar(sa.select(Order.id).filter_by(channel=channel, external_id=external_id))
    return None if order_id is None else db.session.get(Order, order_id)


def unsellable(hooks, variants: dict, sku: str, *, replacement: bool = False) -> str | None:
    """Why the store does not take orders for ``sku`` (unknown, or its product is a draft or
    archived and the setting ``accept_unpublished_products`` is off), else None. A
    ``replacement`` (an exchange) sends again what was sold, whatever the product's status."""
    variant = variants.get(sku)
    if variant is None:
        return f"Unknown SKU {sku!r}."
    if not (variant.sellable or replacement or settings(hooks)["accept_unpublished_products"]):
        return (f"{sku}: its product is {variant.product_status}, not for sale "
                f"(the orders setting accept_unpublished_products allows it).")
    return None


def price(hooks, lines: list[dict], currency: str, customer_group: str | None, *,
          replacement: bool = False) -> list[dict]:
    """Price ``lines`` (dicts with sku, quantity and maybe unit_price); unknown SKUs and those
    of products not for sale → 422 naming ``lines.<i>.sku``."""
    variants = variants_by_sku(line["sku"] for line in lines)
    reasons = {line["sku"]: unsellable(hooks, variants, line["sku"], replacement=replacement) for line in lines}
    refused = {f"lines.{i}.sku": [reasons[line["sku"]]] for i, line in enumerate(lines) if reasons[line["sku"]]}
    if refused:
        unknown = sorted(sku for sku, why in reasons.items() if why and sku not in variants)
        unpublished = sorted(sku for sku, why in reasons.items() if why and sku in variants)
        parts = ([f"Unknown SKU: {', '.join(unknown)}"] if unknown else []) + (
            [f"Not for sale (draft or archived product): {', '.join(unpublished)}"] if unpublished else [])
        raise OrderError(422, "; ".join(parts), refused)
    priced = []
    for line in lines:
        variant = variants[line["sku"]]
        priced.append({"sku": line["sku"], "quantity": line["quantity"], "variant_id": variant.id,
                       "name": variant.display_name, "unit_cost": variant.unit_cost,
                       "unit_price": line.get("unit_price"), "tax_rate": line.get("tax_rate"), "trail": []})
    todo = [p for p in priced if p["unit_price"] is None]
    for p in priced:
        if p["unit_price"] is not None:
            p["trail"] = [{"label": "price charged by the channel", "change": p["unit_price"],
                           "price": p["unit_price"], "source": "channel"}]
    if todo and hooks.owns("price_lines"):
        try:
            answer = hooks.owner("price_lines", lines=[StockLine(p["sku"], p["quantity"]) for p in todo],
                                 customer_group=customer_group, currency=currency)
        except ValueError as exc:
            raise OrderError(422, f"Pricing refused the lines: {exc}", {"lines": [str(exc)]}) from exc
        if answer is None or len(answer) != len(todo):
            raise OrderError(502, "The pricing plugin did not price every line.")
        for p, line in zip(todo, answer):
            if line.currency != currency:
                raise OrderError(422, f"{p['sku']} is priced in {line.currency}, the order is in {currency}.",
                                 {"currency": [f"priced in {line.currency}"]})
            p["unit_price"] = line.unit_price
            p["trail"] = [step.as_dict() for step in line.trail]
            if line.unit_cost is not None:
                p["unit_cost"] = line.unit_cost
    else:
        for p in todo:
            p["unit_price"] = variants[p["sku"]].price
            p["trail"] = [{"label": "catalog list price", "change": p["unit_price"],
                           "price": p["unit_price"], "source": "catalog"}]
    return priced


def create_order(hooks, data: dict, *, place: bool = True, number_apart: bool = False):
    """Create an order from validated input and (unless ``place`` is False) place it.

    Returns ``(order, created)``. When the channel's ``external_id`` is already known the
    existing order comes back with ``created`` False and nothing is written; a concurrent
    twin that lost the race on the unique (store, channel, external_id) rolls the session
    back and returns the winner's order the same way. ``number_apart``: see ``next_number``.
    """
    from .lifecycle import finish_placement, prepare_placement

    channel, external_id = data.get("channel", "manual"), data.get("external_id") or None
    existing = find_by_external_id(channel, external_id)
    if existing is not None:
        return existing, False
    conf = settings(hooks)
    store = hooks.store
    customer = data.get("customer") or {}
    order_rate = _rate(data.get("tax_rate"), conf["tax_rate"], "tax_rate")
    lines = price(hooks, data["lines"], store.currency, customer.get("group"),
                  replacement=data.get("replaces_order_id") is not None)
    for i, line in enumerate(lines):
        line["tax_rate"] = order_rate if line["tax_rate"] is None else _rate(line["tax_rate"], None, f"lines.{i}.tax_rate")
    figures = totals.compute(lines, discounts=data.get("discounts") or [], shipping_fee=data.get("shipping_fee") or 0,
                             order_rate=order_rate, tax_shipping=conf["tax_shipping"])
    order = Order(
        number=next_number(conf["number_prefix"], apart=number_apart), channel=channel, external_id=external_id,
        status="draft", payment_status="unpaid", currency=store.currency,
        customer_name=customer.get("name", ""), customer_email=customer.get("email", ""),
        customer_phone=customer.get("phone", ""), customer_group=customer.get("group"),
        shipping_address=data.get("shipping_address") or {}, billing_address=data.get("billing_address") or {},
        note=data.get("note", ""), replaces_order_id=data.get("replaces_order_id"),
        subtotal=figures["subtotal"], discount_total=figures["discount_total"], discounts=figures["discounts"],
        shipping_fee=figures["shipping_fee"], tax_total=figures["tax_total"], tax_lines=figures["tax_lines"],
        total=figures["total"],
    )
    order.lines = [OrderLine(position=i, sku=p["sku"], name=p["name"][:300], variant_id=p["variant_id"],
                             quantity=p["quantity"], unit_price=p["unit_price"], unit_cost=p["unit_cost"],
                             discount=p["discount"], tax_rate=str(p["tax_rate"]), tax=p["tax"], total=p["total"],
                             price_trail=p["trail"], allocations=[])
                   for i, p in enumerate(lines)]
    order.risk_scores = []
    db.session.add(order)
    before = prepare_placement(hooks, order) if place else None
    try:
        db.session.flush()
    except sa.exc.IntegrityError:
        db.session.rollback()
        winner = find_by_external_id(channel, external_id)
        if winner is None:
            raise
        return winner, False
    note(order, "created", f"Order {order.number} created from the {channel} channel.",
         external_id=external_id)
    audited("created", order, after={"number": order.number, "channel": channel, "external_id": external_id,
                                     "total": order.total, "currency": order.currency})
    if place:
        finish_placement(hooks, order, before)
    else:
        emit_order("order.created", order)
    return order, True


def _rate(value, default, field):
    try:
        return totals.parse_rate(default if value is None else value)
    except ValueError as exc:
        raise OrderError(422, f"{field}: {exc}", {field: [str(exc)]}) from None
