"""Per-store enabling and settings follow DESIGN.md, and every change is audited."""

import pytest
import sqlalchemy as sa
from marshmallow import Schema, ValidationError, fields, validate

from shopdesk.audit import AuditEntry
from shopdesk.migrate import InstalledPlugin
from shopdesk.stores import (GlobalPluginSettings, PluginStateError, StorePlugin, configure_plugin,
                             create_store, disable_plugin, enable_plugin, resolved_settings)
from shopdesk.testing import make_plugin


class ShippingSettings(Schema):
    free_over = fields.Integer(load_default=5000, validate=validate.Range(min=0),
                               metadata={"description": "Free shipping above this amount (minor units)."})
    carrier = fields.String(load_default="post")
    api_key = fields.String(load_default="", metadata={"secret": True})


seeded = []
wiki = make_plugin("wiki")
glossary = make_plugin("glossary", requires=["wiki"])
shipping = make_plugin("shipping", settings_schema=lambda: ShippingSettings,
                       store_enabled=lambda ctx: seeded.append((ctx.store.slug, ctx.settings["carrier"])))
PLUGINS = [wiki, glossary, shipping]


@pytest.fixture
def app(make_app):
    app = make_app(plugins=PLUGINS, entry_points=[])
    with app.app_context():
        yield app


@pytest.fixture
def registry(app):
    return app.extensions["shopdesk"]


def actions(db):
    return [e.action for e in db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id))]


def test_enabling_checks_requires_and_names_what_is_missing(registry, bare_store):
    with pytest.raises(PluginStateError, match=f"plugin 'glossary' requires 'wiki', not enabled in store '{bare_store.slug}'"):
        enable_plugin(registry, bare_store, "glossary")
    enable_plugin(registry, bare_store, "wiki")
    assert enable_plugin(registry, bare_store, "glossary") is True


def test_enabling_runs_store_enabled_with_the_plugins_settings(registry, bare_store, db):
    seeded.clear()
    enable_plugin(registry, bare_store, "shipping")
    assert seeded == [(bare_store.slug, "post")]


def test_disabling_is_refused_while_an_enabled_plugin_requires_it(registry, bare_store, db):
    enable_plugin(registry, bare_store, "wiki")
    enable_plugin(registry, bare_store, "glossary")
    with pytest.raises(PluginStateError, match="cannot disable 'wiki' .*: 'glossary' requires it"):
        disable_plugin(registry, bare_store, "wiki")
    disable_plugin(registry, bare_store, "glossary")
    assert disable_plugin(registry, bare_store, "wiki") is True


def test_a_plugin_newer_than_its_migration_cannot_be_enabled(registry, bare_store, db):
    db.session.get(InstalledPlugin, "wiki").version = "0.9"
    with pytest.raises(PluginStateError, match=r"needs upgrade \(installed 1.0, migrated 0.9\): run `shopdesk db upgrade`"):
        enable_plugin(registry, bare_store, "wiki")


def test_unknown_and_broken_plugins_are_refused_by_name(make_app, bare_store):
    app = make_app(plugins=[make_plugin("parcels", requires=["wiki"])], entry_points=[])
    registry = app.extensions["shopdesk"]
    with pytest.raises(PluginStateError, match="no plugin named 'parcel' is installed \\(did you mean 'parcels'\\?\\)"):
        enable_plugin(registry, bare_store, "parcel")
    with pytest.raises(PluginStateError, match="plugin 'parcels' is broken: requires 'wiki', which is not installed"):
        enable_plugin(registry, bare_store, "parcels")


def test_every_change_bumps_plugins_version_and_is_audited(registry, bare_store, db):
    start = bare_store.plugins_version
    enable_plugin(registry, bare_store, "shipping")
    configure_plugin(registry, bare_store, "shipping", {"carrier": "dhl"})
    disable_plugin(registry, bare_store, "shipping")
    db.session.commit()
    db.session.refresh(bare_store)
    assert bare_store.plugins_version == start + 3
    assert actions(db)[-3:] == ["plugin.enabled", "plugin.configured", "plugin.disabled"]


def test_a_bad_setting_is_refused_with_the_fields_message_and_nothing_is_stored(registry, bare_store, db):
    configure_plugin(registry, bare_store, "shipping", {"carrier": "dhl"})
    db.session.commit()
    with pytest.raises(ValidationError) as err:
        configure_plugin(registry, bare_store, "shipping", {"carrier": "ups", "free_over": "-5"})
    assert err.value.messages == {"free_over": ["Must be greater than or equal to 0."]}
    db.session.rollback()
    assert db.session.get(StorePlugin, (bare_store.id, "shipping")).settings == {"carrier": "dhl"}
    with pytest.raises(ValidationError, match="Unknown field"):
        configure_plugin(registry, bare_store, "shipping", {"colour": "red"})


def test_settings_resolve_store_then_global_then_default(registry, bare_store, db):
    other = create_store("other", "Other")
    configure_plugin(registry, None, "shipping", {"carrier": "fedex"})
    configure_plugin(registry, bare_store, "shipping", {"free_over": "100"})
    db.session.commit()
    assert resolved_settings(registry, bare_store, "shipping") == {"free_over": 100, "carrier": "fedex", "api_key": ""}
    assert resolved_settings(registry, other, "shipping") == {"free_over": 5000, "carrier": "fedex", "api_key": ""}


def test_secret_settings_are_encrypted_at_rest_and_masked_when_shown(registry, bare_store, db):
    shown = configure_plugin(registry, bare_store, "shipping", {"api_key": "sk_live_123"})
    db.session.commit()
    assert shown["api_key"] == "********"
    stored = db.session.get(StorePlugin, (bare_store.id, "shipping")).settings
    assert "sk_live_123" not in str(stored)
    raw = db.session.execute(sa.text("SELECT settings FROM store_plugins")).scalar_one()
    assert "sk_live_123" not in str(raw)
    assert resolved_settings(registry, bare_store, "shipping")["api_key"] == "sk_live_123"
    entry = db.session.scalars(sa.select(AuditEntry).filter_by(action="plugin.configured")).one()
    assert entry.after["api_key"] == "********" and "sk_live_123" not in str(entry.after)


def test_global_settings_bump_every_store(registry, bare_store, db):
    other = create_store("other", "Other")
    db.session.commit()
    before = (bare_store.plugins_version, other.plugins_version)
    configure_plugin(registry, None, "shipping", {"carrier": "fedex"})
    db.session.commit()
    db.session.refresh(bare_store)
    db.session.refresh(other)
    assert (bare_store.plugins_version, other.plugins_version) == (before[0] + 1, before[1] + 1)
    assert db.session.get(GlobalPluginSettings, "shipping").settings == {"carrier": "fedex"}
