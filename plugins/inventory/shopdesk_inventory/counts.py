"""Cycle counts: sessions, count sheets (page, CSV, XLSX), submission and approval.

A session snapshots the expected quantity of every SKU in its scope when it starts. The
counter fills in what is on the shelf and submits; someone else holding
``inventory.approve`` approves, which posts one ``count_variance`` move per line whose count
differs (counted − expected, applied to today's on hand). Blind sessions never show the
expected quantity on the sheet, the page or the API until they are approved.
"""

import csv
import io

import sqlalchemy as sa
from openpyxl import Workbook, load_workbook

from shopdesk import audit, csv_safety
from shopdesk.db import db, utcnow
from shopdesk.events import emit
from shopdesk_catalog import public as catalog
from shopdesk_catalog.public import Product, Variant

from .analytics import abc_classes
from .models import CountLine, CountSession, StockLevel
from .operations import StateError
from .stock import InvalidStockRequest, actor, post_move, warehouse_by_code

SHEET_COLUMNS = ("sku", "product", "expected", "counted")


def start_count(settings: dict, warehouse_code: str, *, scope="warehouse", category_id=None, abc_class=None,
                blind=False) -> CountSession:
    """Open a count of one warehouse's SKUs (all, one category, or one ABC class)."""
    warehouse = warehouse_by_code(warehouse_code)
    query = (sa.select(StockLevel.variant_id, StockLevel.on_hand, Variant.unit_cost)
             .join(Variant, Variant.id == StockLevel.variant_id).where(StockLevel.warehouse_id == warehouse.id))
    if scope == "category":
        if category_id is None:
            raise InvalidStockRequest("category_id", "Name the category to count.")
        if catalog.get_category(category_id) is None:
            raise InvalidStockRequest("category_id", f"No category {category_id} in this store.")
        query = query.join(Product, Product.id == Variant.product_id).where(Product.category_id == category_id)
    elif scope == "abc":
        if abc_class not in ("A", "B", "C"):
            raise InvalidStockRequest("abc_class", "Must be A, B or C.")
        wanted = [row["variant_id"] for row in abc_classes(settings) if row["class"] == abc_class]
        query = query.where(StockLevel.variant_id.in_(wanted))
    elif scope != "warehouse":
        raise InvalidStockRequest("scope", "Must be warehouse, category or abc.")
    rows = db.session.execute(query.order_by(StockLevel.variant_id)).all()
    session = CountSession(warehouse=warehouse, scope=scope, category_id=category_id if scope == "category" else None,
                           abc_class=abc_class if scope == "abc" else None, blind=blind, status="open",
                           created_by=actor(),
                           lines=[CountLine(variant_id=r.variant_id, expected=r.on_hand, unit_cost=r.unit_cost)
                                  for r in rows])
    db.session.add(session)
    db.session.flush()
    audit.record("inventory.count_started", object_type="count", object_id=session.id,
                 after={"warehouse": warehouse.code, "scope": scope, "blind": blind, "lines": len(rows)})
    return session


def sheet(session: CountSession) -> list[dict]:
    """The count sheet's rows; ``expected`` is None on a blind sheet until approval."""
    hide = session.blind and session.status != "approved"
    skus = catalog.skus_by_id(l.variant_id for l in session.lines)
    names = catalog.product_names_by_variant(l.variant_id for l in session.lines)
    rows = [{"line_id": line.id, "sku": skus[line.variant_id], "product": names.get(line.variant_id, ""),
             "expected": None if hide else line.expected, "counted": line.counted,
             "variance": None if hide else line.variance} for line in session.lines]
    return sorted(rows, key=lambda r: r["sku"])


def record_counts(session: CountSession, counts: dict[str, int | None]):
    """Fill in counted quantities by SKU (None clears one); only while the session is open."""
    if session.status != "open":
        raise StateError(f"Count {session.id} is {session.status}: counts can only change while it is open.")
    if not counts:
        raise InvalidStockRequest("counts", "Give at least one count.")
    by_sku = {row["sku"]: row["line_id"] for row in sheet(session)}
    unknown = sorted(set(counts) - set(by_sku))
    if unknown:
        raise InvalidStockRequest("counts", f"Not on this count sheet: {', '.join(unknown)}")
    lines = {line.id: line for line in session.lines}
    for sku, counted in counts.items():
        if counted is not None and (not isinstance(counted, int) or counted < 0):
            raise InvalidStockRequest("counts", f"{sku}: a count is a whole number, 0 or more")
        lines[by_sku[sku]].counted = counted
    session.counted_by = actor()


