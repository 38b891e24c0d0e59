"""Demo data: a small apparel and homeware store, so every catalog page has something to show.

Written through the same services as the API (so it is audited and emits events like real
changes). Prices are given in US dollars and scaled for stores in other currencies.
"""

import io
import zlib

from PIL import Image, ImageDraw, ImageFont

from shopdesk.plugin import Money

from . import images, products, taxonomy

SCALE = {"TWD": 30, "JPY": 150, "CNY": 7, "HKD": 8}  # rough, for realistic-looking demo prices

TREE = {"Apparel": ["T-shirts", "Hoodies", "Socks"], "Home": ["Mugs", "Candles", "Textiles"]}
BRANDS = ["Northwind Basics", "Harbour & Pine", "Kiln Studio", "Lumen Goods"]
COLOURS = {"Navy": (31, 58, 96), "Oat": (214, 199, 171), "Forest": (46, 89, 62), "Charcoal": (64, 64, 64),
           "White": (236, 236, 236), "Rust": (170, 78, 48), "Sage": (150, 170, 140)}

# name, zh_Hant name, category, brand, tags, axes, {axis: values}, price, cost, weight, description
PRODUCTS = [
    ("Organic Cotton Tee", "有機棉T恤", "T-shirts", "Northwind Basics", ["organic", "bestseller"],
     ["size", "colour"], {"size": ["S", "M", "L"], "colour": ["Navy", "Oat"]}, "24.00", "8.50", 180,
     "A midweight **organic cotton** tee with a relaxed fit.\n\n- 180 g/m² jersey\n- Pre-shrunk"),
    ("Heavyweight Pocket Tee", "厚磅口袋T恤", "T-shirts", "Northwind Basics", ["bestseller"],
     ["size", "colour"], {"size": ["M", "L", "XL"], "colour": ["Charcoal", "White"]}, "29.00", "10.20", 240,
     "Boxy fit, chest pocket, 240 g/m² cotton that softens with every wash."),
    ("Breton Stripe Long Sleeve", "條紋長袖上衣", "T-shirts", "Harbour & Pine", ["new"],
     ["size"], {"size": ["S", "M", "L"]}, "39.00", "14.00", 260,
     "The classic sailor stripe in navy on white."),
    ("Fleece Zip Hoodie", "刷毛拉鍊連帽外套", "Hoodies", "Harbour & Pine", ["winter"],
     ["size", "colour"], {"size": ["S", "M", "L"], "colour": ["Forest", "Charcoal"]}, "64.00", "24.00", 620,
     "Brushed-back fleece, YKK zip, two side pockets."),
    ("Recycled Pullover Hoodie", "再生纖維連帽上衣", "Hoodies", "Northwind Basics", ["organic", "winter"],
     ["size"], {"size": ["M", "L", "XL"]}, "58.00", "21.50", 580,
     "Made from 60% recycled polyester and 40% organic cotton."),
    ("Merino Hiking Socks", "美麗諾登山襪", "Socks", "Harbour & Pine", ["winter"],
     ["size"], {"size": ["S/M", "L/XL"]}, "18.00", "5.80", 80,
     "Cushioned sole, merino blend that keeps feet dry on long walks."),
    ("Speckled Stoneware Mug", "斑點石器馬克杯", "Mugs", "Kiln Studio", ["handmade", "bestseller"],
     ["colour"], {"colour": ["Oat", "Sage", "Rust"]}, "22.00", "7.00", 380,
     "Hand-thrown, 350 ml, dishwasher safe. Every glaze is a little different."),
    ("Espresso Cup Pair", "濃縮咖啡杯兩入組", "Mugs", "Kiln Studio", ["handmade", "gift"],
     [], {}, "26.00", "8.40", 300, "Two 90 ml cups for a proper espresso."),
    ("Enamel Camp Mug", "琺瑯露營杯", "Mugs", "Lumen Goods", ["outdoor"],
     ["colour"], {"colour": ["White", "Navy"]}, "16.00", "4.90", 210, "Light, tough and fire-friendly."),
    ("Soy Wax Candle — Cedar", "雪松大豆蠟燭", "Candles", "Lumen Goods", ["gift"],
     ["size"], {"size": ["180 g", "300 g"]}, "28.00", "9.00", 420,
     "Cedarwood and bergamot, cotton wick, about 45 hours of burn time."),
    ("Linen Tea Towel Set", "亞麻茶巾組", "Textiles", "Harbour & Pine", ["gift", "new"],
     ["colour"], {"colour": ["Oat", "Sage"]}, "19.00", "6.20", 150, "Two stonewashed linen towels."),
    ("Waffle Throw Blanket", "鬆餅格紋毯", "Textiles", "Lumen Goods", ["winter"],
     ["colour"], {"colour": ["Oat", "Charcoal"]}, "89.00", "34.00", 1400,
     "A 130 × 170 cm cotton waffle throw for the sofa."),
]
NOT_TRANSLATED = {"Enamel Camp Mug", "Waffle Throw Blanket"}


def _money(text: str, currency: str) -> int:
    return Money.from_decimal(text, currency).amount * SCALE.get(currency, 1)


def _code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())[:3]


def _variants(name, axes, values, price, cost, weight, currency):
    base = "".join(word[0] for word in name.replace("—", " ").split() if word[0].isalnum()).upper()
    combos = [{}]
    for axis in axes:
        combos = [dict(combo, **{axis: value}) for combo in combos for value in values[axis]]
    rows = []
    for index, options in enumerate(combos):
        suffix = "-".join(_code(value) for value in options.values()) or "STD"
        rows.append({"sku": f"{base}-{suffix}", "options": options, "price": _money(price, currency),
                     "unit_cost": _money(cost, currency), "weight_g": weight,
                     "barcode": f"471{zlib.crc32(f'{name}/{suffix}'.encode()) % 10**9:09d}{index % 10}"})
    return rows


def picture(text: str, colour) -> bytes:
    """A plain square in the product's colour with its initials: enough to fill the pages."""
    image = Image.new("RGB", (480, 480), colour)
    draw = ImageDraw.Draw(image)
    try:
        font = ImageFont.load_default(size=160)
    except TypeError:  # Pillow < 10.1 has no sizes for the default font
        font = ImageFont.load_default()
    ink = (255, 255, 255) if sum(colour) < 400 else (40, 40, 40)
    draw.text((240, 240), text, fill=ink, font=font, anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def load(store):
    categories = {}
    for top, children in TREE.items():
        parent = taxonomy.create_category(top)
        for position, child in enumerate(children):
            categories[child] = taxonomy.create_category(child, parent.id, position)
    brands = {name: taxonomy.create_brand(name) for name in BRANDS}
    for index, (name, zh, category, brand, tags, axes, values, price, cost, weight, text) in enumerate(PRODUCTS):
        data = {"name": name, "description": text, "category_id": categories[category].id,
                "brand_id": brands[brand].id, "tags": tags, "option_axes": axes,
                "status": "draft" if index == len(PRODUCTS) - 1 else "active",
                "variants": _variants(name, axes, values, price, cost, weight, store.currency)}
        if name not in NOT_TRANSLATED:
            data["translations"] = {"zh_Hant": {"name": zh, "description": ""}}
        product = products.create_product(data)
        if index % 4 != 3:  # a few without pictures, so the "without images" count means something
            colours = values.get("colour") or ["Oat"]
            initials = "".join(word[0] for word in name.split()[:2]).upper()
            for colour in colours[:2]:
                images.add_image(product, picture(initials, COLOURS.get(colour, (120, 120, 120))),
                                 alt=f"{name} in {colour.lower()}" if values.get("colour") else name)
