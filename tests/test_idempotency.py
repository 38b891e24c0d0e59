"""Idempotency-Key: a retried POST never does the work twice, on every POST of the API."""

import io
import re
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from shopdesk.db import utcnow
from shopdesk.idempotency import IdempotencyKey
from shopdesk.stores import use_store

MISSING_ID = 987654321


def csv_upload(text):
    return lambda: {"data": {"file": (io.BytesIO(text.encode()), "rows.csv")}, "content_type": "multipart/form-data"}


# A first body and a different one (or a function of the shop's ids giving both) for every POST
# whose path names no object; a new such POST without an entry here fails the walk below.
BODIES = {
    "/api/v1/roles": ({"name": "packer"}, {"name": "picker"}),
    "/api/v1/catalog/products": ({"name": "Cup"}, {"name": "Bowl"}),
    "/api/v1/catalog/products/bulk": lambda made: ({"action": "add_tag", "ids": [made.product], "tag": "gift"},
                                                   {"action": "add_tag", "ids": [made.product], "tag": "sale"}),
    "/api/v1/catalog/categories": ({"name": "Kitchen"}, {"name": "Garden"}),
    "/api/v1/catalog/brands": ({"name": "Acme"}, {"name": "Zenith"}),
    "/api/v1/catalog/tags": ({"name": "summer"}, {"name": "winter"}),
    "/api/v1/catalog/candidates": ({"name": "Teapot"}, {"name": "Kettle"}),
    "/api/v1/catalog/imports": (csv_upload("sku,name,price\nCUP-1,Cup,5\n"), csv_upload("sku,name,price\nCUP-2,Cup,6\n")),
    "/api/v1/inventory/warehouses": ({"code": "EAST", "name": "East"}, {"code": "WEST", "name": "West"}),
    "/api/v1/inventory/receipts": ({"warehouse": "MAIN", "lines": [{"sku": "MUG", "quantity": 3}]},
                                   {"warehouse": "MAIN", "lines": [{"sku": "MUG", "quantity": 4}]}),
    "/api/v1/inventory/adjustments": ({"sku": "MUG", "warehouse": "MAIN", "quantity": -1, "reason": "damaged"},
                                      {"sku": "MUG", "warehouse": "MAIN", "quantity": -2, "reason": "damaged"}),
    "/api/v1/inventory/reservations": ({"reference": "cart-1", "lines": [{"sku": "MUG", "quantity": 1}]},
                                       {"reference": "cart-2", "lines": [{"sku": "MUG", "quantity": 1}]}),
    "/api/v1/inventory/reservations/release": ({"reference": "cart-1"}, {"reference": "cart-2"}),
    "/api/v1/inventory/transfers": ({"from_warehouse": "MAIN", "to_warehouse": "BACK", "lines": [{"sku": "MUG", "quantity": 1}]},
                                    {"from_warehouse": "MAIN", "to_warehouse": "BACK", "lines": [{"sku": "MUG", "quantity": 2}]}),
    "/api/v1/inventory/counts": ({"warehouse": "MAIN"}, {"warehouse": "BACK"}),
    "/api/v1/inventory/replenishment/refresh": (None, {"unexpected": True}),
    "/api/v1/notes": ({"title": "Call the supplier"}, {"title": "Order boxes"}),
    "/api/v1/orders": ({"lines": [{"sku": "MUG", "quantity": 1}]}, {"lines": [{"sku": "MUG", "quantity": 2}]}),
    "/api/v1/orders/complaints": lambda made: ({"order_id": made.order, "subject": "Late", "message": "Where is it?"},
                                               {"order_id": made.order, "subject": "Broken", "message": "It broke."}),
    "/api/v1/orders/import": (csv_upload("channel,external_id,sku,quantity\nweb,W-1,MUG,1\n"),
                              csv_upload("channel,external_id,sku,quantity\nweb,W-2,MUG,1\n")),
    "/api/v1/pricing/price-lists": ({"name": "VIP"}, {"name": "Wholesale"}),
    "/api/v1/pricing/scheduled-changes": lambda made: (
        {"price_list_id": made.price_list, "sku": "MUG", "new_price": 800, "starts_at": "2030-01-01T00:00:00Z"},
        {"price_list_id": made.price_list, "sku": "MUG", "new_price": 700, "starts_at": "2030-01-01T00:00:00Z"}),
    "/api/v1/pricing/cost-plus-rules": ({"markup_percent": "40"}, {"markup_percent": "50"}),
    "/api/v1/pricing/competitor-prices": ({"sku": "MUG", "competitor": "Rival", "price": 850},
                                          {"sku": "MUG", "competitor": "Rival", "price": 860}),
    "/api/v1/pricing/competitor-prices/import": ({"csv": "sku,competitor,price\nMUG,Rival,8.5\n"},
                                                 {"csv": "sku,competitor,price\nMUG,Rival,8.6\n"}),
    "/api/v1/pricing/bulk-updates": lambda made: ({"price_list_id": made.price_list, "percent": "5"},
                                                  {"price_list_id": made.price_list, "percent": "6"}),
}


