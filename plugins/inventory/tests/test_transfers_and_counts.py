"""Transfers between warehouses and cycle counts, through the API and the pages."""

import io

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from shopdesk.auth.models import create_user
from shopdesk.auth.roles import add_member, create_role
from shopdesk.stores import use_store
from shopdesk_catalog.models import Product, Variant


def test_a_transfer_goes_draft_in_transit_received_and_posts_its_moves(client, stocked, level):
    draft = client.post("/api/v1/inventory/transfers", json={
        "from_warehouse": "MAIN", "to_warehouse": "EAST", "lines": [{"sku": "CAP", "quantity": 4}]})
    assert draft.status_code == 201 and draft.json["status"] == "draft"
    transfer_id, line_id = draft.json["id"], draft.json["items"][0]["id"]
    assert level("CAP", "MAIN") == (10, 0, 10)  # nothing moves in draft

    shipped = client.post(f"/api/v1/inventory/transfers/{transfer_id}/ship")
    assert shipped.json["status"] == "in_transit"
    assert level("CAP", "MAIN") == (6, 0, 6) and level("CAP", "EAST") == (0, 0, 0)

    partly = client.post(f"/api/v1/inventory/transfers/{transfer_id}/receive",
                         json={"lines": [{"line_id": line_id, "quantity": 3}]})
    assert partly.json["status"] == "in_transit" and partly.json["items"][0]["received_quantity"] == 3
    assert level("CAP", "EAST") == (3, 0, 3)

    rest = client.post(f"/api/v1/inventory/transfers/{transfer_id}/receive", json={})
    assert rest.json["status"] == "received"
    assert level("CAP", "EAST") == (4, 0, 4)
    kinds = [(m["kind"], m["quantity"]) for m in
             client.get(f"/api/v1/inventory/moves?reference=transfer:{transfer_id}").json]
    assert sorted(kinds) == [("transfer_in", 1), ("transfer_in", 3), ("transfer_out", -4)]


def test_a_transfer_cannot_ship_more_than_is_available_nor_twice(client, stocked, level):
    too_much = client.post("/api/v1/inventory/transfers", json={
        "from_warehouse": "EAST", "to_warehouse": "MAIN",
        "lines": [{"sku": "MUG", "quantity": 5}, {"sku": "TEE-M", "quantity": 6}]}).json
    answer = client.post(f"/api/v1/inventory/transfers/{too_much['id']}/ship")
    assert answer.status_code == 409 and "TEE-M" in answer.json["errors"]
    assert level("MUG", "EAST") == (20, 0, 20)  # all lines or none
    assert client.get(f"/api/v1/inventory/transfers/{too_much['id']}").json["status"] == "draft"
    assert client.post(f"/api/v1/inventory/transfers/{too_much['id']}/cancel").json["status"] == "cancelled"
    assert client.post(f"/api/v1/inventory/transfers/{too_much['id']}/ship").status_code == 409


def test_a_transfer_needs_two_different_warehouses(client, stocked):
    answer = client.post("/api/v1/inventory/transfers", json={
        "from_warehouse": "MAIN", "to_warehouse": "MAIN", "lines": [{"sku": "MUG", "quantity": 1}]})
    assert answer.status_code == 422 and "to_warehouse" in answer.json["errors"]


def _approver(app, db, store):
    create_role(store, "supervisor", ["store.view", "inventory.read", "inventory.approve"])
    person = create_user("supervisor@example.com", "supervisor password 1")
    add_member(store, person, "supervisor")
    db.session.commit()
    client = app.test_client(user=person)
    client.environ_base["HTTP_SHOPDESK_STORE"] = "acme"
    return client


