"""Changing prices: the margin guard in both modes, approvals by someone else, the audit trail,
scheduled changes applied by the job at their time, and bulk updates that do what the preview said."""

import threading
from datetime import timedelta

import sqlalchemy as sa

from shopdesk.audit import AuditEntry
from shopdesk.db import utcnow
from shopdesk.events import OutboxEvent
from shopdesk.stores import use_store
from shopdesk_catalog.public import Variant
from shopdesk_pricing.changes import apply_due_changes
from shopdesk_pricing.models import PriceListItem

LISTS = "/api/v1/pricing/price-lists"


def retail(client):
    return client.post(LISTS, json={"name": "Retail"}).json["id"]


def price_changes(db, store):
    rows = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.store_id == store.id,
                                                          AuditEntry.action == "pricing.price_changed")
                              .order_by(AuditEntry.id)).all()
    return [(r.before and r.before["price"], r.after["price"], r.after["sku"]) for r in rows]


def quoted(client, sku, quantity=1, **extra):
    return client.post("/api/v1/pricing/quote",
                       json={"lines": [{"sku": sku, "quantity": quantity}], **extra}).json["lines"][0]["unit_price"]


# --- margin guard --------------------------------------------------------------------------------


def test_a_price_under_cost_plus_minimum_margin_is_refused_naming_sku_price_cost_and_minimum(
        client, db, store, shop, configure):
    configure(min_margin_percent=20)  # cost 5.00 → at least 6.00
    list_id = retail(client)
    refused = client.put(f"{LISTS}/{list_id}/items", json={"sku": "TEE-M", "price": 599})
    assert refused.status_code == 422
    assert refused.json["errors"]["price"] == [
        "TEE-M: price 5.99 is below the minimum 6.00 (unit cost 5.00 + minimum margin)"]
    assert client.get(f"{LISTS}/{list_id}/items").json == []
    assert client.put(f"{LISTS}/{list_id}/items", json={"sku": "TEE-M", "price": 600}).json["status"] == "applied"


def test_in_approval_mode_the_price_waits_until_another_user_approves_it(
        client, approver, db, store, shop, configure):
    configure(min_margin_percent=20, margin_guard="approval")
    list_id = retail(client)
    asked = client.put(f"{LISTS}/{list_id}/items", json={"sku": "TEE-M", "price": 550}).json
    assert asked["status"] == "pending_approval" and asked["item"] is None
    approval = asked["approval"]
    assert (approval["sku"], approval["new_price"], approval["unit_cost"], approval["minimum_price"]) == (
        "TEE-M", 550, 500, 600)
    assert quoted(client, "TEE-M") == 1290  # nothing changed yet

    mine = client.post(f"/api/v1/pricing/approvals/{approval['id']}/approve")
    assert mine.status_code == 403 and "someone else" in mine.json["message"]

    approved = approver.post(f"/api/v1/pricing/approvals/{approval['id']}/approve")
    assert approved.status_code == 200, approved.json
    assert (approved.json["status"], approved.json["decided_by"]) == ("approved", "approver@example.com")
    assert quoted(client, "TEE-M") == 550
    assert approver.post(f"/api/v1/pricing/approvals/{approval['id']}/reject").status_code == 409
    assert price_changes(db, store) == [(None, 550, "TEE-M")]


def test_a_rejected_price_changes_nothing(client, approver, db, store, shop, configure):
    configure(min_margin_percent=20, margin_guard="approval")
    list_id = retail(client)
    approval = client.put(f"{LISTS}/{list_id}/items", json={"sku": "TEE-M", "price": 550}).json["approval"]
    assert approver.post(f"/api/v1/pricing/approvals/{approval['id']}/reject").json["status"] == "rejected"
    assert quoted(client, "TEE-M") == 1290
    assert price_changes(db, store) == []
    assert [a["status"] for a in client.get("/api/v1/pricing/approvals").json] == ["rejected"]


