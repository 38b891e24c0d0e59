"""The demo store's orders: about fifteen, across channels and states, through the service layer."""

import sqlalchemy as sa

from shopdesk.demo import fill_with_demo_data
from shopdesk.stores import create_store, use_store
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
