"""Importing orders from CSV and XLSX, with a dry run listing bad rows by line and field."""

import io

from openpyxl import Workbook

GOOD = ("channel,external_id,customer_name,customer_email,sku,quantity,unit_price,shipping_fee\n"
        "marketplace,MP-1,Ada,ada@example.com,TEE-S,2,,5.00\n"
        "marketplace,MP-1,Ada,ada@example.com,MUG,1,9.50,\n"
        "web,W-7,Bob,bob@example.com,CAP,1,,\n")
BAD = ("channel,external_id,customer_email,sku,quantity\n"
       "marketplace,MP-1,ada@example.com,TEE-S,two\n"
       "marketplace,,ada@example.com,NOPE,1\n"
       "fax,F-1,not-an-email,MUG,1\n")


def upload(api, text, name="orders.csv", dry_run="true"):
    data = text.encode() if isinstance(text, str) else text
    return api.post(f"/api/v1/orders/import?dry_run={dry_run}", data={"file": (io.BytesIO(data), name)},
                    content_type="multipart/form-data")


def test_a_dry_run_lists_bad_rows_by_line_and_field_and_imports_nothing(api):
    report = upload(api, BAD).get_json()
    assert report["errors"] == [
        {"line": 2, "field": "quantity", "message": "Must be a whole number above 0."},
        {"line": 3, "field": "external_id", "message": "Missing value."},
        {"line": 3, "field": "sku", "message": "Unknown SKU 'NOPE'."},
        {"line": 4, "field": "channel", "message": "Must be one of: web, marketplace, pos, manual."},
        {"line": 4, "field": "customer.email", "message": "Not a valid email address."},
    ]
    assert upload(api, BAD, dry_run="false").get_json()["created"] == []
    assert api.get("/api/v1/orders").get_json() == []


def test_a_good_file_imports_grouped_orders_once(api):
    dry = upload(api, GOOD).get_json()
    assert (dry["rows"], dry["orders"], dry["errors"], dry["created"]) == (3, 2, [], [])
    report = upload(api, GOOD, dry_run="false").get_json()
    assert report["created"] == ["SO-01001", "SO-01002"]
    first = api.get("/api/v1/orders?channel=marketplace").get_json()[0]
    order = api.get(f"/api/v1/orders/{first['id']}").get_json()
    assert [(l["sku"], l["unit_price"]) for l in order["lines"]] == [("TEE-S", 1500), ("MUG", 950)]
    assert order["shipping_fee"] == 500 and order["external_id"] == "MP-1"
    again = upload(api, GOOD, dry_run="false").get_json()
    assert (again["created"], again["existing"]) == ([], ["SO-01001", "SO-01002"])


def test_xlsx_files_import_too(api):
    book = Workbook()
    sheet = book.active
    for row in [["external_id", "sku", "quantity"], ["X-1", "MUG", 2], ["X-1", "CAP", 1]]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    report = upload(api, buffer.getvalue(), name="orders.xlsx", dry_run="false").get_json()
    assert report["created"] == ["SO-01001"] and report["errors"] == []


def test_unreadable_files_are_refused(api):
    answer = upload(api, "x", name="orders.pdf")
    assert answer.status_code == 422 and answer.get_json()["errors"] == {"file": ["Upload a .csv or .xlsx file."]}
    missing = upload(api, "sku,quantity\nMUG,1\n")
    assert missing.get_json()["message"] == "Missing column(s): external_id."


def test_the_cli_imports_with_a_dry_run(cli, api, tmp_path):
    path = tmp_path / "orders.csv"
    path.write_text(BAD)
    result = cli("orders", "import", "shop", str(path), "--dry-run")
    assert result.exit_code == 1
    assert "line 2: quantity: Must be a whole number above 0." in result.output
    path.write_text(GOOD)
    result = cli("orders", "import", "shop", str(path))
    assert result.exit_code == 0, result.output
    assert "Imported 2 order(s); 0 already known; 0 problem(s)." in result.output
    assert "SO-01002" in cli("orders", "list", "shop").output


def test_the_import_page_shows_the_dry_run(api):
    page = api.post("/s/shop/orders/import", data={"file": (io.BytesIO(BAD.encode()), "o.csv"), "dry_run": "on"},
                    content_type="multipart/form-data").get_data(as_text=True)
    assert "Unknown SKU &#39;NOPE&#39;." in page and "nothing was imported" in page
