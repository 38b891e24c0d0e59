"""Plugins are discovered by our own loader: broken ones are listed, the host still starts."""

from importlib.metadata import EntryPoint

import pytest

from shopdesk.registry import PluginError, Registry, discover

from shopdesk.testing import make_plugin as plugin


def ep(name, value):
    return EntryPoint(name=name, value=value, group="shopdesk.plugins")


def by_name(infos):
    return {i.name: i for i in infos}


def test_a_plugin_that_fails_to_import_is_broken_with_its_reason():
    infos = by_name(discover(entry_points=[ep("ghost", "shopdesk_no_such_module")]))
    assert infos["ghost"].error.startswith("import failed: ModuleNotFoundError")


def test_a_module_without_manifest_is_broken():
    infos = by_name(discover(entry_points=[ep("json", "json")]))
    assert "no manifest" in infos["json"].error


def test_a_plugin_for_another_host_version_is_broken():
    infos = by_name(discover(entry_points=[], objects=[plugin("future", host=">=9.0")], host_version="0.1.0"))
    assert infos["future"].error == "supports host >=9.0, this host is 0.1.0"


def test_unmet_requires_name_what_is_missing_and_propagate():
    infos = by_name(discover(entry_points=[], objects=[plugin("pricing", requires=["catalog"]),
                                      plugin("promo", requires=["pricing"])]))
    assert infos["pricing"].error == "requires 'catalog', which is not installed"
    assert infos["promo"].error == "requires 'pricing', which is broken"


def test_cyclic_requires_are_named():
    infos = by_name(discover(entry_points=[], objects=[plugin("a", requires=["b"]), plugin("b", requires=["a"]),
                                      plugin("c")]))
    assert infos["a"].error == "cyclic requires: a -> b -> a"
    assert infos["b"].error == "cyclic requires: a -> b -> a"
    assert infos["c"].error is None


def test_duplicate_plugin_names_are_named():
    infos = discover(entry_points=[], objects=[plugin("twin"), plugin("twin")])
    assert all(i.error.startswith("duplicate plugin name 'twin'") for i in infos)


def test_broken_plugins_do_not_stop_the_host(make_app):
    app = make_app(plugins=[plugin("ok"), plugin("pricing", requires=["catalog"])], entry_points=[])
    registry = app.extensions["shopdesk"]
    assert registry.working == {"ok"}
    assert registry.broken == {"pricing": "requires 'catalog', which is not installed"}


def test_a_misspelt_hookimpl_fails_start_up_naming_plugin_and_hook():
    typo = plugin("typo", nav_item=lambda ctx, user: [])
    with pytest.raises(PluginError, match=r"plugin 'typo' implements unknown hook 'nav_item' \(did you mean 'nav_items'\?\)"):
        Registry.load(entry_points=[], objects=[typo])


def test_a_hookimpl_with_arguments_the_spec_lacks_fails_start_up():
    bad = plugin("bad", nav_items=lambda ctx, user, colour: [])
    with pytest.raises(PluginError, match="plugin 'bad'.*nav_items.*colour"):
        Registry.load(entry_points=[], objects=[bad])


def test_installed_plugins_are_found_through_entry_points():
    from importlib.metadata import entry_points

    installed = {e.name for e in entry_points(group="shopdesk.plugins")}
    registry = Registry.load()
    assert set(registry.plugins) == installed
