"""Product selection: score candidates from their evidence, rank them, promote the chosen ones.

The score (0-100) is a weighted average of five factors, each first brought to 0..1 by a
rule a buyer can check by hand::

    score = 100 x sum(weight_i x normalised_i) / sum(weight_i)

=========  =========================================  =============================================
factor     evidence                                   normalised to 0..1
=========  =========================================  =============================================
demand     expected units a month                     demand / demand_full_units, at most 1
search     search interest 0-100                      interest / 100
feedback   rating 0-5 over n reviews                  (n x rating/5 + k x 0.5) / (n + k),
                                                      k = feedback_prior_reviews
margin     (target price - supplier cost) / target    margin / margin_full_percent, within 0..1
price      target price vs competitor's price         1 at or below the competitor, falling to 0
                                                      at price_gap_percent above it
=========  =========================================  =============================================

Missing evidence (None: nobody knows yet, which is not zero) follows the store's
``missing_evidence`` setting: ``neutral`` counts it as 0.5, ``pessimistic`` as 0, ``exclude``
leaves the factor out so the other weights share its part. The breakdown says which rule
applied. The score is computed on every read, never stored: a changed weight re-ranks at once.
"""

from dataclasses import asdict, dataclass
from decimal import Decimal

import sqlalchemy as sa

from shopdesk.plugin import audit, db, lock_row, utcnow

from ..errors import CatalogError
from ..models import Candidate
from ..settings import CatalogSettings

FACTORS = ("demand", "search", "feedback", "margin", "price")
EVIDENCE_FIELDS = ("expected_demand", "search_interest", "feedback_rating", "feedback_count", "supplier_cost",
                   "competitor_price", "target_price")
MISSING_VALUE = {"neutral": 0.5, "pessimistic": 0.0}


@dataclass
class Factor:
    """One line of a score's breakdown."""

    factor: str
    raw: object  # the evidence, as the buyer entered it (None when missing)
    missing: bool
    normalised: float | None  # 0..1; None when the factor was left out
    weight: float
    contribution: float  # points of the 0-100 score this factor adds
    rule: str


@dataclass
class Score:
    score: float
    breakdown: list[Factor]
    evidence_share: float  # the share of the total weight backed by actual evidence, 0..1
    missing_rule: str

    def as_dict(self) -> dict:
        return {"score": self.score, "evidence_share": self.evidence_share, "missing_rule": self.missing_rule,
                "breakdown": [asdict(line) for line in self.breakdown]}


def kept_score(evidence: dict) -> Score:
    """The score kept in ``Product.evidence`` at promotion, as a Score again (for the pages)."""
    return Score(evidence["score"], [Factor(**line) for line in evidence["breakdown"]],
                 evidence.get("evidence_share", 1.0), evidence.get("missing_rule", ""))


def default_settings() -> dict:
    return CatalogSettings().load({})


def expected_margin(candidate) -> float | None:
    """(target price - supplier cost) / target price, or None when either is unknown."""
    if candidate.target_price is None or candidate.supplier_cost is None or candidate.target_price <= 0:
        return None
    return (candidate.target_price - candidate.supplier_cost) / candidate.target_price


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def _normalise(candidate, settings) -> dict[str, tuple[object, float | None, str]]:
    """Each factor: (raw evidence, normalised value or None when missing, the rule in words)."""
    full_units = settings["demand_full_units"]
    full_margin = settings["margin_full_percent"]
    gap = settings["price_gap_percent"]
    prior = settings["feedback_prior_reviews"]
    out = {}

    demand = candidate.expected_demand
    out["demand"] = (demand, None if demand is None else _clamp(demand / full_units),
                     f"expected units a month ÷ {full_units}, at most 1")

    search = candidate.search_interest
    out["search"] = (search, None if search is None else _clamp(search / 100), "search interest ÷ 100")

    rating, count = candidate.feedback_rating, candidate.feedback_count or 0
    if rating is None or count <= 0:
        feedback = None
    else:
        feedback = _clamp((count * float(rating) / 5 + prior * 0.5) / (count + prior))
    out["feedback"] = (None if rating is None else {"rating": float(rating), "reviews": count}, feedback,
                       f"(reviews × rating ÷ 5 + {prior} × 0.5) ÷ (reviews + {prior}): "
                       f"few reviews pull it towards 0.5")

    margin = expected_margin(candidate)
    out["margin"] = (None if margin is None else round(margin * 100, 2),
                     None if margin is None else _clamp(margin * 100 / full_margin),
                     f"(target price − supplier cost) ÷ target price, as a percentage ÷ {full_margin} %, "
                     f"between 0 and 1")

    if candidate.competitor_price and candidate.target_price is not None:
        above = (candidate.target_price - candidate.competitor_price) / candidate.competitor_price
        position = _clamp(1 - max(0.0, above) * 100 / gap)
        raw = round(above * 100, 2)
    else:
        position, raw = None, None
    out["price"] = (raw, position,
                    f"1 when the target price is at or below the competitor's, falling to 0 at {gap} % above it")
    return out


