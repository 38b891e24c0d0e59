"""The inventory plugin: its manifest, settings, permissions and hook implementations."""

from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import gettext
from marshmallow import Schema, fields, validate

import shopdesk
from shopdesk import hookimpl
from shopdesk.auth.permissions import Permission, allowed
from shopdesk.db import db
from shopdesk.i18n import N_
from shopdesk.scheduler import Job
from shopdesk.stores import Store, get_store, use_store
from shopdesk.ui import NavItem, Widget

from . import models  # noqa: F401  (the tables must be known when the plugin loads)
from . import stock
from .api import api
from .events import EVENT_TYPES
from .views import bp

manifest = shopdesk.Manifest(
    name="inventory",
    label=N_("Inventory"),
    description=N_("Warehouses, stock moves, reservations without oversell, transfers, cycle counts, "
                   "replenishment and turnover."),
    requires=("catalog",),
    host=">=0.1,<1",
)


class InventorySettings(Schema):
    allocation = fields.String(
        load_default="priority", validate=validate.OneOf(["priority", "most_stock"]),
        metadata={"description": N_("Which warehouse a reservation line comes from: 'priority' (lowest "
                                    "priority number first) or 'most_stock' (most available first).")})
    reservation_expiry_minutes = fields.Integer(
        load_default=0, validate=validate.Range(min=0, max=525600),
        metadata={"description": N_("Minutes after which an unshipped reservation is released (0: never).")})
    demand_window_days = fields.Integer(
        load_default=90, validate=validate.Range(min=7, max=730),
        metadata={"description": N_("Days of shipments that daily demand and ABC classes are computed from.")})
    default_lead_time_days = fields.Integer(
        load_default=7, validate=validate.Range(min=0, max=365),
        metadata={"description": N_("Supplier lead time in days when a SKU has no override.")})
    service_level = fields.Float(
        load_default=0.95, validate=validate.Range(min=0.5, max=0.9999),
        metadata={"description": N_("Probability of not running out during a lead time (0.5 to 0.9999).")})
    ordering_cost = fields.Integer(
        load_default=2500, validate=validate.Range(min=0, max=10**9),
        metadata={"description": N_("Cost of placing one order, in minor units (EOQ).")})
    holding_cost_percent = fields.Float(
        load_default=25.0, validate=validate.Range(min=0.1, max=500),
        metadata={"description": N_("Yearly cost of holding a unit, as a percentage of its cost (EOQ).")})
    abc_a_percent = fields.Float(
        load_default=80.0, validate=validate.Range(min=1, max=99),
        metadata={"description": N_("Share of shipped value covered by class A SKUs.")})
    abc_b_percent = fields.Float(
        load_default=95.0, validate=validate.Range(min=1, max=100),
        metadata={"description": N_("Cumulative share of shipped value covered by classes A and B.")})
    slow_after_days = fields.Integer(
        load_default=60, validate=validate.Range(min=1, max=3650),
        metadata={"description": N_("Days without a shipment after which stock on hand is slow.")})
    dead_after_days = fields.Integer(
        load_default=180, validate=validate.Range(min=1, max=3650),
        metadata={"description": N_("Days without a shipment after which stock on hand is dead.")})


@hookimpl
def register_permissions():
    return [
        Permission("inventory.read", N_("See stock, moves, transfers, counts and reports"),
                   "查看庫存、異動、調撥、盤點與報表", roles=("manager", "operator", "viewer")),
        Permission("inventory.write", N_("Receive goods, manage warehouses, transfers and reservations"),
                   "收貨、管理倉庫、調撥與保留", roles=("manager", "operator")),
        Permission("inventory.adjust", N_("Adjust stock with a reason code"), "以原因代碼調整庫存",
                   roles=("manager",)),
        Permission("inventory.count", N_("Count stock: start counts, fill in and submit sheets"),
                   "盤點庫存：建立盤點、填寫並提交盤點表", roles=("manager", "operator")),
        Permission("inventory.approve", N_("Approve count variances"), "核准盤點差異", roles=("manager",)),
    ]


@hookimpl
def register_event_types():
    return EVENT_TYPES


@hookimpl
def migration_dirs():
    return [Path(__file__).parent / "migrations"]


@hookimpl
def settings_schema():
    return InventorySettings


@hookimpl
def register_api():
    return [api]


@hookimpl
def register_blueprints():
    return [bp]


@hookimpl
def register_jobs():
    return [
        Job("inventory.release_expired", "shopdesk_inventory.jobs:release_expired", "interval", {"minutes": 1},
            per_store=True, description=N_("Release reservations past their expiry.")),
        Job("inventory.reorder_points", "shopdesk_inventory.jobs:refresh_reorder", "cron", {"hour": 3},
            per_store=True, description=N_("Recompute reorder points from demand; send stock.low.")),
        Job("inventory.slow_movers", "shopdesk_inventory.jobs:slow_moving", "cron", {"hour": 4},
            per_store=True, description=N_("Send stock.slow_moving for slow and dead stock, once a month per SKU.")),
    ]


