"""The catalog plugin: its manifest and hook implementations."""

from pathlib import Path

import shopdesk
from shopdesk import hookimpl
from shopdesk.auth.permissions import Permission
from shopdesk.i18n import N_

from . import models  # noqa: F401  (the tables, for migrations and the tenant filter)
from .api import api
from .events import EVENT_TYPES

manifest = shopdesk.Manifest(
    name="catalog",
    label=N_("Catalog"),
    description=N_("Products and variants, categories, brands, tags and images, "
                   "and product selection from evidence."),
    requires=(),
    host=">=0.1,<1",
)


@hookimpl
def register_permissions():
    return [
        Permission("catalog.read", N_("See products, variants and candidates"), "查看商品、款式與候選商品",
                   roles=("manager", "operator", "viewer")),
        Permission("catalog.write", N_("Create, edit, import and archive products"), "建立、編輯、匯入與封存商品",
                   roles=("manager", "operator")),
    ]


@hookimpl
def migration_dirs():
    return [Path(__file__).parent / "migrations"]


@hookimpl
def register_event_types():
    return EVENT_TYPES  # product.created, product.updated, product.archived: see events.py


@hookimpl
def register_api():
    return [api]
