"""What other plugins may use from the catalog, and the only module of it they import.

A plugin that lists ``catalog`` in its manifest's ``requires`` imports ``shopdesk_catalog.public``
and nothing else of ``shopdesk_catalog`` (``tests/test_plugin_boundaries.py`` fails otherwise),
so the catalog can change inside without breaking it. It offers:

* reads of variants, products, categories, brands and tags, by id, by SKU and for display;
* the foreign-key targets other plugins' tables point at (``VARIANT_ID``, ...);
* read-only model classes, for queries that must join catalog tables;
* the writes another plugin needs, which keep the catalog's rules and emit its events.

Every read runs in the current store: the tenant filter keeps the rows the store's own.
"""

from typing import Iterable, NamedTuple

import sqlalchemy as sa

from shopdesk.plugin import db

from . import models, products, taxonomy
from .events import emit_product
# Reading CSV and XLSX files the way the catalog's import does: ``format_of(filename)`` → "csv" or
# "xlsx", ``read_rows(source, file_format)`` → rows of cells; both raise ``UnreadableFile``.
from .imports.files import UnreadableFile, format_of, read_rows

__all__ = [
    # foreign-key targets and values
    "BRAND_ID", "CATEGORY_ID", "TAG_ID", "VARIANT_ID", "PRODUCT_STATUSES", "SELLABLE_STATUS",
    # read-only models
    "Brand", "Category", "Product", "ProductTag", "Tag", "Variant",
    # variants
    "VariantFacts", "all_variants", "get_variant", "product_names_by_variant", "skus_by_id", "some_variants",
    "variant_ids_by_sku", "variant_with_sku", "variants_by_sku", "variants_with_ids", "variants_with_skus",
    # categories, brands, tags
    "brands", "categories", "category_and_below", "category_ids_by_product", "category_names",
    "category_parents", "get_brand", "get_category", "get_tag", "tags",
    # writes
    "create_product", "set_variant_price", "set_variant_prices",
    # reading files
    "UnreadableFile", "format_of", "read_rows",
]

PRODUCT_STATUSES = models.PRODUCT_STATUSES
SELLABLE_STATUS = "active"  # draft products are not published yet, archived ones no longer are

# --- foreign-key targets: ``sa.ForeignKey(catalog.VARIANT_ID, ondelete="CASCADE")`` --------------

VARIANT_ID = f"{models.Variant.__tablename__}.id"
CATEGORY_ID = f"{models.Category.__tablename__}.id"
BRAND_ID = f"{models.Brand.__tablename__}.id"
TAG_ID = f"{models.Tag.__tablename__}.id"

# --- read-only models, for queries that join catalog tables ---------------------------------------

Variant = models.Variant
"""Read-only: join, filter and read (``Variant.sku``, ``Variant.price``, ``variant.product``);
never add, change or delete one: write through the functions below (:func:`set_variant_price`)."""

Product = models.Product
"""Read-only: join and filter (``Product.status``, ``Product.category_id``); write through
:func:`create_product`."""

Category = models.Category
"""Read-only: the category tree (``parent_id`` is None at the top)."""

Brand = models.Brand
"""Read-only."""

Tag = models.Tag
"""Read-only."""

ProductTag = models.ProductTag
"""Read-only: which tags a product has (``product_id``, ``tag_id``)."""


# --- variants ------------------------------------------------------------------------------------


def get_variant(variant_id: int) -> Variant | None:
    """The variant with this id in the current store, or None (no query when already loaded)."""
    return db.session.get(Variant, variant_id)


def variant_with_sku(sku: str) -> Variant | None:
    """The variant with this SKU in the current store, or None."""
    return db.session.scalar(sa.select(Variant).filter_by(sku=sku))


def variants_with_skus(skus: Iterable[str]) -> dict[str, Variant]:
    """SKU → variant for the SKUs that exist, in one query; unknown SKUs are left out."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    return {v.sku: v for v in db.session.scalars(sa.select(Variant).where(Variant.sku.in_(wanted)))}


def all_variants() -> list[Variant]:
    """Every variant of the store, for a report over the whole catalog."""
    return list(db.session.scalars(sa.select(Variant)))


def variants_with_ids(ids: Iterable[int]) -> dict[int, Variant]:
    """Id → variant for the ids that exist in the current store, in one query."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {v.id: v for v in db.session.scalars(sa.select(Variant).where(Variant.id.in_(wanted)))}


