"""What a store sells: products, their variants (one SKU each) and how they are grouped.

Prices and costs are integer minor units in the store's currency. A variant's ``price`` is
the catalog's list price: the pricing plugin, when enabled, prices from its price lists and
falls back to it.
"""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopdesk.plugin import StoreScoped, Timestamps, UTCDateTime, db, touches

PRODUCT_STATUSES = ("draft", "active", "archived")
LOCALES = ("en", "zh_Hant", "zh_Hans")


class Category(StoreScoped, Timestamps, db.Model):
    """A node of the store's category tree (``parent_id`` None at the top)."""

    __tablename__ = "catalog_categories"
    __table_args__ = (sa.UniqueConstraint("store_id", "parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("catalog_categories.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[int] = mapped_column(default=0)

    parent: Mapped["Category | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Category"]] = relationship(back_populates="parent",
                                                      order_by="Category.position")


class Brand(StoreScoped, Timestamps, db.Model):
    __tablename__ = "catalog_brands"
    __table_args__ = (sa.UniqueConstraint("store_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))


class Tag(StoreScoped, Timestamps, db.Model):
    __tablename__ = "catalog_tags"
    __table_args__ = (sa.UniqueConstraint("store_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))


class ProductTag(StoreScoped, db.Model):
    __tablename__ = "catalog_product_tags"

    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("catalog_products.id", ondelete="CASCADE"), primary_key=True)
    tag_id: Mapped[int] = mapped_column(
        sa.ForeignKey("catalog_tags.id", ondelete="CASCADE"), primary_key=True, index=True)


class Product(StoreScoped, Timestamps, db.Model):
    """A thing the store sells; what is stocked and priced is each of its variants.

    ``name`` and ``description`` (Markdown) are in the store's own language; other
    languages live in :class:`ProductTranslation`. ``option_axes`` lists the variant axes
    (``["size", "colour"]``). ``evidence`` keeps the selection evidence of the candidate it
    was promoted from.
    """

    __tablename__ = "catalog_products"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(10), default="draft", index=True)
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("catalog_categories.id", ondelete="SET NULL"), index=True)
    brand_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("catalog_brands.id", ondelete="SET NULL"), index=True)
    option_axes: Mapped[list] = mapped_column(sa.JSON, default=list)
    evidence: Mapped[dict | None] = mapped_column(sa.JSON)

    category: Mapped[Category | None] = relationship()
    brand: Mapped[Brand | None] = relationship()
    variants: Mapped[list["Variant"]] = relationship(
        back_populates="product", order_by="Variant.position, Variant.id",
        cascade="all, delete-orphan")
    tags: Mapped[list[Tag]] = relationship(secondary="catalog_product_tags", order_by=Tag.name,
                                           viewonly=True)
    translations: Mapped[list["ProductTranslation"]] = relationship(
        back_populates="product", cascade="all, delete-orphan")


class ProductTranslation(StoreScoped, db.Model):
    """A product's name and Markdown description in one more language."""

    __tablename__ = "catalog_product_translations"
    __table_args__ = (sa.UniqueConstraint("product_id", "locale"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("catalog_products.id", ondelete="CASCADE"), index=True)
    locale: Mapped[str] = mapped_column(sa.String(10))
    name: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")

    product: Mapped[Product] = relationship(back_populates="translations")


class Variant(StoreScoped, Timestamps, db.Model):
    """One sellable, stockable unit: a SKU, unique in its store.

    ``options`` holds the variant's value on each of the product's axes
    (``{"size": "M", "colour": "navy"}``). Weight in grams, dimensions in millimetres.
    """

    __tablename__ = "catalog_variants"
    __table_args__ = (sa.UniqueConstraint("store_id", "sku", name="uq_catalog_variants_store_sku"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("catalog_products.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(sa.String(64))
    barcode: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    options: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    price: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    unit_cost: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    weight_g: Mapped[int | None] = mapped_column()
    length_mm: Mapped[int | None] = mapped_column()
    width_mm: Mapped[int | None] = mapped_column()
    height_mm: Mapped[int | None] = mapped_column()
    position: Mapped[int] = mapped_column(default=0)

    product: Mapped[Product] = relationship(back_populates="variants")

    def __repr__(self):
        return f"<Variant {self.sku}>"


class ProductImage(StoreScoped, Timestamps, db.Model):
    """A product picture stored in the instance media folder, with its thumbnail and alt text."""

    __tablename__ = "catalog_product_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("catalog_products.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    thumbnail: Mapped[str] = mapped_column(sa.String(200))
    content_type: Mapped[str] = mapped_column(sa.String(50))
    width: Mapped[int] = mapped_column()
    height: Mapped[int] = mapped_column()
    alt: Mapped[str] = mapped_column(sa.String(300), default="")
    position: Mapped[int] = mapped_column(default=0)


CANDIDATE_STATUSES = ("open", "promoted", "rejected")


class Candidate(StoreScoped, Timestamps, db.Model):
    """A product the store might list, with the evidence for listing it.

    Demand in units per month, search interest 0-100, feedback rating 0-5 over
    ``feedback_count`` reviews, costs and prices in minor units. None means the evidence is
    missing (not zero): the score handles it by the store's documented rule. The score is computed
    from these and the store's weights (see the selection package), never stored, so changing a
    weight re-ranks every candidate at once.
    """

    __tablename__ = "catalog_candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("catalog_categories.id", ondelete="SET NULL"), index=True)
    supplier: Mapped[str] = mapped_column(sa.String(200), default="")
    expected_demand: Mapped[int | None] = mapped_column()
    search_interest: Mapped[int | None] = mapped_column()
    feedback_rating: Mapped[Decimal | None] = mapped_column(sa.Numeric(3, 2))
    feedback_count: Mapped[int] = mapped_column(default=0)
    supplier_cost: Mapped[int | None] = mapped_column(sa.BigInteger)
    competitor_price: Mapped[int | None] = mapped_column(sa.BigInteger)
    target_price: Mapped[int | None] = mapped_column(sa.BigInteger)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    status: Mapped[str] = mapped_column(sa.String(10), default="open", index=True)
    rejected_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    product_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("catalog_products.id", ondelete="SET NULL"))


IMPORT_STATUSES = ("queued", "running", "done", "failed")


class ImportRun(StoreScoped, Timestamps, db.Model):
    """One import of a product file: dry run or real, its progress and every bad row.

    ``errors`` is a list of ``{"line": 12, "field": "price", "message": "..."}``.
    ``mode`` is ``all_or_nothing`` (any bad row writes nothing) or ``valid_rows``.
    ``create_categories``: an unknown category path is created (True) or the row refused.
    ``summary`` counts what was (or, for a dry run, would be) written: products created and
    updated, variants created and updated.
    """

    __tablename__ = "catalog_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(255))
    stored_path: Mapped[str] = mapped_column(sa.String(500))
    file_format: Mapped[str] = mapped_column(sa.String(10))
    mode: Mapped[str] = mapped_column(sa.String(20), default="all_or_nothing")
    dry_run: Mapped[bool] = mapped_column(default=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="queued", index=True)
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    written_rows: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list] = mapped_column(sa.JSON, default=list)
    message: Mapped[str] = mapped_column(sa.Text, default="")
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    create_categories: Mapped[bool] = mapped_column(default=True)
    summary: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# What a storefront syncs by ``updated_since``: indexed per store, and a product changes with its parts.
for _model in (Category, Brand, Tag, Product, Variant):
    sa.Index(f"ix_{_model.__tablename__}_store_updated", _model.store_id, _model.updated_at)
for _part in (Variant, ProductTranslation, ProductTag, ProductImage):
    touches(_part, Product, "product_id")
