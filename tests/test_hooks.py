"""Every hookspec is documented with its exact signature and exercised by a test.

Datasette's discipline: a ``test_hook_<name>`` function must exist for every hookspec (here,
in the test module of the feature the hook belongs to, or in the tests of the first-party
plugin that owns the hook), and ``docs/hooks.md`` must have a
``### `name(args)` `` section for it.
"""

import inspect
import logging
from pathlib import Path

import click
import flask
import flask_smorest
import pytest
from marshmallow import Schema, fields

from shopdesk import hookspecs
from shopdesk.auth.permissions import Permission, declared_permissions, requires
from shopdesk.stores import disable_plugin, enable_plugin
from shopdesk.testing import make_plugin
from shopdesk.ui import NavItem, Widget

DOCS = Path(__file__).parent.parent / "docs" / "hooks.md"
HOOKS = sorted(n for n, f in vars(hookspecs).items() if hasattr(f, "shopdesk_spec"))


def signature(name):
    return f"{name}({', '.join(inspect.signature(getattr(hookspecs, name)).parameters)})"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_has_a_docs_section_with_its_exact_signature(hook):
    assert f"### `{signature(hook)}`" in DOCS.read_text(), f"docs/hooks.md lacks ### `{signature(hook)}`"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_has_a_test(hook):
    root = Path(__file__).parent.parent
    modules = [*root.glob("tests/test_*.py"), *root.glob("plugins/*/tests/test_*.py")]
    tests = "".join(p.read_text() for p in modules)
    assert f"def test_hook_{hook}(" in tests, f"no test_hook_{hook} in tests/"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hookspec_has_a_docstring_with_an_example(hook):
    assert "Example::" in (getattr(hookspecs, hook).__doc__ or "")


# --- start-up hooks ----------------------------------------------------------------------

pages = flask.Blueprint("pages", __name__, url_prefix="/pages")


@pages.route("/")
@requires("store.view")
def pages_index():
    return f"pages of {flask.g.store.slug}"


api_blp = flask_smorest.Blueprint("pages-api", __name__, url_prefix="/pages")


@api_blp.route("/count")
@requires("store.view")
def pages_count():
    return {"store": flask.g.store.slug}


PAGES = make_plugin("pages", register_blueprints=lambda: [pages], register_api=lambda: [api_blp])


@pytest.mark.shopdesk_plugins(PAGES)
def test_hook_register_blueprints(app, db, client, store):
    assert client.get("/s/acme/pages/").get_data(as_text=True) == "pages of acme"
    disable_plugin(app.extensions["shopdesk"], store, "pages")
    db.session.commit()
    assert client.get("/s/acme/pages/").status_code == 404


@pytest.mark.shopdesk_plugins(PAGES)
def test_hook_register_api(app, db, client, store):
    assert client.get("/api/v1/pages/count").get_json() == {"store": "acme"}
    assert "/api/v1/pages/count" in client.get("/api/openapi.json").get_json()["paths"]
    disable_plugin(app.extensions["shopdesk"], store, "pages")
    db.session.commit()
    assert client.get("/api/v1/pages/count").status_code == 404


def test_two_plugins_schemas_of_the_same_class_name_stay_apart_in_the_spec():
    """Each plugin's schemas are named after the plugin: no silent renaming, no collision."""
    from shopdesk.api import schema_name

    first = type("ResultSchema", (Schema,), {"__module__": "shopdesk_catalog.api"})
    second = type("ResultSchema", (Schema,), {"__module__": "shopdesk_store_notes.api"})
    host = type("ResultSchema", (Schema,), {"__module__": "shopdesk.audit_web"})
    assert [schema_name(s) for s in (first, second, host)] == ["CatalogResult", "StoreNotesResult", "Result"]
    assert schema_name(type("CatalogItemSchema", (Schema,), {"__module__": "shopdesk_catalog.api"})) == "CatalogItem"


def add_greet(cli):
    @cli.command("greet")
    def greet():
        click.echo("hello from a plugin")


@pytest.mark.shopdesk_plugins(make_plugin("greeter", register_commands=add_greet))
def test_hook_register_commands(app):
    result = app.test_cli_runner().invoke(args=["greet"])
    assert result.output == "hello from a plugin\n"


class Limits(Schema):
    limit = fields.Integer(load_default=3)


@pytest.mark.shopdesk_plugins(make_plugin("limited", settings_schema=lambda: Limits))
def test_hook_settings_schema(app, store):
    registry = app.extensions["shopdesk"]
    assert registry.settings_schemas["limited"] is Limits
    assert registry.for_store(store).context("limited").settings == {"limit": 3}


def test_hook_migration_dirs(app):
    """Installed plugins' version directories reach Alembic (tests/test_migrations.py applies one)."""
    from shopdesk.migrate import alembic_config, version_dirs

    registry = app.extensions["shopdesk"]
    dirs = version_dirs(registry)
    assert dirs["shopdesk"][0].name == "versions"
    location = alembic_config(app).get_main_option("version_locations")
    for name in registry.working:
        for path in dirs.get(name, []):
            assert str(path) in location


