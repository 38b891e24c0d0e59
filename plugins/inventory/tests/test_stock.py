"""Stock levels, moves, adjustments, reservations and the commerce hooks."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shopdesk.audit import AuditEntry
from shopdesk.auth.models import create_user
from shopdesk.auth.roles import add_member, create_role
from shopdesk.commerce import Allocation, OutOfStock, StockLine
from shopdesk.db import utcnow
from shopdesk.stores import configure_plugin, use_store
from shopdesk_inventory.models import Reservation, StockLevel
from shopdesk_inventory.stock import expire_reservations


def test_receipts_put_stock_on_hand_and_each_is_a_move_with_its_document(client, stocked, level):
    assert level("TEE-M", "MAIN") == (10, 0, 10)
    moves = client.get("/api/v1/inventory/moves?sku=TEE-M").json
    assert sorted((m["warehouse"], m["kind"], m["quantity"], m["reference"]) for m in moves) == [
        ("EAST", "receipt", 5, "PO-2"), ("MAIN", "receipt", 10, "PO-1")]
    assert all(m["user"] == "owner@example.com" for m in moves)


def test_a_receipt_naming_an_unknown_sku_writes_nothing(client, stocked, level):
    answer = client.post("/api/v1/inventory/receipts", json={
        "warehouse": "MAIN", "lines": [{"sku": "MUG", "quantity": 3}, {"sku": "NOPE", "quantity": 1}]})
    assert answer.status_code == 422
    assert answer.json["errors"] == {"lines": ["Unknown SKU: NOPE"]}
    assert level("MUG", "MAIN") == (10, 0, 10)


def test_adjustments_carry_a_reason_and_are_audited(client, db, stocked, level):
    answer = client.post("/api/v1/inventory/adjustments", json={
        "sku": "CAP", "warehouse": "MAIN", "quantity": -2, "reason": "damaged", "note": "crushed box"})
    assert answer.status_code == 201
    assert (answer.json["kind"], answer.json["reason"], answer.json["quantity"]) == ("adjustment", "damaged", -2)
    assert level("CAP", "MAIN") == (8, 0, 8)
    entry = db.session.scalar(sa.select(AuditEntry).filter_by(action="inventory.adjusted"))
    assert entry.before["on_hand"] == 10 and entry.after["on_hand"] == 8 and entry.after["reason"] == "damaged"


def test_an_adjustment_needs_a_known_reason_code(client, stocked):
    answer = client.post("/api/v1/inventory/adjustments", json={
        "sku": "CAP", "warehouse": "MAIN", "quantity": -1, "reason": "because"})
    assert answer.status_code == 422 and "reason" in answer.json["errors"]


def test_stock_cannot_be_adjusted_below_what_is_reserved(client, stocked, hooks, db, level):
    hooks("reserve_stock", reference="order:1", lines=[StockLine("CAP", 8)])
    db.session.commit()
    answer = client.post("/api/v1/inventory/adjustments", json={
        "sku": "CAP", "warehouse": "MAIN", "quantity": -3, "reason": "lost"})
    assert answer.status_code == 409
    assert answer.json["errors"] == {"CAP": ["requested 3, available 2"]}
    assert level("CAP", "MAIN") == (10, 8, 2)


def test_adjusting_needs_the_adjust_permission(app, db, client, stocked, store):
    create_role(store, "receiver", ["store.view", "inventory.read", "inventory.write"])
    person = create_user("receiver@example.com", "receiver password 1")
    add_member(store, person, "receiver")
    db.session.commit()
    as_receiver = app.test_client(user=person)
    headers = {"Shopdesk-Store": "acme"}
    assert as_receiver.post("/api/v1/inventory/receipts", headers=headers, json={
        "warehouse": "MAIN", "lines": [{"sku": "MUG", "quantity": 1}]}).status_code == 201
    refused = as_receiver.post("/api/v1/inventory/adjustments", headers=headers, json={
        "sku": "MUG", "warehouse": "MAIN", "quantity": 1, "reason": "found"})
    assert refused.status_code == 403


# --- the commerce hooks --------------------------------------------------------------------


def test_hook_reserve_stock(stocked, hooks, db, level):
    allocations = hooks("reserve_stock", reference="order:7",
                        lines=[StockLine("TEE-M", 3), StockLine("MUG", 2)])
    db.session.commit()
    assert allocations == [Allocation("TEE-M", 3, "MAIN"), Allocation("MUG", 2, "MAIN")]
    assert level("TEE-M", "MAIN") == (10, 3, 7)


def test_a_reservation_is_all_lines_or_none_and_names_every_short_sku(stocked, hooks, db, level):
    with pytest.raises(OutOfStock) as refused:
        hooks("reserve_stock", reference="order:8",
              lines=[StockLine("TEE-M", 2), StockLine("CAP", 11), StockLine("TEE-L", 12)])
    assert [(s.sku, s.requested, s.available) for s in refused.value.shortages] == [
        ("CAP", 11, 10), ("TEE-L", 12, 10)]
    assert "CAP (requested 11, available 10)" in str(refused.value)
    db.session.commit()
    assert level("TEE-M", "MAIN") == (10, 0, 10)  # the line that fitted was given back
    with use_store(stocked.store):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Reservation)) == 0


def test_a_line_is_served_by_the_first_warehouse_by_priority_that_has_it_all(stocked, hooks, db, level):
    # MAIN (priority 10) has 10 MUG, EAST 20: 15 cannot come from MAIN, lines are not split.
    assert hooks("reserve_stock", reference="order:9", lines=[StockLine("MUG", 15)]) == [
        Allocation("MUG", 15, "EAST")]
    assert hooks("reserve_stock", reference="order:10", lines=[StockLine("MUG", 4)]) == [
        Allocation("MUG", 4, "MAIN")]


def test_the_most_stock_rule_picks_the_warehouse_with_most_available(app, stocked, hooks, db):
    configure_plugin(app.extensions["shopdesk"], stocked.store, "inventory", {"allocation": "most_stock"})
    db.session.commit()
    assert hooks("reserve_stock", reference="order:11", lines=[StockLine("MUG", 1)]) == [
        Allocation("MUG", 1, "EAST")]


def test_a_line_may_name_its_warehouse(stocked, hooks, db):
    assert hooks("reserve_stock", reference="order:12", lines=[StockLine("TEE-M", 5, "EAST")]) == [
        Allocation("TEE-M", 5, "EAST")]
    with pytest.raises(OutOfStock):
        hooks("reserve_stock", reference="order:13", lines=[StockLine("TEE-M", 1, "EAST")])


def test_unknown_skus_and_bad_quantities_are_value_errors_naming_them(stocked, hooks):
    with pytest.raises(ValueError, match="Unknown SKU: GHOST"):
        hooks("reserve_stock", reference="order:14", lines=[StockLine("GHOST", 1)])
    with pytest.raises(ValueError, match="MUG: quantity must be a positive whole number"):
        hooks("reserve_stock", reference="order:14", lines=[StockLine("MUG", 0)])


def test_a_rolled_back_order_leaves_no_reservation(stocked, hooks, db, level):
    hooks("reserve_stock", reference="order:15", lines=[StockLine("CAP", 4)])
    db.session.rollback()
    assert level("CAP", "MAIN") == (10, 0, 10)


def test_hook_release_stock(stocked, hooks, db, level):
    hooks("reserve_stock", reference="order:16", lines=[StockLine("CAP", 4), StockLine("MUG", 1)])
    db.session.commit()
    assert hooks("release_stock", reference="order:16") == 5
    assert hooks("release_stock", reference="order:16") == 0  # idempotent
    db.session.commit()
    assert level("CAP", "MAIN") == (10, 0, 10)


def test_hook_consume_stock(stocked, hooks, db, level, client):
    hooks("reserve_stock", reference="order:17", lines=[StockLine("TEE-L", 3)])
    db.session.commit()
    # Ships the 3 reserved plus 1 more from the same warehouse.
    assert hooks("consume_stock", reference="order:17", lines=[StockLine("TEE-L", 4)]) == [
        Allocation("TEE-L", 4, "MAIN")]
    db.session.commit()
    assert level("TEE-L", "MAIN") == (6, 0, 6)
    shipped = client.get("/api/v1/inventory/moves?kind=shipment").json
    assert [(m["sku"], m["quantity"], m["reference"]) for m in shipped] == [("TEE-L", -4, "order:17")]
    statuses = client.get("/api/v1/inventory/reservations?reference=order:17").json
    assert [(r["status"], r["open_quantity"]) for r in statuses] == [("consumed", 0)]


def test_consuming_more_than_there_is_ships_nothing(stocked, hooks, db, level):
    hooks("reserve_stock", reference="order:18", lines=[StockLine("CAP", 2)])
    db.session.commit()
    with pytest.raises(OutOfStock) as refused:
        hooks("consume_stock", reference="order:18", lines=[StockLine("CAP", 2), StockLine("MUG", 11, "MAIN")])
    assert [s.sku for s in refused.value.shortages] == ["MUG"]
    db.session.commit()
    assert level("CAP", "MAIN") == (10, 2, 8)
    assert level("MUG", "MAIN") == (10, 0, 10)


def test_hook_return_stock(stocked, hooks, db, level, client):
    hooks("consume_stock", reference="order:19", lines=[StockLine("MUG", 2, "EAST")])
    db.session.commit()
    assert hooks("return_stock", reference="order:19", lines=[StockLine("MUG", 1)]) == [
        Allocation("MUG", 1, "EAST")]  # back where it shipped from
    assert hooks("return_stock", reference="order:19", lines=[StockLine("MUG", 1, "MAIN")]) == [
        Allocation("MUG", 1, "MAIN")]
    db.session.commit()
    assert level("MUG", "EAST") == (19, 0, 19)
    kinds = [m["kind"] for m in client.get("/api/v1/inventory/moves?reference=order:19").json]
    assert sorted(kinds) == ["return", "return", "shipment"]


def test_hook_warehouse_codes(app, db, user, stocked, hooks, client):
    """The store's active warehouses, and only its own."""
    from shopdesk.stores import create_store, enable_plugin

    other = create_store("other", "Other", currency="USD", owner=user)
    for name in ("catalog", "inventory"):
        enable_plugin(app.extensions["shopdesk"], other, name)
    db.session.commit()
    assert client.post("/api/v1/inventory/warehouses", json={"code": "WEST", "name": "West"},
                       headers={"Shopdesk-Store": "other"}).status_code == 201
    assert client.post("/api/v1/inventory/warehouses", json={"code": "OLD", "name": "Old"}).status_code == 201
    old = next(w for w in client.get("/api/v1/inventory/warehouses").json if w["code"] == "OLD")
    assert client.patch(f"/api/v1/inventory/warehouses/{old['id']}", json={"active": False}).status_code == 200
    assert sorted(hooks("warehouse_codes")) == ["EAST", "MAIN"]


