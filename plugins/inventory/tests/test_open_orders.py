"""Turning inventory on in a store with open orders: the orders placed before hold no
reservation, and `shopdesk inventory reserve-open-orders` (or the Reservations page) reserves
their stock, oldest first, through the same reservation path new orders use."""

import pytest
import sqlalchemy as sa
from flask import current_app

from shopdesk.audit import AuditEntry
from shopdesk.commerce import StockDemand, StockLine
from shopdesk.stores import create_store, enable_plugin, use_store
from shopdesk_catalog.models import Product, Variant

pytest.importorskip("shopdesk_orders")


@pytest.fixture
def late(app, db, user):
    """Store 'late' with catalog and orders only, and a client naming it."""
    store = create_store("late", "Late", currency="USD", owner=user)
    for name in ("catalog", "orders"):
        enable_plugin(current_app.extensions["shopdesk"], store, name)
    db.session.commit()
    with use_store(store):
        product = Product(name="Goods", status="active")
        product.variants += [Variant(sku="MUG", price=1000, unit_cost=300), Variant(sku="TEE", price=1500)]
        db.session.add(product)
        db.session.commit()
    client = app.test_client(user=user)
    client.environ_base["HTTP_SHOPDESK_STORE"] = "late"
    client.store = store
    return client


def order(client, lines, status=201):
    answer = client.post("/api/v1/orders", json={"lines": [{"sku": s, "quantity": q} for s, q in lines]})
    assert answer.status_code == status, answer.get_json()
    return answer.get_json()


def pay(client, placed):
    assert client.post(f"/api/v1/orders/{placed['id']}/payments",
                       json={"provider": "cash", "amount": placed["total"]}).status_code == 201


def levels(client, sku):
    return {row["warehouse"]: (row["on_hand"], row["reserved"])
            for row in client.get(f"/api/v1/inventory/levels?sku={sku}").get_json()}


@pytest.fixture
def before_inventory(db, late):
    """Orders taken without inventory: SO-01001 (3 MUG, 1 TEE), SO-01002 (2 MUG), SO-01003
    (2 TEE, one shipped already), a cancelled one, a draft and a shipped one (1 TEE,
    ``client.shipped_before``); then inventory is enabled with 4 MUG and 5 TEE in MAIN."""
    first, second = order(late, [("MUG", 3), ("TEE", 1)]), order(late, [("MUG", 2)])
    third = order(late, [("TEE", 2)])
    pay(late, third)
    parcel = late.post(f"/api/v1/orders/{third['id']}/shipments",
                       json={"lines": [{"order_line_id": third["lines"][0]["id"], "quantity": 1}]}).get_json()
    assert late.post(f"/api/v1/orders/{third['id']}/shipments/{parcel['id']}/ship", json={}).status_code == 200
    cancelled = order(late, [("MUG", 1)])
    late.post(f"/api/v1/orders/{cancelled['id']}/cancel", json={})
    assert late.post("/api/v1/orders", json={"lines": [{"sku": "MUG", "quantity": 1}], "draft": True}).status_code == 201
    gone = order(late, [("TEE", 1)])
    pay(late, gone)
    parcel = late.post(f"/api/v1/orders/{gone['id']}/shipments", json={}).get_json()
    assert late.post(f"/api/v1/orders/{gone['id']}/shipments/{parcel['id']}/ship", json={}).status_code == 200
    late.shipped_before = gone
    enable_plugin(current_app.extensions["shopdesk"], late.store, "inventory")
    db.session.commit()
    assert late.post("/api/v1/inventory/warehouses", json={"code": "MAIN", "name": "Main"}).status_code == 201
    assert late.post("/api/v1/inventory/receipts", json={"warehouse": "MAIN", "lines": [
        {"sku": "MUG", "quantity": 4}, {"sku": "TEE", "quantity": 5}]}).status_code == 201
    return late, (first, second, third)


def test_hook_open_stock_demand(db, before_inventory):
    client, (first, second, third) = before_inventory
    hooks = current_app.extensions["shopdesk"].for_store(client.store)
    with use_store(client.store):
        [answer] = [r.value for r in hooks.each("open_stock_demand", isolate=False)]
    assert [(d.reference, d.label, d.lines) for d in answer] == [
        (f"order:{first['id']}", "SO-01001", (StockLine("MUG", 3), StockLine("TEE", 1))),
        (f"order:{second['id']}", "SO-01002", (StockLine("MUG", 2),)),
        (f"order:{third['id']}", "SO-01003", (StockLine("TEE", 1),)),  # the shipped unit left out
    ]
    assert all(isinstance(d, StockDemand) for d in answer)


