"""Every way a price changes: set, remove, schedule, approve, bulk update.

All of them pass the margin guard and leave one audit entry per variant price
(``pricing.price_changed``, before/after). The caller commits; a refused change raises
before anything is written.

The margin guard: a price in the store's currency below ``unit cost × (1 + min_margin_percent
/ 100)`` is refused (``margin_guard = refuse``) or kept as a pending approval
(``margin_guard = approval``) that someone other than the requester, holding
``pricing.approve``, approves or rejects. Variants without a unit cost, and prices in
another currency, are not guarded (there is nothing to compare against).
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from shopdesk import audit
from shopdesk.db import db, utcnow
from shopdesk.money import Money
from shopdesk.stores import Store
from shopdesk_catalog import public as catalog

from .models import PriceApproval, PriceList, PriceListItem, ScheduledChange
from .rules import amount_text, margin_percent, minimum_price


class MarginRefused(ValueError):
    """Prices below the margin guard's minimum, in ``refuse`` mode: nothing was written."""

    def __init__(self, violations):
        self.violations = list(violations)
        super().__init__("; ".join(v.message for v in self.violations))


class SelfApproval(PermissionError):
    """Whoever asked for a price may not approve it."""


class StaleApproval(ValueError):
    """The price a request was made against has changed since: approving it would silently
    undo the newer price. ``current`` and ``base`` are minor units (None: no price)."""

    def __init__(self, approval, current):
        self.current, self.base = current, approval.old_price
        money = lambda amount: "none" if amount is None else Money(amount, approval_currency(approval)).format("en")  # noqa: E731
        super().__init__(f"The price is now {money(current)}, not {money(self.base)} as when this was asked: "
                         "approving would undo that change. Reject it and ask again if it is still wanted.")


class NotPending(ValueError):
    """The approval was already decided."""


@dataclass(frozen=True)
class Verdict:
    """The margin guard's answer for one price: ``ok``, ``refuse`` or ``approval``."""

    outcome: str
    sku: str
    price: int
    unit_cost: int | None
    minimum: int | None
    currency: str

    @property
    def message(self) -> str:
        return (f"{self.sku}: price {amount_text(self.price, self.currency)} is below the minimum "
                f"{amount_text(self.minimum, self.currency)} (unit cost "
                f"{amount_text(self.unit_cost, self.currency)} + minimum margin)")

    def as_dict(self) -> dict:
        return {"sku": self.sku, "price": self.price, "unit_cost": self.unit_cost, "minimum": self.minimum,
                "currency": self.currency, "outcome": self.outcome}


def verdict(settings, store, variant, price: int, currency: str) -> Verdict:
    cost = variant.unit_cost or None
    if cost is None or currency != store.currency:
        return Verdict("ok", variant.sku, price, cost, None, currency)
    minimum = minimum_price(cost, settings.get("min_margin_percent", 0))
    if price >= minimum:
        return Verdict("ok", variant.sku, price, cost, minimum, currency)
    mode = "approval" if settings.get("margin_guard") == "approval" else "refuse"
    return Verdict(mode, variant.sku, price, cost, minimum, currency)


def _who(user):
    return (getattr(user, "id", None), getattr(user, "email", "") or "")


def audit_price(variant, where: str, min_quantity: int, before: int | None, after: int | None, currency: str,
                reason: str):
    """One audit entry for one variant price; ``where`` is a list name or "catalog"."""
    common = {"sku": variant.sku, "price_list": where, "min_quantity": min_quantity, "currency": currency}
    audit.record("pricing.price_changed", object_type="variant", object_id=variant.id,
                 before=None if before is None else {**common, "price": before},
                 after={**common, "price": after, "reason": reason})


# --- list prices --------------------------------------------------------------------------------


def find_item(price_list_id, variant_id, min_quantity):
    return db.session.scalar(sa.select(PriceListItem).filter_by(
        price_list_id=price_list_id, variant_id=variant_id, min_quantity=min_quantity))