def test_a_count_is_approved_by_someone_else_and_posts_the_variances(app, db, client, stocked, store, level):
    started = client.post("/api/v1/inventory/counts", json={"warehouse": "MAIN"})
    assert started.status_code == 201
    count_id = started.json["id"]
    assert {row["sku"]: row["expected"] for row in started.json["sheet"]} == {
        "CAP": 10, "MUG": 10, "TEE-L": 10, "TEE-M": 10}
    entered = client.post(f"/api/v1/inventory/counts/{count_id}/entries", json={"counts": [
        {"sku": "CAP", "counted": 10}, {"sku": "MUG", "counted": 8}, {"sku": "TEE-L", "counted": 11},
        {"sku": "TEE-M", "counted": 10}]})
    assert {row["sku"]: row["variance"] for row in entered.json["sheet"]} == {
        "CAP": 0, "MUG": -2, "TEE-L": 1, "TEE-M": 0}
    assert client.post(f"/api/v1/inventory/counts/{count_id}/submit").json["status"] == "submitted"

    refused = client.post(f"/api/v1/inventory/counts/{count_id}/approve")
    assert refused.status_code == 403
    assert refused.json["message"] == "The person who counted cannot approve the count."
    assert level("MUG", "MAIN") == (10, 0, 10)

    approved = _approver(app, db, store).post(f"/api/v1/inventory/counts/{count_id}/approve")
    assert approved.status_code == 200 and approved.json["approved_by"] == "supervisor@example.com"
    assert level("MUG", "MAIN") == (8, 0, 8) and level("TEE-L", "MAIN") == (11, 0, 11)
    moves = client.get(f"/api/v1/inventory/moves?reference=count:{count_id}").json
    assert sorted((m["sku"], m["kind"], m["quantity"]) for m in moves) == [
        ("MUG", "count_variance", -2), ("TEE-L", "count_variance", 1)]
    accuracy = client.get("/api/v1/inventory/reports/count-accuracy").json
    assert [(a["lines"], a["exact_lines"], a["accuracy_percent"], a["variance_value"]) for a in accuracy] == [
        (4, 2, 50.0, -2 * 300 + 1 * 500)]


def test_a_count_cannot_be_submitted_with_lines_left_uncounted(client, stocked):
    count_id = client.post("/api/v1/inventory/counts", json={"warehouse": "EAST"}).json["id"]
    client.post(f"/api/v1/inventory/counts/{count_id}/entries", json={"counts": [{"sku": "MUG", "counted": 20}]})
    answer = client.post(f"/api/v1/inventory/counts/{count_id}/submit")
    assert answer.status_code == 422 and answer.json["errors"] == {"counts": ["Not counted yet: TEE-M"]}


def test_a_blind_count_hides_the_expected_quantity_on_the_page_the_api_and_the_sheets(client, stocked):
    count = client.post("/api/v1/inventory/counts", json={"warehouse": "EAST", "blind": True}).json
    assert [row["expected"] for row in count["sheet"]] == [None, None]
    csv_text = client.get(f"/api/v1/inventory/counts/{count['id']}/sheet").get_data(as_text=True)
    assert csv_text.splitlines() == ["sku,product,expected,counted", "MUG,Demo goods,,", "TEE-M,Demo goods,,"]
    book = load_workbook(io.BytesIO(client.get(f"/s/acme/inventory/counts/{count['id']}/sheet.xlsx").data))
    assert [row[2] for row in book.active.iter_rows(min_row=2, values_only=True)] == [None, None]
    page = client.get(f"/s/acme/inventory/counts/{count['id']}").get_data(as_text=True)
    assert ">20<" not in page and "blind" in page


def test_a_filled_in_sheet_is_uploaded_as_csv_or_xlsx(client, stocked):
    count_id = client.post("/api/v1/inventory/counts", json={"warehouse": "EAST"}).json["id"]
    csv_sheet = client.get(f"/api/v1/inventory/counts/{count_id}/sheet").get_data(as_text=True)
    filled = csv_sheet.replace("MUG,Demo goods,20,", "MUG,Demo goods,20,19")
    answer = client.post(f"/api/v1/inventory/counts/{count_id}/sheet",
                         data={"file": (io.BytesIO(filled.encode()), "count.csv")}, content_type="multipart/form-data")
    assert answer.status_code == 200, answer.json
    assert {r["sku"]: r["counted"] for r in answer.json["sheet"]} == {"MUG": 19, "TEE-M": None}

    book = Workbook()
    book.active.append(["sku", "product", "expected", "counted"])
    book.active.append(["TEE-M", "Demo goods", 5, 5])
    data = io.BytesIO()
    book.save(data)
    page = client.post(f"/s/acme/inventory/counts/{count_id}", data={"file": (io.BytesIO(data.getvalue()), "c.xlsx")},
                       content_type="multipart/form-data")
    assert page.status_code == 302
    sheet = client.get(f"/api/v1/inventory/counts/{count_id}").json["sheet"]
    assert {r["sku"]: r["counted"] for r in sheet} == {"MUG": 19, "TEE-M": 5}


