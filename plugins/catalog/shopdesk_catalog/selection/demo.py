"""Demo candidates: a few products the demo store is weighing up, with their evidence.

Some evidence is missing on purpose (a new supplier with no reviews yet), one candidate was
rejected, so the ranked list, the "missing" markers and the filters all have something to show.
"""

import sqlalchemy as sa

from shopdesk.plugin import Money, db

from .. import selection
from ..models import Category

SCALE = {"TWD": 30, "JPY": 150, "CNY": 7, "HKD": 8}  # as the product demo: realistic prices elsewhere

# name, category, supplier, demand/month, search 0-100, rating, reviews, cost, competitor, target, notes
CANDIDATES = [
    ("Stoneware Pour-Over Dripper", "Mugs", "Kiln Studio", 180, 64, "4.6", 212, "9.50", "32.00", "29.00",
     "Pairs with the speckled mugs; the supplier can do our glazes."),
    ("Bamboo Fibre Socks (3-pack)", "Socks", "GreenStep Textiles", 420, 71, "4.3", 1380, "4.20", "14.00", "15.00",
     "High volume, thin margin; competitors discount often."),
    ("Beeswax Taper Candles", "Candles", "Hive & Wick", 90, None, None, 0, "3.10", None, "16.00",
     "New supplier: no reviews yet, no search data bought for this niche."),
    ("Organic Cotton Baby Bodysuit", "T-shirts", "Northwind Basics", 150, 48, "4.8", 96, "6.80", "21.00", "22.00",
     "Would open a new category; needs safety certification first."),
    ("Novelty Slogan Mug", "Mugs", "PrintFast", 60, 22, "3.1", 540, "2.40", "9.00", "12.00",
     "Off-brand for a handmade shop."),
]


def _money(text, currency):
    if text is None:
        return None
    return Money.from_decimal(text, currency).amount * SCALE.get(currency, 1)


def load(store):
    categories = dict(db.session.execute(sa.select(Category.name, Category.id)).all())
    for name, category, supplier, demand, search, rating, reviews, cost, competitor, target, notes in CANDIDATES:
        candidate = selection.create_candidate({
            "name": name, "category_id": categories.get(category), "supplier": supplier,
            "expected_demand": demand, "search_interest": search,
            "feedback_rating": None if rating is None else float(rating), "feedback_count": reviews,
            "supplier_cost": _money(cost, store.currency), "competitor_price": _money(competitor, store.currency),
            "target_price": _money(target, store.currency), "notes": notes})
        if name == "Novelty Slogan Mug":
            selection.reject_candidate(candidate, "Off-brand for a handmade shop.")
