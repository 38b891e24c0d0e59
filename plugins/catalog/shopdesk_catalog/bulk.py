"""Bulk actions over selected products: archive, add or remove a tag, change the category.

All or nothing: an id that is not a product of this store refuses the whole action, naming
the ids. Each product the action changes gets its own audit entry with before and after, and
its own event; products it would not change (already archived, already tagged) are left alone
and reported as unchanged.
"""

import sqlalchemy as sa

from shopdesk.plugin import db, utcnow

from . import taxonomy
from .errors import CatalogError
from .models import Product, ProductTag, Tag
from .products import record_update, product_snapshot

ACTIONS = ("archive", "add_tag", "remove_tag", "set_category")


def _products(ids: list[int]) -> list[Product]:
    if not ids:
        raise CatalogError("Select at least one product.", field="ids")
    wanted = list(dict.fromkeys(ids))
    found = {p.id: p for p in db.session.scalars(sa.select(Product).where(Product.id.in_(wanted)))}
    missing = [i for i in wanted if i not in found]
    if missing:
        raise CatalogError(f"No product with id {', '.join(map(str, missing))} in this store.", field="ids")
    return [found[i] for i in wanted]


def run(action: str, ids: list[int], *, tag: str | None = None, category_id: int | None = None) -> dict:
    """Apply ``action`` to the products ``ids``; returns ``{"changed": [...], "unchanged": [...]}``."""
    if action not in ACTIONS:
        raise CatalogError(f"Must be one of: {', '.join(ACTIONS)}.", field="action")
    products = _products(ids)
    if action in ("add_tag", "remove_tag"):
        if not (tag or "").strip():
            raise CatalogError("Name the tag.", field="tag")
        if action == "add_tag":
            target = taxonomy.tags_named([tag], field="tag")[0]
        else:
            target = db.session.scalar(sa.select(Tag).filter_by(name=tag.strip()))
            if target is None:
                raise CatalogError(f"No tag named '{tag.strip()}' in this store.", field="tag")
    if action == "set_category" and category_id is not None:
        taxonomy.get_category(category_id)
    changed, unchanged = [], []
    for product in products:
        before = product_snapshot(product)
        if action == "archive":
            product.status = "archived"
        elif action == "set_category":
            product.category_id = category_id
        else:
            has = target in product.tags
            if action == "add_tag" and not has:
                db.session.add(ProductTag(product_id=product.id, tag_id=target.id))
            elif action == "remove_tag" and has:
                db.session.execute(sa.delete(ProductTag).where(ProductTag.product_id == product.id,
                                                               ProductTag.tag_id == target.id))
                product.updated_at = utcnow()  # a bulk delete passes no flush: say it changed
            db.session.flush()
            db.session.expire(product, ["tags"])
        db.session.flush()
        if product_snapshot(product) == before:
            unchanged.append(product.id)
            continue
        record_update(product, before, action=f"catalog.product.bulk_{action}")
        changed.append(product.id)
    return {"action": action, "changed": changed, "unchanged": unchanged}
