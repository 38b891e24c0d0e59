"""The pricing engine: one function prices every quote, order and price check.

The pipeline, per line, in this order:

1. **Base price.** The price list that applies (see :func:`best_list`) at the line's
   quantity: the list's item with the highest minimum quantity not above it (tiers). No
   list has the variant: a cost-plus ``base`` rule in scope (unit cost + markup), else the
   catalog variant's ``price``. Cost-plus ``floor`` rules then raise a base below
   cost + markup up to it. Cost-plus and the catalog price exist in the store's currency only.
2. **Volume break** (``Stage.VOLUME``): the chosen list's percentage rule with the highest
   minimum quantity not above the line's quantity.
3. **Other plugins' adjustments**: ``price_adjustments`` is called once for the whole quote;
   their adjustments and the volume break are applied by ``commerce.apply_adjustments`` in
   (stage, priority) steps, so the result never depends on plugin order.
4. **Rounding** (``Stage.ROUNDING``): the store's rounding rule, always last.

Three queries per quote whatever its length (variants with their tags; list items with
their lists' volume breaks; cost-plus rules), never one per line.
"""

import math
from dataclasses import dataclass, replace
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app, g, has_request_context

from shopdesk.commerce import Adjustment, PricedLine, Quote, QuoteLine, Stage, TrailStep, apply_adjustments
from shopdesk.db import UTCDateTime, db, utcnow
from shopdesk.registry import PluginError
from shopdesk_catalog.public import Product, ProductTag, Tag, Variant, category_parents

from .models import CostPlusRule, PriceList, PriceListItem, VolumeBreak
from .rules import ROUNDING_LABELS, amount_text, marked_up, percent_text, rounded

PLUGIN = "pricing"


class UnknownSku(ValueError):
    """Lines named SKUs the store does not have (or cannot price in the currency asked)."""

    def __init__(self, skus, reason="unknown SKU"):
        self.skus = list(skus)
        super().__init__(f"{reason}: {', '.join(self.skus)}")


class AdjustmentFailed(RuntimeError):
    """A ``price_adjustments`` implementation raised or answered nonsense: no price at all."""


@dataclass
class VariantFacts:
    id: int
    sku: str
    product_id: int
    category_id: int | None
    brand_id: int | None
    unit_cost: int
    catalog_price: int
    tags: tuple[str, ...] = ()
    tag_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class ListFacts:
    id: int
    name: str
    customer_group: str | None
    priority: int
    valid_from: object
    valid_to: object


def hooks_for(store):
    """The store's hooks: the request's when there is one, else built for CLI, jobs, demo."""
    if has_request_context() and getattr(g, "hooks", None) is not None and g.get("store") is store:
        return g.hooks
    return current_app.extensions["shopdesk"].for_store(store)


# --- loading, batched ------------------------------------------------------------------------


# Statements are built once and reused with bound values: building SQLAlchemy expressions
# per quote cost more than running them.
_VARIANTS = (
    sa.select(Variant.id, Variant.sku, Variant.product_id, Product.category_id, Product.brand_id,
              Variant.unit_cost, Variant.price, Tag.id.label("tag_id"), Tag.name.label("tag"))
    .join(Product, Product.id == Variant.product_id)
    .outerjoin(ProductTag, ProductTag.product_id == Variant.product_id)
    .outerjoin(Tag, Tag.id == ProductTag.tag_id)
    .where(Variant.sku.in_(sa.bindparam("skus", expanding=True)))
    .order_by(Variant.id, Tag.name))


def load_variants(skus) -> dict[str, VariantFacts]:
    """The variants behind ``skus`` with their tags: one query for any number of lines."""
    skus = sorted(set(skus))
    if not skus:
        return {}
    facts: dict[str, VariantFacts] = {}
    for r in db.session.execute(_VARIANTS, {"skus": skus}):
        f = facts.get(r.sku)
        if f is None:
            f = facts[r.sku] = VariantFacts(r.id, r.sku, r.product_id, r.category_id, r.brand_id,
                                            r.unit_cost or 0, r.price or 0)
        if r.tag_id is not None:
            f.tag_ids += (r.tag_id,)
            f.tags += (r.tag,)
    return facts


