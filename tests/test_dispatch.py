"""A hook called for a store runs only that store's enabled plugins."""

import logging

import pytest

from shopdesk.stores import configure_plugin, create_store, disable_plugin, enable_plugin
from shopdesk.testing import make_plugin
from shopdesk.ui import NavItem

from marshmallow import Schema, fields


class Greeting(Schema):
    word = fields.String(load_default="hello")


def nav(label):
    return lambda ctx, user: [NavItem(label=f"{label}:{ctx.settings.get('word', '')}", endpoint="shell.dashboard")]


ALPHA = make_plugin("alpha", nav_items=nav("alpha"), settings_schema=lambda: Greeting)
BETA = make_plugin("beta", nav_items=nav("beta"))


def labels(view):
    return sorted(item.label for r in view.each("nav_items", user=None) for item in r.value)


@pytest.fixture
def two_stores(app, db):
    registry = app.extensions["shopdesk"]
    a, b = create_store("a", "A"), create_store("b", "B")
    enable_plugin(registry, a, "alpha")
    enable_plugin(registry, b, "beta")
    db.session.commit()
    return a, b


@pytest.mark.shopdesk_plugins(ALPHA, BETA)
def test_each_store_runs_only_its_enabled_plugins(app, two_stores):
    a, b = two_stores
    registry = app.extensions["shopdesk"]
    assert labels(registry.for_store(a)) == ["alpha:hello"]
    assert labels(registry.for_store(b)) == ["beta:"]


@pytest.mark.shopdesk_plugins(ALPHA, BETA)
def test_pluggy_calls_through_the_store_view_skip_disabled_plugins(app, two_stores):
    a, _ = two_stores
    view = app.extensions["shopdesk"].for_store(a)
    assert [impl.plugin_name for impl in view.nav_items.get_hookimpls()] == ["alpha"]


@pytest.mark.shopdesk_plugins(ALPHA, BETA)
def test_hook_callers_are_cached_until_plugins_version_moves(app, db, two_stores):
    a, _ = two_stores
    registry = app.extensions["shopdesk"]
    first = registry.for_store(a)
    assert registry.for_store(a).nav_items is first.nav_items
    configure_plugin(registry, a, "alpha", {"word": "hi"})
    db.session.commit()
    db.session.refresh(a)
    assert labels(registry.for_store(a)) == ["alpha:hi"]


@pytest.mark.shopdesk_plugins(ALPHA, BETA)
def test_a_change_made_by_another_process_is_seen(make_app, db):
    """Two app instances on one database, as two gunicorn workers would be."""
    from shopdesk.db import db as shared_db
    from shopdesk.stores import get_store

    one, two = make_app(), make_app()
    with one.app_context():
        create_store("a", "A")
        enable_plugin(one.extensions["shopdesk"], get_store("a"), "alpha")
        shared_db.session.commit()
    with two.app_context():
        assert labels(two.extensions["shopdesk"].for_store(get_store("a"))) == ["alpha:hello"]
    with one.app_context():
        store = get_store("a")
        enable_plugin(one.extensions["shopdesk"], store, "beta")
        disable_plugin(one.extensions["shopdesk"], store, "alpha")
        shared_db.session.commit()
    with two.app_context():
        assert labels(two.extensions["shopdesk"].for_store(get_store("a"))) == ["beta:"]


def boom(ctx, user):
    raise RuntimeError("widget exploded")


@pytest.mark.shopdesk_plugins(
    make_plugin("broken", dashboard_widgets=boom),
    make_plugin("fine", dashboard_widgets=lambda ctx, user: ["ok"]),
)
def test_one_failing_event_style_hook_does_not_stop_the_others(app, store, caplog):
    view = app.extensions["shopdesk"].for_store(store)
    with caplog.at_level(logging.ERROR, logger="shopdesk.registry"):
        results = {r.plugin: r for r in view.each("dashboard_widgets", user=None)}
    assert results["fine"].value == ["ok"]
    assert str(results["broken"].error) == "widget exploded"
    assert "plugin broken failed in hook dashboard_widgets" in caplog.text
