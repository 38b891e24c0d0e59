"""A storefront keeps availability in step: levels changed since a time, and the ledger's new moves."""

import json
import time
from datetime import datetime


def a_moment_later():
    """A time strictly after everything written so far, written for a URL."""
    time.sleep(0.01)
    moment = datetime.now().astimezone().isoformat().replace("+", "%2B")
    time.sleep(0.01)
    return moment


def test_a_reservation_moves_the_level_it_takes_from(client, stocked):
    since = a_moment_later()
    assert client.get(f"/api/v1/inventory/levels?updated_since={since}").json == []
    reserved = client.post("/api/v1/inventory/reservations", json={
        "reference": "ORDER-1", "lines": [{"sku": "MUG", "quantity": 2, "warehouse": "EAST"}]})
    assert reserved.status_code == 201, reserved.json
    changed = client.get(f"/api/v1/inventory/levels?updated_since={since}").json
    assert [(row["sku"], row["warehouse"], row["available"]) for row in changed] == [("MUG", "EAST", 18)]


def test_levels_are_walked_by_cursor_in_sku_order(client, stocked):
    rows, answer = [], client.get("/api/v1/inventory/levels?page_size=2")
    while True:
        rows += answer.json
        cursor = json.loads(answer.headers["X-Pagination"]).get("next_cursor")
        if cursor is None:
            break
        answer = client.get(f"/api/v1/inventory/levels?page_size=2&cursor={cursor}")
    assert [(r["sku"], r["warehouse"]) for r in rows] == [
        ("CAP", "MAIN"), ("MUG", "MAIN"), ("MUG", "EAST"), ("TEE-L", "MAIN"), ("TEE-M", "MAIN"), ("TEE-M", "EAST")]


def test_the_ledger_is_read_from_the_last_move_seen(client, stocked):
    last = client.get("/api/v1/inventory/moves?page_size=1").json[0]["id"]
    client.post("/api/v1/inventory/adjustments", json={"sku": "CAP", "warehouse": "MAIN", "quantity": -1,
                                                       "reason": "damaged"})
    new = client.get(f"/api/v1/inventory/moves?sort=id&after_id={last}").json
    assert [(m["sku"], m["quantity"], m["kind"]) for m in new] == [("CAP", -1, "adjustment")]


def test_reports_are_paged_like_every_list(client, stocked):
    answer = client.get("/api/v1/inventory/warehouses?page_size=1")
    assert [w["code"] for w in answer.json] == ["MAIN"]
    assert json.loads(answer.headers["X-Pagination"])["total"] == 2
    assert client.get("/api/v1/inventory/reports/abc?page=0").status_code == 422