def list_is_current(at):
    """SQL condition: the list is active and ``at`` falls in its validity window."""
    return sa.and_(PriceList.active.is_(True),
                   sa.or_(PriceList.valid_from.is_(None), PriceList.valid_from <= at),
                   sa.or_(PriceList.valid_to.is_(None), PriceList.valid_to > at))


_CANDIDATES = (
    sa.select(PriceListItem.variant_id, PriceListItem.min_quantity, PriceListItem.price,
              PriceList.id, PriceList.name, PriceList.customer_group, PriceList.priority,
              PriceList.valid_from, PriceList.valid_to, VolumeBreak.min_quantity.label("break_quantity"),
              VolumeBreak.discount_percent)
    .join(PriceList, PriceList.id == PriceListItem.price_list_id)
    .outerjoin(VolumeBreak, VolumeBreak.price_list_id == PriceList.id)
    .where(PriceListItem.variant_id.in_(sa.bindparam("variant_ids", expanding=True)),
           PriceList.currency == sa.bindparam("currency"),
           list_is_current(sa.bindparam("at", type_=UTCDateTime())),
           sa.or_(PriceList.customer_group.is_(None), PriceList.customer_group == sa.bindparam("group"))))


def candidate_items(variant_ids, currency, customer_group, at):
    """Every item of every list that could apply, and those lists' volume breaks: one query.
    Returns ({variant_id: [(ListFacts, min_quantity, price), ...]},
    {list_id: [(min_quantity, discount_percent), ...] ascending})."""
    if not variant_ids:
        return {}, {}
    rows = db.session.execute(_CANDIDATES, {"variant_ids": sorted(variant_ids), "currency": currency, "at": at,
                                            "group": customer_group or ""})
    found: dict[int, set] = {}
    lists: dict[int, ListFacts] = {}
    breaks: dict[int, set] = {}
    for r in rows:
        facts = lists.get(r.id)
        if facts is None:
            facts = lists[r.id] = ListFacts(r.id, r.name, r.customer_group, r.priority, r.valid_from, r.valid_to)
        found.setdefault(r.variant_id, set()).add((facts, r.min_quantity, r.price))
        if r.break_quantity is not None:
            breaks.setdefault(r.id, set()).add((r.break_quantity, Decimal(r.discount_percent)))
    return found, {list_id: sorted(pairs) for list_id, pairs in breaks.items()}


def list_rank(price_list: ListFacts, customer_group: str | None):
    """The resolution rule, as a sort key (smallest wins): a list for the customer's group
    before a list for everyone; then higher priority; then the narrower validity window
    (an open end counts as endless); then the lowest id."""
    group_match = 0 if (customer_group and price_list.customer_group == customer_group) else 1
    if price_list.valid_from is not None and price_list.valid_to is not None:
        width = (price_list.valid_to - price_list.valid_from).total_seconds()
    else:
        width = math.inf
    return (group_match, -price_list.priority, width, price_list.id)


def best_list(candidates, quantity, customer_group):
    """The list that prices ``quantity`` units, and its tier: (ListFacts, min_quantity, price)
    or None. A list only counts if it has a tier the quantity reaches."""
    reachable: dict[ListFacts, tuple] = {}
    for facts, min_quantity, price in candidates:
        if min_quantity <= quantity:
            held = reachable.get(facts)
            if held is None or min_quantity > held[1]:
                reachable[facts] = (facts, min_quantity, price)
    if not reachable:
        return None
    return reachable[min(reachable, key=lambda f: list_rank(f, customer_group))]


# --- cost-plus ---------------------------------------------------------------------------------


_RULES = (sa.select(CostPlusRule.id, CostPlusRule.scope, CostPlusRule.category_id, CostPlusRule.brand_id,
                    CostPlusRule.tag_id, CostPlusRule.markup_percent, CostPlusRule.mode)
          .where(CostPlusRule.active.is_(True)).order_by(CostPlusRule.id))


