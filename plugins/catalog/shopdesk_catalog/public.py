"""What other plugins may rely on from the catalog: plain values, kept stable.

Plugins that require ``catalog`` read its variants through this module instead of its
models and tables, so the catalog can change inside without breaking them. Every function
runs in the current store (the tenant filter keeps the rows the store's own).
"""

from typing import NamedTuple

import sqlalchemy as sa

from shopdesk.db import db

from .models import PRODUCT_STATUSES, Product, Variant

__all__ = ["PRODUCT_STATUSES", "SELLABLE_STATUS", "VariantFacts", "variants_by_sku"]

SELLABLE_STATUS = "active"  # draft products are not published yet, archived ones no longer are


class VariantFacts(NamedTuple):
    """A variant as a sale needs it: ids, list price, unit cost and its product's status."""

    id: int
    sku: str
    price: int
    unit_cost: int | None
    options: dict
    product_id: int
    product_name: str
    product_status: str

    @property
    def display_name(self) -> str:
        options = " / ".join(str(v) for v in (self.options or {}).values())
        return f"{self.product_name} ({options})" if options else self.product_name

    @property
    def sellable(self) -> bool:
        return self.product_status == SELLABLE_STATUS


def variants_by_sku(skus) -> dict[str, VariantFacts]:
    """SKU → :class:`VariantFacts` for the SKUs that exist in the current store, in one query."""
    wanted = set(skus)
    if not wanted:
        return {}
    query = (sa.select(Variant.id, Variant.sku, Variant.price, Variant.unit_cost, Variant.options,
                       Variant.product_id, Product.name, Product.status)
             .join(Product, Product.id == Variant.product_id).where(Variant.sku.in_(wanted)))
    return {row.sku: VariantFacts(*row) for row in db.session.execute(query)}