def variant_ids_by_sku(skus: Iterable[str]) -> dict[str, int]:
    """SKU → variant id for the SKUs that exist, in one query."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    return dict(db.session.execute(sa.select(Variant.sku, Variant.id).where(Variant.sku.in_(wanted))).all())


def skus_by_id(ids: Iterable[int] | None = None) -> dict[int, str]:
    """Variant id → SKU, to show next to rows that keep a variant id; every variant of the
    store when ``ids`` is None."""
    query = sa.select(Variant.id, Variant.sku)
    if ids is not None:
        query = query.where(Variant.id.in_(sorted(set(ids))))
    return dict(db.session.execute(query).all())


def product_names_by_variant(variant_ids: Iterable[int]) -> dict[int, str]:
    """Variant id → its product's name (in the store's language), for display."""
    return dict(db.session.execute(
        sa.select(Variant.id, Product.name).join(Product, Product.id == Variant.product_id)
        .where(Variant.id.in_(sorted(set(variant_ids))))).all())


def some_variants(limit: int, *, priced: bool = False, sellable: bool = False) -> list[Variant]:
    """The store's first variants by id, for demo data: ``priced`` ones have a list price above
    zero, ``sellable`` ones belong to an active product."""
    query = sa.select(Variant).order_by(Variant.id).limit(limit)
    if priced:
        query = query.where(Variant.price > 0)
    if sellable:
        query = query.join(Product, Product.id == Variant.product_id).where(Product.status == SELLABLE_STATUS)
    return list(db.session.scalars(query))


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


# --- categories, brands, tags --------------------------------------------------------------------


def get_category(category_id: int) -> Category | None:
    """The category with this id in the current store, or None."""
    return db.session.get(Category, category_id)


def get_brand(brand_id: int) -> Brand | None:
    """The brand with this id in the current store, or None."""
    return db.session.get(Brand, brand_id)


def get_tag(tag_id: int) -> Tag | None:
    """The tag with this id in the current store, or None."""
    return db.session.get(Tag, tag_id)


def categories() -> list[Category]:
    """Every category of the store by name, to choose one in a form."""
    return list(db.session.scalars(sa.select(Category).order_by(Category.name)))


def brands() -> list[Brand]:
    """Every brand of the store by name, to choose one in a form."""
    return list(db.session.scalars(sa.select(Brand).order_by(Brand.name)))


def tags() -> list[Tag]:
    """Every tag of the store by name, to choose one in a form."""
    return list(db.session.scalars(sa.select(Tag).order_by(Tag.name)))


def category_ids_by_product(product_ids: Iterable[int]) -> dict[int, int | None]:
    """Product id → its category's id (None when it has none)."""
    return dict(db.session.execute(sa.select(Product.id, Product.category_id)
                                   .where(Product.id.in_(sorted(set(product_ids))))).all())


def category_names() -> dict[int, str]:
    """Category id → name, for display."""
    return dict(db.session.execute(sa.select(Category.id, Category.name)).all())


def category_parents() -> dict[int, int | None]:
    """Category id → its parent's id (None at the top): the whole tree in one query."""
    return dict(db.session.execute(sa.select(Category.id, Category.parent_id)).all())


def category_and_below(category_id: int) -> set[int]:
    """The category's id and its sub-categories' ids, all the way down: what "in Apparel"
    means on the catalog's own pages."""
    return taxonomy.descendant_ids(category_id)


# --- writes: the catalog's rules, audit entries and events ---------------------------------------


def create_product(data: dict) -> Product:
    """Create a product with its variants, as the catalog's API would (the same input: ``name``,
    ``status``, ``variants`` with ``sku``, ``price``, ``unit_cost``...): audited, emits
    ``product.created``. Raises ``ValueError`` (the catalog's refusal, naming the field) and
    writes nothing when refused; the caller commits."""
    return products.create_product(data)


def set_variant_price(variant: Variant, price_minor: int) -> bool:
    """Change a variant's list price (minor units of the store's currency) and emit the
    catalog's ``product.updated``, as a price changed on the product page would. The caller
    audits why, and commits. True if the price changed."""
    return bool(set_variant_prices([(variant, price_minor)]))


def set_variant_prices(prices: Iterable[tuple[Variant, int]]) -> dict[int, int]:
    """Change many list prices at once: one ``product.updated`` per product, however many of
    its variants changed. Returns variant id → the price it replaced, for those that changed."""
    replaced, changed_products = {}, {}
    for variant, price in prices:
        if variant.price == price:
            continue
        replaced[variant.id] = variant.price
        variant.price = price
        changed_products[variant.product_id] = variant.product
    for product in changed_products.values():
        emit_product("product.updated", product)
    return replaced