def score(candidate, settings: dict | None = None) -> Score:
    """The candidate's score and its breakdown under the store's ``settings`` (ctx.settings)."""
    settings = settings or default_settings()
    rule = settings["missing_evidence"]
    lines, weights = [], {}
    for name, (raw, normalised, words) in _normalise(candidate, settings).items():
        weight = float(settings[f"weight_{name}"])
        missing = normalised is None
        if missing:
            if rule == "exclude":
                words += "; evidence missing: left out, the other weights share its part"
            else:
                normalised = MISSING_VALUE[rule]
                words += f"; evidence missing: counted as {normalised:g} ({rule})"
        lines.append(Factor(name, raw, missing, None if normalised is None else round(normalised, 4),
                            weight, 0.0, words))
        weights[name] = weight
    counted = sum(line.weight for line in lines if line.normalised is not None)
    total = 0.0
    for line in lines:
        if line.normalised is not None and counted > 0:
            line.contribution = round(100 * line.weight * line.normalised / counted, 2)
            total += 100 * line.weight * line.normalised / counted
    all_weight = sum(weights.values())
    share = sum(line.weight for line in lines if not line.missing) / all_weight if all_weight else 0.0
    return Score(round(total, 1), lines, round(share, 4), rule)


# --- candidates ----------------------------------------------------------------------------


def _snapshot(candidate) -> dict:
    data = {field: getattr(candidate, field) for field in
            ("name", "category_id", "supplier", *EVIDENCE_FIELDS, "notes", "status")}
    if isinstance(data["feedback_rating"], Decimal):
        data["feedback_rating"] = str(data["feedback_rating"])
    return data


def _clean(data: dict) -> dict:
    """Ratings are kept as exact two-place decimals; names without stray spaces."""
    data = dict(data)
    if isinstance(data.get("feedback_rating"), (float, int)):
        data["feedback_rating"] = Decimal(str(round(data["feedback_rating"], 2)))
    if isinstance(data.get("name"), str):
        data["name"] = data["name"].strip()
    if data.get("category_id"):
        from ..taxonomy import get_category

        get_category(data["category_id"])
    return data


def _check(candidate):
    if candidate.feedback_rating is not None and not candidate.feedback_count:
        raise CatalogError("A rating needs the number of reviews it is based on.", field="feedback_count")


def create_candidate(data: dict) -> Candidate:
    candidate = Candidate(**{"feedback_count": 0, "supplier": "", "notes": "", **_clean(data)}, status="open",
                          rejected_reason="")
    _check(candidate)
    db.session.add(candidate)
    db.session.flush()
    audit.record("catalog.candidate.created", object_type="candidate", object_id=candidate.id,
                 after=_snapshot(candidate))
    return candidate


def update_candidate(candidate: Candidate, changes: dict) -> Candidate:
    if candidate.status == "promoted":
        raise CatalogError(f"'{candidate.name}' was promoted to a product: its evidence is kept as it was.",
                           field="status", status=409, code="invalid_transition")
    before = _snapshot(candidate)
    for key, value in _clean(changes).items():
        setattr(candidate, key, value)
    _check(candidate)
    after = _snapshot(candidate)
    changed = [key for key in after if after[key] != before[key]]
    if changed:
        db.session.flush()
        audit.record("catalog.candidate.updated", object_type="candidate", object_id=candidate.id,
                     before={k: before[k] for k in changed}, after={k: after[k] for k in changed})
    return candidate


def delete_candidate(candidate: Candidate):
    if candidate.status == "promoted":
        raise CatalogError(f"'{candidate.name}' was promoted to a product and is kept as its record.",
                           field="status", status=409, code="invalid_transition")
    audit.record("catalog.candidate.deleted", object_type="candidate", object_id=candidate.id,
                 before=_snapshot(candidate))
    db.session.delete(candidate)
    db.session.flush()


def reject_candidate(candidate: Candidate, reason: str = "") -> Candidate:
    if candidate.status != "open":
        raise CatalogError(f"'{candidate.name}' is {candidate.status}: only an open candidate can be rejected.",
                           field="status", status=409, code="invalid_transition")
    candidate.status, candidate.rejected_reason = "rejected", (reason or "").strip()[:500]
    db.session.flush()
    audit.record("catalog.candidate.rejected", object_type="candidate", object_id=candidate.id,
                 before={"status": "open"}, after={"status": "rejected", "reason": candidate.rejected_reason})
    return candidate


