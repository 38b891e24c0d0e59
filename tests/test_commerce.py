"""The commerce contracts: adjustments apply the same whatever order plugins answer in, and
an owner hook has one owner per store or none."""

import itertools
from decimal import Decimal

import pytest

from shopdesk.commerce import Adjustment, OutOfStock, Shortage, Stage, apply_adjustments
from shopdesk.registry import PluginError
from shopdesk.stores import enable_plugin
from shopdesk.testing import make_plugin


def test_adjustments_in_one_step_are_computed_from_the_price_entering_it():
    members = Adjustment(0, "Members -5 %", stage=Stage.DISCOUNT, percent=Decimal(-5), plugin="loyalty")
    promo = Adjustment(0, "Promo -5 %", stage=Stage.DISCOUNT, percent=Decimal(-5), plugin="promotions")
    price, trail = apply_adjustments(10000, [members, promo])
    assert price == 9000  # 10 % off, not 9,025
    assert [(s.label, s.change, s.price) for s in trail] == [
        ("Members -5 %", -500, 9000), ("Promo -5 %", -500, 9000)]


def test_the_final_price_does_not_depend_on_the_order_adjustments_arrive_in():
    adjustments = [
        Adjustment(0, "Volume -10 %", stage=Stage.VOLUME, percent=Decimal(-10), plugin="pricing"),
        Adjustment(0, "Members -3 %", stage=Stage.DISCOUNT, percent=Decimal(-3), plugin="loyalty"),
        Adjustment(0, "Coupon -1.00", stage=Stage.DISCOUNT, priority=10, amount=-100, plugin="promo"),
        Adjustment(0, "Gift wrap +0.50", stage=Stage.SURCHARGE, amount=50, plugin="wrap"),
    ]
    results = {tuple([apply_adjustments(1999, order)[0], *(s.price for s in apply_adjustments(1999, order)[1])])
               for order in itertools.permutations(adjustments)}
    assert results == {(1695, 1799, 1745, 1645, 1695)}


def test_a_price_never_goes_below_zero():
    price, trail = apply_adjustments(500, [Adjustment(0, "Voucher", amount=-900)])
    assert price == 0 and trail[0].change == -900


def test_out_of_stock_names_every_short_sku():
    error = OutOfStock([Shortage("TEE-S", 3, 1), Shortage("CAP", 1, 0)])
    assert str(error) == "Out of stock: TEE-S (requested 3, available 1), CAP (requested 1, available 0)"


def stock_owner(name, warehouse):
    from shopdesk.commerce import Allocation

    return make_plugin(name, reserve_stock=lambda ctx, reference, lines: [
        Allocation(line.sku, line.quantity, warehouse) for line in lines])


@pytest.mark.shopdesk_plugins(stock_owner("stock_a", "A"))
def test_an_owner_hook_is_answered_by_the_one_enabled_owner(app, db, bare_store):
    from shopdesk.commerce import StockLine

    registry = app.extensions["shopdesk"]
    assert registry.for_store(bare_store).owner("reserve_stock", reference="order:1",
                                                lines=[StockLine("TEE", 2)]) is None
    enable_plugin(registry, bare_store, "stock_a")
    hooks = registry.for_store(bare_store)
    assert hooks.owns("reserve_stock")
    [allocation] = hooks.owner("reserve_stock", reference="order:1", lines=[StockLine("TEE", 2)])
    assert (allocation.sku, allocation.quantity, allocation.warehouse) == ("TEE", 2, "A")


@pytest.mark.shopdesk_plugins(stock_owner("stock_a", "A"), stock_owner("stock_b", "B"))
def test_two_owners_of_one_hook_are_refused_rather_than_picked_by_order(app, db, bare_store):
    from shopdesk.stores import PluginStateError, StorePlugin

    registry = app.extensions["shopdesk"]
    enable_plugin(registry, bare_store, "stock_a")
    with pytest.raises(PluginStateError, match="'stock_a' already answers 'reserve_stock'"):
        enable_plugin(registry, bare_store, "stock_b")
    # A store that enabled both before enabling checked owners still never gets a pick by order.
    db.session.add(StorePlugin(store_id=bare_store.id, plugin="stock_b", enabled=True, settings={}))
    bare_store.plugins_version += 1
    db.session.commit()
    with pytest.raises(PluginError, match="stock_a and stock_b both answer 'reserve_stock'"):
        registry.for_store(bare_store).owner("reserve_stock", reference="order:1", lines=[])