def test_reservations_expire_after_the_store_setting_and_the_job_releases_them(app, client, stocked, hooks, db,
                                                                                     level):
    configure_plugin(app.extensions["shopdesk"], stocked.store, "inventory", {"reservation_expiry_minutes": 30})
    db.session.commit()
    hooks("reserve_stock", reference="cart:abc", lines=[StockLine("CAP", 3)])
    db.session.commit()
    with use_store(stocked.store):
        assert expire_reservations() == 0  # not yet
        assert expire_reservations(now=utcnow() + timedelta(minutes=31)) == 3
        db.session.commit()
    statuses = client.get("/api/v1/inventory/reservations?reference=cart:abc").json
    assert [(r["status"], r["open_quantity"]) for r in statuses] == [("expired", 0)]
    assert level("CAP", "MAIN") == (10, 0, 10)


def test_the_reservation_api_is_idempotent_and_refuses_with_the_short_skus(client, stocked, level):
    body = {"reference": "b2b:55", "lines": [{"sku": "TEE-M", "quantity": 2}]}
    retry = {"Idempotency-Key": "k-55"}
    first = client.post("/api/v1/inventory/reservations", json=body, headers=retry)
    again = client.post("/api/v1/inventory/reservations", json=body, headers=retry)
    assert first.status_code == 201 and again.json == first.json
    assert first.json["allocations"] == [{"sku": "TEE-M", "quantity": 2, "warehouse": "MAIN"}]
    assert level("TEE-M", "MAIN") == (10, 2, 8)
    short = client.post("/api/v1/inventory/reservations",
                        json={"reference": "b2b:56", "lines": [{"sku": "CAP", "quantity": 99}]})
    assert short.status_code == 409 and short.json["code"] == "out_of_stock"
    assert short.json["errors"] == {"CAP": ["requested 99, available 10"]}
    released = client.post("/api/v1/inventory/reservations/release", json={"reference": "b2b:55"})
    assert released.json == {"reference": "b2b:55", "released": 2}


