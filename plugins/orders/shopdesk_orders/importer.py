"""Import orders from CSV or XLSX: one row per order line, rows of one order share its
``channel`` and ``external_id``. A dry run checks every row and lists each bad one with its
line number (as a spreadsheet shows it, the header being line 1) and field; an import only
starts when the whole file is good, and a re-import skips orders whose external id is known.

Money in files is written in major units (``12.50``); it is stored in minor units.
"""

from decimal import InvalidOperation

from marshmallow import ValidationError

from shopdesk.db import db
from shopdesk.money import Money
from shopdesk_catalog.public import UnreadableFile, format_of, variants_by_sku
from shopdesk_catalog.public import read_rows as read_file_rows

from .common import OrderError
from .intake import create_order, find_by_external_id, unsellable
from .schemas import OrderInSchema

COLUMNS = ("channel", "external_id", "customer_name", "customer_email", "customer_phone",
           "ship_name", "ship_line1", "ship_city", "ship_postal_code", "ship_country",
           "sku", "quantity", "unit_price", "shipping_fee", "note")
REQUIRED = ("external_id", "sku", "quantity")
MAX_ROWS = 20000


class BadFile(ValueError):
    pass


def read_rows(filename: str, data: bytes) -> list[tuple[int, dict]]:
    """(line number, row) pairs from a .csv or .xlsx file; BadFile when it cannot be read."""
    try:
        file_format = format_of(filename)
    except UnreadableFile:
        raise BadFile("Upload a .csv or .xlsx file.") from None
    try:  # the catalog's reader: the same CSV and XLSX rules for every import
        rows = [["" if c is None else str(c) for c in row] for row in read_file_rows(data, file_format)]
    except UnreadableFile as exc:
        raise BadFile(str(exc)) from exc
    if not rows:
        raise BadFile("The file is empty.")
    header = [h.strip().lower() for h in rows[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise BadFile(f"Missing column(s): {', '.join(missing)}.")
    if len(rows) > MAX_ROWS + 1:
        raise BadFile(f"At most {MAX_ROWS} rows per file.")
    found = []
    for number, values in enumerate(rows[1:], start=2):
        if not any(str(v).strip() for v in values):
            continue
        found.append((number, {h: str(v).strip() for h, v in zip(header, values) if h in COLUMNS}))
    return found


def _money(text, currency, line, field, errors):
    if not text:
        return None
    try:
        value = Money.from_decimal(text, currency).amount
    except (InvalidOperation, ValueError):
        errors.append({"line": line, "field": field, "message": "Not a number."})
        return None
    if value < 0:
        errors.append({"line": line, "field": field, "message": "Must not be negative."})
        return None
    return value


def group_orders(hooks, rows) -> tuple[list[dict], list[dict]]:
    """Validate rows and group them into order inputs; returns (orders, errors)."""
    currency = hooks.store.currency
    errors, orders = [], {}
    for line, row in rows:
        for field in REQUIRED:
            if not row.get(field):
                errors.append({"line": line, "field": field, "message": "Missing value."})
        quantity = None
        try:
            quantity = int(row.get("quantity") or "")
            if quantity < 1:
                raise ValueError
        except ValueError:
            if row.get("quantity"):
                errors.append({"line": line, "field": "quantity", "message": "Must be a whole number above 0."})
        unit_price = _money(row.get("unit_price"), currency, line, "unit_price", errors)
        shipping = _money(row.get("shipping_fee"), currency, line, "shipping_fee", errors)
        key = (row.get("channel") or "manual", row.get("external_id"))
        order = orders.setdefault(key, {"rows": [], "data": {
            "channel": key[0], "external_id": key[1],
            "customer": {"name": row.get("customer_name", ""), "email": row.get("customer_email", ""),
                         "phone": row.get("customer_phone", "")},
            "shipping_address": {k: row[f"ship_{k}"] for k in ("name", "line1", "city", "postal_code", "country")
                                 if row.get(f"ship_{k}")},
            "note": row.get("note", ""), "shipping_fee": 0, "lines": []}})
        order["rows"].append(line)
        if shipping:
            order["data"]["shipping_fee"] = shipping
        if row.get("sku") and quantity:
            item = {"sku": row["sku"], "quantity": quantity}
            if unit_price is not None:
                item["unit_price"] = unit_price
            order["data"]["lines"].append(item)
            order.setdefault("line_rows", []).append(line)
    variants = variants_by_sku(item["sku"] for o in orders.values() for item in o["data"]["lines"])
    valid = []
    for (channel, external_id), order in orders.items():
        for item, line in zip(order["data"]["lines"], order.get("line_rows", [])):
            if why := unsellable(hooks, variants, item["sku"]):
                errors.append({"line": line, "field": "sku", "message": why})
        try:
            order["data"] = OrderInSchema().load(order["data"])
        except ValidationError as exc:
            flagged = {e["line"] for e in errors}
            for field, messages in _flatten(exc.messages):
                if field == "lines" and flagged & set(order["rows"]):
                    continue  # its rows are already listed as bad
                errors.append({"line": order["rows"][0], "field": field, "message": " ".join(messages)})
            continue
        valid.append(order)
    errors.sort(key=lambda e: (e["line"], e["field"]))
    return valid, errors


def _flatten(messages, prefix=""):
    for key, value in messages.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, f"{name}.")
        else:
            yield name, [str(v) for v in value]


def run_import(hooks, rows, *, dry_run: bool, progress=None) -> dict:
    """Check (``dry_run``) or import the rows; each imported order is committed on its own."""
    orders, errors = group_orders(hooks, rows)
    report = {"dry_run": dry_run, "rows": len(rows), "orders": len(orders) + 0, "created": [], "existing": [],
              "errors": errors}
    if dry_run or errors:
        return report
    for order in (progress(orders) if progress else orders):
        data = order["data"]
        known = find_by_external_id(data["channel"], data["external_id"])
        if known is not None:
            report["existing"].append(known.number)
            continue
        try:
            made, created = create_order(hooks, data, place=True, number_apart=True)
            number = made.number
            db.session.commit()
        except OrderError as exc:
            db.session.rollback()
            report["errors"].append({"line": order["rows"][0], "field": next(iter(exc.errors), "order"),
                                     "message": exc.message})
            continue
        (report["created"] if created else report["existing"]).append(number)
    return report
