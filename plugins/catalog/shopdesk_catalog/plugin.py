"""The catalog plugin: its manifest and hook implementations."""

import sqlalchemy as sa
from flask import render_template
from flask_babel import gettext, ngettext

from shopdesk.plugin import Job, Manifest, N_, NavItem, Permission, Widget, db, hookimpl

from . import models  # noqa: F401  (the tables, for migrations and the tenant filter)
from . import demo
from .api import api
from .events import EVENT_TYPES
from .imports import demo as imports_demo
from .imports.api import api as imports_api
from .imports.cli import catalog_group
from .imports.views import bp as imports_bp
from .listing import product_query
from .selection import demo as selection_demo
from .selection.api import api as selection_api
from .selection.views import bp as selection_bp
from .settings import CatalogSettings
from .taxonomy.views import bp as taxonomy_bp
from .views import bp as products_bp

manifest = Manifest(
    name="catalog",
    label=N_("Catalog"),
    description=N_("Products and variants, categories, brands, tags and images, "
                   "and product selection from evidence."),
    requires=(),
    host=">=0.1,<1",
    permissions=[
        Permission("catalog.read", N_("See products, variants and candidates"), "查看商品、款式與候選商品",
                   roles=("manager", "operator", "viewer")),
        Permission("catalog.write", N_("Create, edit, import and archive products"), "建立、編輯、匯入與封存商品",
                   roles=("manager", "operator")),
        Permission("catalog.costs", N_("See and set unit costs and margins"), "查看與設定單位成本及毛利",
                   roles=("manager",)),
    ],
    settings=CatalogSettings,  # selection weights and the background-import threshold: see settings.py
    event_types=EVENT_TYPES,  # product.created, product.updated, product.archived: see events.py
    nav=[
        NavItem(label=N_("Products"), endpoint="catalog.index", icon="box-seam", order=18,
                permission="catalog.read"),
        NavItem(label=N_("Categories"), endpoint="catalog_taxonomy.categories", icon="diagram-3", order=19,
                permission="catalog.read"),
        NavItem(label=N_("Brands & tags"), endpoint="catalog_taxonomy.brands_tags", icon="tags", order=20,
                permission="catalog.read"),
        NavItem(label=N_("Product selection"), endpoint="catalog_selection.index", icon="clipboard-data",
                order=21, permission="catalog.read"),
        NavItem(label=N_("Import and export"), endpoint="catalog_imports.index", icon="file-earmark-spreadsheet",
                order=22, permission="catalog.read"),
    ],
    jobs=[Job("catalog.imports", "shopdesk_catalog.imports.jobs:process_queued_imports", "interval",
              {"seconds": 30}, per_store=True,
              description=N_("Import the product files queued on the Import page (large files)."))],
)


@hookimpl
def register_api():
    return [api, selection_api, imports_api]


@hookimpl
def register_blueprints():
    return [products_bp, taxonomy_bp, selection_bp, imports_bp]


@hookimpl
def register_commands(cli):
    cli.add_command(catalog_group)  # shopdesk catalog import / export: see imports/cli.py


@hookimpl
def dashboard_widgets(ctx, user):
    counts = dict(db.session.execute(
        sa.select(models.Product.status, sa.func.count()).group_by(models.Product.status)).all())
    without_images = db.session.scalar(sa.select(sa.func.count()).select_from(
        product_query({"without_images": True}).subquery()))
    html = render_template("catalog/_dashboard.html", counts=counts, without_images=without_images)
    return [Widget(title=gettext("Catalog"), html=html, order=20, permission="catalog.read")]


@hookimpl
def currency_in_use(ctx):
    count = db.session.scalar(sa.select(sa.func.count()).select_from(models.Product))
    return ngettext("%(num)d product", "%(num)d products", count) if count else None


@hookimpl
def demo_data(ctx):
    demo.load(ctx.store)
    selection_demo.load(ctx.store)  # candidates in the demo categories
    imports_demo.load(ctx.store)  # a dry run with a problem to show
