"""What the API and the pages both do, in request terms: look things up in the current store,
turn the engine's errors into the host's 4xx answers, and serialise approvals and quotes."""

import sqlalchemy as sa
from flask import g
from flask_smorest import abort

from shopdesk import audit
from shopdesk.db import db
from shopdesk_catalog import public as catalog

from . import changes
from .models import CostPlusRule, PriceList, VolumeBreak


def settings() -> dict:
    """The pricing plugin's resolved settings in the current store."""
    return g.hooks.context("pricing").settings


def variant_or_422(sku: str, field: str = "sku"):
    variant = catalog.variant_with_sku(sku)
    if variant is None:
        abort(422, errors={field: [f"Unknown SKU: {sku}"]})
    return variant


def price_list_or_404(list_id):
    return db.one_or_404(sa.select(PriceList).filter_by(id=list_id))


def price_list_or_422(list_id, field="price_list_id"):
    found = db.session.scalar(sa.select(PriceList).filter_by(id=list_id))
    if found is None:
        abort(422, errors={field: [f"No price list {list_id} in this store."]})
    return found


def refuse_margin(exc: changes.MarginRefused):
    abort(422, message="Below the minimum margin: " + "; ".join(v.message for v in exc.violations),
          errors={"price": [v.message for v in exc.violations]})


def check_references(data: dict):
    """Ids a body names must be this store's: 422 naming the field otherwise."""
    for field, found in (("category_id", catalog.get_category), ("brand_id", catalog.get_brand),
                         ("tag_id", catalog.get_tag)):
        value = data.get(field)
        if value is not None and found(value) is None:
            abort(422, errors={field: [f"No {field[:-3]} {value} in this store."]})
    if data.get("price_list_id") is not None:
        price_list_or_422(data["price_list_id"])


def approval_dict(approval) -> dict:
    variant = catalog.get_variant(approval.variant_id)
    return {c: getattr(approval, c) for c in (
        "id", "kind", "price_list_id", "variant_id", "min_quantity", "scheduled_change_id", "old_price",
        "new_price", "unit_cost", "minimum_price", "status", "requested_by", "decided_by", "decided_at",
        "created_at", "updated_at")} | {"sku": variant.sku if variant else "",
                                         "current_price": changes.current_price(approval) if variant else None}


def item_dict(item) -> dict:
    variant = catalog.get_variant(item.variant_id)
    return {"id": item.id, "price_list_id": item.price_list_id, "variant_id": item.variant_id,
            "sku": variant.sku, "min_quantity": item.min_quantity, "price": item.price,
            "updated_at": item.updated_at}


def change_dict(change) -> dict:
    variant = catalog.get_variant(change.variant_id)
    return {c: getattr(change, c) for c in (
        "id", "price_list_id", "variant_id", "min_quantity", "new_price", "starts_at", "ends_at", "note",
        "status", "previous_price", "applied_at", "finished_at", "updated_at")} | {"sku": variant.sku}


def quote_dict(priced, currency, customer_group) -> dict:
    lines = [{"sku": p.sku, "quantity": p.quantity, "unit_price": p.unit_price, "line_total": p.total,
              "currency": p.currency, "trail": [s.as_dict() for s in p.trail]} for p in priced]
    return {"currency": currency, "customer_group": customer_group, "lines": lines,
            "total": sum(line["line_total"] for line in lines)}


def create_price_list(data: dict, store) -> PriceList:
    data = dict(data)
    data["currency"] = data.get("currency") or store.currency
    data["customer_group"] = (data.get("customer_group") or "").strip() or None
    name_taken(data["name"])
    price_list = PriceList(**data)
    db.session.add(price_list)
    db.session.flush()
    audit.record("pricing.list_created", object_type="price_list", object_id=price_list.id, after=list_audit(price_list))
    return price_list


def name_taken(name, except_id=None):
    clash = db.session.scalar(sa.select(PriceList.id).filter_by(name=name))
    if clash is not None and clash != except_id:
        abort(422, errors={"name": [f"A price list named {name!r} exists already."]})


def list_audit(price_list) -> dict:
    return {c: getattr(price_list, c) for c in ("name", "currency", "customer_group", "priority", "valid_from",
                                                "valid_to", "active")}


def change_price_list(price_list, changes_: dict):
    if "name" in changes_:
        name_taken(changes_["name"], price_list.id)
    if "customer_group" in changes_:
        changes_["customer_group"] = (changes_["customer_group"] or "").strip() or None
    before = list_audit(price_list)
    start = changes_.get("valid_from", price_list.valid_from)
    end = changes_.get("valid_to", price_list.valid_to)
    if start is not None and end is not None and end <= start:
        abort(422, errors={"valid_to": ["Must be after valid_from."]})
    for key, value in changes_.items():
        setattr(price_list, key, value)
    audit.record("pricing.list_changed", object_type="price_list", object_id=price_list.id, before=before,
                 after=list_audit(price_list))


def delete_price_list(price_list):
    """Delete a list with its prices; each price removed is audited like any price change."""
    for item in list(price_list.items):
        changes.remove_list_price(item, catalog.get_variant(item.variant_id), "list deleted")
    audit.record("pricing.list_deleted", object_type="price_list", object_id=price_list.id,
                 before=list_audit(price_list))
    db.session.delete(price_list)


def add_volume_break(price_list, data):
    if db.session.scalar(sa.select(VolumeBreak.id).filter_by(price_list_id=price_list.id,
                                                            min_quantity=data["min_quantity"])):
        abort(422, errors={"min_quantity": [f"The list has a break at {data['min_quantity']} already."]})
    row = VolumeBreak(price_list_id=price_list.id, **data)
    db.session.add(row)
    db.session.flush()
    audit.record("pricing.volume_break_added", object_type="price_list", object_id=price_list.id,
                 after={"min_quantity": row.min_quantity, "discount_percent": row.discount_percent})
    return row


def remove_volume_break(row):
    audit.record("pricing.volume_break_removed", object_type="price_list", object_id=row.price_list_id,
                 before={"min_quantity": row.min_quantity, "discount_percent": row.discount_percent})
    db.session.delete(row)


def add_rule(data):
    check_references(data)
    rule = CostPlusRule(**data)
    db.session.add(rule)
    db.session.flush()
    audit.record("pricing.rule_added", object_type="cost_plus_rule", object_id=rule.id, after=rule_audit(rule))
    return rule


def rule_audit(rule) -> dict:
    return {c: getattr(rule, c) for c in ("scope", "category_id", "brand_id", "tag_id", "markup_percent", "mode",
                                          "active")}


def remove_rule(rule):
    audit.record("pricing.rule_removed", object_type="cost_plus_rule", object_id=rule.id, before=rule_audit(rule))
    db.session.delete(rule)


def rule_dict(rule) -> dict:
    return {"id": rule.id, **rule_audit(rule)}