def reopen_candidate(candidate: Candidate) -> Candidate:
    if candidate.status != "rejected":
        raise CatalogError(f"'{candidate.name}' is {candidate.status}: only a rejected candidate can be reopened.",
                           field="status", status=409, code="invalid_transition")
    candidate.status, candidate.rejected_reason = "open", ""
    db.session.flush()
    audit.record("catalog.candidate.reopened", object_type="candidate", object_id=candidate.id,
                 before={"status": "rejected"}, after={"status": "open"})
    return candidate


def promote_candidate(candidate_id: int, sku: str, settings: dict, *, price: int | None = None,
                      unit_cost: int | None = None, name: str | None = None) -> Candidate:
    """Make a draft product from an open candidate, in the caller's transaction.

    The product gets one variant (``sku``; unit cost = supplier cost, price = target price,
    unless given) and keeps the evidence, the score and its breakdown in ``Product.evidence``.
    The candidate row is locked first, so two promotions of one candidate cannot both pass:
    the second is refused with 409. The caller commits (``products.write``).
    """
    from ..products import create_product  # the one path that writes products

    lock_row(Candidate, candidate_id)
    candidate = db.session.scalar(sa.select(Candidate).filter_by(id=candidate_id)
                                  .execution_options(populate_existing=True))
    if candidate is None:
        raise CatalogError("No such candidate in this store.", status=404)
    if candidate.status == "promoted":
        raise CatalogError(f"'{candidate.name}' was already promoted (product {candidate.product_id}).",
                           field="status", status=409, code="invalid_transition")
    if candidate.status != "open":
        raise CatalogError(f"'{candidate.name}' is rejected: reopen it before promoting it.",
                           field="status", status=409, code="invalid_transition")
    price = candidate.target_price if price is None else price
    if price is None:
        raise CatalogError("The candidate has no target price: give the product's price.", field="price")
    unit_cost = candidate.supplier_cost if unit_cost is None else unit_cost
    result = score(candidate, settings)
    try:
        product = create_product({
            "name": (name or candidate.name).strip(), "status": "draft", "category_id": candidate.category_id,
            "variants": [{"sku": sku, "price": price, "unit_cost": unit_cost or 0}],
        })
    except CatalogError as exc:  # word it for this form: "sku", not "variants.0.sku"
        if exc.field and exc.field.startswith("variants.0."):
            exc.field = exc.field.split(".", 2)[2]
        raise
    product.evidence = {
        "candidate_id": candidate.id, "promoted_at": utcnow().isoformat(), "supplier": candidate.supplier,
        "evidence": {key: value for key, value in _snapshot(candidate).items() if key in EVIDENCE_FIELDS},
        "expected_margin_percent": None if expected_margin(candidate) is None
        else round(expected_margin(candidate) * 100, 2),
        "notes": candidate.notes,
        **result.as_dict(),
        "weights": {name: settings[f"weight_{name}"] for name in FACTORS},
    }
    candidate.status, candidate.product_id = "promoted", product.id
    db.session.flush()
    audit.record("catalog.candidate.promoted", object_type="candidate", object_id=candidate.id,
                 before={"status": "open"},
                 after={"status": "promoted", "product_id": product.id, "sku": sku, "score": result.score})
    return candidate


# --- lists ---------------------------------------------------------------------------------

SORTS = ("score", "name", "expected_demand", "created_at")


def ranked(settings: dict, *, status: str | None = "open", sort: str = "-score", search: str = "",
           category_id: int | None = None) -> list[tuple[Candidate, Score]]:
    """The store's candidates with their scores, best first by default (ties: newest first).

    Scores depend on the weights, so sorting by score happens here, not in SQL; a store has
    hundreds of candidates, not millions.
    """
    query = sa.select(Candidate)
    if status:
        query = query.filter_by(status=status)
    if category_id:
        query = query.filter_by(category_id=category_id)
    if search:
        query = query.where(sa.func.lower(Candidate.name).contains(search.lower(), autoescape=True))
    rows = [(c, score(c, settings)) for c in db.session.scalars(query.order_by(Candidate.id.desc()))]
    key = sort.lstrip("-")
    descending = sort.startswith("-")

    def sort_key(pair):
        candidate, result = pair
        value = result.score if key == "score" else getattr(candidate, key)
        if isinstance(value, str):
            value = value.casefold()
        missing = value is None
        # missing values last whichever the direction
        return (missing != descending, value if value is not None else 0)

    rows.sort(key=sort_key, reverse=descending)
    return rows
