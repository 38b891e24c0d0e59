"""A shop with only catalog and orders enabled (no pricing, no inventory): tests that need a
price or stock owner register a fake one with ``make_plugin`` and enable it here."""

import pytest
from flask import current_app

from shopdesk.stores import create_store, enable_plugin, use_store
from shopdesk_catalog.models import Product, Variant

CATALOG = (("TEE-S", "Logo tee", {"size": "S"}, 1500, 600), ("TEE-M", "Logo tee", {"size": "M"}, 1500, 600),
           ("MUG", "Mug", {}, 1000, 300), ("CAP", "Cap", {}, 2500, 900))


def add_catalog(db, store):
    with use_store(store):
        products = {}
        for sku, name, options, price, cost in CATALOG:
            product = products.get(name)
            if product is None:
                product = products[name] = Product(name=name, status="active")
                db.session.add(product)
            product.variants.append(Variant(sku=sku, options=options, price=price, unit_cost=cost))
        db.session.commit()


@pytest.fixture
def shop(app, db, user, request):
    """Store 'shop': catalog + orders, plus the test's own plugins (the shopdesk_plugins marker)."""
    registry = current_app.extensions["shopdesk"]
    store = create_store("shop", "Shop", currency="USD", owner=user)
    extra = request.node.get_closest_marker("shopdesk_plugins")
    for name in ["catalog", "orders"] + [p.manifest.name for p in (extra.args if extra else ())]:
        enable_plugin(registry, store, name)
    db.session.commit()
    add_catalog(db, store)
    return store


@pytest.fixture
def api(app, user, shop):
    """A signed-in client that names the 'shop' store."""
    client = app.test_client(user=user)
    client.environ_base["HTTP_SHOPDESK_STORE"] = "shop"
    return client


@pytest.fixture
def new_order(api):
    """Post an order and return the JSON (asserting 201 unless told the status)."""
    def post(lines=(("TEE-S", 2),), status=201, **fields):
        body = {"channel": "web", "customer": {"name": "Ada", "email": "ada@example.com"},
                "lines": [{"sku": sku, "quantity": qty} for sku, qty in lines], **fields}
        answer = api.post("/api/v1/orders", json=body)
        assert answer.status_code == status, answer.get_json()
        return answer.get_json()
    return post


@pytest.fixture
def paid_order(api, new_order):
    def make(lines=(("TEE-S", 2),), **fields):
        order = new_order(lines, **fields)
        answer = api.post(f"/api/v1/orders/{order['id']}/payments",
                          json={"provider": "cash", "amount": order["total"]})
        assert answer.status_code == 201, answer.get_json()
        return api.get(f"/api/v1/orders/{order['id']}").get_json()
    return make


@pytest.fixture
def acme(db, store):
    """The 'acme' store (every installed plugin enabled) with the same small catalog."""
    add_catalog(db, store)
    return store
