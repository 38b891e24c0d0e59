"""Demo data: a Retail and a Wholesale list over the catalog's demo variants, a volume break,
a scheduled change next week, a cost-plus floor, competitor prices and one pending approval.
Store settings: rounding .99, minimum margin 20 %, margin guard ``approval``."""

from datetime import timedelta
from decimal import Decimal

from flask import current_app

from shopdesk.db import db, utcnow
from shopdesk.stores import configure_plugin
from shopdesk_catalog import public as catalog

from .changes import write_list_price
from .models import CompetitorPrice, CostPlusRule, PriceApproval, PriceList, ScheduledChange, VolumeBreak
from .rules import minimum_price

MIN_MARGIN = 20


def _at_least_margin(price, cost):
    return max(price, minimum_price(cost, MIN_MARGIN)) if cost else price


def _percent_of(price, percent):
    return price * percent // 100


def load_demo(ctx):
    store = ctx.store
    configure_plugin(current_app.extensions["shopdesk"], store, "pricing",
                     {"min_margin_percent": MIN_MARGIN, "margin_guard": "approval", "rounding": "0.99"})
    retail = PriceList(name="Retail", currency=store.currency, priority=0)
    wholesale = PriceList(name="Wholesale", currency=store.currency, customer_group="wholesale", priority=10)
    db.session.add_all([retail, wholesale])
    db.session.flush()
    db.session.add_all([
        VolumeBreak(price_list_id=retail.id, min_quantity=10, discount_percent=Decimal(5)),
        CostPlusRule(scope="all", markup_percent=Decimal(MIN_MARGIN), mode="floor"),
    ])
    variants = catalog.some_variants(8, priced=True)
    if not variants:
        return
    for variant in variants:
        write_list_price(retail, variant, 1, _at_least_margin(variant.price, variant.unit_cost), "demo")
    for variant in variants[:4]:
        for min_quantity, percent in ((1, 85), (10, 80), (50, 75)):
            price = _at_least_margin(_percent_of(variant.price, percent), variant.unit_cost)
            write_list_price(wholesale, variant, min_quantity, price, "demo")

    now = utcnow()
    next_week = (now + timedelta(days=7 - now.weekday())).replace(hour=0, minute=0, second=0, microsecond=0)
    first = variants[0]
    sale = _at_least_margin(_percent_of(first.price, 90), first.unit_cost)
    db.session.add(ScheduledChange(price_list_id=retail.id, variant_id=first.id, min_quantity=1, new_price=sale,
                                   starts_at=next_week, ends_at=next_week + timedelta(days=7),
                                   note="Spring week: 10 % off", status="scheduled"))

    observed = now - timedelta(days=2)
    for variant, offsets in zip(variants[:5], ((-5, 3, 8), (2, -2, 6), (-10, -4, 0), (4, 9, 12), (-1, 1, 5))):
        for competitor, offset in zip(("ShopRival", "MegaMart", "CornerStore"), offsets):
            db.session.add(CompetitorPrice(
                variant_id=variant.id, competitor=competitor, currency=store.currency, observed_at=observed,
                price=variant.price + _percent_of(variant.price, offset),
                source_url=f"https://{competitor.lower()}.example.com/p/{variant.sku.lower()}"))

    # A price-watch feed, imported as a file through the background import (the job's own code).
    from . import competitor_imports
    from .rules import precision

    feed = "sku,competitor,price\n" + "".join(
        f"{v.sku},PriceWatch,{Decimal(v.price + _percent_of(v.price, 3)).scaleb(-precision(store.currency))}\n"
        for v in variants[:5])
    run = competitor_imports.queue(feed, "pricewatch-feed.csv", "buyer@example.com", len(variants[:5]))
    competitor_imports.execute(run, store, commit=False)

    costed = [v for v in variants if v.unit_cost]
    if costed:
        last = costed[-1]
        clearance = last.unit_cost  # sold at cost to clear stock: under the 20 % minimum
        db.session.add(PriceApproval(
            kind="list_price", price_list_id=retail.id, variant_id=last.id, min_quantity=1,
            old_price=_at_least_margin(last.price, last.unit_cost), new_price=clearance, unit_cost=last.unit_cost,
            minimum_price=minimum_price(last.unit_cost, MIN_MARGIN), status="pending",
            requested_by="buyer@example.com"))
    db.session.flush()
