"""The orders pages: list with filters, detail with only the allowed actions, print pages."""

from shopdesk.auth.models import create_user
from shopdesk.auth.roles import add_member, create_role


def test_the_list_filters_and_links_to_each_order(api, new_order):
    first = new_order([("TEE-S", 1)], customer={"name": "Ada", "email": "ada@example.com"})
    new_order([("MUG", 1)], channel="pos", customer={"name": "Bob", "email": "bob@example.com"})
    page = api.get("/s/shop/orders/").get_data(as_text=True)
    assert "SO-01001" in page and "SO-01002" in page
    assert f'href="/s/shop/orders/{first["id"]}"' in page
    filtered = api.get("/s/shop/orders/?channel=pos&customer=bob").get_data(as_text=True)
    assert "SO-01002" in filtered and "SO-01001" not in filtered
    by_sku = api.get("/s/shop/orders/?sku=TEE-S").get_data(as_text=True)
    assert "SO-01001" in by_sku and "SO-01002" not in by_sku


def test_a_manual_order_is_entered_on_the_new_order_page(api):
    answer = api.post("/s/shop/orders/new", data={"channel": "manual", "customer_name": "Walk-in",
                                                  "lines": "TEE-S 2\nMUG", "shipping_fee": "5.00"})
    assert answer.status_code == 302
    page = api.get(answer.location).get_data(as_text=True)
    assert "SO-01001" in page and "$45.00" in page and "catalog list price" in page
    bad = api.post("/s/shop/orders/new", data={"lines": "NOPE 1"})
    assert bad.status_code == 400 and "Unknown SKU: NOPE" in bad.get_data(as_text=True)


def test_the_owner_sees_the_actions_the_state_allows(api, new_order, paid_order):
    placed = new_order([("MUG", 1)])
    page = api.get(f"/s/shop/orders/{placed['id']}").get_data(as_text=True)
    assert 'id="form-payment"' in page and 'id="action-cancel"' in page
    assert 'id="form-fulfil"' not in page and 'id="action-complete"' not in page
    paid = paid_order([("MUG", 1)])
    page = api.get(f"/s/shop/orders/{paid['id']}").get_data(as_text=True)
    assert 'id="form-fulfil"' in page and 'id="form-refund"' in page and 'id="form-payment"' not in page
    assert "Timeline" in page and "Payment of 10.00 USD by cash recorded." in page


def test_a_viewer_sees_the_order_but_no_actions(app, db, shop, new_order):
    order = new_order([("MUG", 1)])
    create_role(shop, "auditor", ["store.view", "orders.read"])
    viewer = create_user("viewer@example.com", "viewer password 1")
    add_member(shop, viewer, "auditor")
    db.session.commit()
    client = app.test_client(user=viewer)
    page = client.get(f"/s/shop/orders/{order['id']}").get_data(as_text=True)
    assert order["number"] in page
    assert "form-payment" not in page and "action-cancel" not in page
    assert client.post(f"/s/shop/orders/{order['id']}/cancel").status_code == 403


def test_actions_on_the_page_move_the_order_and_refusals_are_flashed(api, new_order):
    order = new_order([("TEE-S", 2)])
    url = f"/s/shop/orders/{order['id']}"
    api.post(f"{url}/payments", data={"provider": "cash", "amount": "30.00", "reference": "till 2"})
    lines = api.get(f"/api/v1/orders/{order['id']}").get_json()["lines"]
    api.post(f"{url}/shipments", data={f"qty_{lines[0]['id']}": "2"})
    shipment = api.get(f"/api/v1/orders/{order['id']}/shipments").get_json()[0]
    api.post(f"{url}/shipments/{shipment['id']}/ship", data={"carrier": "DHL", "tracking_number": "JD9"})
    assert api.get(f"/api/v1/orders/{order['id']}").get_json()["status"] == "shipped"
    refused = api.post(f"{url}/complete", follow_redirects=True).get_data(as_text=True)
    assert "Cannot move to completed: the order is shipped" in refused


def test_invoice_pick_list_and_packing_slip_print(api, paid_order):
    order = paid_order([("TEE-S", 2)])
    invoice = api.get(f"/s/shop/orders/{order['id']}/invoice").get_data(as_text=True)
    assert "Invoice" in invoice and "$30.00" in invoice and "window.print()" in invoice
    picks = api.get(f"/s/shop/orders/{order['id']}/pick-list").get_data(as_text=True)
    assert "TEE-S" in picks
    shipment = api.post(f"/api/v1/orders/{order['id']}/shipments", json={}).get_json()
    slip = api.get(f"/s/shop/orders/{order['id']}/shipments/{shipment['id']}/packing-slip")
    assert slip.status_code == 200 and "Packing slip" in slip.get_data(as_text=True)


def test_navigation_and_dashboard(api, new_order):
    new_order([("MUG", 1)])
    page = api.get("/s/shop/").get_data(as_text=True)
    assert 'href="/s/shop/orders/"' in page and 'href="/s/shop/orders/returns"' in page


def test_a_bad_new_order_form_names_the_field(api):
    answer = api.post("/s/shop/orders/new", data={"lines": "MUG 1", "customer_email": "nope"})
    assert answer.status_code == 400
    assert "customer.email: Not a valid email address." in answer.get_data(as_text=True)
