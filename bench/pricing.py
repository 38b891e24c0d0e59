"""Pricing engine throughput: explained quotes per second against a direct SQL price lookup.

The cart: 10 lines of 12 units each, for customer group ``wholesale``, in a store with three
price lists that all hold the variants (Retail for everyone, Wholesale for the group with
tiers at 1 and 10, a dated Promo list), a 5 % volume break from 10 units, the store's .99
rounding, and two adjustment plugins (registered as ``make_plugin``-style objects) that each
take 2 % off. Quotes go through ``engine.price``, the function the API and ``price_lines``
call, in-process with an app context and the store current.

The baseline, in the same run on the same SQLite file: one SQL query fetching the same ten
base prices from the Wholesale list (what a hand-written lookup would do, with no
resolution, adjustments or trail). The last line is the headline.

Run from the repository root: ``.venv/bin/python bench/pricing.py``.
"""

import tempfile
import time
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path

import sqlalchemy as sa
from cryptography.fernet import Fernet

from shopdesk.commerce import Adjustment, Stage, StockLine
from shopdesk.testing import make_plugin

ROUNDS, PER_ROUND = 7, 200


def two_percent_off(name):
    def adjust(ctx, quote):
        return [Adjustment(line=line.index, label=f"{name} -2 %", stage=Stage.DISCOUNT, percent=Decimal(-2),
                           code=name) for line in quote.lines]
    return adjust


ADJUSTERS = [make_plugin(name, requires=("pricing",), price_adjustments=two_percent_off(name))
             for name in ("bench_members", "bench_coupons")]


def build(tmp: Path):
    from shopdesk.app import create_app
    from shopdesk.db import db, utcnow
    from shopdesk.migrate import record_versions, upgrade
    from shopdesk.stores import configure_plugin, create_store, enable_plugin, use_store
    from shopdesk_catalog.models import Product, Variant
    from shopdesk_pricing.models import PriceList, PriceListItem, VolumeBreak

    wanted = [ep for ep in entry_points(group="shopdesk.plugins") if ep.name in ("catalog", "pricing")]
    app = create_app({"SECRET_KEY": "bench", "SHOPDESK_SETTINGS_KEY": Fernet.generate_key(),
                      "INSTANCE_PATH": str(tmp), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}"},
                     plugins=ADJUSTERS, entry_points=wanted)
    ctx = app.app_context()
    ctx.push()
    upgrade(app)
    registry = app.extensions["shopdesk"]
    record_versions(registry)
    store = create_store("bench", "Bench")
    for name in ("catalog", "pricing", "bench_coupons", "bench_members"):
        enable_plugin(registry, store, name)
    configure_plugin(registry, store, "pricing", {"rounding": "0.99"})
    with use_store(store):
        product = Product(name="Tee", status="active")
        db.session.add(product)
        db.session.flush()
        variants = [Variant(product_id=product.id, sku=f"SKU-{i:02d}", price=2000 + i, unit_cost=800)
                    for i in range(200)]
        db.session.add_all(variants)
        now = utcnow()
        retail = PriceList(name="Retail", currency="USD")
        wholesale = PriceList(name="Wholesale", currency="USD", customer_group="wholesale", priority=5)
        promo = PriceList(name="Promo", currency="USD", priority=1, valid_from=now.replace(year=now.year - 1),
                          valid_to=now.replace(year=now.year + 1))
        db.session.add_all([retail, wholesale, promo])
        db.session.flush()
        for v in variants:
            db.session.add_all([PriceListItem(price_list_id=retail.id, variant_id=v.id, price=v.price),
                                PriceListItem(price_list_id=wholesale.id, variant_id=v.id, price=v.price - 300),
                                PriceListItem(price_list_id=wholesale.id, variant_id=v.id, min_quantity=10,
                                              price=v.price - 400),
                                PriceListItem(price_list_id=promo.id, variant_id=v.id, price=v.price - 100)])
        db.session.add(VolumeBreak(price_list_id=wholesale.id, min_quantity=10, discount_percent=Decimal(5)))
        db.session.commit()
        cart = [StockLine(v.sku, 12) for v in variants[40:50]]
        return app, ctx, store, cart, wholesale.id


def per_second(fn) -> float:
    best = None
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(PER_ROUND):
            fn()
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    return PER_ROUND / best


def main():
    from shopdesk.db import db
    from shopdesk.stores import use_store
    from shopdesk_pricing import engine

    with tempfile.TemporaryDirectory() as tmp:
        app, ctx, store, cart, wholesale_id = build(Path(tmp))
        registry = app.extensions["shopdesk"]
        with use_store(store):
            hooks = registry.for_store(store)
            settings = hooks.context("pricing").settings
            skus = [line.sku for line in cart]
            lookup = sa.text("SELECT v.sku, i.price FROM pricing_list_items i "
                             "JOIN catalog_variants v ON v.id = i.variant_id "
                             "WHERE i.store_id = :store AND i.price_list_id = :list AND i.min_quantity = 10 "
                             "AND v.sku IN :skus").bindparams(sa.bindparam("skus", expanding=True))

            def direct():
                rows = db.session.execute(lookup, {"store": store.id, "list": wholesale_id, "skus": skus}).all()
                assert len(rows) == 10

            def quote():
                return engine.price(store, settings, cart, "wholesale", "USD", hooks=hooks)

            priced = quote()
            sample = priced[0]
            direct_rate = per_second(direct)
            engine_rate = per_second(quote)
            steps = [s.label for s in sample.trail]
        ctx.pop()
    print(f"cart: 10 lines × 12 units, 3 lists, volume break, 2 adjusters; line 1 → {sample.unit_price} "
          f"via {steps}")
    print(f"direct SQL lookup of the 10 base prices: {direct_rate:8.0f} /s")
    print(f"engine quote (resolution, tiers, break, adjusters, rounding, trail): {engine_rate:8.0f} /s")
    print(f"pricing: ratio {engine_rate / direct_rate:.2f} (engine quotes/s / direct SQL lookups/s) "
          f"engine {engine_rate:.0f} quotes/s, {engine_rate * 10:.0f} lines/s")


if __name__ == "__main__":
    main()
