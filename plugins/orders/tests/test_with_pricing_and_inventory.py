"""Orders with the real pricing and inventory plugins enabled (store 'acme'), driven through
their APIs and the commerce hooks only: orders never imports them."""

import pytest

pytest.importorskip("shopdesk_inventory")
pytest.importorskip("shopdesk_pricing")


def levels(client, sku):
    return {row["warehouse"]: (row["on_hand"], row["reserved"])
            for row in client.get(f"/api/v1/inventory/levels?sku={sku}").get_json()}


@pytest.fixture
def stocked(client, acme):
    for code, priority in (("MAIN", 10), ("EAST", 20)):
        answer = client.post("/api/v1/inventory/warehouses", json={"code": code, "name": code, "priority": priority})
        assert answer.status_code == 201, answer.get_json()
    for code, lines in (("MAIN", [("TEE-S", 3), ("MUG", 5)]), ("EAST", [("TEE-S", 2), ("CAP", 4)])):
        answer = client.post("/api/v1/inventory/receipts", json={
            "warehouse": code, "reference": "PO-1", "lines": [{"sku": s, "quantity": q} for s, q in lines]})
        assert answer.status_code == 201, answer.get_json()
    price_list = client.post("/api/v1/pricing/price-lists", json={"name": "Members", "customer_group": "members"})
    assert price_list.status_code == 201, price_list.get_json()
    item = client.put(f"/api/v1/pricing/price-lists/{price_list.get_json()['id']}/items",
                      json={"sku": "TEE-S", "price": 1300})
    assert item.status_code == 200 and item.get_json()["status"] == "applied", item.get_json()
    return client


def place(client, lines, status=201, **fields):
    answer = client.post("/api/v1/orders", json={
        "channel": "web", "customer": {"name": "Ada", "email": "ada@example.com", "group": "members"},
        "lines": [{"sku": s, "quantity": q} for s, q in lines], **fields})
    assert answer.status_code == status, answer.get_json()
    return answer.get_json()


def test_pricing_prices_the_lines_and_its_trail_is_kept(stocked):
    order = place(stocked, [("TEE-S", 1), ("MUG", 1)])
    tee, mug = order["lines"]
    assert tee["unit_price"] == 1300 and mug["unit_price"] == 1000
    assert tee["price_trail"] != [{"label": "catalog list price", "change": 1500, "price": 1500, "source": "catalog"}]
    assert tee["price_trail"][-1]["price"] == 1300
    page = stocked.get(f"/s/acme/orders/{order['id']}").get_data(as_text=True)
    assert "Why this price" in page


def test_placing_reserves_across_warehouses_and_cancelling_releases(stocked):
    order = place(stocked, [("TEE-S", 3), ("CAP", 1)])
    assert levels(stocked, "TEE-S") == {"MAIN": (3, 3), "EAST": (2, 0)}
    assert levels(stocked, "CAP") == {"EAST": (4, 1)}
    assert [line["allocations"] for line in order["lines"]] == [[{"warehouse": "MAIN", "quantity": 3}],
                                                                [{"warehouse": "EAST", "quantity": 1}]]
    stocked.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "changed mind"})
    assert levels(stocked, "TEE-S") == {"MAIN": (3, 0), "EAST": (2, 0)}
    assert levels(stocked, "CAP") == {"EAST": (4, 0)}


def test_out_of_stock_refuses_the_order_naming_the_sku_and_reserves_nothing(stocked):
    refused = place(stocked, [("MUG", 1), ("TEE-S", 6)], status=409)
    assert "TEE-S" in refused["message"] and refused["errors"]["skus"] == ["TEE-S"]
    assert levels(stocked, "MUG") == {"MAIN": (5, 0)}
    assert stocked.get("/api/v1/orders").get_json() == []


