"""The product edit form: a hand-written HTML form (variants are rows of a table) read into
the same dictionary the API takes, so the pages validate with the API's schemas and write
through the same service.

Prices and costs are typed in major units ("12.90") and stored in minor units.
"""

from decimal import InvalidOperation

from marshmallow import ValidationError

from shopdesk.plugin import Money

from .models import LOCALES
from .schemas import ProductChangesSchema, ProductSchema, may_see_costs

BLANK_ROWS = 3
MAX_ROWS = 500  # as many variants as the API takes
TRANSLATED = [locale for locale in LOCALES if locale != "en"]
VARIANT_INTS = ("weight_g", "length_mm", "width_mm", "height_mm")


def split(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def money_text(amount: int | None, currency: str) -> str:
    return "" if amount is None else str(Money(amount, currency).to_decimal())


def state_of(product, currency: str) -> dict:
    """What the form shows for a stored product."""
    state = {"name": product.name, "description": product.description, "status": product.status,
             "category_id": str(product.category_id or ""), "brand_id": str(product.brand_id or ""),
             "tags": ", ".join(tag.name for tag in product.tags), "axes": list(product.option_axes or []),
             "translations": {t.locale: {"name": t.name, "description": t.description} for t in product.translations},
             "rows": []}
    for variant in product.variants:
        state["rows"].append({
            "id": str(variant.id), "sku": variant.sku, "barcode": variant.barcode or "",
            "options": [variant.options.get(axis, "") for axis in state["axes"]],
            "price": money_text(variant.price, currency), "unit_cost": money_text(variant.unit_cost, currency),
            **{key: "" if getattr(variant, key) is None else str(getattr(variant, key)) for key in VARIANT_INTS}})
    return state


def empty_state() -> dict:
    return {"name": "", "description": "", "status": "draft", "category_id": "", "brand_id": "", "tags": "",
            "axes": ["size", "colour"], "translations": {}, "rows": []}


def with_blank_rows(state: dict) -> dict:
    blank = {"id": "", "sku": "", "barcode": "", "options": [""] * len(state["axes"]), "price": "",
             "unit_cost": "", **{key: "" for key in VARIANT_INTS}}
    state["rows"] = [row for row in state["rows"]] + [dict(blank) for _ in range(BLANK_ROWS)]
    return state


def state_from(form) -> dict:
    """What the form shows again after a refused submit: what the user typed."""
    axes = split(form.get("option_axes", ""))
    state = {key: form.get(key, "") for key in ("name", "description", "status", "category_id", "brand_id", "tags")}
    state["axes"] = axes
    state["translations"] = {locale: {"name": form.get(f"tr-{locale}-name", ""),
                                      "description": form.get(f"tr-{locale}-description", "")}
                             for locale in TRANSLATED}
    state["rows"] = []
    rows = form.get("rows", "0")
    for index in range(min(int(rows), MAX_ROWS) if rows.isdigit() else 0):
        prefix = f"v-{index}-"
        if form.get(prefix + "delete"):
            continue
        row = {key: form.get(prefix + key, "") for key in ("id", "sku", "barcode", "price", "unit_cost", *VARIANT_INTS)}
        row["options"] = [form.get(f"{prefix}opt-{k}", "") for k in range(len(axes))]
        if row["id"] or row["sku"].strip():
            state["rows"].append(row)
    return state


def _amount(text: str, currency: str, field: str, errors: dict):
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    try:
        return Money.from_decimal(text, currency).amount
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = ["Not a valid amount (type it like 12.90)."]
        return None


def _integer(text: str, field: str, errors: dict):
    text = (text or "").strip()
    if not text:
        return None
    if not text.isdigit():
        errors[field] = ["Not a valid whole number."]
        return None
    return int(text)


def data_from(form, currency: str, *, new: bool) -> tuple[dict, dict]:
    """(the API-shaped dict, field errors) from a submitted form, checked by the API's schema."""
    state = state_from(form)
    errors: dict = {}
    data = {"name": state["name"], "description": state["description"], "status": state["status"] or "draft",
            "category_id": _integer(state["category_id"], "category_id", errors),
            "brand_id": _integer(state["brand_id"], "brand_id", errors),
            "tags": split(state["tags"]), "option_axes": state["axes"],
            "translations": {locale: (text if text["name"].strip() or text["description"].strip() else None)
                             for locale, text in state["translations"].items()},
            "variants": []}
    for index, row in enumerate(state["rows"]):
        field = f"variants.{index}"
        variant = {"sku": row["sku"], "barcode": row["barcode"] or None,
                   "options": dict(zip(state["axes"], row["options"]))}
        if row["id"] and not new:
            variant["id"] = _integer(row["id"], f"{field}.id", errors)
        for key in ("price", "unit_cost") if may_see_costs() else ("price",):  # else the cost stays as it is
            amount = _amount(row[key], currency, f"{field}.{key}", errors)
            variant[key] = amount if amount is not None else 0
        for key in VARIANT_INTS:
            variant[key] = _integer(row[key], f"{field}.{key}", errors)
        data["variants"].append(variant)
    if errors:
        return data, errors
    try:
        loaded = (ProductSchema() if new else ProductChangesSchema()).load(data)
    except ValidationError as exc:
        return data, exc.messages
    return loaded, {}


def flat_errors(errors, prefix="") -> list[str]:
    """``{"variants": {1: {"sku": [...]}}}`` as ``["variants.1.sku: ..."]`` for the page."""
    lines = []
    for key, value in errors.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            lines += flat_errors(value, name + ".")
        else:
            lines += [f"{name}: {message}" for message in (value if isinstance(value, list) else [value])]
    return lines