def test_the_command_reserves_oldest_first_lists_the_shortfalls_and_reserves_nothing_twice(db, cli, before_inventory):
    client, (first, second, third) = before_inventory
    assert "Open orders holding no reservation: 3." in client.get("/s/late/inventory/reservations").get_data(as_text=True)
    run = cli("inventory", "reserve-open-orders", "late")
    assert run.exit_code == 1, run.output
    assert "3 open order(s) hold no reservation in late." in run.output
    assert "Reserved 5 unit(s) for 2 of 3 order(s)." in run.output
    assert "SO-01002  MUG  wanted 2  reserved 0  available 1" in run.output
    assert levels(client, "MUG") == {"MAIN": (4, 3)} and levels(client, "TEE") == {"MAIN": (5, 2)}
    order(client, [("MUG", 2)], status=409)  # the old orders' stock is theirs now

    again = cli("inventory", "reserve-open-orders", "late")
    assert "Reserved 0 unit(s) for 0 of 1 order(s)." in again.output and "SO-01002  MUG" in again.output
    assert levels(client, "MUG") == {"MAIN": (4, 3)} and levels(client, "TEE") == {"MAIN": (5, 2)}
    with use_store(client.store):
        runs = db.session.scalars(sa.select(AuditEntry).filter_by(action="inventory.open_orders_reserved")
                                  .order_by(AuditEntry.id)).all()
        reserved = db.session.scalars(sa.select(AuditEntry.object_id)
                                      .filter_by(action="inventory.open_order_reserved")).all()
    assert [(r.after["reserved_units"], len(r.after["shortfalls"])) for r in runs] == [(5, 1), (0, 1)]
    assert sorted(reserved) == sorted([f"order:{first['id']}", f"order:{third['id']}"])

    pay(client, first)
    parcel = client.post(f"/api/v1/orders/{first['id']}/shipments", json={}).get_json()
    assert client.post(f"/api/v1/orders/{first['id']}/shipments/{parcel['id']}/ship", json={}).status_code == 200
    assert levels(client, "MUG") == {"MAIN": (1, 0)} and levels(client, "TEE") == {"MAIN": (4, 1)}


def test_the_reservations_page_runs_it_after_a_confirmation_and_lists_the_shortfalls(db, before_inventory):
    client, (first, second, third) = before_inventory
    unconfirmed = client.post("/s/late/inventory/reservations/open-orders")
    assert unconfirmed.status_code == 400 and levels(client, "MUG") == {"MAIN": (4, 0)}
    page = client.post("/s/late/inventory/reservations/open-orders", data={"confirm": "yes"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="shortfalls"' in html and "SO-01002" in html
    assert "Open orders holding no reservation: 1." in html
    assert client.post("/api/v1/inventory/receipts", json={"warehouse": "MAIN", "lines": [
        {"sku": "MUG", "quantity": 1}]}).status_code == 201
    html = client.post("/s/late/inventory/reservations/open-orders", data={"confirm": "yes"}).get_data(as_text=True)
    assert 'id="shortfalls"' not in html and "Reserved 2 unit(s) for 1 order(s)." in html
    assert levels(client, "MUG") == {"MAIN": (5, 5)}
    assert 'id="open-orders"' not in client.get("/s/late/inventory/reservations").get_data(as_text=True)


def test_a_unit_shipped_before_inventory_comes_back_onto_the_books_where_it_is_shelved(db, before_inventory):
    """The opening receipt counted the shelves, so the unit that had already shipped was not
    in it: when it comes back it is on a shelf again and is added there (a return move), and
    the books still agree with the ledger."""
    client, _ = before_inventory
    gone = client.shipped_before
    rma = client.post(f"/api/v1/orders/{gone['id']}/returns", json={"reason": "size_fit", "lines": [
        {"order_line_id": gone["lines"][0]["id"], "quantity": 1}]}).get_json()
    client.post(f"/api/v1/orders/returns/{rma['id']}/approve", json={})
    unnamed = client.post(f"/api/v1/orders/returns/{rma['id']}/receive", json={"lines": [
        {"return_line_id": rma["lines"][0]["id"], "disposition": "restock"}]})
    assert unnamed.status_code == 422 and "lines.0.warehouse" in unnamed.get_json()["errors"]
    received = client.post(f"/api/v1/orders/returns/{rma['id']}/receive", json={"lines": [
        {"return_line_id": rma["lines"][0]["id"], "disposition": "restock", "warehouse": "MAIN"}]})
    assert received.status_code == 200, received.get_json()
    assert levels(client, "TEE") == {"MAIN": (6, 0)}
    moves = client.get(f"/api/v1/inventory/moves?reference=return:{rma['id']}").get_json()
    assert [(m["kind"], m["quantity"], m["warehouse"]) for m in moves] == [("return", 1, "MAIN")]
    assert client.get("/api/v1/inventory/verify").get_json() == []
