"""The order's life: payments, fulfilment, shipping, delivery, cancelling and refunds."""

import threading

import sqlalchemy as sa

from shopdesk.audit import AuditEntry
from shopdesk.events import OutboxEvent
from shopdesk.stores import use_store
from shopdesk_orders.models import Order, Refund


def emitted(db, store):
    with use_store(store):
        return [(row.name, row.payload) for row in db.session.scalars(sa.select(OutboxEvent).order_by(OutboxEvent.id))]


def test_partial_payments_make_the_order_paid_when_they_cover_the_total(api, db, shop, new_order):
    order = new_order([("TEE-S", 2)])  # 3000
    url = f"/api/v1/orders/{order['id']}/payments"
    assert api.post(url, json={"provider": "bank_transfer", "amount": 1000, "reference": "TX-1"}).status_code == 201
    half = api.get(f"/api/v1/orders/{order['id']}").get_json()
    assert (half["status"], half["payment_status"], half["balance_due"]) == ("placed", "partially_paid", 2000)
    assert api.post(url, json={"provider": "cash", "amount": 2000}).status_code == 201
    paid = api.get(f"/api/v1/orders/{order['id']}").get_json()
    assert (paid["status"], paid["payment_status"], paid["paid_total"]) == ("paid", "paid", 3000)
    assert [p["reference"] for p in api.get(url).get_json()] == ["TX-1", ""]
    names = [name for name, _ in emitted(db, shop)]
    assert names == ["order.placed", "payment.recorded", "payment.recorded", "order.paid"]


def test_over_payment_and_unknown_providers_are_refused(api, new_order):
    order = new_order([("MUG", 1)])  # 1000
    url = f"/api/v1/orders/{order['id']}/payments"
    too_much = api.post(url, json={"provider": "cash", "amount": 1001})
    assert too_much.status_code == 422 and "amount" in too_much.get_json()["errors"]
    unknown = api.post(url, json={"provider": "bitcoin", "amount": 10})
    assert unknown.status_code == 422 and "provider" in unknown.get_json()["errors"]
    assert api.get(url).get_json() == []


def test_illegal_transitions_answer_409_naming_the_current_and_allowed_states(api, new_order):
    order = new_order([("MUG", 1)])
    answer = api.post(f"/api/v1/orders/{order['id']}/complete")
    assert answer.status_code == 409
    assert answer.get_json()["message"] == ("Cannot move to completed: the order is placed; "
                                            "allowed from placed: paid, cancelled.")
    fulfil = api.post(f"/api/v1/orders/{order['id']}/shipments", json={})
    assert fulfil.status_code == 409 and "the order is placed" in fulfil.get_json()["message"]


def test_partial_fulfilment_then_shipping_then_delivery_then_completion(api, db, shop, paid_order):
    order = paid_order([("TEE-S", 2), ("MUG", 1)])
    tee, mug = order["lines"]
    base = f"/api/v1/orders/{order['id']}"
    first = api.post(f"{base}/shipments", json={"lines": [{"order_line_id": tee["id"], "quantity": 1}]}).get_json()
    assert api.get(base).get_json()["status"] == "partially_fulfilled"
    too_many = api.post(f"{base}/shipments", json={"lines": [{"order_line_id": tee["id"], "quantity": 2}]})
    assert too_many.status_code == 422 and too_many.get_json()["errors"] == {"lines.0.quantity": ["Only 1 of TEE-S left to fulfil."]}
    second = api.post(f"{base}/shipments", json={}).get_json()  # everything left
    assert [(l["sku"], l["quantity"]) for l in second["lines"]] == [("TEE-S", 1), ("MUG", 1)]
    assert api.get(base).get_json()["status"] == "fulfilled"
    shipped = api.post(f"{base}/shipments/{first['id']}/ship", json={"carrier": "DHL", "tracking_number": "JD01"})
    assert shipped.get_json()["status"] == "shipped" and shipped.get_json()["tracking_number"] == "JD01"
    assert api.get(base).get_json()["status"] == "fulfilled"  # one parcel still in the warehouse
    api.post(f"{base}/shipments/{second['id']}/ship", json={"carrier": "DHL", "tracking_number": "JD02"})
    assert api.get(base).get_json()["status"] == "shipped"
    again = api.post(f"{base}/shipments/{second['id']}/ship", json={})
    assert again.status_code == 409
    for shipment in (first, second):
        api.post(f"{base}/shipments/{shipment['id']}/deliver")
    assert api.get(base).get_json()["status"] == "delivered"
    assert api.post(f"{base}/complete").get_json()["status"] == "completed"
    kinds = [t["kind"] for t in api.get(f"{base}/timeline?page_size=100").get_json()]
    assert kinds == ["created", "placed", "payment", "paid", "packed", "partially_fulfilled", "packed", "fulfilled",
                     "shipment_shipped", "shipment_shipped", "shipped", "shipment_delivered", "shipment_delivered",
                     "delivered", "completed"]
    names = [name for name, _ in emitted(db, shop)]
    for name in ("order.partially_fulfilled", "order.fulfilled", "shipment.shipped", "order.shipped",
                 "order.delivered", "order.completed"):
        assert name in names
    with use_store(shop):
        actions = set(db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.store_id == shop.id)))
    assert {"orders.placed", "orders.paid", "orders.shipped", "orders.completed", "orders.payment_recorded"} <= actions


