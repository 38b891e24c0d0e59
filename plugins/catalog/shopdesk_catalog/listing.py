"""Finding products: the search, filters and sort the product list and the API share."""

import sqlalchemy as sa

from .models import Product, ProductImage, ProductTag, ProductTranslation, Variant
from .taxonomy import descendant_ids

SORTS = ["name", "status", "created_at", "updated_at", "id"]
SORT_COLUMNS = {"name": Product.name, "status": Product.status, "created_at": Product.created_at,
                "updated_at": Product.updated_at, "id": Product.id}


def product_query(filters: dict):
    """A select of products matching ``filters``: ``q`` (name in any language, SKU or barcode),
    ``status``, ``category_id`` (with its sub-categories), ``brand_id``, ``tag_id``,
    ``without_images``."""
    query = sa.select(Product)
    text = (filters.get("q") or "").strip()
    if text:
        pattern = f"%{text.lower()}%"
        in_variants = sa.select(Variant.product_id).where(
            sa.or_(sa.func.lower(Variant.sku).like(pattern), Variant.barcode == text))
        in_translations = sa.select(ProductTranslation.product_id).where(
            sa.func.lower(ProductTranslation.name).like(pattern))
        query = query.where(sa.or_(sa.func.lower(Product.name).like(pattern), Product.id.in_(in_variants),
                                   Product.id.in_(in_translations)))
    if filters.get("status"):
        query = query.where(Product.status == filters["status"])
    if filters.get("category_id"):
        query = query.where(Product.category_id.in_(descendant_ids(filters["category_id"])))
    if filters.get("brand_id"):
        query = query.where(Product.brand_id == filters["brand_id"])
    if filters.get("tag_id"):
        query = query.where(Product.id.in_(
            sa.select(ProductTag.product_id).where(ProductTag.tag_id == filters["tag_id"])))
    if filters.get("without_images"):
        query = query.where(~Product.id.in_(sa.select(ProductImage.product_id)))
    return query
