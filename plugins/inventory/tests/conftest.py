"""Fixtures of the inventory tests: a store with catalog variants, two warehouses and stock."""

from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from shopdesk.events import OutboxEvent
from shopdesk.stores import use_store
from shopdesk_catalog.models import Category, Product, Variant

SKUS = {"TEE-M": (1200, 500), "TEE-L": (1200, 500), "MUG": (900, 300), "CAP": (1500, 600)}


@pytest.fixture
def stocked(app, db, store, client):
    """acme with variants TEE-M, TEE-L, MUG, CAP (price, unit cost), warehouses MAIN (priority
    10) and EAST (20), and stock: MAIN 10 of each, EAST 5 TEE-M and 20 MUG."""
    with use_store(store):
        category = Category(name="Apparel")
        db.session.add(category)
        db.session.flush()
        product = Product(name="Demo goods", status="active", category_id=category.id)
        db.session.add(product)
        db.session.flush()
        for sku, (price, cost) in SKUS.items():
            db.session.add(Variant(product_id=product.id, sku=sku, price=price, unit_cost=cost))
        db.session.commit()
        category_id = category.id
    for code, priority in (("MAIN", 10), ("EAST", 20)):
        assert client.post("/api/v1/inventory/warehouses",
                           json={"code": code, "name": code.title(), "priority": priority}).status_code == 201
    receipt = client.post("/api/v1/inventory/receipts", json={
        "warehouse": "MAIN", "reference": "PO-1", "lines": [{"sku": s, "quantity": 10} for s in SKUS]})
    assert receipt.status_code == 201, receipt.json
    assert client.post("/api/v1/inventory/receipts", json={
        "warehouse": "EAST", "reference": "PO-2",
        "lines": [{"sku": "TEE-M", "quantity": 5}, {"sku": "MUG", "quantity": 20}]}).status_code == 201
    return SimpleNamespace(store=store, category_id=category_id)


@pytest.fixture
def hooks(app, db, store):
    """Call the store's commerce hooks as the orders plugin does, with the store current."""
    registry = app.extensions["shopdesk"]

    class Caller:
        def __call__(self, hook, **kwargs):
            with use_store(store):
                result = registry.for_store(store).owner(hook, **kwargs)
                db.session.flush()  # while the store is current; the test commits or rolls back
                return result

    return Caller()


@pytest.fixture
def level(client):
    """``level("TEE-M", "MAIN")`` → (on_hand, reserved, available) as the API reports it."""

    def read(sku, warehouse):
        rows = client.get(f"/api/v1/inventory/levels?sku={sku}&warehouse={warehouse}").json
        if not rows:
            return (0, 0, 0)
        return rows[0]["on_hand"], rows[0]["reserved"], rows[0]["available"]

    return read


@pytest.fixture
def emitted(db, store):
    """The events written in the store so far, (name, payload), oldest first."""

    def read(name=None):
        with use_store(store):
            query = sa.select(OutboxEvent).order_by(OutboxEvent.id)
            if name:
                query = query.filter_by(name=name)
            return [(row.name, row.payload) for row in db.session.scalars(query)]

    return read
