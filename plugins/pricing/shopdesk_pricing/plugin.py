"""The pricing plugin: its manifest and hook implementations."""

from pathlib import Path

import sqlalchemy as sa
from flask_babel import gettext, ngettext
from marshmallow import Schema, fields, validate

import shopdesk
from shopdesk import hookimpl
from shopdesk.auth.permissions import Permission, allowed
from shopdesk.db import db
from shopdesk.i18n import N_
from shopdesk.scheduler import Job
from shopdesk.ui import NavItem

from . import engine, models  # noqa: F401  (the tables, for migrations and the tenant filter)
from .api import api
from .demo import load_demo
from .rules import ROUNDING_RULES
from .views import bp

manifest = shopdesk.Manifest(
    name="pricing",
    label=N_("Pricing"),
    description=N_("Price lists per customer group with volume breaks and scheduled changes, cost-plus "
                   "and rounding rules, a margin guard, competitor prices and explained quotes."),
    requires=("catalog",),
    host=">=0.1,<1",
)


class PricingSettings(Schema):
    min_margin_percent = fields.Integer(
        load_default=0, validate=validate.Range(min=0, max=1000),
        metadata={"description": N_("Minimum margin in percent on top of unit cost: a price below "
                                    "unit cost × (1 + this / 100) trips the margin guard.")})
    margin_guard = fields.String(
        load_default="refuse", validate=validate.OneOf(["refuse", "approval"]),
        metadata={"description": N_("What happens to a price under the minimum: refuse it, or keep it "
                                    "for approval by another user with the approve permission.")})
    rounding = fields.String(
        load_default="none", validate=validate.OneOf(list(ROUNDING_RULES)),
        metadata={"description": N_("The last step of every price: none, 0.99 or 0.95 (up to the next "
                                    "price ending so), whole (nearest whole unit), 0.05 (nearest 0.05).")})
    import_background_rows = fields.Integer(
        load_default=1000, validate=validate.Range(min=1, max=100_000),
        metadata={"description": N_("A competitor price file with more rows than this is imported by the "
                                    "background job (with progress) instead of in the request.")})


@hookimpl
def register_permissions():
    return [
        Permission("pricing.read", N_("See price lists, rules, competitor prices and quotes"),
                   "查看價目表、規則、競品價格與報價", roles=("manager", "operator", "viewer")),
        Permission("pricing.write", N_("Change prices, price lists, rules and competitor prices"),
                   "變更價格、價目表、規則與競品價格", roles=("manager",)),
        Permission("pricing.approve", N_("Approve or reject prices below the minimum margin"),
                   "核准或駁回低於最低毛利的價格", roles=("manager",)),
    ]


@hookimpl
def migration_dirs():
    return [Path(__file__).parent / "migrations"]


@hookimpl
def settings_schema():
    return PricingSettings


@hookimpl
def register_api():
    return [api]


@hookimpl
def register_blueprints():
    return [bp]


@hookimpl
def register_jobs():
    return [Job("pricing.apply_scheduled", "shopdesk_pricing.changes:apply_due_changes", "interval",
                {"minutes": 1}, per_store=True,
                description=N_("Apply scheduled price changes whose start has come, and undo those "
                               "that ended.")),
            Job("pricing.competitor_imports", "shopdesk_pricing.competitor_imports:run_due", "interval",
                {"seconds": 30}, per_store=True,
                description=N_("Import the competitor price files too big for one request."))]


@hookimpl
def price_lines(ctx, lines, customer_group, currency):
    return engine.price(ctx.store, ctx.settings, lines, customer_group, currency)


@hookimpl
def nav_items(ctx, user):
    if not allowed("pricing.read", ctx.store, user):
        return []
    return [NavItem(label=gettext("Pricing"), endpoint="pricing.index", icon="tags")]


@hookimpl
def demo_data(ctx):
    load_demo(ctx)


@hookimpl
def currency_in_use(ctx):
    count = db.session.scalar(sa.select(sa.func.count()).select_from(models.PriceList))
    return ngettext("%(num)d price list", "%(num)d price lists", count) if count else None