def test_a_sheet_neutralises_formulas_and_reads_back_what_it_wrote(client, db, stocked):
    with use_store(stocked.store):
        db.session.scalars(sa.select(Product)).one().name = '=HYPERLINK("http://evil")'
        db.session.scalar(sa.select(Variant).filter_by(sku="MUG")).sku = "-MUG"
        db.session.commit()
    count_id = client.post("/api/v1/inventory/counts", json={"warehouse": "EAST"}).json["id"]
    csv_sheet = client.get(f"/api/v1/inventory/counts/{count_id}/sheet").get_data(as_text=True)
    assert """'-MUG,"'=HYPERLINK(""http://evil"")",20,""" in csv_sheet.splitlines()
    filled = csv_sheet.replace(",20,", ",20,19")
    answer = client.post(f"/api/v1/inventory/counts/{count_id}/sheet",
                         data={"file": (io.BytesIO(filled.encode()), "count.csv")}, content_type="multipart/form-data")
    assert answer.status_code == 200, answer.json
    assert {r["sku"]: r["counted"] for r in answer.json["sheet"]} == {"-MUG": 19, "TEE-M": None}


def test_a_sheet_with_a_bad_count_is_refused_naming_the_row(client, stocked):
    count_id = client.post("/api/v1/inventory/counts", json={"warehouse": "EAST"}).json["id"]
    bad = "sku,counted\nMUG,twelve\n"
    answer = client.post(f"/api/v1/inventory/counts/{count_id}/sheet",
                         data={"file": (io.BytesIO(bad.encode()), "count.csv")}, content_type="multipart/form-data")
    assert answer.status_code == 422
    assert answer.json["errors"] == {"file": ["Row 2: counted 'twelve' is not a number"]}


def test_a_count_can_be_narrowed_to_a_category(client, stocked):
    count = client.post("/api/v1/inventory/counts", json={
        "warehouse": "MAIN", "scope": "category", "category_id": stocked.category_id}).json
    assert len(count["sheet"]) == 4
    other = client.post("/api/v1/inventory/counts", json={
        "warehouse": "MAIN", "scope": "category", "category_id": stocked.category_id + 1000})
    assert other.status_code == 422 and "category_id" in other.json["errors"]


# --- pages ---------------------------------------------------------------------------------


def test_every_page_renders_for_the_owner(client, stocked):
    count_id = client.post("/api/v1/inventory/counts", json={"warehouse": "EAST"}).json["id"]
    transfer_id = client.post("/api/v1/inventory/transfers", json={
        "from_warehouse": "MAIN", "to_warehouse": "EAST", "lines": [{"sku": "CAP", "quantity": 1}]}).json["id"]
    for path in ("", "moves", "reservations", "warehouses", "transfers", f"transfers/{transfer_id}", "counts",
                 f"counts/{count_id}", "replenishment", "replenishment?show=suggestions", "reports",
                 "reports?by=category"):
        answer = client.get(f"/s/acme/inventory/{path}")
        assert answer.status_code == 200, path


