"""Importing and exporting products as CSV and XLSX: dry runs, modes, round trips, background runs."""

import csv
import io
import os

import pytest
import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from shopdesk.audit import AuditEntry
from shopdesk.events import OutboxEvent
from shopdesk.scheduler import run_job
from shopdesk.stores import create_store, enable_plugin, use_store
from shopdesk_catalog.imports import write as imports_write
from shopdesk_catalog.models import ImportRun, Product, Variant

HEADER = ["product_name", "status", "category", "brand", "tags", "sku", "barcode", "options", "price", "unit_cost",
          "weight_g", "dimensions_mm", "description", "name_zh_Hant"]
GOOD = [
    ["Organic Tee", "active", "Apparel > T-shirts", "Northwind", "organic;summer", "TEE-S-NAV", "4710000000011",
     "size=S;colour=navy", "24.00", "8.50", "180", "300x200x10", "Soft **organic** cotton.", "有機棉T恤"],
    ["Organic Tee", "", "", "", "", "TEE-M-NAV", "", "size=M;colour=navy", "24.00", "8.50", "190", "", "", ""],
    ["Stoneware Mug", "draft", "Home > Mugs", "Kiln Studio", "", "MUG-OAT", "", "colour=oat", "22", "7", "380", "",
     "", ""],
]
BAD = [
    ["Organic Tee", "", "", "", "", "TEE-L-NAV", "", "size=L;colour=navy", "twenty", "8.50", "", "", "", ""],
    ["Linen Towel", "sold", "", "", "", "TEE-S-NAV", "", "", "-3", "", "heavy", "", "", ""],
]


def csv_file(rows, header=HEADER) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    return out.getvalue().encode()


