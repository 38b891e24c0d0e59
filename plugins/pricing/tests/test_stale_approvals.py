"""An approval cannot go stale: it shows the price now, the requester can withdraw it, and one
asked against a price that has changed since cannot be approved."""

LISTS = "/api/v1/pricing/price-lists"
APPROVALS = "/api/v1/pricing/approvals"


def ask_for_a_low_price(client, configure, price=20):
    """In approval mode, TEE-M (cost 5.00, minimum 6.00) at ``price`` waits for approval."""
    configure(min_margin_percent=20, margin_guard="approval")
    list_id = client.post(LISTS, json={"name": "Retail"}).json["id"]
    asked = client.put(f"{LISTS}/{list_id}/items", json={"sku": "TEE-M", "price": price}).json
    assert asked["status"] == "pending_approval"
    return list_id, asked["approval"]


def test_an_approval_asked_before_the_price_was_set_again_is_refused(client, approver, shop, configure):
    list_id, approval = ask_for_a_low_price(client, configure)  # $0.20 asked while there is no list price
    assert client.put(f"{LISTS}/{list_id}/items", json={"sku": "TEE-M", "price": 2000}).json["status"] == "applied"
    assert client.get(f"{APPROVALS}/{approval['id']}").json["current_price"] == 2000

    refused = approver.post(f"{APPROVALS}/{approval['id']}/approve")
    assert refused.status_code == 409 and refused.json["code"] == "approval_stale"
    assert "The price is now $20.00, not none" in refused.json["message"]
    assert [(i["sku"], i["price"]) for i in client.get(f"{LISTS}/{list_id}/items").json] == [("TEE-M", 2000)]
    assert client.get(f"{APPROVALS}/{approval['id']}").json["status"] == "pending"
    assert approver.post(f"{APPROVALS}/{approval['id']}/reject").json["status"] == "rejected"


def test_an_unchanged_base_is_still_approved(client, approver, shop, configure):
    list_id, approval = ask_for_a_low_price(client, configure, price=550)
    assert approval["current_price"] is None and approval["old_price"] is None
    assert approver.post(f"{APPROVALS}/{approval['id']}/approve").json["status"] == "approved"


def test_the_requester_withdraws_and_nobody_else_can(client, approver, shop, configure):
    _list_id, approval = ask_for_a_low_price(client, configure)
    other = approver.post(f"{APPROVALS}/{approval['id']}/withdraw")
    assert other.status_code == 403 and "Only whoever asked" in other.json["message"]
    withdrawn = client.post(f"{APPROVALS}/{approval['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json["status"] == "withdrawn"
    assert approver.post(f"{APPROVALS}/{approval['id']}/approve").status_code == 409
    assert [a["status"] for a in client.get(f"{APPROVALS}?status=withdrawn").json] == ["withdrawn"]


def test_the_approval_queue_shows_the_price_now_and_refuses_a_stale_approval(client, approver, shop, configure):
    list_id, approval = ask_for_a_low_price(client, configure)
    client.put(f"{LISTS}/{list_id}/items", json={"sku": "TEE-M", "price": 2000})
    queue = approver.get("/s/acme/pricing/approvals").get_data(as_text=True)
    assert "Price now" in queue and "$20.00" in queue and "$0.20" in queue
    answer = approver.post(f"/s/acme/pricing/approvals/{approval['id']}/approve", follow_redirects=True)
    assert "Not approved: the price is now $20.00" in answer.get_data(as_text=True)
    mine = client.get("/s/acme/pricing/approvals").get_data(as_text=True)
    assert "Withdraw" in mine and 'data-confirm="Withdraw this price request?"' in mine