def write_list_price(price_list: PriceList, variant, min_quantity: int, price: int, reason: str):
    """Store the price without asking the guard (it was asked, or approved); audited."""
    item = find_item(price_list.id, variant.id, min_quantity)
    before = item.price if item is not None else None
    if before == price:
        return item
    if item is None:
        item = PriceListItem(price_list_id=price_list.id, variant_id=variant.id, min_quantity=min_quantity,
                             price=price)
        db.session.add(item)
    else:
        item.price = price
    db.session.flush()
    audit_price(variant, price_list.name, min_quantity, before, price, price_list.currency, reason)
    return item


def remove_list_price(item: PriceListItem, variant, reason="removed"):
    audit_price(variant, item.price_list.name, item.min_quantity, item.price, None, item.price_list.currency, reason)
    db.session.delete(item)


def _approval(kind, settings, v: Verdict, variant, user, *, price_list=None, min_quantity=1, old_price=None,
              scheduled_change=None):
    user_id, email = _who(user)
    approval = PriceApproval(
        kind=kind, price_list_id=price_list.id if price_list else None, variant_id=variant.id,
        min_quantity=min_quantity, scheduled_change_id=scheduled_change.id if scheduled_change else None,
        old_price=old_price, new_price=v.price, unit_cost=v.unit_cost, minimum_price=v.minimum,
        status="pending", requested_by_id=user_id, requested_by=email)
    db.session.add(approval)
    db.session.flush()
    audit.record("pricing.approval_requested", object_type="price_approval", object_id=approval.id,
                 after={"kind": kind, **v.as_dict(), "price_list": price_list.name if price_list else "catalog"})
    return approval


def set_list_price(settings, store, user, price_list: PriceList, variant, min_quantity: int, price: int):
    """Set a list price through the margin guard.
    Returns ("applied", item) or ("pending_approval", approval); raises MarginRefused."""
    v = verdict(settings, store, variant, price, price_list.currency)
    if v.outcome == "refuse":
        raise MarginRefused([v])
    if v.outcome == "approval":
        item = find_item(price_list.id, variant.id, min_quantity)
        return "pending_approval", _approval("list_price", settings, v, variant, user, price_list=price_list,
                                             min_quantity=min_quantity,
                                             old_price=item.price if item else None)
    return "applied", write_list_price(price_list, variant, min_quantity, price, "set")


# --- scheduled changes --------------------------------------------------------------------------


def schedule_change(settings, store, user, price_list, variant, min_quantity, new_price, starts_at, ends_at=None,
                    note=""):
    """Plan a list price from ``starts_at``; in approval mode a price under the guard waits
    (``pending_approval``) until approved, and is applied only if approved by then."""
    v = verdict(settings, store, variant, new_price, price_list.currency)
    if v.outcome == "refuse":
        raise MarginRefused([v])
    change = ScheduledChange(price_list_id=price_list.id, variant_id=variant.id, min_quantity=min_quantity,
                             new_price=new_price, starts_at=starts_at, ends_at=ends_at, note=note,
                             status="pending_approval" if v.outcome == "approval" else "scheduled")
    db.session.add(change)
    db.session.flush()
    audit.record("pricing.change_scheduled", object_type="scheduled_change", object_id=change.id,
                 after={"sku": variant.sku, "price_list": price_list.name, "min_quantity": min_quantity,
                        "new_price": new_price, "starts_at": starts_at, "ends_at": ends_at,
                        "status": change.status})
    if v.outcome == "approval":
        _approval("scheduled", settings, v, variant, user, price_list=price_list, min_quantity=min_quantity,
                  scheduled_change=change)
    return change


