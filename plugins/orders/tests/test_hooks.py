"""The hooks orders calls: validate_order, score_risk, payment_providers, and the owners of
prices and stock (fake ones here; the real plugins are in test_with_pricing_and_inventory)."""

import pytest
import sqlalchemy as sa

from shopdesk.commerce import (Allocation, OutOfStock, PaymentProvider, PricedLine, Problem, RiskScore, Shortage,
                               TrailStep)
from shopdesk.stores import use_store
from shopdesk.testing import make_plugin
from shopdesk_orders.models import Order

seen = []

guard = make_plugin(
    "guard", requires=["orders"],
    validate_order=lambda ctx, order: (
        [Problem("too_large", f"Orders above 50.00 need approval ({order.number}).", field="lines")]
        if order.total > 5000 else [Problem("no_phone", "No phone number given.", blocking=False)]),
)
risky = make_plugin(
    "risky", requires=["orders"],
    score_risk=lambda ctx, order: seen.append(order) or [
        RiskScore("new_customer", 35, f"First order from {order.customer_email}")],
)
linepay = make_plugin(
    "linepay", payment_providers=lambda ctx: [PaymentProvider("linepay", "LINE Pay", offline=False)])


class FakeStock:
    """Records every call; SKUs in ``short`` are out of stock."""

    def __init__(self):
        self.calls, self.short = [], set()

    def reserve(self, ctx, reference, lines):
        self.calls.append(("reserve", reference, [(l.sku, l.quantity, l.warehouse) for l in lines]))
        missing = [Shortage(l.sku, l.quantity, 0) for l in lines if l.sku in self.short]
        if missing:
            raise OutOfStock(missing)
        return [Allocation(l.sku, 1, "NORTH") for l in lines] + [
            Allocation(l.sku, l.quantity - 1, "SOUTH") for l in lines if l.quantity > 1]

    def plugin(self):
        return make_plugin(
            "fakestock", reserve_stock=lambda ctx, reference, lines: self.reserve(ctx, reference, lines),
            release_stock=lambda ctx, reference: self.calls.append(("release", reference, [])) or 1,
            consume_stock=lambda ctx, reference, lines: self.calls.append(
                ("consume", reference, [(l.sku, l.quantity, l.warehouse) for l in lines])) or [],
            return_stock=lambda ctx, reference, lines: self.calls.append(
                ("return", reference, [(l.sku, l.quantity, l.warehouse) for l in lines])) or [])


stock = FakeStock()
fakestock = stock.plugin()


def fake_prices(ctx, lines, customer_group, currency):
    return [PricedLine(l.sku, l.quantity, 1200, currency, trail=(
        TrailStep("list price", 1500, 1500, "fakeprice"),
        TrailStep(f"{customer_group or 'guest'} price -20 %", -300, 1200, "members"))) for l in lines]


fakeprice = make_plugin("fakeprice", price_lines=fake_prices)


@pytest.fixture(autouse=True)
def clean():
    stock.calls.clear()
    stock.short.clear()
    seen.clear()


@pytest.mark.shopdesk_plugins(guard)
def test_hook_validate_order(api, db, shop, new_order):
    refused = new_order([("CAP", 3)], status=422)  # 75.00
    assert refused["message"] == "Orders above 50.00 need approval (SO-01001)."
    assert refused["errors"] == {"lines": ["Orders above 50.00 need approval (SO-01001)."]}
    with use_store(shop):
        assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0
    accepted = new_order([("MUG", 1)])
    assert accepted["status"] == "placed"
    assert accepted["warnings"] == [{"plugin": "guard", "code": "no_phone", "message": "No phone number given.",
                                     "field": None}]


@pytest.mark.shopdesk_plugins(risky)
def test_hook_score_risk(api, new_order):
    order = new_order([("MUG", 1)], customer={"email": "new@example.com"})
    assert order["risk_scores"] == [{"plugin": "risky", "code": "new_customer", "score": 35,
                                     "reason": "First order from new@example.com"}]
    assert order == api.get(f"/api/v1/orders/{order['id']}").get_json()  # the answer is what was stored
    snapshot = seen[0]
    assert (snapshot.number, snapshot.channel, snapshot.total, snapshot.lines[0].sku) == ("SO-01001", "web", 1000, "MUG")
    page = api.get(f"/s/shop/orders/{order['id']}").get_data(as_text=True)
    assert "new_customer: First order from new@example.com" in page


