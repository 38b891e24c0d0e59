"""Returns (RMA) with refund or exchange, and complaints with a response-time target."""

from datetime import timedelta

import sqlalchemy as sa

from shopdesk.db import utcnow
from shopdesk.events import OutboxEvent
from shopdesk.stores import use_store
from shopdesk_orders.models import Complaint


def shipped(api, paid_order, lines=(("TEE-S", 2), ("MUG", 1))):
    order = paid_order(lines)
    base = f"/api/v1/orders/{order['id']}"
    shipment = api.post(f"{base}/shipments", json={}).get_json()
    api.post(f"{base}/shipments/{shipment['id']}/ship", json={"carrier": "DHL", "tracking_number": "T1"})
    return api.get(base).get_json()


def test_a_return_is_requested_approved_received_and_refunded(api, db, shop, paid_order):
    order = shipped(api, paid_order)
    tee = order["lines"][0]
    rma = api.post(f"/api/v1/orders/{order['id']}/returns", json={
        "reason": "size_fit", "comment": "Too small", "lines": [{"order_line_id": tee["id"], "quantity": 1}]})
    assert rma.status_code == 201, rma.get_json()
    rma = rma.get_json()
    assert (rma["number"], rma["status"]) == (f"RMA-{order['number']}-1", "requested")
    approved = api.post(f"/api/v1/orders/returns/{rma['id']}/approve", json={"note": "ok"}).get_json()
    assert approved["status"] == "approved"
    received = api.post(f"/api/v1/orders/returns/{rma['id']}/receive", json={"lines": [
        {"return_line_id": rma["lines"][0]["id"], "disposition": "scrap"}]}).get_json()
    assert received["lines"][0]["disposition"] == "scrap"
    refund = api.post(f"/api/v1/orders/returns/{rma['id']}/refund", json={})
    assert refund.status_code == 201 and refund.get_json()["amount"] == 1500
    after = api.get(f"/api/v1/orders/{order['id']}").get_json()
    assert (after["status"], after["payment_status"], after["refunded_total"]) == ("shipped", "partially_refunded", 1500)
    assert api.get(f"/api/v1/orders/returns/{rma['id']}").get_json()["status"] == "refunded"
    with use_store(shop):
        names = [n for n in db.session.scalars(sa.select(OutboxEvent.name).order_by(OutboxEvent.id))]
    assert names[-5:] == ["return.requested", "return.approved", "return.received", "refund.recorded",
                          "return.resolved"]
    assert {"return.requested", "return.approved", "return.received", "refund.recorded", "return.resolved"} <= set(names)


def test_only_shipped_units_can_be_returned_and_reasons_come_from_the_taxonomy(api, paid_order):
    order = shipped(api, paid_order, (("MUG", 1),))
    line = order["lines"][0]["id"]
    too_many = api.post(f"/api/v1/orders/{order['id']}/returns", json={
        "reason": "damaged", "lines": [{"order_line_id": line, "quantity": 2}]})
    assert too_many.status_code == 422 and too_many.get_json()["errors"] == {
        "lines.0.quantity": ["Only 1 of MUG can be returned."]}
    bad_reason = api.post(f"/api/v1/orders/{order['id']}/returns", json={
        "reason": "bored", "lines": [{"order_line_id": line, "quantity": 1}]})
    assert bad_reason.status_code == 422 and "reason" in bad_reason.get_json()["errors"]
    unpaid = paid_order((("CAP", 1),))
    early = api.post(f"/api/v1/orders/{unpaid['id']}/returns", json={
        "reason": "damaged", "lines": [{"order_line_id": unpaid["lines"][0]["id"], "quantity": 1}]})
    assert early.status_code == 409