def test_the_database_itself_refuses_a_negative_availability(stocked, db):
    with use_store(stocked.store):
        with pytest.raises(sa.exc.IntegrityError):
            db.session.execute(sa.update(StockLevel).values(reserved=StockLevel.on_hand + 1))
            db.session.flush()
        db.session.rollback()


def test_a_product_with_stock_history_cannot_be_deleted_so_the_ledger_stays_whole(client, stocked, level):
    product_id = client.get("/api/v1/catalog/variants?sku=CAP").json[0]["product_id"]
    assert client.post("/api/v1/catalog/products/bulk", json={"ids": [product_id], "action": "archive"}).status_code == 200
    refused = client.delete(f"/api/v1/catalog/products/{product_id}")
    assert refused.status_code == 409
    assert level("CAP", "MAIN") == (10, 0, 10)
    moves = client.get("/api/v1/inventory/moves?sku=CAP").json
    assert [m["reference"] for m in moves] == ["PO-1"]


# --- verify --------------------------------------------------------------------------------


def test_verify_agrees_with_the_books_then_catches_a_corrupted_level(cli, stocked, hooks, db):
    hooks("reserve_stock", reference="order:20", lines=[StockLine("MUG", 2)])
    db.session.commit()
    result = cli("inventory", "verify", "acme")
    assert result.exit_code == 0, result.output
    assert "Stock agrees with the moves in 1 store(s)." in result.output
    with use_store(stocked.store):
        db.session.execute(sa.update(StockLevel).where(StockLevel.on_hand == 10).values(on_hand=13))
        db.session.commit()
    result = cli("inventory", "verify", "acme")
    assert result.exit_code == 1
    assert "acme: CAP @ MAIN: on_hand is 13, the sum of its moves say 10" in result.output
    assert "mismatch(es) found." in result.output
