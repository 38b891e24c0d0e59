"""The demo store's orders: about fifteen, across channels and states, through the service layer."""

import sqlalchemy as sa

from shopdesk.demo import fill_with_demo_data
from shopdesk.events import OutboxEvent
from shopdesk.stores import create_store, enable_plugin, use_store
from shopdesk_catalog import public as catalog
from shopdesk_orders.demo import demo_data
from shopdesk_orders.models import Complaint, Order, Return


def test_demo_data_covers_the_channels_and_states(app, db, user):
    store = create_store("demo-orders", "Demo", owner=user)
    fill_with_demo_data(app.extensions["shopdesk"], store)
    db.session.commit()
    with use_store(store):
        orders = db.session.scalars(sa.select(Order)).all()
        assert len(orders) >= 15
        assert {o.channel for o in orders} == {"web", "marketplace", "pos", "manual"}
        assert {"placed", "paid", "shipped", "delivered", "completed", "cancelled", "draft"} <= {o.status for o in orders}
        assert db.session.scalar(sa.select(Return.status)) == "refunded"
        assert db.session.scalar(sa.select(sa.func.count(Complaint.id))) == 1


def test_without_catalog_demo_products_the_orders_demo_brings_a_few_through_the_catalog(app, db, user):
    registry = app.extensions["shopdesk"]
    store = create_store("bare", "Bare", owner=user)
    for name in ("catalog", "orders"):
        enable_plugin(registry, store, name)
    db.session.commit()
    with use_store(store):
        demo_data(registry.for_store(store).context("orders"))
        db.session.commit()
        assert sorted(catalog.variant_ids_by_sku(["DEMO-SHIRT", "DEMO-TOTE", "DEMO-BEANIE"])) == [
            "DEMO-BEANIE", "DEMO-SHIRT", "DEMO-TOTE"]
        assert all(v.sellable for v in catalog.variants_by_sku(["DEMO-SHIRT", "DEMO-TOTE"]).values())
        created = db.session.scalars(sa.select(OutboxEvent.payload).filter_by(name="product.created")).all()
        assert sorted(p["name"] for p in created) == ["Canvas tote", "Linen shirt", "Wool beanie"]
        assert db.session.scalar(sa.select(sa.func.count(Order.id))) >= 15