def test_a_rejected_return_frees_the_units_and_cannot_be_received(api, paid_order):
    order = shipped(api, paid_order, (("MUG", 1),))
    body = {"reason": "changed_mind", "lines": [{"order_line_id": order["lines"][0]["id"], "quantity": 1}]}
    rma = api.post(f"/api/v1/orders/{order['id']}/returns", json=body).get_json()
    assert api.post(f"/api/v1/orders/returns/{rma['id']}/reject", json={"note": "used"}).get_json()["status"] == "rejected"
    late = api.post(f"/api/v1/orders/returns/{rma['id']}/receive", json={"lines": [
        {"return_line_id": rma["lines"][0]["id"], "disposition": "scrap"}]})
    assert late.status_code == 409 and "it is rejected" in late.get_json()["message"]
    assert api.post(f"/api/v1/orders/{order['id']}/returns", json=body).status_code == 201


def test_an_exchange_places_a_linked_replacement_at_no_charge(api, paid_order):
    order = shipped(api, paid_order, (("TEE-S", 1),))
    rma = api.post(f"/api/v1/orders/{order['id']}/returns", json={
        "reason": "size_fit", "lines": [{"order_line_id": order["lines"][0]["id"], "quantity": 1}]}).get_json()
    api.post(f"/api/v1/orders/returns/{rma['id']}/approve", json={})
    api.post(f"/api/v1/orders/returns/{rma['id']}/receive", json={"lines": [
        {"return_line_id": rma["lines"][0]["id"], "disposition": "restock", "warehouse": "MAIN"}]})
    replacement = api.post(f"/api/v1/orders/returns/{rma['id']}/exchange")
    assert replacement.status_code == 201, replacement.get_json()
    replacement = replacement.get_json()
    assert (replacement["status"], replacement["total"], replacement["replaces_order_id"]) == ("paid", 0, order["id"])
    assert [l["sku"] for l in replacement["lines"]] == ["TEE-S"]
    again = api.get(f"/api/v1/orders/returns/{rma['id']}").get_json()
    assert (again["status"], again["exchange_order_id"]) == ("exchanged", replacement["id"])
    assert api.post(f"/api/v1/orders/returns/{rma['id']}/refund", json={}).status_code == 409


def test_complaints_have_messages_an_assignee_and_an_overdue_flag(api, db, shop, new_order):
    order = new_order([("MUG", 1)])
    made = api.post("/api/v1/orders/complaints", json={"order_id": order["id"], "subject": "Broken handle",
                                                       "message": "The mug arrived broken."})
    assert made.status_code == 201
    complaint = made.get_json()
    assert (complaint["status"], complaint["overdue"]) == ("open", False)
    with use_store(shop):
        row = db.session.get(Complaint, complaint["id"])
        row.due_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    assert [c["id"] for c in api.get("/api/v1/orders/complaints?overdue=true").get_json()] == [complaint["id"]]
    assert "overdue" in api.get("/s/shop/orders/complaints").get_data(as_text=True)
    reply = api.post(f"/api/v1/orders/complaints/{complaint['id']}/messages", json={"body": "Sorry! A new one is on its way."})
    assert reply.status_code == 201 and reply.get_json()["from_customer"] is False
    answered = api.patch(f"/api/v1/orders/complaints/{complaint['id']}", json={"assignee": "sam@example.com",
                                                                               "status": "closed"}).get_json()
    assert (answered["overdue"], answered["assignee"], answered["status"]) == (False, "sam@example.com", "closed")
    assert [m["from_customer"] for m in api.get(f"/api/v1/orders/complaints/{complaint['id']}/messages").get_json()] == [True, False]
    unknown = api.post("/api/v1/orders/complaints", json={"order_id": 999999, "subject": "x", "message": "y"})
    assert unknown.status_code == 404


def test_the_response_target_comes_from_the_store_setting(api, cli, db, shop, new_order):
    assert cli("plugins", "configure", "shop", "orders", "complaint_response_hours=4").exit_code == 0
    order = new_order([("MUG", 1)])
    complaint = api.post("/api/v1/orders/complaints", json={"order_id": order["id"], "subject": "Late",
                                                           "message": "Where is it?"}).get_json()
    with use_store(shop):
        row = db.session.get(Complaint, complaint["id"])
        assert timedelta(hours=3, minutes=59) < row.due_at - row.created_at < timedelta(hours=4, minutes=1)
