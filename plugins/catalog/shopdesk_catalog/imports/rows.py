"""The columns of a product file, and turning one row of text cells into checked values.

One row is one variant. Product columns (name, status, category, brand, tags, description and
the translations) repeat on every row of the product. An empty cell means "not given": a new
variant or product gets the default, an existing one keeps what it has.
"""

from dataclasses import dataclass, field

from ..models import PRODUCT_STATUSES
from . import values

TRANSLATED = ("zh_Hant", "zh_Hans")
COLUMNS = (
    "product_name", "status", "category", "brand", "tags", "sku", "barcode", "options", "price", "unit_cost",
    "weight_g", "dimensions_mm", "description",
    *(f"{what}_{locale}" for locale in TRANSLATED for what in ("name", "description")),
)
REQUIRED = ("product_name", "sku", "price")
PRODUCT_COLUMNS = ("status", "category", "brand", "tags", "description",
                   *(f"{what}_{locale}" for locale in TRANSLATED for what in ("name", "description")))
MAX_TEXT = 50_000


@dataclass
class Row:
    """One checked row. None means the cell was empty (not given)."""

    line: int
    product_name: str
    sku: str
    product: dict = field(default_factory=dict)  # the product columns that were given, parsed
    barcode: str | None = None
    options: dict | None = None
    price: int | None = None
    unit_cost: int | None = None
    weight_g: int | None = None
    dimensions: tuple | None = None
    bad: bool = False


def header_positions(header: list, report) -> dict[str, int] | None:
    """Column name -> position. Names match case-insensitively, spaces count as underscores
    ("Product name"). Reports missing required, unknown and repeated columns (line 1)."""
    known = {name.lower(): name for name in COLUMNS}
    positions: dict[str, int] = {}
    ok = True
    for index, cell in enumerate(header):
        label = values.text(cell)
        if not label:
            continue
        name = known.get(label.lower().replace(" ", "_"))
        if name is None:
            report(1, label, f"Unknown column. The columns are: {', '.join(COLUMNS)}.")
            ok = False
        elif name in positions:
            report(1, label, "This column appears twice.")
            ok = False
        else:
            positions[name] = index
    for name in REQUIRED:
        if name not in positions:
            report(1, name, "Missing required column.")
            ok = False
    return positions if ok else None


def parse_row(cells: list, line: int, positions: dict[str, int], currency: str, report, texts=False) -> Row:
    """Check every cell of one row; each problem is reported as (line, column, message).
    ``texts``: the cells are all strings (CSV), so no conversion is needed."""
    width = len(cells)
    if texts:  # CSV: every cell is a string already
        given = {name: cells[index].strip() for name, index in positions.items() if index < width}
    else:
        given = {name: values.text(cells[index]) for name, index in positions.items() if index < width}
    cell = given.get

    row = Row(line=line, product_name=cell("product_name", ""), sku=cell("sku", ""))

    def bad(column, message):
        report(line, column, message)
        row.bad = True

    if not row.product_name:
        bad("product_name", "Required.")
    elif len(row.product_name) > 200:
        bad("product_name", "Longer than 200 characters.")
    if not row.sku:
        bad("sku", "Required.")
    elif len(row.sku) > 64:
        bad("sku", "Longer than 64 characters.")

    def parsed(column, parse, *args):
        raw = cell(column)
        if not raw:  # None (no such column, or a short row) or empty
            return None
        try:
            return parse(raw, *args)
        except values.BadValue as exc:
            bad(column, str(exc))
            return None

    row.price = parsed("price", values.parse_money, currency)
    row.unit_cost = parsed("unit_cost", values.parse_money, currency)
    row.weight_g = parsed("weight_g", values.parse_count, "grams")
    row.dimensions = parsed("dimensions_mm", values.parse_dimensions)
    row.options = parsed("options", values.parse_options)
    barcode = cell("barcode", "")
    if barcode:
        if len(barcode) > 64:
            bad("barcode", "Longer than 64 characters.")
        row.barcode = barcode

    product = row.product
    status = cell("status", "").lower()
    if status:
        if status not in PRODUCT_STATUSES:
            bad("status", f"'{status}' is not one of: {', '.join(PRODUCT_STATUSES)}.")
        else:
            product["status"] = status
    category = parsed("category", values.parse_category_path)
    if category is not None:
        product["category"] = category
    brand = cell("brand", "")
    if brand:
        if len(brand) > 120:
            bad("brand", "Longer than 120 characters.")
        else:
            product["brand"] = brand
    tags = parsed("tags", values.parse_names)
    if tags is not None:
        product["tags"] = tags
    description = cell("description", "")
    if description:
        if len(description) > MAX_TEXT:
            bad("description", f"Longer than {MAX_TEXT} characters.")
        else:
            product["description"] = description
    for locale in TRANSLATED:
        name, text = cell(f"name_{locale}", ""), cell(f"description_{locale}", "")
        if text and not name:
            bad(f"name_{locale}", "A translated description needs the translated name.")
        elif len(name) > 200:
            bad(f"name_{locale}", "Longer than 200 characters.")
        elif len(text) > MAX_TEXT:
            bad(f"description_{locale}", f"Longer than {MAX_TEXT} characters.")
        elif name:
            product[f"translation_{locale}"] = (name, text)
    return row
