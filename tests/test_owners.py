"""Owner hooks have one answer per store: a second owner is refused when it is enabled, not in
the middle of an order. Plugins publish hookspecs for their own extensions, owners included."""

import sys
import types

import pytest

from shopdesk.hookspecs import hookspec, owner, owner_keys
from shopdesk.registry import Registry
from shopdesk.stores import PluginStateError, enable_plugin
from shopdesk.testing import make_plugin

STOCK_A = make_plugin("stock_a", reserve_stock=lambda ctx, reference, lines: [])
STOCK_B = make_plugin("stock_b", reserve_stock=lambda ctx, reference, lines: [])


@pytest.mark.shopdesk_plugins(STOCK_A, STOCK_B)
def test_enabling_a_second_owner_of_a_hook_is_refused_naming_both(app, db, bare_store):
    registry = app.extensions["shopdesk"]
    enable_plugin(registry, bare_store, "stock_a")
    with pytest.raises(PluginStateError) as refused:
        enable_plugin(registry, bare_store, "stock_b")
    assert "plugin 'stock_b' cannot be enabled" in str(refused.value)
    assert "'stock_a' already answers 'reserve_stock'" in str(refused.value)
    db.session.rollback()
    assert registry.owns("stock_a") == ["reserve_stock"]


@owner_keys
@hookspec
def carrier_codes():
    """Return the carrier codes this adapter answers for.

    Example::

        @hookimpl
        def carrier_codes():
            return ["ecpay"]
    """


@owner
@hookspec(firstresult=True)
def quote_delivery(ctx, parcel):
    """Return the price of delivering ``parcel``.

    Example::

        @hookimpl
        def quote_delivery(ctx, parcel):
            return 60
    """


CarrierSpecs = types.SimpleNamespace(carrier_codes=carrier_codes, quote_delivery=quote_delivery)  # a logistics hookspecs module


def carriers_plugin():
    from shopdesk import Manifest

    module = types.ModuleType("carriers_contract")
    module.__file__ = __file__
    sys.modules[module.__name__] = module
    module.manifest = Manifest(name="carriers", label="Carriers", description="Carrier contract.", version="1.0",
                               hookspecs=CarrierSpecs)
    return module


CARRIERS = carriers_plugin()
ECPAY = make_plugin("ecpay", requires=("carriers",), carrier_codes=lambda: ["ecpay"])
ECPAY_COPY = make_plugin("ecpay_copy", requires=("carriers",), carrier_codes=lambda: ["ecpay", "tcat"])
POST = make_plugin("post", requires=("carriers",), carrier_codes=lambda: ["post"],
                   quote_delivery=lambda ctx, parcel: 60)


def test_a_plugin_publishes_hookspecs_others_implement():
    registry = Registry.load(entry_points=[], objects=[CARRIERS, POST])
    assert registry.broken == {}
    assert "quote_delivery" in registry.owner_hooks
    assert registry.owns("post") == ["quote_delivery", "carrier_codes:post"]


def test_a_misspelt_implementation_of_a_published_hook_is_still_caught():
    from shopdesk.registry import PluginError

    typo = make_plugin("typo", requires=("carriers",), carrier_code=lambda: ["x"])
    with pytest.raises(PluginError, match="did you mean 'carrier_codes'"):
        Registry.load(entry_points=[], objects=[CARRIERS, typo])


def test_publishing_a_hook_the_host_already_specifies_breaks_the_plugin():
    from shopdesk import Manifest

    @hookspec
    def nav_items(ctx, user):
        """Mine."""

    Specs = types.SimpleNamespace(nav_items=nav_items)

    module = types.ModuleType("thief")
    module.manifest = Manifest(name="thief", label="Thief", description="Takes names.", version="1.0",
                               hookspecs=Specs)
    registry = Registry.load(entry_points=[], objects=[module])
    assert registry.broken["thief"] == "publishes hookspec(s) nav_items, which are already specified"


@pytest.mark.shopdesk_plugins(CARRIERS, ECPAY, ECPAY_COPY, POST)
def test_two_plugins_owning_the_same_key_are_not_enabled_together(app, db, bare_store):
    registry = app.extensions["shopdesk"]
    for name in ("carriers", "ecpay", "post"):
        enable_plugin(registry, bare_store, name)
    with pytest.raises(PluginStateError, match="'ecpay' already answers 'carrier_codes:ecpay'"):
        enable_plugin(registry, bare_store, "ecpay_copy")


# --- tracing: every plugin call goes through one invoker ---------------------------------------

COUNTER = make_plugin("counter", nav_items=lambda ctx, user: [],
                      reserve_stock=lambda ctx, reference, lines: ["reserved"])


def test_plugin_calls_are_traced_with_their_time_when_asked(monkeypatch, caplog):
    from shopdesk.registry import Registry

    monkeypatch.setenv("SHOPDESK_TRACE_PLUGINS", "1")
    registry = Registry.load(entry_points=[], objects=[COUNTER])
    caplog.set_level("INFO", logger="shopdesk.plugins.trace")
    registry.each("nav_items", ctx=None, user=None)
    assert registry.execute("reserve_stock", registry.pm.hook.reserve_stock.get_hookimpls(),
                            {"ctx": None, "reference": "r", "lines": []}, True) == ["reserved"]
    traced = [record.getMessage() for record in caplog.records]
    assert len(traced) == 2 and traced[0].startswith("plugin counter hook nav_items ")
    assert traced[1].startswith("plugin counter hook reserve_stock ") and traced[1].endswith(" ms")


def test_nothing_is_traced_by_default(monkeypatch, caplog):
    from shopdesk.registry import Registry

    monkeypatch.delenv("SHOPDESK_TRACE_PLUGINS", raising=False)
    registry = Registry.load(entry_points=[], objects=[COUNTER])
    caplog.set_level("INFO", logger="shopdesk.plugins.trace")
    registry.each("nav_items", ctx=None, user=None)
    assert caplog.records == []