class CostPlus:
    """The store's active cost-plus rules, and which one applies to a variant.

    Specificity decides: a rule for the variant's category (or its nearest ancestor)
    beats one for its brand, which beats one for a tag, which beats one for all; a tie goes
    to the lowest id.
    """

    def __init__(self):
        self.rules = db.session.execute(_RULES).all()
        self.parents = {}
        if any(r.scope == "category" for r in self.rules):
            self.parents = category_parents()

    def _ancestry(self, category_id):
        chain, seen = [], set()
        while category_id is not None and category_id not in seen:
            seen.add(category_id)
            chain.append(category_id)
            category_id = self.parents.get(category_id)
        return chain

    def rule_for(self, variant: VariantFacts, mode: str):
        best, best_key = None, None
        ancestry = self._ancestry(variant.category_id) if self.parents else []
        for rule in self.rules:
            if rule.mode != mode:
                continue
            if rule.scope == "category" and rule.category_id in ancestry:
                key = (0, ancestry.index(rule.category_id), rule.id)
            elif rule.scope == "brand" and rule.brand_id is not None and rule.brand_id == variant.brand_id:
                key = (1, 0, rule.id)
            elif rule.scope == "tag" and rule.tag_id in variant.tag_ids:
                key = (2, 0, rule.id)
            elif rule.scope == "all":
                key = (3, 0, rule.id)
            else:
                continue
            if best_key is None or key < best_key:
                best, best_key = rule, key
        return best


# --- the pipeline ------------------------------------------------------------------------------


@dataclass
class _Line:
    index: int
    sku: str
    quantity: int
    variant: VariantFacts
    base: int = 0
    base_steps: tuple = ()
    own: tuple = ()  # pricing's own adjustments (the volume break)


def _base_price(line: _Line, found, store_currency, currency, costplus, customer_group):
    variant = line.variant
    chosen = best_list(found.get(variant.id, ()), line.quantity, customer_group)
    in_store_currency = currency == store_currency
    if chosen is not None:
        facts, min_quantity, price = chosen
        tier = f" (≥{min_quantity})" if min_quantity > 1 else ""
        steps = [TrailStep(f"list price {amount_text(price, currency)} from list {facts.name}{tier}",
                           price, price, PLUGIN)]
    elif not in_store_currency:
        return None, (), None
    else:
        rule = costplus.rule_for(variant, "base") if variant.unit_cost else None
        if rule is not None:
            price = marked_up(variant.unit_cost, rule.markup_percent)
            label = (f"cost-plus {amount_text(variant.unit_cost, currency)} "
                     f"+ {percent_text(rule.markup_percent)} %")
        else:
            price = variant.catalog_price
            label = f"catalog price {amount_text(price, currency)}"
        steps = [TrailStep(label, price, price, PLUGIN)]
    if in_store_currency and variant.unit_cost:
        floor_rule = costplus.rule_for(variant, "floor")
        if floor_rule is not None:
            floor = marked_up(variant.unit_cost, floor_rule.markup_percent)
            if floor > price:
                steps.append(TrailStep(
                    f"cost-plus floor {amount_text(variant.unit_cost, currency)} "
                    f"+ {percent_text(floor_rule.markup_percent)} %", floor - price, floor, PLUGIN))
                price = floor
    return price, tuple(steps), chosen


def _volume_adjustment(line: _Line, breaks):
    reached = [(q, p) for q, p in breaks if q <= line.quantity]
    if not reached:
        return ()
    min_quantity, percent = reached[-1]
    return (Adjustment(line=line.index, label=f"volume break ≥{min_quantity}: −{percent_text(percent)} %",
                       stage=Stage.VOLUME, percent=-percent, code="volume", plugin=PLUGIN),)


