"""Stores, the plugins each store enables, and the current-store context.

Enabling, disabling and configuring a plugin all go through this module so that each one
checks the rules of DESIGN.md, bumps the store's ``plugins_version`` (how every process
learns its cached hook view is stale) and lands in the audit log, in one transaction.
"""

from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from . import audit, settings as plugin_settings
from .db import UTCDateTime, Timestamps, current_store_id, db, utcnow


class Store(Timestamps, db.Model):
    """A shop: its slug (in URLs and the Shopdesk-Store header), currency, language and time zone."""

    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(63), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    locale: Mapped[str] = mapped_column(sa.String(16), default="en")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    # Bumped by every plugin change in this store; processes compare it to rebuild hook views.
    plugins_version: Mapped[int] = mapped_column(default=0)

    def __repr__(self):
        return f"<Store {self.slug}>"


class StorePlugin(db.Model):
    """A plugin's state in one store: enabled or not, and the store's own settings."""

    __tablename__ = "store_plugins"

    store_id: Mapped[int] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True)
    plugin: Mapped[str] = mapped_column(sa.String(63), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=False)
    settings: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class GlobalPluginSettings(db.Model):
    """Settings that apply to every store unless the store sets its own."""

    __tablename__ = "global_plugin_settings"

    plugin: Mapped[str] = mapped_column(sa.String(63), primary_key=True)
    settings: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class PluginStateError(ValueError):
    """An enable/disable/configure request that the rules refuse; the message says why."""


# --- current store ------------------------------------------------------------------------


@contextmanager
def use_store(store):
    """Make ``store`` (a Store or an id) current: queries and writes are scoped to it."""
    token = current_store_id.set(store if isinstance(store, int) or store is None else store.id)
    try:
        yield store
    finally:
        current_store_id.reset(token)


def get_store(slug: str) -> Store:
    """The store with this slug; ``PluginStateError`` when there is none."""
    store = db.session.scalar(sa.select(Store).filter_by(slug=slug))
    if store is None:
        raise PluginStateError(f"no store with slug '{slug}'")
    return store


def create_store(slug: str, name: str, currency: str = "USD", locale: str = "en", owner=None) -> Store:
    """A new store with its built-in roles; ``owner`` (a User) becomes its first owner."""
    from .auth.roles import add_member, seed_builtin_roles

    if db.session.scalar(sa.select(Store.id).filter_by(slug=slug)) is not None:
        raise PluginStateError(f"a store with slug '{slug}' already exists")
    store = Store(slug=slug, name=name, currency=currency.upper(), locale=locale)
    db.session.add(store)
    db.session.flush()
    audit.record("store.created", store_id=store.id, object_type="store", object_id=store.id,
                 after={"slug": slug, "name": name, "currency": store.currency})
    seed_builtin_roles(store)
    if owner is not None:
        add_member(store, owner, "owner")
    return store


# --- plugin state per store ---------------------------------------------------------------


def enabled_plugins(store) -> set[str]:
    """Names of the plugins enabled in ``store``."""
    rows = db.session.scalars(
        sa.select(StorePlugin.plugin).filter_by(store_id=store.id, enabled=True)
    )
    return set(rows)


def _row(store, name) -> StorePlugin:
    row = db.session.get(StorePlugin, (store.id, name))
    if row is None:
        row = StorePlugin(store_id=store.id, plugin=name, enabled=False, settings={})
        db.session.add(row)
    return row


def _bump(store):
    store.plugins_version = Store.plugins_version + 1  # atomic in SQL, safe across processes


def _set_enabled(store, name: str, enabled: bool):
    _row(store, name).enabled = enabled
    _bump(store)
    audit.record("plugin.enabled" if enabled else "plugin.disabled", store_id=store.id,
                 object_type="plugin", object_id=name,
                 before={"enabled": not enabled}, after={"enabled": enabled})
    db.session.flush()