def send(client, path, body, key):
    """POST a body of the table: JSON, a multipart upload (a callable), or nothing (None)."""
    headers = {"Idempotency-Key": key}
    if callable(body):
        return client.post(path, headers=headers, **body())
    return client.post(path, headers=headers) if body is None else client.post(path, json=body, headers=headers)


def bodies_from_the_document(spec, operation):
    """A valid body of the operation (its required fields, from the schema) and another one."""
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None, {"unexpected": True}
    body = example(spec, content["application/json"]["schema"], everything=True)
    changed = dict(body)
    name = next(iter(changed))
    changed[name] = changed[name] + 1 if isinstance(changed[name], int) and not isinstance(changed[name], bool) \
        else f"{changed[name]}-changed" if isinstance(changed[name], str) else [*changed[name], *changed[name]]
    return body, changed


def example(spec, schema, everything=False):
    """The simplest value a schema accepts; for objects its required fields (all, at the top)."""
    while "$ref" in schema or "allOf" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]] if "$ref" in schema \
            else schema["allOf"][0]
    kind = schema.get("type", "object")
    if "enum" in schema:
        return schema["enum"][0]
    if kind == "object":
        properties = schema.get("properties", {})
        names = [n for n, p in properties.items() if not p.get("readOnly")] if everything else schema.get("required", [])
        return {name: example(spec, properties[name]) for name in names if name in properties}
    if kind == "array":
        return [example(spec, schema["items"])] * max(1, schema.get("minItems", 1))
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return True
    formats = {"date-time": "2030-01-01T00:00:00Z", "date": "2030-01-01", "email": "ada@example.com",
               "uri": "https://example.com", "url": "https://example.com"}
    return formats.get(schema.get("format"), "x" * max(1, schema.get("minLength", 1)))


def post_operations(spec):
    return [(path, op) for path, ops in spec["paths"].items() for method, op in ops.items() if method == "post"]


def declares_the_key(spec, operation):
    refs = [p.get("$ref", "").rsplit("/", 1)[-1] for p in operation.get("parameters", [])]
    return "IdempotencyKey" in refs


@pytest.fixture
def shop(client, db, store):
    """acme with an active product (SKU MUG at 9.00), warehouses MAIN and BACK, 20 MUG in MAIN."""
    made = client.post("/api/v1/catalog/products", json={"name": "Mug", "status": "active",
                                                         "variants": [{"sku": "MUG", "price": 900}]})
    assert made.status_code == 201, made.json
    for code in ("MAIN", "BACK"):
        assert client.post("/api/v1/inventory/warehouses", json={"code": code, "name": code}).status_code == 201
    assert client.post("/api/v1/inventory/receipts", json={
        "warehouse": "MAIN", "lines": [{"sku": "MUG", "quantity": 20}]}).status_code == 201
    store.product_id = made.json["id"]
    return store


@pytest.fixture
def made(client, shop):
    """What some bodies of BODIES name: the product, an order and a price list."""
    order = client.post("/api/v1/orders", json={"lines": [{"sku": "MUG", "quantity": 1}]})
    price_list = client.post("/api/v1/pricing/price-lists", json={"name": "Retail"})
    assert (order.status_code, price_list.status_code) == (201, 201)
    return SimpleNamespace(product=shop.product_id, order=order.json["id"], price_list=price_list.json["id"])