def collect_adjustments(hooks, quote: Quote) -> list[Adjustment]:
    """Every enabled plugin's adjustments for the quote, in one call per plugin; any failure
    or answer that is not a list of adjustments for the quote's lines fails the quote."""
    try:
        results = hooks.each("price_adjustments", isolate=False, quote=quote)
    except PluginError as exc:
        raise AdjustmentFailed(str(exc)) from exc
    collected = []
    for result in results:
        for adjustment in result.value or ():
            if not isinstance(adjustment, Adjustment) or not 0 <= adjustment.line < len(quote.lines):
                raise AdjustmentFailed(
                    f"plugin '{result.plugin}' answered price_adjustments with {adjustment!r}: "
                    "expected commerce.Adjustment for a line of the quote")
            collected.append(replace(adjustment, plugin=result.plugin))
    return collected


def price(store, settings, lines, customer_group=None, currency=None, at=None, hooks=None):
    """Price ``lines`` (objects with ``sku`` and ``quantity``) and explain each price.

    Returns ``commerce.PricedLine`` s in the lines' order. Raises :class:`UnknownSku` naming
    every SKU the store lacks (or cannot price in ``currency``), :class:`AdjustmentFailed`
    when an adjusting plugin fails.
    """
    currency = (currency or store.currency).upper()
    at = at or utcnow()
    customer_group = customer_group or None
    variants = load_variants(line.sku for line in lines)
    unknown = [line.sku for line in lines if line.sku not in variants]
    if unknown:
        raise UnknownSku(dict.fromkeys(unknown))
    work = [_Line(i, line.sku, line.quantity, variants[line.sku]) for i, line in enumerate(lines)]
    found, breaks = candidate_items({w.variant.id for w in work}, currency, customer_group, at)
    costplus = CostPlus() if currency == store.currency else None
    chosen_lists = {}
    unpriced = []
    for w in work:
        base, steps, chosen = _base_price(w, found, store.currency, currency, costplus, customer_group)
        if base is None:
            unpriced.append(w.sku)
            continue
        w.base, w.base_steps = base, steps
        if chosen is not None:
            chosen_lists[w.index] = chosen[0].id
    if unpriced:
        raise UnknownSku(dict.fromkeys(unpriced), f"no price in {currency}")
    for w in work:
        w.own = _volume_adjustment(w, breaks.get(chosen_lists.get(w.index), ()))

    quote = Quote(currency=currency, customer_group=customer_group, lines=tuple(
        QuoteLine(index=w.index, sku=w.sku, quantity=w.quantity,
                  unit_price=apply_adjustments(w.base, w.own)[0], variant_id=w.variant.id,
                  product_id=w.variant.product_id, category_id=w.variant.category_id,
                  brand_id=w.variant.brand_id, tags=w.variant.tags, unit_cost=w.variant.unit_cost or None)
        for w in work))
    others = collect_adjustments(hooks or hooks_for(store), quote)
    by_line: dict[int, list] = {}
    for adjustment in others:
        by_line.setdefault(adjustment.line, []).append(adjustment)

    rule = settings.get("rounding", "none")
    priced = []
    for w in work:
        unit_price, trail = apply_adjustments(w.base, list(w.own) + by_line.get(w.index, []))
        steps = list(w.base_steps) + trail
        final = rounded(unit_price, rule, currency)
        if final != unit_price:
            unit_price, last = apply_adjustments(unit_price, [Adjustment(
                line=w.index, label=ROUNDING_LABELS[rule], stage=Stage.ROUNDING, amount=final - unit_price,
                code="rounding", plugin=PLUGIN)])
            steps += last
        priced.append(PricedLine(w.sku, w.quantity, unit_price, currency, tuple(steps),
                                 variant_id=w.variant.id, unit_cost=w.variant.unit_cost or None))
    return priced


def current_prices(store, settings, variant_ids_by_sku, at=None, hooks=None):
    """Our price for one unit of each SKU, for a customer without group, in store currency:
    what reports compare against. Returns {sku: PricedLine}."""
    if not variant_ids_by_sku:
        return {}
    from shopdesk.commerce import StockLine

    lines = [StockLine(sku, 1) for sku in sorted(variant_ids_by_sku)]
    return {p.sku: p for p in price(store, settings, lines, at=at, hooks=hooks)}
