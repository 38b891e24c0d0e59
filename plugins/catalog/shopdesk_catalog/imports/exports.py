"""Exporting the store's products: one row per variant, in the columns the importer reads,
so an exported file imports back unchanged (and is the easiest template to start from).

Built from five queries whatever the size (products, variants, categories, tags,
translations); streamed into the file writer.
"""

from typing import Iterator

import sqlalchemy as sa

from shopdesk.plugin import audit, db

from ..models import Brand, Category, Product, ProductTag, ProductTranslation, Tag, Variant
from ..schemas import may_see_costs
from . import values
from .files import write_csv, write_xlsx
from .rows import COLUMNS, TRANSLATED


def export_rows(status: str | None = None, currency: str = "USD") -> Iterator[list]:
    """The header, then one row per variant (products by id, variants in their order)."""
    products_q = sa.select(Product.id, Product.name, Product.status, Product.category_id, Product.brand_id,
                           Product.description, Product.option_axes).order_by(Product.id)
    if status:
        products_q = products_q.where(Product.status == status)
    products = {row.id: row for row in db.session.execute(products_q)}
    categories = _category_paths()
    brands = {bid: name for bid, name in db.session.execute(sa.select(Brand.id, Brand.name))}
    tags: dict[int, list[str]] = {}
    for pid, name in db.session.execute(sa.select(ProductTag.product_id, Tag.name)
                                        .join(Tag, Tag.id == ProductTag.tag_id).order_by(Tag.name)):
        tags.setdefault(pid, []).append(name)
    translations: dict[int, dict] = {}
    for pid, locale, name, description in db.session.execute(
            sa.select(ProductTranslation.product_id, ProductTranslation.locale, ProductTranslation.name,
                      ProductTranslation.description)):
        translations.setdefault(pid, {})[locale] = (name, description or "")

    yield list(COLUMNS)
    costs = may_see_costs()  # else the column stays empty, and importing the file back keeps the costs
    variants = db.session.execute(
        sa.select(Variant.product_id, Variant.sku, Variant.barcode, Variant.options, Variant.price,
                  Variant.unit_cost, Variant.weight_g, Variant.length_mm, Variant.width_mm, Variant.height_mm)
        .order_by(Variant.product_id, Variant.position, Variant.id))
    for v in variants:
        product = products.get(v.product_id)
        if product is None:
            continue
        translated = translations.get(product.id, {})
        row = [
            product.name, product.status,
            values.format_category_path(categories[product.category_id]) if product.category_id else "",
            brands.get(product.brand_id, "") if product.brand_id else "",
            values.LIST_SEPARATOR.join(tags.get(product.id, [])),
            v.sku, v.barcode or "", values.format_options(v.options or {}, product.option_axes or []),
            values.format_money(v.price, currency), values.format_money(v.unit_cost, currency) if costs else "",
            "" if v.weight_g is None else v.weight_g,
            values.format_dimensions(v.length_mm, v.width_mm, v.height_mm),
            product.description or "",
        ]
        for locale in TRANSLATED:
            name, description = translated.get(locale, ("", ""))
            row += [name, description]
        yield row


def _category_paths() -> dict[int, tuple]:
    parents = {cid: (parent, name) for cid, parent, name in
               db.session.execute(sa.select(Category.id, Category.parent_id, Category.name))}
    paths: dict[int, tuple] = {}

    def path(cid):
        if cid not in paths:
            parent, name = parents[cid]
            paths[cid] = (name,) if parent is None else (*path(parent), name)
        return paths[cid]

    for cid in parents:
        path(cid)
    return paths


def export(out, file_format: str, currency: str, status: str | None = None) -> int:
    """Write the store's products to the binary stream ``out``; audited; returns the variant count."""
    counted = [0]

    def rows():
        for index, row in enumerate(export_rows(status, currency)):
            counted[0] = index
            yield row

    (write_csv if file_format == "csv" else write_xlsx)(rows(), out)
    audit.record("catalog.export", object_type="export", object_id=file_format,
                 after={"format": file_format, "rows": counted[0], "status": status or "all"})
    return counted[0]
