"""Everything a plugin may use of the host, in one module (as Flask's ``flask`` package is).

A plugin imports the host from here and nowhere else: ``from shopdesk.plugin import db,
hookimpl, Manifest, Refusal``. Tests add :mod:`shopdesk.testing`. What is not exported here
is the host's own business and may change without notice; ``tests/test_plugin_boundaries.py``
holds first-party and contrib plugins to it, and ``docs/plugin-api.md`` (generated from the
docstrings, ``shopdesk docs plugin-api``) lists every name.
"""

from flask import current_app, g, has_request_context

from . import Manifest, audit, csv_safety, hookimpl
from .api import SyncQuery, one_page, page_of, page_of_items, paginate, sort_argument, sync_filters
from .auth.permissions import Permission, allowed, requires
from .commerce import (Adjustment, Allocation, OrderLineSnapshot, OrderSnapshot, OutOfStock, PaymentProvider,
                       PricedLine, Quote, QuoteLine, Shortage, Stage, StockDemand, StockLine, TrailStep,
                       apply_adjustments)
from .db import (NoStoreContext, StoreScoped, Timestamps, UTCDateTime, commit_keeping_objects, current_store_id, db,
                 lock_row, touches, utcnow)
from .events import EventType, emit, emit_many
from .i18n import N_, current_locale, format_money
from .idempotency import not_idempotent
from .kit import (Action, Listing, MajorUnits, Page, Panel, Refusal, get_or_404, load_form, on_refusal,
                  parse_major, store_command)
from .money import Money
from .registry import PluginContext, PluginError
from .scheduler import Job
from .stores import Store, configure_plugin, enabled_plugins, get_store, use_store
from .ui import NavItem, Widget, page_of_rows


def current_registry():
    """The application's plugin registry (what is installed and working, per-store hooks)."""
    return current_app.extensions["shopdesk"]


def current_store():
    """The store this request or ``use_store(...)`` block works for, or None outside one."""
    if has_request_context() and g.get("store") is not None:
        return g.store
    store_id = current_store_id.get()
    return db.session.get(Store, store_id) if store_id is not None else None


def current_hooks():
    """The current store's hooks: only the plugins enabled there take part (``g.hooks`` in a
    request, built for the store of ``use_store`` elsewhere). None outside a store."""
    if has_request_context() and g.get("hooks") is not None:
        return g.hooks
    store = current_store()
    return current_registry().for_store(store) if store is not None else None


def plugin_settings(name: str) -> dict:
    """Plugin ``name``'s resolved settings in the current store (store, then global, then the
    schema's defaults), as its hooks get them in ``ctx.settings``.

    Example::

        limit = plugin_settings("notes")["pinned_limit"]
    """
    hooks = current_hooks()
    if hooks is None:
        raise NoStoreContext(f"plugin_settings({name!r}) needs a current store: wrap the code in use_store(...)")
    return hooks.context(name).settings


__all__ = [
    # declaring a plugin
    "Manifest", "hookimpl", "Permission", "EventType", "Job", "NavItem", "Widget", "PluginContext", "PluginError",
    # the current store
    "current_registry", "current_store", "current_hooks", "plugin_settings", "Store", "get_store", "use_store",
    "enabled_plugins", "configure_plugin",
    # storage
    "db", "StoreScoped", "Timestamps", "UTCDateTime", "utcnow", "touches", "lock_row", "commit_keeping_objects",
    "NoStoreContext", "current_store_id",
    # money, language
    "Money", "format_money", "N_", "current_locale",
    # events and the audit log
    "emit", "emit_many", "audit",
    # access
    "requires", "allowed",
    # the REST API
    "paginate", "page_of", "one_page", "page_of_items", "sort_argument", "SyncQuery", "sync_filters",
    "not_idempotent",
    # the kit
    "Refusal", "on_refusal", "get_or_404", "Listing", "Page", "load_form", "MajorUnits", "parse_major",
    "store_command", "Panel", "Action", "page_of_rows", "csv_safety",
    # commerce contracts
    "Adjustment", "Allocation", "OrderLineSnapshot", "OrderSnapshot", "OutOfStock", "PaymentProvider", "PricedLine",
    "Quote", "QuoteLine", "Shortage", "Stage", "StockDemand", "StockLine", "TrailStep", "apply_adjustments",
]
