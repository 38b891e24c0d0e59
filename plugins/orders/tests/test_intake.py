"""Taking orders in: numbers, prices, totals, idempotency and bad input."""

import threading

import sqlalchemy as sa

from shopdesk.stores import use_store
from shopdesk_orders.models import Order


def test_an_order_is_numbered_priced_from_the_catalog_and_placed(api, new_order):
    order = new_order([("TEE-S", 2), ("MUG", 1)], shipping_fee=500)
    assert order["number"] == "SO-01001" and order["status"] == "placed"
    assert order["payment_status"] == "unpaid" and order["currency"] == "USD"
    assert [(l["sku"], l["unit_price"], l["total"]) for l in order["lines"]] == [("TEE-S", 1500, 3000), ("MUG", 1000, 1000)]
    assert order["lines"][0]["price_trail"] == [
        {"label": "catalog list price", "change": 1500, "price": 1500, "source": "catalog"}]
    assert (order["subtotal"], order["shipping_fee"], order["total"]) == (4000, 500, 4500)
    assert new_order([("CAP", 1)])["number"] == "SO-01002"


def test_the_buyer_snapshot_is_kept_on_the_order(new_order):
    address = {"name": "Ada L", "line1": "1 Main St", "city": "Taipei", "country": "TW"}
    order = new_order(customer={"name": "Ada", "email": "ada@example.com", "phone": "+886 2"},
                      shipping_address=address, billing_address=address)
    assert (order["customer_name"], order["customer_email"], order["customer_phone"]) == ("Ada", "ada@example.com", "+886 2")
    assert order["shipping_address"] == address


def test_discounts_and_tax_are_shared_out_and_rounded_per_line(new_order):
    # 3000 + 1000 = 4000; 10 % off = 400 shared 300/100; tax 5 % on 2700 and 900 (+ shipping 500 at 5 %)
    order = new_order([("TEE-S", 2), ("MUG", 1)], discounts=[{"label": "Welcome", "percent": "10"}],
                      shipping_fee=500, tax_rate="5")
    assert order["discounts"] == [{"label": "Welcome", "amount": 400, "percent": "10"}]
    assert [(l["discount"], l["tax"]) for l in order["lines"]] == [(300, 135), (100, 45)]
    assert order["tax_lines"] == [{"label": "Tax 5%", "rate": "5", "base": 4100, "amount": 205}]
    assert order["total"] == 4000 - 400 + 500 + 205


def test_an_order_without_lines_is_refused(new_order):
    assert "lines" in new_order(lines=(), status=422)["errors"]


def test_a_line_keeps_the_channels_price_and_its_own_tax_rate(api):
    body = {"channel": "marketplace", "external_id": "MP-1",
            "lines": [{"sku": "MUG", "quantity": 3, "unit_price": 900, "tax_rate": "10"}]}
    order = api.post("/api/v1/orders", json=body).get_json()
    line = order["lines"][0]
    assert (line["unit_price"], line["tax"], line["price_trail"][0]["source"]) == (900, 270, "channel")
    assert order["total"] == 2970


def test_unknown_skus_are_refused_naming_the_line_and_nothing_is_written(api, db, shop, new_order):
    answer = new_order([("TEE-S", 1), ("NOPE", 1)], status=422)
    assert answer["errors"] == {"lines.1.sku": ["Unknown SKU 'NOPE'."]}
    with use_store(shop):
        assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0


def test_bad_input_names_each_field(api):
    answer = api.post("/api/v1/orders", json={"channel": "fax", "lines": [{"sku": "", "quantity": 0}],
                                              "customer": {"email": "nope"}})
    assert answer.status_code == 422
    assert set(answer.get_json()["errors"]) == {"channel", "lines", "customer"}


def test_a_known_external_id_returns_the_existing_order(api, new_order):
    first = new_order(channel="marketplace", external_id="MP-42")
    again = api.post("/api/v1/orders", json={"channel": "marketplace", "external_id": "MP-42",
                                             "lines": [{"sku": "CAP", "quantity": 5}]})
    assert again.status_code == 200 and again.get_json()["id"] == first["id"]
    other_channel = new_order(channel="web", external_id="MP-42")
    assert other_channel["id"] != first["id"]


def test_a_retry_with_the_same_idempotency_key_replays_the_answer(api):
    body = {"channel": "web", "lines": [{"sku": "MUG", "quantity": 1}]}
    first = api.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k-1"})
    again = api.post("/api/v1/orders", json=body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"]
    assert len(api.get("/api/v1/orders").get_json()) == 1


def test_drafts_are_kept_unplaced_and_placed_later(api, new_order):
    draft = new_order(draft=True)
    assert draft["status"] == "draft" and draft["allowed_transitions"] == ["placed", "cancelled"]
    placed = api.post(f"/api/v1/orders/{draft['id']}/place").get_json()
    assert placed["status"] == "placed"


def test_concurrent_posts_of_one_external_id_make_one_order(app, db, user, shop, token_for):
    token = token_for(user, shop)
    body = {"channel": "marketplace", "external_id": "RACE-1", "lines": [{"sku": "MUG", "quantity": 1}]}
    answers, barrier = [], threading.Barrier(4)

    def post():
        client = app.test_client()
        barrier.wait()
        answers.append(client.post("/api/v1/orders", json=body, headers={"Authorization": f"Bearer {token}"}))

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({a.get_json()["id"] for a in answers}) == 1
    with use_store(shop):
        assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 1


def test_concurrent_orders_get_distinct_numbers(app, db, user, shop, token_for):
    token = token_for(user, shop)
    numbers, barrier = [], threading.Barrier(5)

    def post(i):
        client = app.test_client()
        barrier.wait()
        answer = client.post("/api/v1/orders", json={"lines": [{"sku": "MUG", "quantity": 1}]},
                             headers={"Authorization": f"Bearer {token}"})
        numbers.append(answer.get_json()["number"])

    threads = [threading.Thread(target=post, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(numbers) == [f"SO-0100{i}" for i in range(1, 6)]


def test_the_list_filters_by_status_channel_customer_sku_and_date(api, new_order):
    new_order([("TEE-S", 1)], channel="web", customer={"name": "Ada", "email": "ada@example.com"})
    new_order([("MUG", 1)], channel="pos", customer={"name": "Bob", "email": "bob@example.com"})
    draft = new_order([("CAP", 1)], channel="web", draft=True, customer={"name": "Cy", "email": "cy@example.com"})
    numbers = lambda q: [o["number"] for o in api.get(f"/api/v1/orders?{q}").get_json()]  # noqa: E731
    assert numbers("channel=pos") == ["SO-01002"]
    assert numbers("status=draft") == [draft["number"]]
    assert numbers("customer=bob") == ["SO-01002"]
    assert numbers("sku=TEE-S") == ["SO-01001"]
    assert numbers("q=cy%40example") == [draft["number"]]
    assert len(numbers("created_from=2000-01-01&created_to=2999-01-01")) == 3
    assert numbers("created_to=2000-01-01") == []
    assert api.get("/api/v1/orders?status=lost").status_code == 422