def submit(session: CountSession):
    if session.status != "open":
        raise StateError(f"Count {session.id} is {session.status}, not open.")
    missing = [row["sku"] for row in sheet(session) if row["counted"] is None]
    if missing:
        raise InvalidStockRequest("counts", f"Not counted yet: {', '.join(missing)}")
    session.status, session.submitted_at, session.counted_by = "submitted", utcnow(), actor()
    audit.record("inventory.count_submitted", object_type="count", object_id=session.id,
                 after={"counted_by": session.counted_by})


def approve(session: CountSession):
    """Post the variances; refused to the person who counted (four eyes)."""
    if session.status != "submitted":
        raise StateError(f"Count {session.id} is {session.status}: only a submitted count can be approved.")
    approver = actor()
    if approver == session.counted_by:
        raise PermissionError("The person who counted cannot approve the count.")
    variants = catalog.variants_with_ids(l.variant_id for l in session.lines)
    with_variance, value = 0, 0
    for line in session.lines:
        if line.variance:
            post_move(variants[line.variant_id], session.warehouse, line.variance, "count_variance",
                      reason="count", reference=f"count:{session.id}", unit_cost=line.unit_cost)
            with_variance += 1
            value += line.variance * line.unit_cost
    session.status, session.approved_at, session.approved_by = "approved", utcnow(), approver
    audit.record("inventory.count_approved", object_type="count", object_id=session.id,
                 after={"approved_by": approver, "lines_with_variance": with_variance, "variance_value": value})
    emit("stock.count_approved", {"id": session.id, "warehouse": session.warehouse.code,
                                  "lines": len(session.lines), "lines_with_variance": with_variance,
                                  "variance_value": value, "approved_by": approver}, key=f"count:{session.id}")


def cancel(session: CountSession):
    if session.status not in ("open", "submitted"):
        raise StateError(f"Count {session.id} is {session.status}.")
    session.status = "cancelled"
    audit.record("inventory.count_cancelled", object_type="count", object_id=session.id)


# --- sheets as files -----------------------------------------------------------------------


def sheet_csv(session: CountSession) -> str:
    """The sheet as CSV; a product name a spreadsheet would run as a formula starts with ``'``."""
    out = io.StringIO()
    writer = csv_safety.writer(out)
    writer.writerow(SHEET_COLUMNS)
    for row in sheet(session):
        writer.writerow([row["sku"], row["product"], "" if row["expected"] is None else row["expected"],
                         "" if row["counted"] is None else row["counted"]])
    return out.getvalue()


def sheet_xlsx(session: CountSession) -> bytes:
    book = Workbook()
    page = book.active
    page.title = f"Count {session.id}"
    page.append(list(SHEET_COLUMNS))
    for row in sheet(session):
        page.append([row["sku"], row["product"], row["expected"], row["counted"]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def parse_sheet(filename: str, data: bytes) -> dict[str, int | None]:
    """Read a filled-in sheet (CSV or XLSX): ``{sku: counted}``; errors name the row."""
    if filename.lower().endswith(".xlsx"):
        try:
            rows = list(load_workbook(io.BytesIO(data), read_only=True).active.iter_rows(values_only=True))
        except Exception as exc:  # openpyxl raises many kinds on a damaged file
            raise InvalidStockRequest("file", f"Not a readable XLSX file: {exc}") from exc
    else:
        try:
            rows = [csv_safety.restore_row(row) for row in csv.reader(io.StringIO(data.decode("utf-8-sig")))]
        except (UnicodeDecodeError, csv.Error) as exc:
            raise InvalidStockRequest("file", f"Not a readable CSV file: {exc}") from exc
    if not rows:
        raise InvalidStockRequest("file", "The sheet is empty.")
    header = [str(c or "").strip().lower() for c in rows[0]]
    if "sku" not in header or "counted" not in header:
        raise InvalidStockRequest("file", "The first row must name the columns sku and counted.")
    sku_at, counted_at = header.index("sku"), header.index("counted")
    counts = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = list(row) + [None] * (len(header) - len(row))
        sku = str(cells[sku_at] or "").strip()
        if not sku:
            continue
        value = cells[counted_at]
        if value is None or str(value).strip() == "":
            counts[sku] = None
            continue
        try:
            number_value = float(str(value).strip())
        except ValueError:
            raise InvalidStockRequest("file", f"Row {number}: counted '{value}' is not a number") from None
        if number_value != int(number_value) or number_value < 0:
            raise InvalidStockRequest("file", f"Row {number}: counted must be a whole number, 0 or more")
        counts[sku] = int(number_value)
    return counts