seen_apps = []


@pytest.mark.shopdesk_plugins(make_plugin("ready", app_ready=lambda app: seen_apps.append(app)))
def test_hook_app_ready(app):
    assert seen_apps[-1] is app


# --- store lifecycle -----------------------------------------------------------------------

calls = []
LIFECYCLE = make_plugin(
    "lifecycle",
    store_enabled=lambda ctx: calls.append(("enabled", ctx.store.slug)),
    store_disabled=lambda ctx: calls.append(("disabled", ctx.store.slug)),
    demo_data=lambda ctx: calls.append(("demo", ctx.store.slug)),
)


@pytest.mark.shopdesk_plugins(LIFECYCLE)
def test_hook_store_enabled(app, bare_store):
    calls.clear()
    enable_plugin(app.extensions["shopdesk"], bare_store, "lifecycle")
    assert calls == [("enabled", bare_store.slug)]


@pytest.mark.shopdesk_plugins(make_plugin("picky", store_enabled=lambda ctx: 1 / 0))
def test_hook_store_enabled_raising_refuses_the_enabling(app, db, bare_store):
    from shopdesk.registry import PluginError

    with pytest.raises(PluginError, match="plugin 'picky' failed in hook 'store_enabled'"):
        enable_plugin(app.extensions["shopdesk"], bare_store, "picky")
    db.session.rollback()
    assert "picky" not in app.extensions["shopdesk"].for_store(bare_store).enabled


@pytest.mark.shopdesk_plugins(LIFECYCLE)
def test_hook_store_disabled(app, bare_store):
    registry = app.extensions["shopdesk"]
    enable_plugin(registry, bare_store, "lifecycle")
    calls.clear()
    disable_plugin(registry, bare_store, "lifecycle")
    assert calls == [("disabled", bare_store.slug)]


@pytest.mark.shopdesk_plugins(make_plugin("sulky", store_disabled=lambda ctx: 1 / 0))
def test_hook_store_disabled_failing_still_disables(app, db, bare_store, caplog):
    registry = app.extensions["shopdesk"]
    enable_plugin(registry, bare_store, "sulky")
    with caplog.at_level(logging.ERROR):
        assert disable_plugin(registry, bare_store, "sulky") is True
    assert "plugin sulky failed in hook store_disabled" in caplog.text


@pytest.mark.shopdesk_plugins(LIFECYCLE)
def test_hook_demo_data(app, cli):
    calls.clear()
    assert cli("demo").exit_code == 0
    assert ("demo", "demo") in calls
    calls.clear()
    cli("demo")
    assert calls == []


# --- UI ------------------------------------------------------------------------------------

NAV = make_plugin("navigator", nav_items=lambda ctx, user: [NavItem(label=f"Reports for {user.email}",
                                                                    endpoint="shell.dashboard")])


@pytest.mark.shopdesk_plugins(NAV)
def test_hook_nav_items(app, db, client, store):
    assert "Reports for owner@example.com" in client.get("/s/acme/").get_data(as_text=True)
    disable_plugin(app.extensions["shopdesk"], store, "navigator")
    db.session.commit()
    assert "Reports for" not in client.get("/s/acme/").get_data(as_text=True)


def exploding(ctx, user):
    raise RuntimeError("sales feed offline")


@pytest.mark.shopdesk_plugins(
    make_plugin("sales", dashboard_widgets=lambda ctx, user: [Widget(title="Sales today", html="<b>42</b>")]),
    make_plugin("feed", dashboard_widgets=exploding),
)
def test_hook_dashboard_widgets(client):
    page = client.get("/s/acme/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Sales today" in html and "<b>42</b>" in html
    assert "This widget failed: sales feed offline" in html


# --- access ----------------------------------------------------------------------------------

reports = flask.Blueprint("reports", __name__, url_prefix="/reports")


@reports.route("/")
@requires("reports.read")
def reports_index():
    return "the reports"


REPORTS = make_plugin(
    "reports",
    register_blueprints=lambda: [reports],
    register_permissions=lambda: [Permission("reports.read", "Read reports", "閱讀報表", roles=("manager",))],
)


@pytest.mark.shopdesk_plugins(REPORTS)
def test_hook_register_permissions(app, db, store, client):
    from shopdesk.auth.models import create_user
    from shopdesk.auth.roles import add_member

    assert declared_permissions(app.extensions["shopdesk"])["reports.read"].label_zh_hant == "閱讀報表"
    assert client.get("/s/acme/reports/").status_code == 200  # the owner holds everything
    viewer = create_user("viewer@example.com", "viewer password 1")
    add_member(store, viewer, "viewer")
    db.session.commit()
    assert app.test_client(user=viewer).get("/s/acme/reports/").status_code == 403


@pytest.mark.shopdesk_plugins(REPORTS, make_plugin(
    "freeze", has_permission=lambda ctx, user, permission: False if permission == "reports.read" else None))
def test_hook_has_permission(client):
    assert client.get("/s/acme/reports/").status_code == 403
    assert client.get("/s/acme/").status_code == 200  # only the vetoed permission is gone