def test_every_post_of_the_api_takes_an_idempotency_key_or_says_why_not(app, client):
    spec = client.get("/api/openapi.json").get_json()
    without = {path for path, op in post_operations(spec) if not declares_the_key(spec, op)}
    assert without == {"/api/v1/tokens", "/api/v1/members", "/api/v1/webhooks",
                       "/api/v1/webhooks/{webhook_id}/rotate-secret",
                       "/api/v1/pricing/quote", "/api/v1/pricing/bulk-updates/preview"}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and "POST" in rule.methods:
            handler = app.view_functions[rule.endpoint].view_class.post
            assert getattr(handler, "shopdesk_idempotent", False) or handler.shopdesk_not_idempotent, rule.rule


def test_every_idempotent_post_replays_its_answer_and_refuses_the_key_with_another_body(client, made):
    """Walks the OpenAPI document: operations on an object are sent for one that does not exist
    (a 404 is an answer too, and is kept); the others with a body from BODIES."""
    spec = client.get("/api/openapi.json").get_json()
    walked = []
    for path, operation in post_operations(spec):
        if not declares_the_key(spec, operation):
            continue
        key = f"walk-{len(walked)}"
        if "{" in path:
            url = re.sub(r"\{[^}]+\}", str(MISSING_ID), path)
            first, changed = bodies_from_the_document(spec, operation)
        else:
            assert path in BODIES, f"give {path} a body in BODIES"
            bodies = BODIES[path]
            url, (first, changed) = path, bodies(made) if callable(bodies) else bodies
        answer = send(client, url, first, key)
        assert answer.status_code < 500 and answer.status_code not in (409, 422), (path, answer.status_code, answer.json)
        again = send(client, url, first, key)
        assert (again.status_code, again.get_data(), again.headers.get("Idempotent-Replayed")) == \
               (answer.status_code, answer.get_data(), "true"), path
        refused = send(client, url, changed, key)
        assert (refused.status_code, refused.json["code"]) == (422, "idempotency_key_reused"), path
        walked.append(path)
    assert len(walked) >= 50 and set(BODIES) <= set(walked)


def test_a_payment_or_refund_sent_twice_with_one_key_is_recorded_once(client, shop):
    order = client.post("/api/v1/orders", json={"lines": [{"sku": "MUG", "quantity": 2}]}).json
    pay = {"provider": "cash", "amount": order["total"]}
    first = client.post(f"/api/v1/orders/{order['id']}/payments", json=pay, headers={"Idempotency-Key": "pay-1"})
    again = client.post(f"/api/v1/orders/{order['id']}/payments", json=pay, headers={"Idempotency-Key": "pay-1"})
    assert (first.status_code, again.status_code, again.json) == (201, 201, first.json)
    refund = {"amount": 500, "reason": "scratched"}
    for _ in range(2):
        answer = client.post(f"/api/v1/orders/{order['id']}/refunds", json=refund, headers={"Idempotency-Key": "refund-1"})
        assert answer.status_code == 201, answer.json
    seen = client.get(f"/api/v1/orders/{order['id']}").json
    assert (seen["paid_total"], seen["refunded_total"]) == (order["total"], 500)


def test_the_body_is_compared_as_json_not_as_bytes(client, shop):
    key = {"Idempotency-Key": "spacing", "Content-Type": "application/json"}
    first = client.post("/api/v1/catalog/categories", data='{"name": "Kitchen", "position": 2}', headers=key)
    again = client.post("/api/v1/catalog/categories", data='{ "position":2,"name":"Kitchen" }', headers=key)
    assert first.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"


def claim_left_by_a_dead_request(db, store, user, *, lease_left: timedelta, work_committed: bool):
    with use_store(store):
        db.session.add(IdempotencyKey(caller=f"user:{user.id}", key="crash-1", request_hash=fingerprint_of_mug_order(),
                                      lease_expires_at=utcnow() + lease_left, work_committed=work_committed))
        db.session.commit()


def fingerprint_of_mug_order():
    """The fingerprint a POST /api/v1/orders of one MUG has, as the wrapper computes it."""
    from flask import current_app

    from shopdesk.idempotency import _fingerprint

    with current_app.test_request_context("/api/v1/orders", method="POST", json={"lines": [{"sku": "MUG", "quantity": 1}]}):
        return _fingerprint()