def test_a_split_shipment_consumes_from_each_warehouse_and_a_return_restocks(stocked):
    order = place(stocked, [("TEE-S", 3), ("CAP", 1)])
    base = f"/api/v1/orders/{order['id']}"
    stocked.post(f"{base}/payments", json={"provider": "cash", "amount": order["total"]})
    shipment = stocked.post(f"{base}/shipments", json={}).get_json()
    assert [(l["sku"], l["warehouse"], l["quantity"]) for l in shipment["lines"]] == [("TEE-S", "MAIN", 3),
                                                                                      ("CAP", "EAST", 1)]
    shipped = stocked.post(f"{base}/shipments/{shipment['id']}/ship", json={"carrier": "DHL", "tracking_number": "1"})
    assert shipped.status_code == 200, shipped.get_json()
    assert levels(stocked, "TEE-S") == {"MAIN": (0, 0), "EAST": (2, 0)}
    assert levels(stocked, "CAP") == {"EAST": (3, 0)}
    rma = stocked.post(f"{base}/returns", json={"reason": "damaged", "lines": [
        {"order_line_id": order["lines"][0]["id"], "quantity": 1}]}).get_json()
    stocked.post(f"/api/v1/orders/returns/{rma['id']}/approve", json={})
    received = stocked.post(f"/api/v1/orders/returns/{rma['id']}/receive", json={"lines": [
        {"return_line_id": rma["lines"][0]["id"], "disposition": "restock", "warehouse": "MAIN"}]})
    assert received.status_code == 200, received.get_json()
    assert levels(stocked, "TEE-S") == {"MAIN": (1, 0), "EAST": (2, 0)}
    refund = stocked.post(f"/api/v1/orders/returns/{rma['id']}/refund", json={})
    assert refund.status_code == 201 and refund.get_json()["amount"] == 1300


def test_the_answer_to_taking_an_order_in_is_the_order_as_stored(stocked):
    """The API answers from the order it just wrote instead of reloading it: every field,
    allocations and price trails included, must match a fresh read."""
    order = place(stocked, [("TEE-S", 2), ("CAP", 1)], shipping_fee=300)
    assert order["status"] == "placed" and order["lines"][0]["allocations"]
    assert order == stocked.get(f"/api/v1/orders/{order['id']}").get_json()


def paid(client, lines):
    order = place(client, lines)
    answer = client.post(f"/api/v1/orders/{order['id']}/payments", json={"provider": "cash", "amount": order["total"]})
    assert answer.status_code == 201, answer.get_json()
    return client.get(f"/api/v1/orders/{order['id']}").get_json()


def test_packing_from_an_unknown_or_another_stores_warehouse_is_refused_naming_the_field(app, db, user, stocked):
    from shopdesk.stores import create_store, enable_plugin

    other = create_store("other", "Other", currency="USD", owner=user)
    for name in ("catalog", "inventory"):
        enable_plugin(app.extensions["shopdesk"], other, name)
    db.session.commit()
    theirs = stocked.post("/api/v1/inventory/warehouses", json={"code": "WEST", "name": "West"},
                          headers={"Shopdesk-Store": "other"})
    assert theirs.status_code == 201, theirs.get_json()
    order = paid(stocked, [("TEE-S", 2), ("MUG", 1)])
    tee, mug = (line["id"] for line in order["lines"])
    for code in ("NOWHERE", "WEST"):
        refused = stocked.post(f"/api/v1/orders/{order['id']}/shipments", json={"lines": [
            {"order_line_id": tee, "quantity": 2, "warehouse": "MAIN"},
            {"order_line_id": mug, "quantity": 1, "warehouse": code}]})
        assert refused.status_code == 422, refused.get_json()
        assert list(refused.get_json()["errors"]) == ["lines.1.warehouse"]
        assert code in refused.get_json()["message"]
    again = stocked.get(f"/api/v1/orders/{order['id']}").get_json()
    assert again["status"] == "paid" and stocked.get(f"/api/v1/orders/{order['id']}/shipments").get_json() == []
    page = stocked.post(f"/s/acme/orders/{order['id']}/shipments",
                        data={f"qty_{tee}": "2", f"wh_{tee}": "NOWHERE", f"qty_{mug}": "0"})
    assert page.status_code == 422 and 'value="NOWHERE"' in page.get_data(as_text=True)