def enable_plugin(registry, store, name: str) -> bool:
    """Enable ``name`` in ``store``; returns False if it already was. Raises PluginStateError."""
    info = registry.require_working(name)
    migrated = registry.migrated_version(name)
    if migrated != info.version:
        state = f"migrated {migrated}" if migrated else "not migrated"
        raise PluginStateError(
            f"plugin '{name}' needs upgrade (installed {info.version}, {state}): "
            "run `shopdesk db upgrade`"
        )
    enabled = enabled_plugins(store)
    if name in enabled:
        return False
    missing = [r for r in info.requires if r not in enabled]
    if missing:
        raise PluginStateError(
            f"plugin '{name}' requires {', '.join(repr(m) for m in missing)}, "
            f"not enabled in store '{store.slug}'"
        )
    clashes = registry.owner_clashes(name, enabled)
    if clashes:
        raise PluginStateError(f"plugin '{name}' cannot be enabled in store '{store.slug}': {'; '.join(clashes)}"
                               " (one plugin answers it per store: disable the other first)")
    _set_enabled(store, name, True)
    with use_store(store):
        registry.call_plugin(name, "store_enabled", store=store)
        db.session.flush()  # rows the plugin seeded are stamped with this store
    return True


def disable_plugin(registry, store, name: str) -> bool:
    """Disable ``name`` in ``store`` (its data is kept); returns False if it was not enabled."""
    enabled = enabled_plugins(store)
    if name not in enabled:
        if name not in registry.plugins:
            raise PluginStateError(f"no plugin named '{name}' is installed")
        return False
    dependants = sorted(
        other for other in enabled
        if other in registry.plugins and name in registry.plugins[other].requires
    )
    if dependants:
        raise PluginStateError(
            f"cannot disable '{name}' in store '{store.slug}': "
            f"{', '.join(repr(d) for d in dependants)} require{'s' if len(dependants) == 1 else ''} it"
        )
    _set_enabled(store, name, False)
    if name in registry.working:
        # A failing store_disabled must not block disabling, nor leave half its writes behind.
        with use_store(store), db.session.begin_nested() as savepoint:
            result = registry.call_plugin(name, "store_disabled", store=store, isolate=True)
            if result is not None and result.error is not None:
                savepoint.rollback()
            else:
                db.session.flush()
    return True


def configure_plugin(registry, store, name: str, values: dict) -> dict:
    """Validate and save settings for one store (or globally when ``store`` is None).

    The whole change is validated by the plugin's schema first, so a bad value stores
    nothing. Returns the newly resolved settings, secrets masked.
    """
    info = registry.require_working(name)
    schema_cls = registry.settings_schemas.get(name)
    if schema_cls is None:
        raise PluginStateError(f"plugin '{name}' has no settings")
    if store is None:
        row = db.session.get(GlobalPluginSettings, name) or GlobalPluginSettings(plugin=name, settings={})
        db.session.add(row)
    else:
        row = _row(store, name)
    before = dict(row.settings or {})
    row.settings = plugin_settings.merge_for_storage(schema_cls, before, values)
    if store is None:
        db.session.execute(sa.update(Store).values(plugins_version=Store.plugins_version + 1))
    else:
        _bump(store)
    audit.record(
        "plugin.configured", store_id=store.id if store else None, object_type="plugin",
        object_id=info.name,
        before=plugin_settings.masked(schema_cls, plugin_settings.decrypt_all(before)),
        after=plugin_settings.masked(schema_cls, plugin_settings.decrypt_all(row.settings)),
    )
    db.session.flush()
    return plugin_settings.masked(schema_cls, resolved_settings(registry, store, name))


def resolved_settings(registry, store, name: str) -> dict:
    """Settings as the plugin sees them: store, else global, else the schema's default."""
    schema_cls = registry.settings_schemas.get(name)
    if schema_cls is None:
        return {}
    global_row = db.session.get(GlobalPluginSettings, name)
    store_row = db.session.get(StorePlugin, (store.id, name)) if store is not None else None
    return plugin_settings.resolve(
        schema_cls,
        global_row.settings if global_row else {},
        store_row.settings if store_row else {},
    )