def cancel_change(change: ScheduledChange):
    if change.status not in ("scheduled", "pending_approval"):
        raise NotPending(f"a {change.status} change cannot be cancelled")
    before = change.status
    change.status = "cancelled"
    db.session.execute(sa.update(PriceApproval).where(
        PriceApproval.scheduled_change_id == change.id, PriceApproval.status == "pending").values(status="rejected"))
    audit.record("pricing.change_cancelled", object_type="scheduled_change", object_id=change.id,
                 before={"status": before}, after={"status": "cancelled"})


def _claim(change_id, from_status, to_status, **values) -> bool:
    """Move a change on only if nobody else did: runs twice, applies once."""
    moved = db.session.execute(
        sa.update(ScheduledChange).where(ScheduledChange.id == change_id, ScheduledChange.status == from_status)
        .values(status=to_status, **values).execution_options(synchronize_session=False))
    return moved.rowcount == 1


def apply_due_changes(ctx=None, now: datetime | None = None) -> int:
    """The ``pricing.apply_scheduled`` job: apply the changes whose start has come, undo those
    whose end has come. Idempotent; every price it writes is audited. Returns changes moved."""
    now = now or utcnow()
    moved = 0
    due = db.session.scalars(sa.select(ScheduledChange).where(
        ScheduledChange.status == "scheduled", ScheduledChange.starts_at <= now)
        .order_by(ScheduledChange.starts_at, ScheduledChange.id)).all()
    for change in due:
        finished = change.ends_at is not None and change.ends_at <= now
        item = find_item(change.price_list_id, change.variant_id, change.min_quantity)
        previous = item.price if item is not None else None
        status = "active" if change.ends_at is not None and not finished else "done"
        if not _claim(change.id, "scheduled", status, previous_price=previous, applied_at=now,
                      finished_at=now if status == "done" else None):
            continue
        db.session.refresh(change)
        variant = catalog.get_variant(change.variant_id)
        write_list_price(change.price_list, variant, change.min_quantity, change.new_price,
                         f"scheduled change {change.id}")
        if finished:
            _restore(change, variant, previous)
        audit.record("pricing.change_applied", object_type="scheduled_change", object_id=change.id,
                     before={"price": previous}, after={"price": change.new_price, "status": change.status})
        moved += 1
    ending = db.session.scalars(sa.select(ScheduledChange).where(
        ScheduledChange.status == "active", ScheduledChange.ends_at <= now).order_by(ScheduledChange.id)).all()
    for change in ending:
        if not _claim(change.id, "active", "done", finished_at=now):
            continue
        db.session.refresh(change)
        variant = catalog.get_variant(change.variant_id)
        _restore(change, variant, change.previous_price)
        audit.record("pricing.change_ended", object_type="scheduled_change", object_id=change.id,
                     before={"price": change.new_price}, after={"price": change.previous_price, "status": "done"})
        moved += 1
    db.session.commit()
    return moved


def _restore(change, variant, previous):
    reason = f"scheduled change {change.id} ended"
    if previous is None:
        item = find_item(change.price_list_id, change.variant_id, change.min_quantity)
        if item is not None:
            remove_list_price(item, variant, reason)
    else:
        write_list_price(change.price_list, variant, change.min_quantity, previous, reason)


# --- approvals ----------------------------------------------------------------------------------


def approval_currency(approval: PriceApproval) -> str:
    return approval.price_list.currency if approval.price_list else db.session.get(Store, approval.store_id).currency


def current_price(approval: PriceApproval) -> int | None:
    """The price the approval would replace, as it is now (None for a scheduled change, whose
    base is decided when it starts, or where there is no price yet)."""
    if approval.kind == "list_price":
        item = find_item(approval.price_list_id, approval.variant_id, approval.min_quantity)
        return item.price if item is not None else None
    if approval.kind == "catalog_price":
        return catalog.get_variant(approval.variant_id).price
    return None