def test_cancelling_a_placed_order_and_the_event_payload(api, db, shop, new_order):
    order = new_order([("MUG", 1)], external_id="W-9")
    cancelled = api.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "fraud suspected"}).get_json()
    assert cancelled["status"] == "cancelled" and cancelled["allowed_transitions"] == []
    name, payload = emitted(db, shop)[-1]
    assert name == "order.cancelled"
    assert payload == {"id": order["id"], "number": order["number"], "status": "cancelled", "payment_status": "unpaid",
                       "channel": "web", "external_id": "W-9", "currency": "USD", "total": 1000, "paid_total": 0,
                       "refunded_total": 0, "customer_email": "ada@example.com",
                       "lines": [{"sku": "MUG", "quantity": 1, "unit_price": 1000, "total": 1000}]}
    again = api.post(f"/api/v1/orders/{order['id']}/cancel", json={})
    assert again.status_code == 409 and "allowed from cancelled: none (final status)" in again.get_json()["message"]


def test_refunds_never_exceed_what_was_paid(api, paid_order):
    order = paid_order([("TEE-S", 2)])  # 3000 paid
    url = f"/api/v1/orders/{order['id']}/refunds"
    assert api.post(url, json={"amount": 1000, "reason": "goodwill"}).status_code == 201
    partly = api.get(f"/api/v1/orders/{order['id']}").get_json()
    assert (partly["status"], partly["payment_status"], partly["refunded_total"]) == ("paid", "partially_refunded", 1000)
    too_much = api.post(url, json={"amount": 2001})
    assert too_much.status_code == 422 and too_much.get_json()["errors"]["amount"]
    assert api.post(url, json={"amount": 2000}).status_code == 201
    whole = api.get(f"/api/v1/orders/{order['id']}").get_json()
    assert (whole["status"], whole["payment_status"]) == ("refunded", "refunded")


def test_refunding_needs_the_refund_permission(app, db, shop, user, paid_order, token_for):
    order = paid_order([("MUG", 1)])
    token = token_for(user, shop, ["orders.read", "orders.write"])
    answer = app.test_client().post(f"/api/v1/orders/{order['id']}/refunds", json={"amount": 10},
                                    headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 403


def test_two_refunds_at_once_cannot_exceed_what_was_paid(app, db, shop, paid_order):
    """Two threads, each with its own app context and connection, refund 2000 of 3000 at once."""
    order_id = paid_order([("TEE-S", 2)])["id"]
    registry = app.extensions["shopdesk"]
    results, barrier = [], threading.Barrier(2)

    def refund():
        from shopdesk_orders import lifecycle
        from shopdesk_orders.common import OrderError
        from shopdesk.db import db as thread_db

        with app.app_context(), use_store(shop.id):
            from shopdesk.stores import Store

            store = thread_db.session.get(Store, shop.id)
            hooks = registry.for_store(store)
            order = thread_db.session.get(Order, order_id)
            barrier.wait()
            try:
                lifecycle.refund(hooks, order, amount=2000, reason="race")
                thread_db.session.commit()
                results.append("refunded")
            except OrderError as exc:
                thread_db.session.rollback()
                results.append(exc.status)
            finally:
                thread_db.session.remove()

    threads = [threading.Thread(target=refund) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(map(str, results)) == ["422", "refunded"]
    with use_store(shop):
        assert db.session.scalar(sa.select(sa.func.sum(Refund.amount)).filter_by(order_id=order_id)) == 2000
        assert db.session.scalar(sa.select(Order.refunded_total).filter_by(id=order_id)) == 2000


def test_payment_providers_list_the_built_in_offline_ones(api):
    codes = [(p["code"], p["offline"], p["plugin"]) for p in api.get("/api/v1/orders/payment-providers").get_json()]
    assert codes == [("cash", True, "orders"), ("bank_transfer", True, "orders"), ("manual", True, "orders")]


def test_another_stores_orders_are_404(app, db, user, shop, new_order):
    from shopdesk.stores import create_store, enable_plugin

    order = new_order([("MUG", 1)])
    other = create_store("other", "Other", owner=user)
    for name in ("catalog", "orders"):
        enable_plugin(app.extensions["shopdesk"], other, name)
    db.session.commit()
    client = app.test_client(user=user)
    assert client.get(f"/api/v1/orders/{order['id']}", headers={"Shopdesk-Store": "other"}).status_code == 404
    assert client.get("/api/v1/orders", headers={"Shopdesk-Store": "other"}).get_json() == []


def test_a_refund_names_a_known_provider(api, paid_order):
    order = paid_order([("MUG", 1)])
    answer = api.post(f"/api/v1/orders/{order['id']}/refunds", json={"amount": 100, "provider": "paypal"})
    assert answer.status_code == 422 and "provider" in answer.get_json()["errors"]
    ok = api.post(f"/api/v1/orders/{order['id']}/refunds", json={"amount": 100, "provider": "bank_transfer",
                                                                  "reference": "RF-1"})
    assert ok.status_code == 201 and ok.get_json()["provider"] == "bank_transfer"
