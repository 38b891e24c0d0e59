"""The values the commerce hooks exchange: prices, stock and orders across plugins.

Plugins talk to each other through hooks, not by importing each other's internals, so the
shapes they pass (a quote line, a price adjustment, a stock line, an order snapshot) live in
the host. The host also applies price adjustments itself, so that the final price never
depends on the order plugins were registered in.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import IntEnum
from itertools import groupby


class Stage(IntEnum):
    """When an adjustment applies. Lower stages first; within a stage, lower priority first."""

    BASE = 100       # the price list, cost-plus rule: the pricing plugin's own
    VOLUME = 200     # quantity breaks
    DISCOUNT = 300   # promotions, member prices, coupons
    SURCHARGE = 400  # fees added on top
    ROUNDING = 900   # the store's rounding rule: always last


# --- pricing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuoteLine:
    """One line of a quote as adjusters see it: what is bought and its price so far."""

    index: int
    sku: str
    quantity: int
    unit_price: int  # minor units, after the pricing plugin's own stages
    variant_id: int | None = None
    product_id: int | None = None
    category_id: int | None = None
    brand_id: int | None = None
    tags: tuple[str, ...] = ()
    unit_cost: int | None = None


@dataclass(frozen=True)
class Quote:
    """What ``price_adjustments`` receives: every line of one quote at once (batched)."""

    currency: str
    lines: tuple[QuoteLine, ...]
    customer_group: str | None = None


@dataclass(frozen=True)
class Adjustment:
    """A change to one line's unit price: ``percent`` of the price entering its step, plus
    ``amount`` minor units. Negative is a discount. ``label`` is what the trail shows."""

    line: int
    label: str
    stage: int = Stage.DISCOUNT
    priority: int = 0
    percent: Decimal = Decimal(0)
    amount: int = 0
    code: str = ""
    plugin: str = ""  # filled in by the host


@dataclass(frozen=True)
class TrailStep:
    """One entry of "why this price": who changed it, how much per unit, and the result."""

    label: str
    change: int
    price: int
    source: str = ""

    def as_dict(self) -> dict:
        return {"label": self.label, "change": self.change, "price": self.price, "source": self.source}


@dataclass(frozen=True)
class PricedLine:
    """A priced line as ``price_lines`` returns it: the unit price and how it came about."""

    sku: str
    quantity: int
    unit_price: int
    currency: str
    trail: tuple[TrailStep, ...] = ()
    variant_id: int | None = None
    unit_cost: int | None = None

    @property
    def total(self) -> int:
        return self.unit_price * self.quantity


def _percent_of(price: int, percent: Decimal) -> int:
    # Half away from zero on the magnitude, so a -5 % and a +5 % step are mirror images.
    value = (Decimal(price) * Decimal(percent) / 100).copy_abs().quantize(Decimal(1), ROUND_HALF_UP)
    return int(value) if percent >= 0 else -int(value)


def apply_adjustments(unit_price: int, adjustments) -> tuple[int, list[TrailStep]]:
    """Apply one line's adjustments and return the final unit price and its trail.

    Adjustments run in (stage, priority) steps. Every adjustment of one step is computed from
    the price entering that step and the changes are summed, so the result is the same in
    whatever order plugins returned them. A price never goes below zero.
    """
    price = unit_price
    trail = []
    ordered = sorted(adjustments, key=lambda a: (a.stage, a.priority, a.plugin, a.code, a.label))
    for _, step in groupby(ordered, key=lambda a: (a.stage, a.priority)):
        entering = price
        changes = [(a, _percent_of(entering, a.percent) + a.amount) for a in step]
        price = max(0, entering + sum(change for _, change in changes))
        for adjustment, change in changes:
            trail.append(TrailStep(adjustment.label, change, price, adjustment.plugin))
    return price, trail


# --- stock --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StockLine:
    """A quantity of one SKU, optionally from (or to) a named warehouse code."""

    sku: str
    quantity: int
    warehouse: str | None = None


@dataclass(frozen=True)
class Allocation:
    """Where a quantity was reserved, shipped or returned."""

    sku: str
    quantity: int
    warehouse: str


@dataclass(frozen=True)
class Shortage:
    """One SKU an ``OutOfStock`` is short of: how many were asked for and how many are available."""

    sku: str
    requested: int
    available: int


@dataclass(frozen=True)
class StockDemand:
    """Units an open document still has to ship and was never given a reservation for (an
    order placed before inventory was enabled), as ``open_stock_demand`` answers it."""

    reference: str  # the document, as reserve_stock receives it: "order:42"
    label: str  # what a person reads: the order number
    since: datetime  # when the demand arose (the order was placed): the oldest is served first
    lines: tuple[StockLine, ...]


class OutOfStock(Exception):
    """Raised by ``reserve_stock`` / ``consume_stock``: nothing was reserved, every short SKU named."""

    def __init__(self, shortages):
        self.shortages = list(shortages)
        detail = ", ".join(f"{s.sku} (requested {s.requested}, available {s.available})"
                           for s in self.shortages)
        super().__init__(f"Out of stock: {detail}")


# --- orders -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderLineSnapshot:
    """One line of an :class:`OrderSnapshot`: SKU, quantity and money in minor units."""

    sku: str
    quantity: int
    unit_price: int
    total: int


@dataclass(frozen=True)
class OrderSnapshot:
    """An order as ``validate_order`` and ``score_risk`` see it: plain values, no ORM rows."""

    number: str
    channel: str
    currency: str
    total: int
    lines: tuple[OrderLineSnapshot, ...]
    customer_email: str = ""
    customer_group: str | None = None
    shipping_address: dict = field(default_factory=dict)
    billing_address: dict = field(default_factory=dict)
    external_id: str | None = None


@dataclass(frozen=True)
class Problem:
    """Something wrong with an order. A blocking problem stops placement with its message."""

    code: str
    message: str
    blocking: bool = True
    field: str | None = None


@dataclass(frozen=True)
class RiskScore:
    """One plugin's opinion of an order's risk: 0 (none) to 100 (certain fraud), with why."""

    code: str
    score: int
    reason: str

    def __post_init__(self):
        if not 0 <= self.score <= 100:
            raise ValueError(f"risk score must be 0..100, got {self.score}")


@dataclass(frozen=True)
class PaymentProvider:
    """A way to take payment. ``offline`` ones (cash, bank transfer) are recorded by hand."""

    code: str
    label: str
    offline: bool = True
    description: str = ""