@hookimpl
def nav_items(ctx, user):
    if not allowed("inventory.read", ctx.store, user):
        return []
    return [NavItem(label=gettext("Inventory"), endpoint="inventory.index", icon="box-seam")]


@hookimpl
def dashboard_widgets(ctx, user):
    """The levels furthest below their reorder point, for those who may read stock."""
    if not allowed("inventory.read", ctx.store, user):
        return []
    from shopdesk_catalog.public import Variant

    from .models import StockLevel, Warehouse

    available = StockLevel.on_hand - StockLevel.reserved
    rows = db.session.execute(
        sa.select(Variant.sku, Warehouse.code, available, StockLevel.reorder_point)
        .join(Variant, Variant.id == StockLevel.variant_id).join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
        .where(StockLevel.reorder_point.is_not(None), available < StockLevel.reorder_point)
        .order_by(available - StockLevel.reorder_point, Variant.sku).limit(8)).all()
    html = render_template("inventory/_low_stock.html", rows=rows)
    return [Widget(title=gettext("Low stock"), html=html, order=40)]


# --- the commerce hooks: the inventory plugin holds the store's stock --------------------------


@hookimpl
def reserve_stock(ctx, reference, lines):
    return stock.reserve(ctx.settings, reference, lines)


@hookimpl
def release_stock(ctx, reference):
    return stock.release(reference)


@hookimpl
def consume_stock(ctx, reference, lines):
    return stock.consume(ctx.settings, reference, lines)


@hookimpl
def return_stock(ctx, reference, lines):
    return stock.restock_return(ctx.settings, reference, lines)


@hookimpl
def warehouse_codes(ctx):
    return [warehouse.code for warehouse in stock.active_warehouses()]


@hookimpl
def demo_data(ctx):
    from .demo import load

    load(ctx)


# --- the command line ----------------------------------------------------------------------


@hookimpl
def register_commands(cli):
    @cli.group("inventory")
    def inventory_group():
        """Inventory: verify the books, refresh reorder points, release expired reservations."""

    @inventory_group.command("verify")
    @click.argument("store", required=False)
    def verify_command(store):
        """Recompute on hand from the moves and reserved from open reservations; exit 1 on a mismatch."""
        from .verify import verify

        registry = current_app.extensions["shopdesk"]
        stores = [get_store(store)] if store else [
            s for s in db.session.scalars(sa.select(Store).order_by(Store.slug))
            if "inventory" in registry.for_store(s).enabled]
        problems = 0
        with click.progressbar(stores, label="Verifying stock", item_show_func=lambda s: s.slug if s else "") as bar:
            found = []
            for each in bar:
                with use_store(each):
                    found += [(each.slug, m) for m in verify()]
        for slug, mismatch in found:
            click.echo(f"{slug}: {mismatch}")
            problems += 1
        if problems:
            click.echo(f"{problems} mismatch(es) found.")
            raise SystemExit(1)
        click.echo(f"Stock agrees with the moves in {len(stores)} store(s).")

    @inventory_group.command("reorder-points")
    @click.argument("store")
    def reorder_command(store):
        """Recompute the store's reorder points now (stock.low is sent where they are crossed)."""
        from .replenishment import refresh_reorder_points

        the_store = get_store(store)
        registry = current_app.extensions["shopdesk"]
        with use_store(the_store):
            count = refresh_reorder_points(registry.for_store(the_store).context("inventory").settings)
            db.session.commit()
        click.echo(f"{count} reorder point(s) refreshed in {store}.")

    @inventory_group.command("reserve-open-orders")
    @click.argument("store")
    def reserve_open_orders_command(store):
        """Reserve stock for open orders placed before inventory was enabled, oldest first;
        exit 1 while some lines stay short. Running it again reserves nothing twice."""
        from .open_orders import run

        the_store = get_store(store)
        hooks = current_app.extensions["shopdesk"].for_store(the_store)
        if "inventory" not in hooks.enabled:
            raise click.ClickException(f"inventory is not enabled in {store}: enable it and receive the stock first.")

        def progress(todo):
            click.echo(f"{len(todo)} open order(s) hold no reservation in {store}.")
            with click.progressbar(todo, label="Reserving", item_show_func=lambda p: p[0].label if p else "") as bar:
                yield from bar

        with use_store(the_store):
            summary = run(hooks, hooks.context("inventory").settings, progress=progress)
        click.echo(f"Reserved {summary['reserved_units']} unit(s) for {summary['reserved_documents']} "
                   f"of {summary['documents']} order(s).")
        if summary["shortfalls"]:
            click.echo(f"{len(summary['shortfalls'])} line(s) short (order, SKU, wanted, reserved, available):")
            for short in summary["shortfalls"]:
                click.echo(f"  {short['label']}  {short['sku']}  wanted {short['wanted']}  "
                           f"reserved {short['reserved']}  available {short['available']}")
            raise SystemExit(1)

    @inventory_group.command("release-expired")
    @click.argument("store")
    def release_command(store):
        """Release the store's expired reservations now."""
        the_store = get_store(store)
        with use_store(the_store):
            released = stock.expire_reservations()
            db.session.commit()
        click.echo(f"{released} reserved unit(s) released in {store}.")