def orders_count(client):
    return len(client.get("/api/v1/orders").json)


MUG_ORDER = {"lines": [{"sku": "MUG", "quantity": 1}]}


def test_a_retry_while_the_first_request_runs_is_told_to_wait(client, db, shop, user):
    claim_left_by_a_dead_request(db, shop, user, lease_left=timedelta(seconds=90), work_committed=False)
    answer = client.post("/api/v1/orders", json=MUG_ORDER, headers={"Idempotency-Key": "crash-1"})
    assert (answer.status_code, answer.json["code"]) == (409, "idempotency_key_in_progress")
    assert 60 <= int(answer.headers["Retry-After"]) <= 90
    assert orders_count(client) == 0


def test_a_key_whose_request_died_before_saving_anything_runs_again_once_its_lease_ends(client, db, shop, user):
    claim_left_by_a_dead_request(db, shop, user, lease_left=-timedelta(seconds=1), work_committed=False)
    answer = client.post("/api/v1/orders", json=MUG_ORDER, headers={"Idempotency-Key": "crash-1"})
    assert answer.status_code == 201, answer.json
    again = client.post("/api/v1/orders", json=MUG_ORDER, headers={"Idempotency-Key": "crash-1"})
    assert again.headers["Idempotent-Replayed"] == "true" and orders_count(client) == 1


def test_a_key_whose_request_died_after_saving_its_work_never_does_it_twice(client, db, shop, user):
    claim_left_by_a_dead_request(db, shop, user, lease_left=-timedelta(seconds=1), work_committed=True)
    answer = client.post("/api/v1/orders", json=MUG_ORDER, headers={"Idempotency-Key": "crash-1"})
    assert (answer.status_code, answer.json["code"]) == (409, "idempotency_key_outcome_unknown")
    assert orders_count(client) == 0


def test_a_request_that_saved_its_work_marks_its_claim_in_the_same_transaction(app, client, db, shop, user):
    """What a crash right after the view's commit would leave: the order and a marked claim."""
    from shopdesk import idempotency

    def crash_after_the_view(view, claim_id, args, kwargs):
        original(view, claim_id, args, kwargs)  # runs and remembers; then forget the answer as a crash would
        db.session.execute(sa.update(IdempotencyKey).where(IdempotencyKey.id == claim_id).values(status=None, body=None))
        db.session.commit()
        raise SystemExit("killed")

    original = idempotency._run_and_remember
    idempotency._run_and_remember = crash_after_the_view
    try:
        with pytest.raises(SystemExit):
            client.post("/api/v1/orders", json=MUG_ORDER, headers={"Idempotency-Key": "crash-2"})
    finally:
        idempotency._run_and_remember = original
    with use_store(shop):
        claim = db.session.scalar(sa.select(IdempotencyKey).filter_by(key="crash-2"))
        assert claim.work_committed is True and orders_count(client) == 1


def test_a_refusal_that_can_change_does_not_keep_the_key(client, shop):
    key = {"Idempotency-Key": "too-many"}
    too_many = {"lines": [{"sku": "MUG", "quantity": 500}]}
    assert client.post("/api/v1/orders", json=too_many, headers=key).status_code == 409  # out of stock
    client.post("/api/v1/inventory/receipts", json={"warehouse": "MAIN", "lines": [{"sku": "MUG", "quantity": 500}]})
    assert client.post("/api/v1/orders", json=too_many, headers=key).status_code == 201  # ran again


def test_concurrent_retries_of_one_payment_record_it_once(app, client, db, shop, user, token_for):
    order = client.post("/api/v1/orders", json={"lines": [{"sku": "MUG", "quantity": 1}]}).json
    token = token_for(user, shop)
    answers, start = [], threading.Barrier(8)

    def retry():
        api = app.test_client()
        start.wait()
        answers.append(api.post(f"/api/v1/orders/{order['id']}/payments",
                                json={"provider": "bank_transfer", "amount": order["total"]},
                                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "pay-at-once"}))

    threads = [threading.Thread(target=retry) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {a.status_code for a in answers} <= {201, 409}, [a.json for a in answers if a.status_code == 422]
    assert [a.status_code for a in answers].count(201) >= 1
    assert client.get(f"/api/v1/orders/{order['id']}").json["paid_total"] == order["total"]
