"""Order arithmetic: discounts, tax and totals, in integer minor units.

The rules (also in the README):

* a line's ``total`` is quantity × unit price;
* order discounts are a fixed amount or a percent of the subtotal (rounded half up), capped at
  the subtotal, and shared out over the lines in proportion to their totals (largest
  remainder, so the shares add up to the discount exactly);
* tax is computed per line on (line total − its discount share) at the line's rate, rounded
  half up per line; shipping is taxed at the order's rate when the store says so;
* tax lines group the tax by rate; prices are tax-exclusive and
  ``total = subtotal − discounts + shipping + tax``.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


def percent_of(amount: int, percent) -> int:
    return int((Decimal(amount) * Decimal(percent) / 100).quantize(Decimal(1), ROUND_HALF_UP))


def parse_rate(value) -> Decimal:
    """A tax rate in percent, 0 to 100; ValueError otherwise."""
    try:
        rate = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValueError("Not a valid percentage.") from None
    if not rate.is_finite() or not 0 <= rate <= 100:
        raise ValueError("Must be between 0 and 100.")
    return rate.normalize() if rate else Decimal(0)


def share_out(amount: int, weights: list[int]) -> list[int]:
    """Split ``amount`` over ``weights`` proportionally; the parts add up to ``amount``."""
    whole = sum(weights)
    if not whole or not amount:
        return [0] * len(weights)
    exact = [Decimal(amount) * w / whole for w in weights]
    parts = [int(x) for x in exact]
    left = amount - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (exact[i] - parts[i], weights[i]), reverse=True)
    for i in by_remainder[:left]:
        parts[i] += 1
    return parts


def discount_amounts(discounts: list[dict], subtotal: int) -> list[dict]:
    """Each discount with its ``amount`` worked out; the sum never exceeds the subtotal."""
    result, left = [], subtotal
    for discount in discounts:
        if discount.get("percent") is not None:
            amount = percent_of(subtotal, discount["percent"])
        else:
            amount = int(discount.get("amount") or 0)
        amount = max(0, min(amount, left))
        left -= amount
        result.append({"label": discount.get("label") or "Discount", "amount": amount,
                       **({"percent": str(discount["percent"])} if discount.get("percent") is not None else {})})
    return result


def compute(lines: list[dict], *, discounts: list[dict], shipping_fee: int, order_rate: Decimal,
            tax_shipping: bool) -> dict:
    """``lines``: dicts with quantity, unit_price and tax_rate (Decimal). Fills each line's
    total, discount and tax, and returns the order's totals, discounts and tax lines."""
    for line in lines:
        line["total"] = line["quantity"] * line["unit_price"]
    subtotal = sum(line["total"] for line in lines)
    applied = discount_amounts(discounts, subtotal)
    discount_total = sum(d["amount"] for d in applied)
    shares = share_out(discount_total, [line["total"] for line in lines])
    by_rate: dict[Decimal, list[int]] = {}
    for line, share in zip(lines, shares):
        base = line["total"] - share
        line["discount"] = share
        line["tax"] = percent_of(base, line["tax_rate"])
        bucket = by_rate.setdefault(line["tax_rate"], [0, 0])
        bucket[0] += base
        bucket[1] += line["tax"]
    if tax_shipping and shipping_fee and order_rate:
        bucket = by_rate.setdefault(order_rate, [0, 0])
        bucket[0] += shipping_fee
        bucket[1] += percent_of(shipping_fee, order_rate)
    tax_lines = [{"label": f"Tax {rate}%", "rate": str(rate), "base": base, "amount": amount}
                 for rate, (base, amount) in sorted(by_rate.items()) if rate]
    tax_total = sum(t["amount"] for t in tax_lines)
    return {
        "subtotal": subtotal, "discounts": applied, "discount_total": discount_total,
        "shipping_fee": shipping_fee, "tax_lines": tax_lines, "tax_total": tax_total,
        "total": subtotal - discount_total + shipping_fee + tax_total,
    }