def decide(approval: PriceApproval, user, approve: bool):
    """Approve (apply the price) or reject a pending approval; never the requester's own, and
    never one whose price was changed since it was asked (StaleApproval; rejecting it is fine)."""
    if approval.status != "pending":
        raise NotPending(f"approval {approval.id} is already {approval.status}")
    user_id, email = _who(user)
    if approval.requested_by_id is not None and approval.requested_by_id == user_id:
        raise SelfApproval("You asked for this price; someone else must approve or reject it.")
    if approve and approval.kind in ("list_price", "catalog_price") and current_price(approval) != approval.old_price:
        raise StaleApproval(approval, current_price(approval))
    approval.status = "approved" if approve else "rejected"
    approval.decided_by, approval.decided_at = email, utcnow()
    variant = catalog.get_variant(approval.variant_id)
    change = db.session.get(ScheduledChange, approval.scheduled_change_id) if approval.scheduled_change_id else None
    if approve:
        if approval.kind == "list_price":
            write_list_price(approval.price_list, variant, approval.min_quantity, approval.new_price,
                             f"approval {approval.id}")
        elif approval.kind == "catalog_price":
            write_catalog_price(variant, approval.new_price, f"approval {approval.id}", approval_currency(approval))
        elif change is not None and change.status == "pending_approval":
            change.status = "scheduled"
    elif change is not None and change.status == "pending_approval":
        change.status = "rejected"
    audit.record("pricing.approval_" + approval.status, object_type="price_approval", object_id=approval.id,
                 before={"status": "pending"}, after={"status": approval.status, "sku": variant.sku,
                                                      "new_price": approval.new_price})
    return approval


def withdraw(approval: PriceApproval, user):
    """The requester takes a pending request back (a scheduled change waiting on it is cancelled)."""
    if approval.status != "pending":
        raise NotPending(f"approval {approval.id} is already {approval.status}")
    user_id, email = _who(user)
    if approval.requested_by_id is None or approval.requested_by_id != user_id:
        raise SelfApproval("Only whoever asked for this price can withdraw it; approve or reject it instead.")
    approval.status, approval.decided_by, approval.decided_at = "withdrawn", email, utcnow()
    change = db.session.get(ScheduledChange, approval.scheduled_change_id) if approval.scheduled_change_id else None
    if change is not None and change.status == "pending_approval":
        change.status = "cancelled"
    audit.record("pricing.approval_withdrawn", object_type="price_approval", object_id=approval.id,
                 before={"status": "pending"}, after={"status": "withdrawn", "new_price": approval.new_price})
    return approval


# --- catalog prices and bulk updates ------------------------------------------------------------


def write_catalog_price(variant, price: int, reason: str, currency: str) -> bool:
    """The catalog variant's own list price (the fallback when no price list has it), written
    by the catalog, which announces it with its ``product.updated``; audited here with the
    reason. True if it changed."""
    before = variant.price
    if not catalog.set_variant_price(variant, price):
        return False
    audit_price(variant, "catalog", 1, before, price, currency, reason)
    return True


@dataclass
class BulkSelection:
    category_id: int | None = None
    brand_id: int | None = None
    tag_id: int | None = None
    price_list_id: int | None = None
    percent: Decimal | None = None
    amount: int | None = None


def _selected_variants(selection: BulkSelection):
    Variant, Product = catalog.Variant, catalog.Product
    query = sa.select(Variant).join(Product, Product.id == Variant.product_id).order_by(Variant.sku)
    if selection.category_id is not None:
        query = query.where(Product.category_id.in_(catalog.category_and_below(selection.category_id)))
    if selection.brand_id is not None:
        query = query.where(Product.brand_id == selection.brand_id)
    if selection.tag_id is not None:
        tagged = sa.select(catalog.ProductTag.product_id).filter_by(tag_id=selection.tag_id)
        query = query.where(Product.id.in_(tagged))
    return db.session.scalars(query).all()


