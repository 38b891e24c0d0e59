"""The orders plugin: its manifest and hook implementations."""

from pathlib import Path

import sqlalchemy as sa
from flask import render_template
from flask_babel import gettext, ngettext
from marshmallow import Schema, fields, validate

import shopdesk
from shopdesk import hookimpl
from shopdesk.auth.permissions import Permission, allowed
from shopdesk.db import db, utcnow
from shopdesk.i18n import N_
from shopdesk.ui import NavItem, Widget

from .api import api
from .cli import register_commands  # noqa: F401  (the `shopdesk orders` command group)
from .demo import demo_data  # noqa: F401  (the demo store's orders)
from .events import EVENT_TYPES
from .models import Complaint, Order
from .views import bp

manifest = shopdesk.Manifest(
    name="orders",
    label=N_("Orders"),
    description=N_("Orders from every channel: placing, payments, fulfilment and shipping, "
                   "returns, refunds, exchanges and complaints."),
    requires=("catalog",),
    host=">=0.1,<1",
)


class OrdersSettings(Schema):
    number_prefix = fields.String(
        load_default="SO-", validate=validate.Regexp(r"^[A-Za-z0-9-]{0,10}$", error="Letters, digits and - only, at most 10."),
        metadata={"description": N_("Text in front of every order number (SO-01001).")})
    tax_rate = fields.Decimal(
        load_default="0", as_string=True, allow_nan=False, validate=validate.Range(min=0, max=100),
        metadata={"description": N_("Tax rate in percent for lines that do not name their own.")})
    tax_shipping = fields.Boolean(
        load_default=True, metadata={"description": N_("Charge tax on the shipping fee at the order's rate.")})
    accept_unpublished_products = fields.Boolean(
        load_default=False, metadata={"description": N_(
            "Take orders for products that are drafts or archived (off: such lines are refused).")})
    complaint_response_hours = fields.Integer(
        load_default=24, validate=validate.Range(min=1, max=24 * 30),
        metadata={"description": N_("Hours within which a complaint must get its first staff reply.")})


@hookimpl
def settings_schema():
    return OrdersSettings


@hookimpl
def register_permissions():
    return [
        Permission("orders.read", N_("See orders, payments, shipments, returns and complaints"),
                   "查看訂單、付款、出貨、退貨與客訴"),
        Permission("orders.write", N_("Take orders in, place, cancel and record payments"),
                   "建立、下單、取消訂單與登記付款", roles=("manager", "operator")),
        Permission("orders.fulfil", N_("Pick, pack, ship and receive returned goods"),
                   "揀貨、包裝、出貨與收回退貨", roles=("manager", "operator")),
        Permission("orders.refund", N_("Refund money on orders"), "辦理訂單退款", roles=("manager",)),
        Permission("orders.support", N_("Handle returns, exchanges and complaints"),
                   "處理退貨、換貨與客訴", roles=("manager", "operator")),
    ]


@hookimpl
def register_event_types():
    return EVENT_TYPES


@hookimpl
def migration_dirs():
    return [Path(__file__).parent / "migrations"]


@hookimpl
def register_api():
    return [api]


@hookimpl
def register_blueprints():
    return [bp]


@hookimpl
def nav_items(ctx, user):
    if not allowed("orders.read", ctx.store, user):
        return []
    return [NavItem(label=gettext("Orders"), endpoint="orders.index", icon="receipt", order=20),
            NavItem(label=gettext("Returns"), endpoint="orders.returns", icon="arrow-return-left", order=21),
            NavItem(label=gettext("Complaints"), endpoint="orders.complaints", icon="chat-left-text", order=22)]


@hookimpl
def dashboard_widgets(ctx, user):
    if not allowed("orders.read", ctx.store, user):
        return []
    counts = dict(db.session.execute(sa.select(Order.status, sa.func.count(Order.id)).group_by(Order.status)).all())
    overdue = db.session.scalar(sa.select(sa.func.count(Complaint.id)).where(
        Complaint.first_response_at.is_(None), Complaint.status != "closed", Complaint.due_at < utcnow()))
    html = render_template("orders/_card.html", counts=counts, overdue=overdue)
    return [Widget(title=gettext("Orders"), html=html, order=20)]


@hookimpl
def currency_in_use(ctx):
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Order))
    return ngettext("%(num)d order", "%(num)d orders", count) if count else None


@hookimpl
def open_stock_demand(ctx):
    from .lifecycle import open_demand

    return open_demand()
