"""Catalog import speed: 100,000 variants from a CSV file, against a plain executemany.

Generates a CSV of 100,000 rows (25,000 products in 4 sizes, 24 category paths, 12 brands,
tags) in a temporary folder, builds a fresh SQLite instance (create_app + migrate + a store
with the catalog enabled), and times the real import, the one the API, the Import page and
`shopdesk catalog import` run: read the file, check every row, check the rows against each
other and the store, write everything in one transaction, emit each product's event and
audit the import. Target: under a minute.

The baseline, in the same run and database, is the least any importer must do: the same
products and variants, already parsed into tuples, inserted with one ``executemany`` per
table on the raw DB-API connection (another store, so SKUs do not clash).

Run: .venv/bin/python bench/catalog_import.py [--rows 100000]
"""

import argparse
import csv
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet

SIZES = ("S", "M", "L", "XL")
TOPS = {"Apparel": ["T-shirts", "Hoodies", "Socks", "Shirts", "Jackets", "Trousers"],
        "Home": ["Mugs", "Candles", "Textiles", "Lamps", "Plates", "Vases"],
        "Outdoor": ["Tents", "Bottles", "Packs", "Stoves", "Chairs", "Lights"],
        "Kids": ["Toys", "Books", "Bodysuits", "Hats", "Bibs", "Blankets"]}
PATHS = [f"{top} > {child}" for top, children in TOPS.items() for child in children]
BRANDS = [f"Brand {n}" for n in range(12)]
HEADER = ["product_name", "status", "category", "brand", "tags", "sku", "barcode", "options", "price", "unit_cost",
          "weight_g", "dimensions_mm", "description", "name_zh_Hant"]


def rows(count: int):
    for index in range(count):
        product, size = divmod(index, len(SIZES))
        yield [f"Product {product:06d}", "active" if product % 5 else "draft", PATHS[product % len(PATHS)],
               BRANDS[product % len(BRANDS)], "bench;new" if product % 3 == 0 else "bench",
               f"SKU-{product:06d}-{SIZES[size]}", f"471{index:010d}", f"size={SIZES[size]}",
               f"{10 + product % 90}.{product % 100:02d}", f"{4 + product % 40}.50", str(100 + size * 20),
               "300x200x10", f"Description of product {product}.", f"商品 {product}"]


def write_file(path: Path, count: int):
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows(count))


def make_app(folder: Path):
    from shopdesk.app import create_app
    from shopdesk.migrate import upgrade

    app = create_app({"SECRET_KEY": "bench", "SHOPDESK_SETTINGS_KEY": Fernet.generate_key(),
                      "INSTANCE_PATH": str(folder / "instance"), "SHOPDESK_EVENTS_DISPATCH": "manual",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'bench.db'}"})
    with app.app_context():
        upgrade(app)
    return app


def new_store(app, slug):
    from shopdesk.db import db
    from shopdesk.stores import create_store, enable_plugin

    store = create_store(slug, slug.title(), currency="USD")
    enable_plugin(app.extensions["shopdesk"], store, "catalog")
    db.session.commit()
    return store


def measured(app, path: Path) -> tuple[float, object]:
    from shopdesk.stores import use_store
    from shopdesk_catalog import imports

    store = new_store(app, "imported")
    with use_store(store):
        start, cpu = time.perf_counter(), time.process_time()
        run = imports.new_run(filename=path.name, path=path, file_format="csv", mode="all_or_nothing",
                              dry_run=False)
        run = imports.execute(run, store)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        return elapsed, cpu, (run.status, run.written_rows, len(run.errors or []), dict(run.summary))


def baseline(app, count: int) -> float:
    """The same rows, already parsed, in one executemany per table."""
    from shopdesk.db import db

    store = new_store(app, "baseline")
    now = datetime.now(timezone.utc).isoformat(sep=" ")
    engine = db.engine
    with engine.connect() as conn:
        first = (conn.scalar(sa.text("SELECT max(id) FROM catalog_products")) or 0) + 1
    product_rows, variant_rows = [], []
    for index, row in enumerate(rows(count)):
        product, size = divmod(index, len(SIZES))
        if size == 0:
            product_rows.append((first + product, store.id, row[0], row[12], row[1], '["size"]', now, now))
        price = int(row[8].replace(".", ""))
        cost = int(row[9].replace(".", ""))
        variant_rows.append((store.id, first + product, row[5], row[6], f'{{"size": "{SIZES[size]}"}}', price, cost,
                             int(row[10]), 300, 200, 10, size, now, now))
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        start = time.perf_counter()
        cursor.executemany("INSERT INTO catalog_products (id, store_id, name, description, status, option_axes, "
                           "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", product_rows)
        cursor.executemany("INSERT INTO catalog_variants (store_id, product_id, sku, barcode, options, price, "
                           "unit_cost, weight_g, length_mm, width_mm, height_mm, position, created_at, updated_at) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", variant_rows)
        raw.commit()
        return time.perf_counter() - start
    finally:
        raw.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = folder / "products.csv"
        write_file(path, args.rows)
        print(f"file: {args.rows} rows, {path.stat().st_size / 1e6:.1f} MB")
        app = make_app(folder)
        with app.app_context():
            from shopdesk.db import db
            from shopdesk_catalog.models import Product, Variant

            base = baseline(app, args.rows)
            print(f"baseline executemany: {args.rows} rows in {base:.2f}s = {args.rows / base:,.0f} rows/s")
            seconds, cpu, (status, written, problems, summary) = measured(app, path)
            print(f"import: {status}, {written} rows written in {seconds:.2f}s = {args.rows / seconds:,.0f} rows/s "
                  f"({cpu:.1f}s of CPU in this process: the rest is waiting on the disk or a busy machine)")
            print("summary:", summary)
            counts = {table.__tablename__: db.session.scalar(
                sa.select(sa.func.count()).select_from(table).execution_options(all_stores=True))
                for table in (Product, Variant)}
            print("rows in the database (both stores):", counts)
            ratio = (args.rows / seconds) / (args.rows / base)
            ok = status == "done" and written == args.rows and problems == 0
            print(f"catalog_import: ratio {ratio:.2f} (import rows/s / executemany rows/s) "
                  f"import {written} rows in {seconds:.1f}s (CPU {cpu:.1f}s), baseline {base:.1f}s, "
                  f"target under 60s: {'met' if seconds < 60 else 'MISSED'}, problems {problems}, "
                  f"{'ok' if ok else 'FAILED'}")


if __name__ == "__main__":
    main()