def test_approving_needs_the_approve_permission(app, db, store, shop, configure, token_for, user, client):
    configure(min_margin_percent=20, margin_guard="approval")
    list_id = retail(client)
    approval = client.put(f"{LISTS}/{list_id}/items", json={"sku": "TEE-M", "price": 550}).json["approval"]
    writer = {"Authorization": f"Bearer {token_for(user, store, ['pricing.read', 'pricing.write'])}"}
    answer = app.test_client().post(f"/api/v1/pricing/approvals/{approval['id']}/approve", headers=writer)
    assert answer.status_code == 403


def test_every_price_change_is_audited_with_before_and_after(client, db, store, shop):
    list_id = retail(client)
    client.put(f"{LISTS}/{list_id}/items", json={"sku": "TEE-M", "price": 1290})
    client.put(f"{LISTS}/{list_id}/items", json={"sku": "TEE-M", "price": 1190})
    item_id = client.get(f"{LISTS}/{list_id}/items").json[0]["id"]
    assert client.delete(f"{LISTS}/{list_id}/items/{item_id}").status_code == 204
    assert price_changes(db, store) == [(None, 1290, "TEE-M"), (1290, 1190, "TEE-M"), (1190, None, "TEE-M")]
    entry = db.session.scalars(sa.select(AuditEntry).filter_by(action="pricing.price_changed")
                               .order_by(AuditEntry.id)).all()[1]
    assert (entry.actor, entry.object_type, entry.object_id) == ("owner@example.com", "variant",
                                                                 str(shop.variants["TEE-M"]))
    assert entry.before["price_list"] == "Retail" and entry.after["min_quantity"] == 1


# --- scheduled changes ---------------------------------------------------------------------------