def xlsx_file(rows, header=HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in [header, *rows]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


MAKE = {"csv": csv_file, "xlsx": xlsx_file}


def upload(client, content: bytes, file_format="csv", headers=None, **options):
    data = {"file": (io.BytesIO(content), f"products.{file_format}"),
            **{key: str(value).lower() if isinstance(value, bool) else value for key, value in options.items()}}
    return client.post("/api/v1/catalog/imports", data=data, content_type="multipart/form-data", headers=headers or {})


def problems(client, run_id):
    return [(p["line"], p["field"], p["message"]) for p in client.get(f"/api/v1/catalog/imports/{run_id}/errors").json]


def skus(db, store):
    with use_store(store):
        return sorted(db.session.scalars(sa.select(Variant.sku)))


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_dry_run_lists_every_bad_row_by_line_and_column_and_writes_nothing(client, db, store, file_format):
    response = upload(client, MAKE[file_format](GOOD + BAD), file_format)  # dry run is the default
    assert response.status_code == 201
    run = response.json
    assert (run["status"], run["dry_run"], run["written_rows"]) == ("done", True, 0)
    assert run["summary"]["rows"] == 5 and run["summary"]["rows_refused"] == 2
    assert run["summary"]["products_created"] == 2 and run["summary"]["variants_created"] == 3
    assert problems(client, run["id"]) == [
        (5, "price", "'twenty' is not an amount: use digits and a decimal point, such as 12.90."),
        (6, "status", "'sold' is not one of: draft, active, archived."),
        (6, "sku", "SKU 'TEE-S-NAV' is also on line 2."),
        (6, "price", "Must not be negative."),
        (6, "weight_g", "'heavy' is not a whole number of grams."),
    ]
    assert skus(db, store) == []


def test_missing_required_columns_are_named_and_nothing_is_read(client, db, store):
    header = ["product_name", "colour", "price"]
    run = upload(client, csv_file([["Tee", "navy", "10"]], header=header), dry_run=False).json
    assert run["status"] == "failed"
    assert problems(client, run["id"]) == [
        (1, "colour", "Unknown column. The columns are: product_name, status, category, brand, tags, sku, barcode, "
                      "options, price, unit_cost, weight_g, dimensions_mm, description, name_zh_Hant, "
                      "description_zh_Hant, name_zh_Hans, description_zh_Hans."),
        (1, "sku", "Missing required column."),
    ]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_all_or_nothing_writes_nothing_when_a_row_is_bad(client, db, store, file_format):
    run = upload(client, MAKE[file_format](GOOD + BAD), file_format, dry_run=False, mode="all_or_nothing").json
    assert run["status"] == "failed" and run["written_rows"] == 0
    assert run["message"] == "Nothing was written: 2 row(s) have problems (all or nothing)."
    assert skus(db, store) == []


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_valid_rows_writes_the_good_rows_and_reports_the_bad_ones(client, db, store, file_format):
    run = upload(client, MAKE[file_format](GOOD + BAD), file_format, dry_run=False, mode="valid_rows").json
    assert (run["status"], run["written_rows"], run["error_count"]) == ("done", 3, 5)
    assert skus(db, store) == ["MUG-OAT", "TEE-M-NAV", "TEE-S-NAV"]
    with use_store(store):
        tee = db.session.scalar(sa.select(Product).filter_by(name="Organic Tee"))
        assert (tee.status, tee.category.name, tee.category.parent.name, tee.brand.name) == \
            ("active", "T-shirts", "Apparel", "Northwind")
        assert [t.name for t in tee.tags] == ["organic", "summer"]
        assert tee.option_axes == ["size", "colour"]
        assert [(t.locale, t.name) for t in tee.translations] == [("zh_Hant", "有機棉T恤")]
        small = tee.variants[0]
        assert (small.sku, small.barcode, small.options, small.price, small.unit_cost, small.weight_g,
                small.length_mm, small.width_mm, small.height_mm) == \
            ("TEE-S-NAV", "4710000000011", {"size": "S", "colour": "navy"}, 2400, 850, 180, 300, 200, 10)
        mug = db.session.scalar(sa.select(Product).filter_by(name="Stoneware Mug"))
        assert (mug.status, mug.variants[0].price, mug.variants[0].unit_cost) == ("draft", 2200, 700)


def test_a_row_with_an_existing_sku_updates_that_variant_and_keeps_what_it_leaves_empty(client, db, store):
    upload(client, csv_file(GOOD), dry_run=False)
    change = [["Organic Tee", "archived", "", "", "", "TEE-S-NAV", "", "", "26.50", "", "", "", "", ""],
              ["Organic Tee", "", "", "", "", "TEE-L-NAV", "", "size=L;colour=navy", "26.50", "9", "", "", "", ""]]
    run = upload(client, csv_file(change), dry_run=False).json
    assert run["summary"]["variants_updated"] == 1 and run["summary"]["variants_created"] == 1
    assert run["summary"]["products_updated"] == 1 and run["summary"]["products_created"] == 0
    with use_store(store):
        tee = db.session.scalar(sa.select(Product).filter_by(name="Organic Tee"))
        assert tee.status == "archived"
        assert [(v.sku, v.price, v.unit_cost, v.weight_g, v.barcode) for v in tee.variants] == [
            ("TEE-S-NAV", 2650, 850, 180, "4710000000011"), ("TEE-M-NAV", 2400, 850, 190, None),
            ("TEE-L-NAV", 2650, 900, None, None)]
        assert [t.name for t in tee.tags] == ["organic", "summer"]  # not given: kept


def test_a_sku_of_another_product_and_bad_options_are_refused_naming_the_product(client, db, store):
    upload(client, csv_file(GOOD), dry_run=False)
    clash = [["Stoneware Mug", "", "", "", "", "TEE-S-NAV", "", "", "9", "", "", "", "", ""],
             ["Organic Tee", "", "", "", "", "TEE-XL", "", "size=XL", "9", "", "", "", "", ""],
             ["Organic Tee", "", "", "", "", "TEE-M2", "", "size=M;colour=navy", "9", "", "", "", "", ""],
             ["Stoneware Mug", "active", "Home > Cups", "", "", "MUG-SAGE", "", "colour=sage", "9", "", "", "", "", ""]]
    run = upload(client, csv_file(clash), dry_run=False, create_categories=False).json
    tee_id = client.get("/api/v1/catalog/products?q=Organic").json[0]["id"]
    assert problems(client, run["id"]) == [
        (2, "sku", f"SKU 'TEE-S-NAV' belongs to product 'Organic Tee' (id {tee_id}), not 'Stoneware Mug'."),
        (3, "options", "Product 'Organic Tee' has options: size, colour; this row gives size."),
        (4, "options", "Same options (size=M, colour=navy) as SKU TEE-M-NAV of product 'Organic Tee'."),
        (5, "category", "Unknown category 'Home > Cups': create it first, or import with “create categories”."),
    ]
    assert run["status"] == "failed" and len(skus(db, store)) == 3


def test_product_columns_must_agree_between_the_rows_of_a_product(client, db, store):
    rows = [GOOD[0], ["Organic Tee", "draft", "", "", "", "TEE-M-NAV", "", "size=M;colour=navy", "24", "", "", "", "", ""],
            ["Organic Tee", "", "", "", "", "TEE-L-NAV", "", "size=L;colour=navy", "", "", "", "", "", ""]]
    run = upload(client, csv_file(rows), dry_run=False, mode="valid_rows").json
    assert problems(client, run["id"]) == [
        (3, "status", "Differs from line 2 for product 'Organic Tee'."),
        (4, "price", "A new variant needs a price."),
    ]
    assert skus(db, store) == ["TEE-S-NAV"]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_an_export_imports_back_unchanged(app, client, db, store, user, file_format):
    upload(client, csv_file(GOOD), dry_run=False)
    exported = client.get(f"/api/v1/catalog/export?format={file_format}")
    assert exported.status_code == 200
    other = create_store("other", "Other Store", currency="USD", owner=user)
    enable_plugin(app.extensions["shopdesk"], other, "catalog")
    db.session.commit()
    as_other = {"Shopdesk-Store": "other"}
    run = upload(client, exported.data, file_format, headers=as_other, dry_run=False).json
    assert (run["status"], run["written_rows"]) == ("done", 3), run
    again = client.get(f"/api/v1/catalog/export?format={file_format}", headers=as_other)
    assert rows_of(again.data, file_format) == rows_of(exported.data, file_format)
    # importing it into the same store changes nothing and creates nothing
    same = upload(client, exported.data, file_format, dry_run=False).json
    assert same["summary"]["variants_updated"] == 3 and same["summary"]["variants_created"] == 0
    assert rows_of(client.get(f"/api/v1/catalog/export?format={file_format}").data, file_format) == \
        rows_of(exported.data, file_format)


def named(name, sku, description=""):
    return [name, "active", "", "", "", sku, "", "", "10.00", "", "", "", description, ""]


def test_a_formula_in_a_product_is_exported_to_csv_as_text_and_numbers_stay_numbers(client):
    evil = '=HYPERLINK("http://evil")'
    upload(client, csv_file([named(evil, "EVIL-1", "-12.50"), named("Mug", "-5", "+cmd")]), dry_run=False)
    rows = {row[5]: row for row in rows_of(client.get("/api/v1/catalog/export?format=csv").data, "csv")[1:]}
    assert rows["EVIL-1"][0] == "'" + evil
    assert rows["EVIL-1"][12] == "-12.50" and rows["EVIL-1"][8] == "10.00"  # a number is not prefixed
    assert rows["-5"][5] == "-5" and rows["-5"][12] == "'+cmd"
    xlsx = rows_of(client.get("/api/v1/catalog/export?format=xlsx").data, "xlsx")
    assert {row[0] for row in xlsx[1:]} == {evil, "Mug"}  # typed text cells: nothing to neutralise


def test_names_that_look_like_formulas_survive_a_csv_round_trip(app, client, db, store, user):
    names = ["=SUM(A1)", "@home", "-dash", "'=already quoted", "+plus", "'plain quote"]
    with use_store(store):
        for n, name in enumerate(names):
            product = Product(name=name, status="active")
            db.session.add(product)
            db.session.flush()
            db.session.add(Variant(product_id=product.id, sku=f"SKU-{n}", price=1000))
        db.session.commit()
    exported = client.get("/api/v1/catalog/export?format=csv").data
    cells = {row[5]: row[0] for row in rows_of(exported, "csv")[1:]}
    assert [cells[f"SKU-{n}"] for n in range(len(names))] == [
        "'=SUM(A1)", "'@home", "'-dash", "''=already quoted", "'+plus", "'plain quote"]
    other = create_store("other", "Other Store", currency="USD", owner=user)
    enable_plugin(app.extensions["shopdesk"], other, "catalog")
    db.session.commit()
    run = upload(client, exported, headers={"Shopdesk-Store": "other"}, dry_run=False).json
    assert run["status"] == "done", run
    with use_store(other):
        assert sorted(db.session.scalars(sa.select(Product.name))) == sorted(names)


def rows_of(content: bytes, file_format: str) -> list[list[str]]:
    if file_format == "csv":
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    sheet = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
    return [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]


def test_the_export_has_one_row_per_variant_in_the_import_columns(client):
    upload(client, csv_file(GOOD), dry_run=False)
    rows = rows_of(client.get("/api/v1/catalog/export?format=csv").data, "csv")
    assert rows[0][:len(HEADER)] == HEADER
    assert rows[1][:len(HEADER)] == GOOD[0][:4] + ["organic;summer"] + GOOD[0][5:]
    assert rows[3][:12] == ["Stoneware Mug", "draft", "Home > Mugs", "Kiln Studio", "", "MUG-OAT", "", "colour=oat",
                            "22.00", "7.00", "380", ""]


def test_each_import_and_export_is_one_audit_entry_with_counts(client, db, store):
    upload(client, csv_file(GOOD + BAD), dry_run=False, mode="valid_rows")
    client.get("/api/v1/catalog/export?format=xlsx")
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.store_id == store.id,
                                                             AuditEntry.action.in_(["catalog.import", "catalog.export"]))
                                 .order_by(AuditEntry.id)).all()
    assert [e.action for e in entries] == ["catalog.import", "catalog.export"]
    assert entries[0].after["written_rows"] == 3 and entries[0].after["rows_refused"] == 2
    assert entries[0].after["products_created"] == 2 and entries[0].after["mode"] == "valid_rows"
    assert entries[1].after == {"format": "xlsx", "rows": 3, "status": "all"}


