"""What pricing stores: price lists and their prices, rules, approvals and competitor prices.

Prices are integer minor units in the list's currency; unit costs come from the catalog
variant, in the store's currency. Every timestamp is UTC.
"""

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopdesk.db import StoreScoped, Timestamps, UTCDateTime, db
from shopdesk_catalog import public as catalog

COST_PLUS_SCOPES = ("all", "category", "brand", "tag")
COST_PLUS_MODES = ("base", "floor")
CHANGE_STATUSES = ("pending_approval", "scheduled", "active", "done", "rejected", "cancelled")
APPROVAL_STATUSES = ("pending", "approved", "rejected", "withdrawn")
APPROVAL_KINDS = ("list_price", "scheduled", "catalog_price")


class PriceList(StoreScoped, Timestamps, db.Model):
    """A set of prices for one currency, optionally for one customer group, valid for a while.

    When several lists have a variant, the resolution rule in engine.py picks one.
    """

    __tablename__ = "pricing_lists"
    __table_args__ = (sa.UniqueConstraint("store_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    currency: Mapped[str] = mapped_column(sa.String(3))
    customer_group: Mapped[str | None] = mapped_column(sa.String(60))
    priority: Mapped[int] = mapped_column(default=0)
    valid_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    valid_to: Mapped[datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(default=True)

    items: Mapped[list["PriceListItem"]] = relationship(
        back_populates="price_list", cascade="all, delete-orphan", passive_deletes=True)
    volume_breaks: Mapped[list["VolumeBreak"]] = relationship(
        back_populates="price_list", cascade="all, delete-orphan", passive_deletes=True,
        order_by="VolumeBreak.min_quantity")


class PriceListItem(StoreScoped, Timestamps, db.Model):
    """One variant's price in a list from ``min_quantity`` units on (tiers: 1, 10, 50...)."""

    __tablename__ = "pricing_list_items"
    # (store_id, variant_id): the engine's lookup; with the tenant filter's store_id an index on
    # variant_id alone loses to the store_id index on SQLite, which then reads every item.
    __table_args__ = (sa.UniqueConstraint("price_list_id", "variant_id", "min_quantity"),
                      sa.Index("ix_pricing_list_items_store_variant", "store_id", "variant_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    price_list_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pricing_lists.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(catalog.VARIANT_ID, ondelete="CASCADE"), index=True)
    min_quantity: Mapped[int] = mapped_column(default=1)
    price: Mapped[int] = mapped_column(sa.BigInteger)

    price_list: Mapped[PriceList] = relationship(back_populates="items")


class VolumeBreak(StoreScoped, db.Model):
    """A percentage off every price of a list from ``min_quantity`` units on."""

    __tablename__ = "pricing_volume_breaks"
    __table_args__ = (sa.UniqueConstraint("price_list_id", "min_quantity"),
                      sa.Index("ix_pricing_volume_breaks_store_list", "store_id", "price_list_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    price_list_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pricing_lists.id", ondelete="CASCADE"), index=True)
    min_quantity: Mapped[int] = mapped_column()
    discount_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))

    price_list: Mapped[PriceList] = relationship(back_populates="volume_breaks")


class ScheduledChange(StoreScoped, Timestamps, db.Model):
    """A list price that takes effect at ``starts_at`` (and is undone at ``ends_at``).

    The ``pricing.apply_scheduled`` job moves it scheduled → active (→ done when it ends);
    ``previous_price`` keeps what it replaced (None: the variant had no such price).
    """

    __tablename__ = "pricing_scheduled_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    price_list_id: Mapped[int] = mapped_column(
        sa.ForeignKey("pricing_lists.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(catalog.VARIANT_ID, ondelete="CASCADE"), index=True)
    min_quantity: Mapped[int] = mapped_column(default=1)
    new_price: Mapped[int] = mapped_column(sa.BigInteger)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(20), default="scheduled", index=True)
    previous_price: Mapped[int | None] = mapped_column(sa.BigInteger)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(sa.String(300), default="")

    price_list: Mapped[PriceList] = relationship()


class CostPlusRule(StoreScoped, Timestamps, db.Model):
    """Unit cost plus ``markup_percent``, for the variants in scope.

    ``base`` rules price variants that no list prices (before the catalog price fallback);
    ``floor`` rules raise any base price that is lower than cost plus markup.
    """

    __tablename__ = "pricing_cost_plus_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(10), default="all")
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(catalog.CATEGORY_ID, ondelete="CASCADE"), index=True)
    brand_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(catalog.BRAND_ID, ondelete="CASCADE"), index=True)
    tag_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(catalog.TAG_ID, ondelete="CASCADE"), index=True)
    markup_percent: Mapped[Decimal] = mapped_column(sa.Numeric(7, 2))
    mode: Mapped[str] = mapped_column(sa.String(10), default="base")
    active: Mapped[bool] = mapped_column(default=True)


class PriceApproval(StoreScoped, Timestamps, db.Model):
    """A price below the margin guard's minimum, waiting for someone else to approve it."""

    __tablename__ = "pricing_approvals"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    price_list_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("pricing_lists.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(catalog.VARIANT_ID, ondelete="CASCADE"), index=True)
    min_quantity: Mapped[int] = mapped_column(default=1)
    scheduled_change_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("pricing_scheduled_changes.id", ondelete="CASCADE"), index=True)
    old_price: Mapped[int | None] = mapped_column(sa.BigInteger)
    new_price: Mapped[int] = mapped_column(sa.BigInteger)
    unit_cost: Mapped[int] = mapped_column(sa.BigInteger)
    minimum_price: Mapped[int] = mapped_column(sa.BigInteger)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending", index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    requested_by: Mapped[str] = mapped_column(sa.String(255), default="")
    decided_by: Mapped[str] = mapped_column(sa.String(255), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    price_list: Mapped[PriceList | None] = relationship()


class CompetitorPrice(StoreScoped, Timestamps, db.Model):
    """What a competitor asked for one of our SKUs when we looked."""

    __tablename__ = "pricing_competitor_prices"
    __table_args__ = (sa.Index("ix_pricing_competitor_prices_store_variant", "store_id", "variant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(catalog.VARIANT_ID, ondelete="CASCADE"), index=True)
    competitor: Mapped[str] = mapped_column(sa.String(120))
    price: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source_url: Mapped[str] = mapped_column(sa.String(500), default="")


IMPORT_STATUSES = ("queued", "running", "done", "failed")


class CompetitorImport(StoreScoped, Timestamps, db.Model):
    """A competitor price file too big for one request, waiting for or being imported by the
    background job. ``processed_rows`` of ``total_rows`` checked so far (the progress bar);
    ``errors`` the bad rows (line, field, message) of a failed run, which wrote nothing."""

    __tablename__ = "pricing_competitor_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(sa.String(255), default="")
    csv: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default="queued", index=True)
    total_rows: Mapped[int] = mapped_column(default=0)
    processed_rows: Mapped[int] = mapped_column(default=0)
    written_rows: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list] = mapped_column(sa.JSON, default=list)
    requested_by: Mapped[str] = mapped_column(sa.String(255), default="")
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# What a storefront syncs by ``updated_since``: indexed per store.
for _model in (PriceList, PriceListItem, ScheduledChange, PriceApproval):
    sa.Index(f"ix_{_model.__tablename__}_store_updated", _model.store_id, _model.updated_at)