def test_a_scheduled_change_is_upcoming_then_applied_by_the_job_at_its_start_and_undone_at_its_end(
        app, client, db, store, shop):
    list_id = retail(client)
    client.put(f"{LISTS}/{list_id}/items", json={"sku": "TEE-M", "price": 1290})
    start = utcnow() + timedelta(days=7)
    made = client.post("/api/v1/pricing/scheduled-changes", json={
        "price_list_id": list_id, "sku": "TEE-M", "new_price": 990, "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=2)).isoformat(), "note": "Spring week"})
    assert made.status_code == 201, made.json
    assert [c["id"] for c in client.get("/api/v1/pricing/scheduled-changes?upcoming=true").json] == [made.json["id"]]
    assert b"Spring week" in client.get("/s/acme/pricing/").data

    with use_store(store):
        assert apply_due_changes(now=start - timedelta(seconds=1)) == 0
        assert apply_due_changes(now=start) == 1
        assert apply_due_changes(now=start + timedelta(minutes=1)) == 0  # idempotent
    assert quoted(client, "TEE-M", at=(start + timedelta(hours=1)).isoformat()) == 990
    change = client.get(f"/api/v1/pricing/scheduled-changes/{made.json['id']}").json
    assert (change["status"], change["previous_price"]) == ("active", 1290)
    assert client.get("/api/v1/pricing/scheduled-changes?upcoming=true").json == []

    with use_store(store):
        assert apply_due_changes(now=start + timedelta(days=2)) == 1
    assert quoted(client, "TEE-M") == 1290
    assert client.get(f"/api/v1/pricing/scheduled-changes/{made.json['id']}").json["status"] == "done"
    assert price_changes(db, store) == [(None, 1290, "TEE-M"), (1290, 990, "TEE-M"), (990, 1290, "TEE-M")]


def test_a_change_for_a_price_the_list_did_not_have_removes_it_again(app, client, db, store, shop):
    list_id = retail(client)
    start = utcnow() + timedelta(hours=1)
    client.post("/api/v1/pricing/scheduled-changes", json={
        "price_list_id": list_id, "sku": "MUG-1", "new_price": 700, "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat()})
    with use_store(store):
        apply_due_changes(now=start)
        assert db.session.scalar(sa.select(PriceListItem.price)) == 700
        apply_due_changes(now=start + timedelta(hours=1))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PriceListItem)) == 0


def test_two_schedulers_running_the_job_at_once_apply_the_change_once(make_app, app, client, db, store, shop):
    list_id = retail(client)
    start = utcnow() - timedelta(seconds=5)
    client.post("/api/v1/pricing/scheduled-changes", json={
        "price_list_id": list_id, "sku": "TEE-M", "new_price": 990, "starts_at": start.isoformat()})
    applied, errors = [], []
    store_id = store.id
    schedulers = [make_app() for _ in range(2)]  # two processes' apps, built before the race

    def run(other):
        try:
            with other.app_context(), use_store(store_id):
                applied.append(apply_due_changes())
        except Exception as exc:  # a lost race may surface as a database error; count it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(other,)) for other in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(applied) + len(errors) == 2  # both schedulers ran
    assert sum(applied) == 1
    assert len(price_changes(db, store)) == 1


def test_a_scheduled_change_under_the_guard_is_refused_or_waits_for_approval(client, approver, db, store, shop,
                                                                            configure):
    configure(min_margin_percent=20)
    list_id = retail(client)
    body = {"price_list_id": list_id, "sku": "TEE-M", "new_price": 400,
            "starts_at": (utcnow() + timedelta(days=1)).isoformat()}
    refused = client.post("/api/v1/pricing/scheduled-changes", json=body)
    assert refused.status_code == 422 and "TEE-M" in refused.json["errors"]["price"][0]

    configure(min_margin_percent=20, margin_guard="approval")
    change = client.post("/api/v1/pricing/scheduled-changes", json=body).json
    assert change["status"] == "pending_approval"
    [approval] = client.get("/api/v1/pricing/approvals?status=pending").json
    assert approval["scheduled_change_id"] == change["id"]
    approver.post(f"/api/v1/pricing/approvals/{approval['id']}/approve")
    assert client.get(f"/api/v1/pricing/scheduled-changes/{change['id']}").json["status"] == "scheduled"


def test_a_scheduled_change_can_be_cancelled_before_it_starts(client, shop):
    list_id = retail(client)
    change = client.post("/api/v1/pricing/scheduled-changes", json={
        "price_list_id": list_id, "sku": "TEE-M", "new_price": 990,
        "starts_at": (utcnow() + timedelta(days=1)).isoformat()}).json
    cancelled = client.post(f"/api/v1/pricing/scheduled-changes/{change['id']}/cancel")
    assert cancelled.json["status"] == "cancelled"
    assert client.post(f"/api/v1/pricing/scheduled-changes/{change['id']}/cancel").status_code == 409


# --- bulk updates --------------------------------------------------------------------------------


def test_bulk_preview_shows_what_apply_then_does(client, db, store, shop, configure):
    configure(min_margin_percent=20)
    body = {"category_id": shop.apparel, "percent": "-10"}
    preview = client.post("/api/v1/pricing/bulk-updates/preview", json=body)
    assert preview.status_code == 200, preview.json
    assert [(r["sku"], r["old_price"], r["new_price"], r["unit_cost"], r["margin_percent"], r["verdict"])
            for r in preview.json] == [("TEE-L", 1290, 1161, 500, "56.9", "ok"),
                                       ("TEE-M", 1290, 1161, 500, "56.9", "ok"),
                                       ("TEE-S", 1290, 1161, 500, "56.9", "ok")]
    applied = client.post("/api/v1/pricing/bulk-updates", json=body)
    assert applied.status_code == 200
    assert applied.json["rows"] == preview.json and applied.json["approvals"] == []
    with use_store(store):
        prices = dict(db.session.execute(sa.select(Variant.sku, Variant.price)).all())
    assert prices == {"TEE-S": 1161, "TEE-M": 1161, "TEE-L": 1161, "MUG-1": 800}
    assert len(price_changes(db, store)) == 3
    with use_store(store):  # the catalog's subscribers hear of it: once for the product, not per SKU
        announced = db.session.scalars(sa.select(OutboxEvent.payload).filter_by(name="product.updated")).all()
    assert [sorted(p["skus"]) for p in announced] == [["TEE-L", "TEE-M", "TEE-S"]]


def test_bulk_update_of_one_list_by_brand_and_amount(client, db, store, shop):
    list_id = retail(client)
    for sku in ("TEE-M", "MUG-1"):
        client.put(f"{LISTS}/{list_id}/items", json={"sku": sku, "price": 1000})
    body = {"brand_id": shop.brand, "price_list_id": list_id, "amount": 50}
    preview = client.post("/api/v1/pricing/bulk-updates/preview", json=body).json
    assert [(r["sku"], r["price_list"], r["new_price"]) for r in preview] == [("TEE-M", "Retail", 1050)]
    assert client.post("/api/v1/pricing/bulk-updates", json=body).json["rows"] == preview
    assert [(i["sku"], i["price"]) for i in client.get(f"{LISTS}/{list_id}/items").json] == [
        ("MUG-1", 1000), ("TEE-M", 1050)]


def test_a_bulk_update_crossing_the_guard_is_refused_whole_or_sent_for_approval(client, db, store, shop,
                                                                               configure):
    configure(min_margin_percent=20)
    body = {"tag_id": shop.tag, "percent": "-60"}  # 12.90 → 5.16, under 6.00
    assert {r["verdict"] for r in client.post("/api/v1/pricing/bulk-updates/preview", json=body).json} == {"refuse"}
    refused = client.post("/api/v1/pricing/bulk-updates", json=body)
    assert refused.status_code == 422 and len(refused.json["errors"]["price"]) == 3
    assert price_changes(db, store) == []

    configure(min_margin_percent=20, margin_guard="approval")
    result = client.post("/api/v1/pricing/bulk-updates", json=body).json
    assert len(result["approvals"]) == 3 and price_changes(db, store) == []


def test_an_approved_catalog_price_is_written_by_the_catalog_and_announced_once(client, approver, db, store,
                                                                               shop, configure):
    configure(min_margin_percent=20, margin_guard="approval")
    body = {"category_id": shop.kitchen, "percent": "-60"}  # MUG-1 8.00 → 3.20, under 3.00 + 20 %
    approval = client.post("/api/v1/pricing/bulk-updates", json=body).json["approvals"][0]
    approved = approver.post(f"/api/v1/pricing/approvals/{approval['id']}/approve")
    assert approved.status_code == 200, approved.json
    with use_store(store):
        assert db.session.get(Variant, shop.variants["MUG-1"]).price == 320
        announced = db.session.scalars(sa.select(OutboxEvent.payload).filter_by(name="product.updated")).all()
    assert [p["skus"] for p in announced] == [["MUG-1"]]
    assert price_changes(db, store) == [(800, 320, "MUG-1")]
    entry = db.session.scalars(sa.select(AuditEntry).filter_by(action="pricing.price_changed")).one()
    assert (entry.after["price_list"], entry.after["reason"]) == ("catalog", f"approval {approval['id']}")


def test_bulk_update_input_is_checked(client, shop):
    url = "/api/v1/pricing/bulk-updates/preview"
    assert client.post(url, json={"percent": "5"}).json["errors"] == {
        "category_id": ["Select by category, brand, tag and/or price list."]}
    assert "percent" in client.post(url, json={"brand_id": shop.brand, "percent": "5", "amount": 3}).json["errors"]
    assert client.post(url, json={"brand_id": 999999, "amount": 3}).json["errors"] == {
        "brand_id": ["No brand 999999 in this store."]}


def test_the_scheduler_runs_the_job_in_each_store_and_records_the_run(app, client, db, store, shop):
    from shopdesk.scheduler import run_job

    list_id = retail(client)
    client.post("/api/v1/pricing/scheduled-changes", json={
        "price_list_id": list_id, "sku": "TEE-M", "new_price": 990,
        "starts_at": (utcnow() - timedelta(seconds=1)).isoformat()})
    run = run_job("pricing.apply_scheduled", "pricing", store.id)
    assert run is not None and run.outcome == "ok"
    assert quoted(client, "TEE-M") == 990
