"""Inventory tables: warehouses, stock levels, the stock move ledger, reservations,
transfers, count sessions, lead-time overrides and the dedupe rows of the slow-mover event.

A stock level's ``on_hand`` is a running total of its moves; the moves are the truth and are
never changed or deleted (``shopdesk inventory verify`` recomputes levels from them).
``reserved`` equals the open quantity of the level's active reservations. Two CHECK
constraints make a negative availability impossible in the database itself.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopdesk.db import StoreScoped, Timestamps, UTCDateTime, db, utcnow
from shopdesk_catalog import public as catalog

MOVE_KINDS = ("receipt", "shipment", "adjustment", "transfer_out", "transfer_in", "count_variance", "return")
RESERVATION_STATUSES = ("active", "released", "consumed", "expired")
TRANSFER_STATUSES = ("draft", "in_transit", "received", "cancelled")
COUNT_STATUSES = ("open", "submitted", "approved", "cancelled")
COUNT_SCOPES = ("warehouse", "category", "abc")


class Warehouse(StoreScoped, Timestamps, db.Model):
    """A place that holds stock. Lower ``priority`` is tried first by the priority rule."""

    __tablename__ = "inventory_warehouses"
    __table_args__ = (sa.UniqueConstraint("store_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(120))
    priority: Mapped[int] = mapped_column(default=100)
    active: Mapped[bool] = mapped_column(default=True)

    bins: Mapped[list["BinLocation"]] = relationship(back_populates="warehouse", order_by="BinLocation.code")


class BinLocation(StoreScoped, db.Model):
    """An optional shelf or bin inside a warehouse; a stock level may name its usual bin."""

    __tablename__ = "inventory_bins"
    __table_args__ = (sa.UniqueConstraint("warehouse_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inventory_warehouses.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40))

    warehouse: Mapped[Warehouse] = relationship(back_populates="bins")


class StockLevel(StoreScoped, db.Model):
    """What one warehouse holds of one variant. Changed only by conditional UPDATEs.

    ``reorder_point`` is the last computed one (see replenishment); ``low_alerted`` is set
    when ``stock.low`` was emitted and cleared when availability recovers, so the event is
    sent once per crossing.
    """

    __tablename__ = "inventory_stock_levels"
    __table_args__ = (
        sa.UniqueConstraint("variant_id", "warehouse_id"),
        sa.CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        sa.CheckConstraint("on_hand >= reserved", name="available_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(catalog.VARIANT_ID, ondelete="RESTRICT"), index=True)
    warehouse_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inventory_warehouses.id", ondelete="RESTRICT"), index=True)
    bin_id: Mapped[int | None] = mapped_column(sa.ForeignKey("inventory_bins.id", ondelete="SET NULL"))
    on_hand: Mapped[int] = mapped_column(default=0, server_default="0")
    reserved: Mapped[int] = mapped_column(default=0, server_default="0")
    reorder_point: Mapped[int | None] = mapped_column()
    low_alerted: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Moved by every UPDATE, the conditional Core ones included (a column ``onupdate``), so a
    # storefront syncs availability with ``updated_since``.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    warehouse: Mapped[Warehouse] = relationship()

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMove(StoreScoped, db.Model):
    """One immutable change of on-hand stock: signed ``quantity`` (+ in, − out).

    ``reference`` names the source document (``order:42``, ``transfer:7``, ``count:3``);
    ``unit_cost`` is the variant's cost when the move was posted (minor units), for
    turnover and variance values.
    """

    __tablename__ = "inventory_moves"
    __table_args__ = (sa.Index("ix_inventory_moves_kind_created", "store_id", "kind", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(catalog.VARIANT_ID, ondelete="RESTRICT"), index=True)
    warehouse_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inventory_warehouses.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    quantity: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.String(40), default="")
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    reference: Mapped[str] = mapped_column(sa.String(120), default="", index=True)
    unit_cost: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    user_email: Mapped[str] = mapped_column(sa.String(255), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reservation(StoreScoped, Timestamps, db.Model):
    """Stock held for a document until it ships, is released or expires.

    ``quantity`` is what was reserved, ``open_quantity`` what is still held (shipping part
    of it lowers it). The level's ``reserved`` is the sum of its active rows' open quantity.
    """

    __tablename__ = "inventory_reservations"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(120), index=True)
    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(catalog.VARIANT_ID, ondelete="RESTRICT"), index=True)
    warehouse_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inventory_warehouses.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int] = mapped_column()
    open_quantity: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(10), default="active", index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class Transfer(StoreScoped, Timestamps, db.Model):
    """Stock moving between two warehouses: draft → in_transit → received (or cancelled)."""

    __tablename__ = "inventory_transfers"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_warehouse_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inventory_warehouses.id", ondelete="RESTRICT"), index=True)
    to_warehouse_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inventory_warehouses.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(sa.String(12), default="draft", index=True)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by: Mapped[str] = mapped_column(sa.String(255), default="")
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    from_warehouse: Mapped[Warehouse] = relationship(foreign_keys=[from_warehouse_id])
    to_warehouse: Mapped[Warehouse] = relationship(foreign_keys=[to_warehouse_id])
    lines: Mapped[list["TransferLine"]] = relationship(
        back_populates="transfer", order_by="TransferLine.id", cascade="all, delete-orphan")


class TransferLine(StoreScoped, db.Model):
    __tablename__ = "inventory_transfer_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    transfer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inventory_transfers.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(catalog.VARIANT_ID, ondelete="RESTRICT"), index=True)
    quantity: Mapped[int] = mapped_column()
    received_quantity: Mapped[int] = mapped_column(default=0)

    transfer: Mapped[Transfer] = relationship(back_populates="lines")


class CountSession(StoreScoped, Timestamps, db.Model):
    """A cycle count of one warehouse, optionally narrowed to a category or an ABC class.

    open (counting) → submitted (by the counter) → approved (variances posted, by someone
    else holding ``inventory.approve``) or cancelled. ``blind`` hides expected quantities.
    """

    __tablename__ = "inventory_count_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inventory_warehouses.id", ondelete="RESTRICT"), index=True)
    scope: Mapped[str] = mapped_column(sa.String(10), default="warehouse")
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey(catalog.CATEGORY_ID, ondelete="SET NULL"))
    abc_class: Mapped[str | None] = mapped_column(sa.String(1))
    blind: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(sa.String(10), default="open", index=True)
    created_by: Mapped[str] = mapped_column(sa.String(255), default="")
    counted_by: Mapped[str] = mapped_column(sa.String(255), default="")
    approved_by: Mapped[str] = mapped_column(sa.String(255), default="")
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    warehouse: Mapped[Warehouse] = relationship()
    lines: Mapped[list["CountLine"]] = relationship(
        back_populates="session", order_by="CountLine.id", cascade="all, delete-orphan")


class CountLine(StoreScoped, db.Model):
    """One SKU on a count sheet: what the books said when the count started, what was found."""

    __tablename__ = "inventory_count_lines"
    __table_args__ = (sa.UniqueConstraint("session_id", "variant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inventory_count_sessions.id", ondelete="CASCADE"), index=True)
    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(catalog.VARIANT_ID, ondelete="RESTRICT"), index=True)
    expected: Mapped[int] = mapped_column()
    counted: Mapped[int | None] = mapped_column()
    unit_cost: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    session: Mapped[CountSession] = relationship(back_populates="lines")

    @property
    def variance(self) -> int | None:
        return None if self.counted is None else self.counted - self.expected


class LeadTime(StoreScoped, db.Model):
    """A per-SKU supplier lead time in days, overriding the store default."""

    __tablename__ = "inventory_lead_times"
    __table_args__ = (sa.UniqueConstraint("store_id", "variant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(catalog.VARIANT_ID, ondelete="CASCADE"), index=True)
    days: Mapped[int] = mapped_column()


class SlowMoverNotice(StoreScoped, db.Model):
    """``stock.slow_moving`` was emitted for this variant in this period (``2026-11``)."""

    __tablename__ = "inventory_slow_notices"
    __table_args__ = (sa.UniqueConstraint("store_id", "variant_id", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(
        sa.ForeignKey(catalog.VARIANT_ID, ondelete="CASCADE"), index=True)
    period: Mapped[str] = mapped_column(sa.String(7))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# What a storefront or a warehouse system syncs by ``updated_since``: indexed per store.
for _model in (Warehouse, StockLevel, Reservation, Transfer, CountSession):
    sa.Index(f"ix_{_model.__tablename__}_store_updated", _model.store_id, _model.updated_at)