def test_imported_products_are_announced_like_any_other(client, db, store):
    upload(client, csv_file(GOOD), dry_run=False)
    with use_store(store):
        events = db.session.scalars(sa.select(OutboxEvent).order_by(OutboxEvent.id)).all()
        assert [(e.name, e.payload["name"], e.payload["skus"]) for e in events] == [
            ("product.created", "Organic Tee", ["TEE-S-NAV", "TEE-M-NAV"]),
            ("product.created", "Stoneware Mug", ["MUG-OAT"])]


def test_a_large_upload_is_imported_by_the_background_job_with_progress(app, client, cli, db, store, monkeypatch):
    assert cli("plugins", "configure", "acme", "catalog", "import_background_rows=2").exit_code == 0
    page = client.post("/s/acme/catalog/imports/", data={
        "file": (io.BytesIO(csv_file(GOOD)), "big.csv"), "dry_run": "", "mode": "all_or_nothing",
        "create_categories": "y"}, content_type="multipart/form-data")
    assert page.status_code == 302
    run_id = int(page.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    waiting = client.get(f"/s/acme/catalog/imports/{run_id}").get_data(as_text=True)
    assert "Waiting for the background job" in waiting and 'http-equiv="refresh"' in waiting
    assert client.get(f"/api/v1/catalog/imports/{run_id}").json["status"] == "queued"

    seen_while_writing = {}
    real_write = imports_write.write_plan

    def watching_write(*args, **kwargs):  # what another request sees while the job writes
        with app.app_context(), use_store(store):
            run = db.session.get(ImportRun, run_id)
            seen_while_writing.update(status=run.status, processed=run.processed_rows, total=run.total_rows)
        return real_write(*args, **kwargs)

    monkeypatch.setattr("shopdesk_catalog.imports.write_plan", watching_write)
    job_run = run_job("catalog.imports", "catalog", store.id)
    assert job_run.outcome == "ok", job_run.error
    assert seen_while_writing == {"status": "running", "processed": 3, "total": 3}
    status = client.get(f"/api/v1/catalog/imports/{run_id}").json
    assert (status["status"], status["processed_rows"], status["written_rows"]) == ("done", 3, 3)
    assert skus(db, store) == ["MUG-OAT", "TEE-M-NAV", "TEE-S-NAV"]
    done = client.get(f"/s/acme/catalog/imports/{run_id}").get_data(as_text=True)
    assert "3 row(s) written." in done and 'http-equiv="refresh"' not in done


def test_the_api_queues_a_large_file_with_202(client, cli, store):
    cli("plugins", "configure", "acme", "catalog", "import_background_rows=2")
    response = upload(client, csv_file(GOOD))
    assert response.status_code == 202 and response.json["status"] == "queued"


def test_the_upload_page_reports_problems_and_imports_after_the_dry_run(client, db, store):
    page = client.post("/s/acme/catalog/imports/", data={
        "file": (io.BytesIO(csv_file(GOOD + BAD)), "mine.csv"), "dry_run": "y", "mode": "valid_rows",
        "create_categories": "y"}, content_type="multipart/form-data", follow_redirects=True)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="import-problems"' in text
    assert "&#39;twenty&#39; is not an amount" in text and "Would create" in text
    with use_store(store):
        run_id = db.session.scalar(sa.select(sa.func.max(ImportRun.id)))
    real = client.post(f"/s/acme/catalog/imports/{run_id}/run", data={"mode": "valid_rows"}, follow_redirects=True)
    assert "3 row(s) written, 2 refused." in real.get_data(as_text=True)
    assert skus(db, store) == ["MUG-OAT", "TEE-M-NAV", "TEE-S-NAV"]
    assert client.get("/s/acme/catalog/imports/").status_code == 200
    download = client.get("/s/acme/catalog/imports/export?format=xlsx")
    assert download.status_code == 200 and download.data[:2] == b"PK"


def test_a_file_that_is_neither_csv_nor_xlsx_is_refused(client):
    response = client.post("/api/v1/catalog/imports", data={"file": (io.BytesIO(b"x"), "products.txt")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert response.json["errors"] == {"file": ["'products.txt' is neither a .csv nor a .xlsx file."]}
    broken = upload(client, b"not a workbook", "xlsx").json
    assert broken["status"] == "failed" and problems(client, broken["id"]) == [
        (1, "file", "The file is not a readable XLSX workbook.")]


def test_the_command_line_imports_with_a_dry_run_first(cli, db, store, tmp_path):
    path = tmp_path / "products.csv"
    path.write_bytes(csv_file(GOOD + BAD))
    dry = cli("catalog", "import", "acme", str(path), "--dry-run")
    assert dry.exit_code == 1
    assert "line 5: price: 'twenty' is not an amount" in dry.output
    assert "would create 2 products and 3 variants" in dry.output
    assert skus(db, store) == []
    real = cli("catalog", "import", "acme", str(path), "--mode", "valid_rows")
    assert "3 row(s) written, 2 refused." in real.output
    assert skus(db, store) == ["MUG-OAT", "TEE-M-NAV", "TEE-S-NAV"]
    out = tmp_path / "export.xlsx"
    exported = cli("catalog", "export", "acme", str(out))
    assert exported.exit_code == 0 and "3 variants written" in exported.output
    assert len(rows_of(out.read_bytes(), "xlsx")) == 4


def test_another_store_cannot_see_imports(app, client, db, user):
    other = create_store("other", "Other Store", owner=user)
    enable_plugin(app.extensions["shopdesk"], other, "catalog")
    db.session.commit()
    run_id = upload(client, csv_file(GOOD), headers={"Shopdesk-Store": "other"}).json["id"]
    assert client.get(f"/api/v1/catalog/imports/{run_id}").status_code == 404
    assert client.get(f"/api/v1/catalog/imports/{run_id}/errors").status_code == 404
    assert client.post(f"/api/v1/catalog/imports/{run_id}/run", json={}).status_code == 404
    assert client.get(f"/s/acme/catalog/imports/{run_id}").status_code == 404
    assert client.get("/api/v1/catalog/imports").json == []
    upload(client, csv_file(GOOD), headers={"Shopdesk-Store": "other"}, dry_run=False)
    assert rows_of(client.get("/api/v1/catalog/export").data, "csv")[1:] == []


def test_importing_a_dry_run_whose_file_is_gone_fails_with_a_clear_message(client, db, store):
    run_id = upload(client, csv_file(GOOD)).json["id"]
    with use_store(store):
        path = db.session.get(ImportRun, run_id).stored_path
    os.remove(path)
    again = client.post(f"/api/v1/catalog/imports/{run_id}/run", json={"mode": "valid_rows"})
    assert again.status_code == 201 and again.json["status"] == "failed"
    assert again.json["message"] == "The file cannot be read (it may have been removed): upload it again."