@pytest.mark.shopdesk_plugins(linepay)
def test_hook_payment_providers(api, new_order):
    codes = [p["code"] for p in api.get("/api/v1/orders/payment-providers").get_json()]
    assert codes == ["cash", "bank_transfer", "manual", "linepay"]
    order = new_order([("MUG", 1)])
    paid = api.post(f"/api/v1/orders/{order['id']}/payments", json={"provider": "linepay", "amount": 1000})
    assert paid.status_code == 201 and paid.get_json()["provider"] == "linepay"


@pytest.mark.shopdesk_plugins(fakeprice)
def test_lines_are_priced_by_the_pricing_owner_and_the_trail_is_stored(new_order):
    order = new_order([("TEE-S", 2)], customer={"group": "members"})
    line = order["lines"][0]
    assert (line["unit_price"], line["total"]) == (1200, 2400)
    assert line["price_trail"] == [
        {"label": "list price", "change": 1500, "price": 1500, "source": "fakeprice"},
        {"label": "members price -20 %", "change": -300, "price": 1200, "source": "members"}]


@pytest.mark.shopdesk_plugins(fakestock)
def test_placing_reserves_cancelling_releases(api, new_order):
    order = new_order([("TEE-S", 3), ("MUG", 1)])
    ref = f"order:{order['id']}"
    assert stock.calls == [("reserve", ref, [("TEE-S", 3, None), ("MUG", 1, None)])]
    assert order["lines"][0]["allocations"] == [{"warehouse": "NORTH", "quantity": 1},
                                                {"warehouse": "SOUTH", "quantity": 2}]
    api.post(f"/api/v1/orders/{order['id']}/cancel", json={})
    assert stock.calls[-1] == ("release", ref, [])


@pytest.mark.shopdesk_plugins(fakestock)
def test_out_of_stock_stops_placement_naming_the_sku(api, db, shop, new_order):
    stock.short.add("MUG")
    refused = new_order([("TEE-S", 1), ("MUG", 2)], status=409)
    assert "MUG (requested 2, available 0)" in refused["message"]
    assert refused["errors"]["skus"] == ["MUG"]
    with use_store(shop):
        assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0


@pytest.mark.shopdesk_plugins(fakestock)
def test_shipping_consumes_from_the_reserved_warehouses_and_returns_restock(api, paid_order):
    order = paid_order([("TEE-S", 3)])
    base = f"/api/v1/orders/{order['id']}"
    shipment = api.post(f"{base}/shipments", json={}).get_json()
    assert [(l["quantity"], l["warehouse"]) for l in shipment["lines"]] == [(1, "NORTH"), (2, "SOUTH")]
    api.post(f"{base}/shipments/{shipment['id']}/ship", json={"carrier": "UPS", "tracking_number": "1Z"})
    assert stock.calls[-1] == ("consume", f"order:{order['id']}", [("TEE-S", 1, "NORTH"), ("TEE-S", 2, "SOUTH")])
    rma = api.post(f"{base}/returns", json={"reason": "damaged", "lines": [
        {"order_line_id": order["lines"][0]["id"], "quantity": 2}]}).get_json()
    api.post(f"/api/v1/orders/returns/{rma['id']}/approve", json={})
    received = api.post(f"/api/v1/orders/returns/{rma['id']}/receive", json={"lines": [
        {"return_line_id": rma["lines"][0]["id"], "disposition": "restock", "warehouse": "NORTH"}]})
    assert received.status_code == 200, received.get_json()
    assert stock.calls[-1] == ("return", f"return:{rma['id']}", [("TEE-S", 2, "NORTH")])


@pytest.mark.shopdesk_plugins(fakestock)
def test_a_chosen_warehouse_wins_and_restock_needs_one(api, paid_order):
    order = paid_order([("MUG", 2)])
    base = f"/api/v1/orders/{order['id']}"
    line = order["lines"][0]["id"]
    shipment = api.post(f"{base}/shipments", json={"lines": [{"order_line_id": line, "quantity": 2,
                                                              "warehouse": "EAST"}]}).get_json()
    assert [(l["quantity"], l["warehouse"]) for l in shipment["lines"]] == [(2, "EAST")]
    api.post(f"{base}/shipments/{shipment['id']}/ship", json={})
    rma = api.post(f"{base}/returns", json={"reason": "wrong_item", "lines": [
        {"order_line_id": line, "quantity": 1}]}).get_json()
    api.post(f"/api/v1/orders/returns/{rma['id']}/approve", json={})
    missing = api.post(f"/api/v1/orders/returns/{rma['id']}/receive", json={"lines": [
        {"return_line_id": rma["lines"][0]["id"], "disposition": "restock"}]})
    assert missing.status_code == 422 and "lines.0.warehouse" in missing.get_json()["errors"]
