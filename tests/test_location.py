"""A 201 of the API says where to read what it created (Location), when there is such a place."""

import pytest


@pytest.fixture
def shop(client, store):
    """acme with warehouse MAIN holding 5 of an active product, SKU MUG; the product's answer."""
    product = client.post("/api/v1/catalog/products", json={"name": "Mug", "status": "active",
                                                            "variants": [{"sku": "MUG", "price": 900}]})
    assert product.status_code == 201, product.json
    warehouse = client.post("/api/v1/inventory/warehouses", json={"code": "MAIN", "name": "Main"})
    assert warehouse.status_code == 201, warehouse.json
    assert client.post("/api/v1/inventory/receipts", json={
        "warehouse": "MAIN", "lines": [{"sku": "MUG", "quantity": 5}]}).status_code == 201
    return product, warehouse


def test_what_a_post_creates_is_read_at_its_location(client, shop):
    product, warehouse = shop
    order = client.post("/api/v1/orders", json={"lines": [{"sku": "MUG", "quantity": 1}]})
    assert order.status_code == 201, order.json
    for created, path in ((product, "/api/v1/catalog/products"), (warehouse, "/api/v1/inventory/warehouses"),
                          (order, "/api/v1/orders")):
        assert created.headers["Location"] == f"{path}/{created.json['id']}"
        read = client.get(created.headers["Location"])
        assert read.status_code == 200 and read.json["id"] == created.json["id"]


def test_a_retried_post_answers_the_same_location(client, shop):
    first = client.post("/api/v1/orders", json={"lines": [{"sku": "MUG", "quantity": 1}]},
                        headers={"Idempotency-Key": "order-1"})
    again = client.post("/api/v1/orders", json={"lines": [{"sku": "MUG", "quantity": 1}]},
                        headers={"Idempotency-Key": "order-1"})
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"] == f"/api/v1/orders/{first.json['id']}"


def test_nothing_to_read_means_no_location(client, shop):
    order = client.post("/api/v1/orders", json={"lines": [{"sku": "MUG", "quantity": 1}]}).json
    # No route reads one payment: the payment's 201 names no place to read it.
    paid = client.post(f"/api/v1/orders/{order['id']}/payments", json={"provider": "cash", "amount": order["total"]})
    assert paid.status_code == 201, paid.json
    assert "Location" not in paid.headers
    assert client.get(f"/api/v1/orders/{order['id']}/payments/{paid.json['id']}").status_code == 404


def test_the_document_declares_location_where_it_is_sent(client):
    paths = client.get("/api/openapi.json").get_json()["paths"]
    created = paths["/api/v1/orders"]["post"]["responses"]["201"]["headers"]
    assert created["Location"] == {"$ref": "#/components/headers/Location"}
    assert "Location" not in paths["/api/v1/orders/{order_id}/payments"]["post"]["responses"]["201"]["headers"]
