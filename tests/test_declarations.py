"""A plugin declares what it contributes in its manifest; the host finds migrations by convention."""

import sys
import types

import pytest
from marshmallow import Schema, fields

from shopdesk import Manifest, hookimpl
from shopdesk.auth.permissions import declared_permissions
from shopdesk.events import event_types
from shopdesk.migrate import version_dirs
from shopdesk.plugin import EventType, Job, NavItem, Permission
from shopdesk.registry import Registry
from shopdesk.scheduler import collect_jobs


class WrapSettings(Schema):
    paper = fields.String(load_default="kraft")


class WrapPayload(Schema):
    id = fields.Integer(required=True)


def wrap_job(ctx):
    """Nothing to do."""


MANIFEST = Manifest(
    name="wraps", label="Gift wrapping", description="Wrap gifts.", version="1.0",
    permissions=[Permission("wraps.read", "See wrappings", "查看包裝", roles=("viewer",))],
    settings=WrapSettings,
    event_types=[EventType("wraps.wrapped", 1, WrapPayload, "A gift was wrapped.")],
    nav=[NavItem(label="Wrappings", endpoint="shell.dashboard", icon="gift", permission="wraps.read")],
    jobs=[Job("wraps.tidy", "tests.test_declarations:wrap_job", "interval", {"hours": 1}, per_store=True,
              description="Tidy the wrapping table.")],
)


def plugin_module(name="wraps_plugin", manifest=MANIFEST, **hooks):
    module = types.ModuleType(name)
    module.__file__ = __file__  # a plugin module lives in a file; this one's folder has no catalogues
    sys.modules[name] = module
    module.manifest = manifest
    for hook, function in hooks.items():
        setattr(module, hook, hookimpl(function))
    return module


WRAPS = plugin_module()


def test_declared_contributions_reach_the_host_without_hookimpls(app):
    registry = Registry.load(entry_points=[], objects=[WRAPS])
    assert registry.broken == {}
    assert "wraps.read" in declared_permissions(registry)
    assert registry.settings_schemas["wraps"] is WrapSettings
    assert "wraps.wrapped" in event_types(registry)
    assert collect_jobs(registry)["wraps.tidy"].plugin == "wraps"


@pytest.mark.shopdesk_plugins(WRAPS)
def test_a_declared_nav_item_shows_to_those_who_hold_its_permission(app, client, db, store, user):
    from shopdesk.auth.models import create_user
    from shopdesk.auth.roles import add_member

    page = client.get("/s/acme/").get_data(as_text=True)
    assert "Wrappings" in page
    stranger = create_user("packer@example.com", "correct horse battery")
    add_member(store, stranger, "operator")  # operators do not get wraps.read
    db.session.commit()
    assert "Wrappings" not in app.test_client(user=stranger).get("/s/acme/").get_data(as_text=True)


def test_declaring_and_implementing_the_same_contribution_is_refused():
    double = plugin_module("double_plugin", register_permissions=lambda: [])
    registry = Registry.load(entry_points=[], objects=[double])
    assert "declares `permissions` in its manifest and also implements `register_permissions`" in \
        registry.broken["wraps"]


def test_migrations_are_found_in_the_plugin_package_by_convention(app, tmp_path, monkeypatch):
    package = tmp_path / "shopdesk_wraps"
    (package / "migrations").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "migrations" / "wraps_0001_tables.py").write_text('revision = "wraps_0001"\n')
    (package / "plugin.py").write_text(
        "from shopdesk import Manifest\n"
        "manifest = Manifest(name='wrapped', label='Wrapped', description='Wraps.', version='1.0')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    module = importlib.import_module("shopdesk_wraps.plugin")
    try:
        registry = Registry.load(entry_points=[], objects=[module])
        assert version_dirs(registry)["wrapped"] == [package / "migrations"]
    finally:
        for name in ("shopdesk_wraps.plugin", "shopdesk_wraps"):
            sys.modules.pop(name, None)