def _changed(old: int, selection: BulkSelection) -> int:
    new = old
    if selection.percent is not None:
        new += int((Decimal(old) * selection.percent / 100).quantize(Decimal(1), ROUND_HALF_UP))
    if selection.amount is not None:
        new += selection.amount
    return max(0, new)


def bulk_preview(settings, store, selection: BulkSelection):
    """What a bulk update would do, row by row: old and new price, unit cost, margin at the
    new price and the margin guard's verdict. Applying writes exactly these rows."""
    variants = _selected_variants(selection)
    rows = []
    if selection.price_list_id is not None:
        price_list = db.session.get(PriceList, selection.price_list_id)
        items = db.session.scalars(sa.select(PriceListItem).filter_by(price_list_id=price_list.id)
                                   .where(PriceListItem.variant_id.in_([v.id for v in variants]))
                                   .order_by(PriceListItem.variant_id, PriceListItem.min_quantity)).all()
        by_id = {v.id: v for v in variants}
        targets = [(by_id[i.variant_id], i.min_quantity, i.price) for i in items]
        currency, where = price_list.currency, price_list.name
    else:
        targets = [(v, 1, v.price) for v in variants]
        currency, where = store.currency, "catalog"
    for variant, min_quantity, old in sorted(targets, key=lambda t: (t[0].sku, t[1])):
        new = _changed(old, selection)
        v = verdict(settings, store, variant, new, currency)
        rows.append({"variant_id": variant.id, "sku": variant.sku, "price_list": where, "min_quantity": min_quantity,
                     "currency": currency, "old_price": old, "new_price": new, "unit_cost": variant.unit_cost or None,
                     "margin_percent": margin_percent(new, variant.unit_cost) if currency == store.currency else None,
                     "minimum_price": v.minimum, "verdict": v.outcome})
    return rows


def bulk_apply(settings, store, user, selection: BulkSelection):
    """Apply a bulk update in the caller's transaction. ``refuse`` mode: any row under the
    guard refuses all, naming each. ``approval`` mode: rows under it become approvals.
    Returns (rows, approvals)."""
    rows = bulk_preview(settings, store, selection)
    refused = [r for r in rows if r["verdict"] == "refuse"]
    if refused:
        raise MarginRefused([Verdict("refuse", r["sku"], r["new_price"], r["unit_cost"], r["minimum_price"],
                                     r["currency"]) for r in refused])
    price_list = db.session.get(PriceList, selection.price_list_id) if selection.price_list_id else None
    variants = {v.id: v for v in db.session.scalars(
        sa.select(catalog.Variant).where(catalog.Variant.id.in_([r["variant_id"] for r in rows]))
        .options(selectinload(catalog.Variant.product)))} if rows else {}
    # Catalog prices change in one call: one product.updated per product, however many variants.
    replaced = {} if price_list is not None else catalog.set_variant_prices(
        [(variants[r["variant_id"]], r["new_price"]) for r in rows if r["verdict"] != "approval"])
    approvals = []
    for row in rows:
        variant = variants[row["variant_id"]]
        if row["verdict"] == "approval":
            v = Verdict("approval", row["sku"], row["new_price"], row["unit_cost"], row["minimum_price"],
                        row["currency"])
            approvals.append(_approval("list_price" if price_list else "catalog_price", settings, v, variant, user,
                                       price_list=price_list, min_quantity=row["min_quantity"],
                                       old_price=row["old_price"]))
        elif price_list is not None:
            write_list_price(price_list, variant, row["min_quantity"], row["new_price"], "bulk update")
        elif variant.id in replaced:
            audit_price(variant, "catalog", 1, replaced[variant.id], row["new_price"], store.currency, "bulk update")
    audit.record("pricing.bulk_update", object_type="price_list" if price_list else "catalog",
                 object_id=price_list.id if price_list else None,
                 after={"rows": len(rows), "approvals": len(approvals),
                        "percent": selection.percent, "amount": selection.amount})
    return rows, approvals
