"""The orders plugin's tables: orders and their lines, payments, refunds, shipments, returns,
complaints, risk scores and the timeline.

Money is integer minor units in the order's ``currency`` (the store's at intake). Buyer and
addresses are a snapshot taken at intake: a later change to a customer record never rewrites
an order that was already placed.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shopdesk.db import StoreScoped, Timestamps, UTCDateTime, db, touches, utcnow

CHANNELS = ("web", "marketplace", "pos", "manual")


class OrderCounter(StoreScoped, db.Model):
    """The last order number handed out in a store: one row, bumped by an atomic UPDATE."""

    __tablename__ = "orders_counters"
    __table_args__ = (sa.UniqueConstraint("store_id", name="uq_orders_counters_store"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int] = mapped_column(sa.BigInteger, default=1000)


class Order(StoreScoped, Timestamps, db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        sa.UniqueConstraint("store_id", "number", name="uq_orders_store_number"),
        sa.UniqueConstraint("store_id", "channel", "external_id", name="uq_orders_store_channel_external"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(40))
    channel: Mapped[str] = mapped_column(sa.String(20), index=True)
    external_id: Mapped[str | None] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(24), default="draft", index=True)
    payment_status: Mapped[str] = mapped_column(sa.String(24), default="unpaid")
    currency: Mapped[str] = mapped_column(sa.String(3))

    customer_name: Mapped[str] = mapped_column(sa.String(200), default="")
    customer_email: Mapped[str] = mapped_column(sa.String(255), default="", index=True)
    customer_phone: Mapped[str] = mapped_column(sa.String(50), default="")
    customer_group: Mapped[str | None] = mapped_column(sa.String(60))
    shipping_address: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    billing_address: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    note: Mapped[str] = mapped_column(sa.Text, default="")

    subtotal: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    discount_total: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    shipping_fee: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    tax_total: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    total: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    paid_total: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    refunded_total: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    discounts: Mapped[list] = mapped_column(sa.JSON, default=list)
    tax_lines: Mapped[list] = mapped_column(sa.JSON, default=list)
    warnings: Mapped[list] = mapped_column(sa.JSON, default=list)

    replaces_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"))
    placed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list["OrderLine"]] = relationship(
        back_populates="order", order_by="OrderLine.position", cascade="all, delete-orphan")
    payments: Mapped[list["Payment"]] = relationship(order_by="Payment.id", cascade="all, delete-orphan")
    refunds: Mapped[list["Refund"]] = relationship(order_by="Refund.id", cascade="all, delete-orphan")
    shipments: Mapped[list["Shipment"]] = relationship(
        back_populates="order", order_by="Shipment.id", cascade="all, delete-orphan")
    risk_scores: Mapped[list["OrderRisk"]] = relationship(order_by="OrderRisk.id", cascade="all, delete-orphan")
    timeline: Mapped[list["TimelineEntry"]] = relationship(
        order_by="TimelineEntry.id", cascade="all, delete-orphan")

    @property
    def balance_due(self) -> int:
        return max(0, self.total - self.paid_total)

    @property
    def refundable(self) -> int:
        return self.paid_total - self.refunded_total

    def __repr__(self):
        return f"<Order {self.number} {self.status}>"


class OrderLine(StoreScoped, db.Model):
    __tablename__ = "orders_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    sku: Mapped[str] = mapped_column(sa.String(64), index=True)
    name: Mapped[str] = mapped_column(sa.String(300), default="")
    variant_id: Mapped[int | None] = mapped_column()
    quantity: Mapped[int] = mapped_column()
    unit_price: Mapped[int] = mapped_column(sa.BigInteger)
    unit_cost: Mapped[int | None] = mapped_column(sa.BigInteger)
    discount: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # share of order discounts
    tax_rate: Mapped[str] = mapped_column(sa.String(12), default="0")  # percent, a decimal string
    tax: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    total: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # quantity x unit price
    price_trail: Mapped[list] = mapped_column(sa.JSON, default=list)
    allocations: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{"warehouse", "quantity"}]
    fulfilled_quantity: Mapped[int] = mapped_column(default=0)
    returned_quantity: Mapped[int] = mapped_column(default=0)

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def unfulfilled(self) -> int:
        return self.quantity - self.fulfilled_quantity


class Payment(StoreScoped, db.Model):
    __tablename__ = "orders_payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(sa.String(40))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    reference: Mapped[str] = mapped_column(sa.String(200), default="")
    paid_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(sa.String(255), default="")


class Refund(StoreScoped, db.Model):
    __tablename__ = "orders_refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    return_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders_returns.id", ondelete="SET NULL"))
    amount: Mapped[int] = mapped_column(sa.BigInteger)
    currency: Mapped[str] = mapped_column(sa.String(3))
    provider: Mapped[str] = mapped_column(sa.String(40), default="manual")
    reference: Mapped[str] = mapped_column(sa.String(200), default="")
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(sa.String(255), default="")


class Shipment(StoreScoped, Timestamps, db.Model):
    """A parcel: what was picked and packed (fulfilled) from one or more warehouses."""

    __tablename__ = "orders_shipments"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(12), default="packed")  # packed, shipped, delivered, cancelled
    carrier: Mapped[str] = mapped_column(sa.String(100), default="")
    tracking_number: Mapped[str] = mapped_column(sa.String(100), default="")
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship(back_populates="shipments")
    lines: Mapped[list["ShipmentLine"]] = relationship(order_by="ShipmentLine.id", cascade="all, delete-orphan")


class ShipmentLine(StoreScoped, db.Model):
    __tablename__ = "orders_shipment_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    shipment_id: Mapped[int] = mapped_column(sa.ForeignKey("orders_shipments.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("orders_lines.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(sa.String(64))
    quantity: Mapped[int] = mapped_column()
    warehouse: Mapped[str | None] = mapped_column(sa.String(40))


class Return(StoreScoped, Timestamps, db.Model):
    """A return (RMA): requested → approved/rejected → received → refunded or exchanged."""

    __tablename__ = "orders_returns"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(sa.String(50))
    status: Mapped[str] = mapped_column(sa.String(12), default="requested", index=True)
    reason: Mapped[str] = mapped_column(sa.String(30))
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    decision_note: Mapped[str] = mapped_column(sa.Text, default="")
    exchange_order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"))

    order: Mapped[Order] = relationship(foreign_keys=[order_id])
    lines: Mapped[list["ReturnLine"]] = relationship(order_by="ReturnLine.id", cascade="all, delete-orphan")


class ReturnLine(StoreScoped, db.Model):
    __tablename__ = "orders_return_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(sa.ForeignKey("orders_returns.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(sa.ForeignKey("orders_lines.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(sa.String(64))
    quantity: Mapped[int] = mapped_column()
    disposition: Mapped[str | None] = mapped_column(sa.String(10))  # restock or scrap, once received
    warehouse: Mapped[str | None] = mapped_column(sa.String(40))


class OrderRisk(StoreScoped, db.Model):
    __tablename__ = "orders_risk_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    plugin: Mapped[str] = mapped_column(sa.String(60))
    code: Mapped[str] = mapped_column(sa.String(60))
    score: Mapped[int] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.String(500), default="")


class TimelineEntry(StoreScoped, db.Model):
    """What happened to an order, in order: shown on its page and in the API."""

    __tablename__ = "orders_timeline"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    message: Mapped[str] = mapped_column(sa.String(500))
    actor: Mapped[str] = mapped_column(sa.String(255), default="")
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Complaint(StoreScoped, Timestamps, db.Model):
    """A customer's complaint about an order; answered within the store's response target."""

    __tablename__ = "orders_complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(12), default="open", index=True)
    assignee: Mapped[str] = mapped_column(sa.String(255), default="")
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship()
    messages: Mapped[list["ComplaintMessage"]] = relationship(
        order_by="ComplaintMessage.id", cascade="all, delete-orphan")

    @property
    def overdue(self) -> bool:
        return self.first_response_at is None and self.status != "closed" and utcnow() > self.due_at


class ComplaintMessage(StoreScoped, db.Model):
    __tablename__ = "orders_complaint_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("orders_complaints.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(sa.String(255))
    from_customer: Mapped[bool] = mapped_column(default=False)
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# What a storefront syncs by ``updated_since``: indexed per store, and an order changes with its parts
# (a payment recorded, a parcel shipped, a return requested).
for _model in (Order, Return, Complaint):
    sa.Index(f"ix_{_model.__tablename__}_store_updated", _model.store_id, _model.updated_at)
for _part in (OrderLine, Payment, Refund, Shipment, Return):
    touches(_part, Order, "order_id")
touches(ComplaintMessage, Complaint, "complaint_id")