def test_a_chosen_warehouse_of_the_store_wins_and_the_reservation_it_replaced_is_released(stocked):
    order = paid(stocked, [("TEE-S", 2)])
    assert order["lines"][0]["allocations"] == [{"warehouse": "MAIN", "quantity": 2}]
    base = f"/api/v1/orders/{order['id']}"
    shipment = stocked.post(f"{base}/shipments", json={"lines": [
        {"order_line_id": order["lines"][0]["id"], "quantity": 2, "warehouse": "EAST"}]})
    assert shipment.status_code == 201, shipment.get_json()
    shipped = stocked.post(f"{base}/shipments/{shipment.get_json()['id']}/ship", json={})
    assert shipped.status_code == 200, shipped.get_json()
    assert stocked.get(base).get_json()["status"] == "shipped"
    assert levels(stocked, "TEE-S") == {"MAIN": (3, 0), "EAST": (0, 0)}


def test_a_packed_parcel_is_cancelled_and_packed_again_but_a_shipped_one_is_not(db, store, stocked):
    import sqlalchemy as sa

    from shopdesk.audit import AuditEntry
    from shopdesk.stores import use_store

    order = paid(stocked, [("TEE-S", 2), ("MUG", 1)])
    base = f"/api/v1/orders/{order['id']}"
    tee, mug = (line["id"] for line in order["lines"])
    first = stocked.post(f"{base}/shipments", json={"lines": [{"order_line_id": tee, "quantity": 2}]}).get_json()
    second = stocked.post(f"{base}/shipments", json={"lines": [{"order_line_id": mug, "quantity": 1}]}).get_json()
    assert stocked.get(base).get_json()["status"] == "fulfilled"

    cancelled = stocked.post(f"{base}/shipments/{second['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled", cancelled.get_json()
    after = stocked.get(base).get_json()
    assert after["status"] == "partially_fulfilled"
    assert [line["fulfilled_quantity"] for line in after["lines"]] == [2, 0]
    assert levels(stocked, "MUG") == {"MAIN": (5, 1)}  # nothing left: still reserved for the order
    stocked.post(f"{base}/shipments/{first['id']}/ship", json={})
    stocked.post(f"{base}/shipments/{first['id']}/deliver")
    refused = stocked.post(f"{base}/shipments/{first['id']}/cancel")
    assert (refused.status_code, refused.get_json()["code"]) == (409, "invalid_transition")
    assert refused.get_json()["errors"] == {"status": ["delivered"]}

    page = stocked.post(f"/s/acme/orders/{order['id']}/shipments", data={f"qty_{mug}": "1"})
    assert page.status_code == 302
    again = stocked.get(f"{base}/shipments").get_json()[-1]
    assert stocked.post(f"/s/acme/orders/{order['id']}/shipments/{again['id']}/cancel").status_code == 302
    assert stocked.get(base).get_json()["status"] == "fulfilled"  # not confirmed: nothing cancelled
    detail = stocked.get(f"/s/acme/orders/{order['id']}").get_data(as_text=True)
    assert f'id="form-cancel-shipment-{again["id"]}"' in detail and f'id="form-cancel-shipment-{first["id"]}"' not in detail
    stocked.post(f"/s/acme/orders/{order['id']}/shipments/{again['id']}/cancel", data={"confirm": "yes"})
    assert stocked.get(base).get_json()["status"] == "partially_fulfilled"

    stocked.post(f"{base}/shipments", json={})
    last = stocked.get(f"{base}/shipments").get_json()[-1]
    stocked.post(f"{base}/shipments/{last['id']}/ship", json={})
    stocked.post(f"{base}/shipments/{last['id']}/deliver")
    assert stocked.get(base).get_json()["status"] == "delivered"  # cancelled parcels do not hold it back
    kinds = [entry["kind"] for entry in stocked.get(f"{base}/timeline?page_size=100").get_json()]
    assert kinds.count("shipment_cancelled") == 2
    with use_store(store):
        audited = db.session.scalars(sa.select(AuditEntry).filter_by(action="orders.shipment_cancelled")).all()
    assert [(e.before["status"], e.after["status"]) for e in audited] == [("fulfilled", "partially_fulfilled")] * 2
