"""A storefront keeps its price lists in step: prices changed since a time, one SKU's prices, pages."""

import json
import time
from datetime import datetime

LISTS = "/api/v1/pricing/price-lists"


def a_moment_later():
    """A time strictly after everything written so far, written for a URL."""
    time.sleep(0.01)
    moment = datetime.now().astimezone().isoformat().replace("+", "%2B")
    time.sleep(0.01)
    return moment


def test_prices_changed_since_a_time_are_the_only_ones_listed(client, shop):
    list_id = client.post(LISTS, json={"name": "Retail"}).json["id"]
    for sku in ("TEE-S", "TEE-M", "MUG-1"):
        assert client.put(f"{LISTS}/{list_id}/items", json={"sku": sku, "price": 1500}).status_code == 200
    since = a_moment_later()
    client.put(f"{LISTS}/{list_id}/items", json={"sku": "TEE-M", "price": 1400})
    changed = client.get(f"{LISTS}/{list_id}/items?updated_since={since}").json
    assert [(item["sku"], item["price"]) for item in changed] == [("TEE-M", 1400)]
    assert [i["sku"] for i in client.get(f"{LISTS}/{list_id}/items?sku=MUG-1").json] == ["MUG-1"]


def test_a_lists_prices_come_a_page_at_a_time_in_sku_order(client, shop):
    list_id = client.post(LISTS, json={"name": "Retail"}).json["id"]
    for sku in ("TEE-S", "MUG-1", "TEE-L", "TEE-M"):
        client.put(f"{LISTS}/{list_id}/items", json={"sku": sku, "price": 1500})
    first = client.get(f"{LISTS}/{list_id}/items?page_size=3")
    second = client.get(f"{LISTS}/{list_id}/items?page_size=3&page=2")
    assert [i["sku"] for i in first.json + second.json] == ["MUG-1", "TEE-L", "TEE-M", "TEE-S"]
    assert json.loads(first.headers["X-Pagination"])["total"] == 4