def test_the_pages_receive_adjust_and_move_stock(client, stocked, level):
    assert client.post("/s/acme/inventory/receive", data={
        "warehouse": "EAST", "reference": "PO-9", "lines": "CAP 3\nTEE-L, 2"}).status_code == 302
    assert level("CAP", "EAST") == (3, 0, 3) and level("TEE-L", "EAST") == (2, 0, 2)
    assert client.post("/s/acme/inventory/adjust", data={
        "sku": "CAP", "warehouse": "EAST", "quantity": "-1", "reason": "damaged"}).status_code == 302
    assert level("CAP", "EAST") == (2, 0, 2)
    refused = client.post("/s/acme/inventory/adjust", data={
        "sku": "CAP", "warehouse": "EAST", "quantity": "-5", "reason": "lost"})
    assert refused.status_code == 409 and b"CAP (requested 5, available 2)" in refused.data
    created = client.post("/s/acme/inventory/transfers", data={
        "from_warehouse": "MAIN", "to_warehouse": "EAST", "lines": "MUG 2"})
    assert created.status_code == 302
    transfer_path = created.headers["Location"]
    assert client.post(f"{transfer_path}/ship").status_code == 302
    assert client.post(f"{transfer_path}/receive").status_code == 302
    assert level("MUG", "EAST") == (22, 0, 22)


def test_a_page_form_with_bad_input_is_refused_with_400_and_writes_nothing(client, stocked, level):
    answer = client.post("/s/acme/inventory/receive", data={"warehouse": "MAIN", "lines": "CAP lots"})
    assert answer.status_code == 400
    assert level("CAP", "MAIN") == (10, 0, 10)


def test_members_without_inventory_read_get_no_page_and_no_nav_item(app, db, client, stocked, store):
    create_role(store, "packer", ["store.view"])
    packer = create_user("packer@example.com", "packer password 1")
    add_member(store, packer, "packer")
    db.session.commit()
    as_packer = app.test_client(user=packer)
    assert as_packer.get("/s/acme/inventory/").status_code == 403
    assert b'href="/s/acme/inventory/"' not in as_packer.get("/s/acme/").data
    assert b'href="/s/acme/inventory/"' in client.get("/s/acme/").data


def test_the_count_pages_take_a_count_from_start_to_approval(app, db, client, stocked, store, level):
    started = client.post("/s/acme/inventory/counts", data={"warehouse": "EAST", "scope": "warehouse"})
    assert started.status_code == 302
    count_path = started.headers["Location"]
    sheet = client.get(f"/api/v1/inventory/counts/{count_path.rstrip('/').rsplit('/', 1)[1]}").json["sheet"]
    lines = {row["sku"]: row["line_id"] for row in sheet}
    assert client.post(count_path, data={f"count-{lines['MUG']}": "18",
                                         f"count-{lines['TEE-M']}": "5"}).status_code == 302
    assert client.post(f"{count_path}/submit").status_code == 302
    assert client.post(f"{count_path}/approve").status_code == 403  # the counter (and no role) cannot
    supervisor = _approver(app, db, store)
    assert supervisor.post(f"{count_path}/approve").status_code == 302
    assert level("MUG", "EAST") == (18, 0, 18)
    assert "Books vs shelves" in client.get("/s/acme/inventory/counts").get_data(as_text=True)


def test_warehouses_are_renamed_reprioritised_and_given_bins_with_an_audit_entry(db, client, stocked):
    main = next(w for w in client.get("/api/v1/inventory/warehouses").json if w["code"] == "MAIN")
    changed = client.patch(f"/api/v1/inventory/warehouses/{main['id']}",
                           json={"priority": 30, "bins": ["A-01", "A-02"], "name": "Main hall"})
    assert changed.json == {**main, "priority": 30, "bins": ["A-01", "A-02"], "name": "Main hall",
                            "updated_at": changed.json["updated_at"]}
    assert changed.json["updated_at"] > main["updated_at"]
    assert [w["code"] for w in client.get("/api/v1/inventory/warehouses").json] == ["EAST", "MAIN"]
    duplicate = client.post("/api/v1/inventory/warehouses", json={"code": "MAIN", "name": "Again"})
    assert duplicate.status_code == 422 and "code" in duplicate.json["errors"]


def test_a_lead_time_override_can_be_removed(client, stocked):
    lead = client.put("/api/v1/inventory/lead-times", json={"sku": "CAP", "days": 21}).json
    assert client.get("/api/v1/inventory/lead-times").json == [lead]
    assert client.delete(f"/api/v1/inventory/lead-times/{lead['id']}").status_code == 204
    assert client.get("/api/v1/inventory/lead-times").json == []
    assert client.put("/api/v1/inventory/lead-times", json={"sku": "NOPE", "days": 3}).status_code == 422
