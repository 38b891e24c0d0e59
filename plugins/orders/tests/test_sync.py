"""A storefront keeps its copy of the orders in step: ``updated_since``, ``ids`` and cursor pages."""

import json
import time
from datetime import datetime


def walk(api, url, cursor):
    """Every row of a keyset list from ``cursor`` on, following ``next_cursor`` page after page."""
    rows, answer = [], api.get(f"{url}&cursor={cursor}")
    while True:
        assert answer.status_code == 200, answer.get_json()
        rows += answer.get_json()
        cursor = json.loads(answer.headers["X-Pagination"]).get("next_cursor")
        if cursor is None:
            return rows
        answer = api.get(f"{url}&cursor={cursor}")


def a_moment_later():
    """A time strictly after everything written so far (timestamps have microseconds)."""
    time.sleep(0.01)
    moment = datetime.now().astimezone().isoformat().replace("+", "%2B")
    time.sleep(0.01)
    return moment


def test_an_order_changed_by_its_parts_is_found_by_updated_since(api, new_order, paid_order):
    untouched = new_order([("MUG", 1)])
    shipped = paid_order([("TEE-S", 1)])
    since = a_moment_later()
    assert api.get(f"/api/v1/orders?updated_since={since}").get_json() == []

    parcel = api.post(f"/api/v1/orders/{shipped['id']}/shipments", json={}).get_json()
    api.post(f"/api/v1/orders/{shipped['id']}/shipments/{parcel['id']}/ship",
             json={"carrier": "Post", "tracking_number": "T1"})
    changed = api.get(f"/api/v1/orders?updated_since={since}").get_json()
    assert [o["id"] for o in changed] == [shipped["id"]]
    assert changed[0]["updated_at"] > shipped["updated_at"]
    assert untouched["id"] not in [o["id"] for o in changed]


def test_ids_ask_for_exactly_those_orders(api, new_order):
    first, _second, third = (new_order([("MUG", 1)]) for _ in range(3))
    answer = api.get(f"/api/v1/orders?ids={first['id']},{third['id']}&sort=id")
    assert [o["id"] for o in answer.get_json()] == [first["id"], third["id"]]
    bad = api.get("/api/v1/orders?ids=1,two")
    assert bad.status_code == 422 and "ids" in bad.get_json()["errors"]


def test_a_cursor_walk_sees_every_order_once_and_later_changes_again(api, new_order):
    orders = [new_order([("MUG", 1)]) for _ in range(5)]
    url = "/api/v1/orders?sort=updated_at&page_size=2"
    first_page = api.get(url)
    cursor = json.loads(first_page.headers["X-Pagination"])["next_cursor"]
    early = first_page.get_json()[0]
    api.post(f"/api/v1/orders/{early['id']}/cancel", json={"reason": "changed mind"})  # moves to the end
    rest = walk(api, url, cursor)
    seen = [o["id"] for o in first_page.get_json() + rest]
    assert sorted(set(seen)) == sorted(o["id"] for o in orders)
    assert seen.count(early["id"]) == 2 and rest[-1]["status"] == "cancelled"


def test_a_cursor_is_refused_with_a_page_number_or_another_sort(api, new_order):
    for _ in range(3):
        new_order([("MUG", 1)])
    cursor = json.loads(api.get("/api/v1/orders?sort=updated_at&page_size=1").headers["X-Pagination"])["next_cursor"]
    both = api.get(f"/api/v1/orders?sort=updated_at&cursor={cursor}&page=2")
    assert both.status_code == 422 and "cursor" in both.get_json()["errors"]
    other = api.get(f"/api/v1/orders?sort=number&cursor={cursor}")
    assert other.status_code == 422 and "cursor" in other.get_json()["errors"]


def test_an_orders_own_lists_are_paged_like_every_list(api, paid_order):
    order = paid_order([("TEE-S", 1)])
    answer = api.get(f"/api/v1/orders/{order['id']}/timeline?page_size=2")
    assert len(answer.get_json()) == 2
    page = json.loads(answer.headers["X-Pagination"])
    assert page["total"] == 4 and page["next_page"] == 2  # created, placed, payment, paid
    unknown = api.get(f"/api/v1/orders/{order['id']}/payments?limit=5")
    assert unknown.status_code == 422 and unknown.get_json()["errors"] == {"limit": ["Unknown query parameter."]}
