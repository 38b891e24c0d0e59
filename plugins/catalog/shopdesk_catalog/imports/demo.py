"""A demo import: the dry run of a supplier's file, with one new product, a price change and
one bad row, so the Import page shows a report with a problem to fix."""

from shopdesk.plugin import Money

from .. import imports
from .files import write_csv
from .rows import COLUMNS
from .values import format_money

SCALE = {"TWD": 30, "JPY": 150, "CNY": 7, "HKD": 8}


def _price(text, currency):
    return format_money(Money.from_decimal(text, currency).amount * SCALE.get(currency, 1), currency)


def load(store):
    currency = store.currency
    blank = dict.fromkeys(COLUMNS, "")
    rows = [
        blank | {"product_name": "Stoneware Pour-Over Dripper", "status": "draft", "category": "Home > Mugs",
                 "brand": "Kiln Studio", "tags": "handmade;new", "sku": "SPOD-OAT", "options": "colour=Oat",
                 "price": _price("29.00", currency), "unit_cost": _price("9.50", currency), "weight_g": "420",
                 "dimensions_mm": "120x120x95", "description": "Hand-thrown dripper for 1-2 cups.",
                 "name_zh_Hant": "石器手沖濾杯"},
        blank | {"product_name": "Stoneware Pour-Over Dripper", "sku": "SPOD-SAG", "options": "colour=Sage",
                 "price": _price("29.00", currency), "unit_cost": _price("9.50", currency), "weight_g": "420"},
        blank | {"product_name": "Espresso Cup Pair", "sku": "ECP-STD", "price": _price("27.00", currency)},
        blank | {"product_name": "Stoneware Pour-Over Dripper", "sku": "SPOD-RUS", "options": "colour=Rust",
                 "price": "twenty-nine", "unit_cost": _price("9.50", currency)},
    ]
    path = imports.upload_folder(store.id) / "demo-supplier-file.csv"
    with path.open("wb") as out:
        write_csv([list(COLUMNS)] + [[row[c] for c in COLUMNS] for row in rows], out)
    run = imports.new_run(filename="supplier-file.csv", path=path, file_format="csv", dry_run=True)
    imports.execute(run, store, commit=False)
