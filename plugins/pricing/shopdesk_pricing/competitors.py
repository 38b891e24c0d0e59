"""Competitor prices: recorded by hand or from CSV, and the positioning report built on them."""

import csv
import io
import statistics
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa

from shopdesk import audit
from shopdesk.db import db
from shopdesk_catalog.public import variant_ids_by_sku, variants_with_ids

from .engine import current_prices
from .models import CompetitorPrice
from .rules import margin_percent, to_minor

CSV_COLUMNS = ("sku", "competitor", "price", "observed_at", "source_url")


class CsvRejected(ValueError):
    """The file had bad rows; nothing was imported. ``errors``: [{line, field, message}]."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__(f"{len(errors)} bad row(s): nothing imported")


def record_price(variant, competitor: str, price: int, currency: str, observed_at, source_url: str = ""):
    row = CompetitorPrice(variant_id=variant.id, competitor=competitor.strip(), price=price, currency=currency,
                          observed_at=observed_at, source_url=source_url or "")
    db.session.add(row)
    db.session.flush()
    audit.record("pricing.competitor_price_recorded", object_type="competitor_price", object_id=row.id,
                 after={"sku": variant.sku, "competitor": row.competitor, "price": price, "currency": currency,
                        "observed_at": observed_at, "source_url": row.source_url})
    return row


def _parse_time(text: str):
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


CHECK_CHUNK = 1000  # rows checked per SKU lookup (and per progress report of a background import)


def read_csv(text: str) -> list[dict]:
    """The rows of a ``sku,competitor,price,observed_at,source_url`` file (header required)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in ("sku", "competitor", "price") if c not in (reader.fieldnames or [])]
    if missing:
        raise CsvRejected([{"line": 1, "field": c, "message": "Missing column."} for c in missing])
    return list(reader)


def check_rows(rows: list[dict], currency: str, now, progress=None) -> list[dict]:
    """Every row checked (price in major units, "12.90"; observed_at ISO 8601, UTC when no
    offset is given, now when empty): the rows to write, or CsvRejected with every bad row
    (line number, field, message). ``progress(done)`` is told after each chunk."""
    errors, good = [], []
    for first in range(0, len(rows), CHECK_CHUNK):
        chunk = rows[first:first + CHECK_CHUNK]
        skus = {(r.get("sku") or "").strip() for r in chunk}
        variants = variant_ids_by_sku(skus)
        for line, row in enumerate(chunk, start=first + 2):
            problems, checked = _check_row(row, variants, currency, now)
            errors += [{"line": line, "field": f, "message": m} for f, m in problems]
            if not problems:
                good.append(checked)
        if progress is not None:
            progress(first + len(chunk))
    if errors:
        raise CsvRejected(errors)
    return good


def _check_row(row, variants, currency, now):
    sku = (row.get("sku") or "").strip()
    competitor = (row.get("competitor") or "").strip()
    problems = []
    if sku not in variants:
        problems.append(("sku", f"Unknown SKU: {sku!r}." if sku else "Missing SKU."))
    if not competitor or len(competitor) > 120:
        problems.append(("competitor", "Name the competitor (at most 120 characters)."))
    try:
        price = to_minor(row.get("price") or "", currency)
        if price <= 0:
            raise ValueError
    except (ValueError, ArithmeticError):
        problems.append(("price", f"Not a positive amount in {currency}: {row.get('price')!r}."))
        price = None
    try:
        observed = _parse_time(row.get("observed_at") or "") if (row.get("observed_at") or "").strip() else now
    except ValueError:
        problems.append(("observed_at", f"Not an ISO 8601 time: {row.get('observed_at')!r}."))
        observed = None
    url = (row.get("source_url") or "").strip()
    if url and (not url.startswith(("http://", "https://")) or len(url) > 500):
        problems.append(("source_url", "Must be an http(s) URL of at most 500 characters."))
    if problems:
        return problems, None
    return [], {"sku": sku, "variant_id": variants[sku], "competitor": competitor, "price": price,
                "observed_at": observed, "source_url": url}


def write_rows(good: list[dict], currency: str, store_id: int, import_id: int | None = None) -> list[CompetitorPrice]:
    """Insert checked rows in one statement, with one audit entry for the whole file."""
    values = [{k: v for k, v in row.items() if k != "sku"} | {"currency": currency, "store_id": store_id}
              for row in good]
    written = list(db.session.scalars(sa.insert(CompetitorPrice).returning(CompetitorPrice), values)) if values else []
    audit.record("pricing.competitor_prices_imported", object_type="competitor_import", object_id=import_id,
                 after={"rows": len(written), "currency": currency,
                        "skus": sorted({row["sku"] for row in good})[:50]})
    return written


def import_csv(text: str, currency: str, now, store_id: int) -> list[CompetitorPrice]:
    """Check every row, then write them all (any bad row and nothing is written)."""
    return write_rows(check_rows(read_csv(text), currency, now), currency, store_id)


def _median(values):
    return int(Decimal(statistics.median(values)).quantize(Decimal(1), ROUND_HALF_UP))


def _difference(ours, theirs):
    if not theirs:
        return None
    return (Decimal(ours - theirs) * 100 / Decimal(theirs)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def positioning(store, settings, hooks=None):
    """Per SKU with competitor prices in the store's currency: our current price (one unit,
    no customer group, through the engine), the lowest and median competitor price (each
    competitor's latest observation), our difference to them in percent, and our margin at
    our price and if we matched the lowest or the median."""
    rows = db.session.execute(
        sa.select(CompetitorPrice.variant_id, CompetitorPrice.competitor, CompetitorPrice.price,
                  CompetitorPrice.observed_at, CompetitorPrice.id)
        .where(CompetitorPrice.currency == store.currency)
        .order_by(CompetitorPrice.observed_at, CompetitorPrice.id)).all()
    latest: dict[int, dict[str, int]] = {}
    for variant_id, competitor, price, _, _ in rows:
        latest.setdefault(variant_id, {})[competitor.lower()] = price  # later rows win
    if not latest:
        return []
    variants = variants_with_ids(latest)
    ours = current_prices(store, settings, {v.sku: v.id for v in variants.values()}, hooks=hooks)
    report = []
    for variant in sorted(variants.values(), key=lambda v: v.sku):
        prices = sorted(latest[variant.id].values())
        our = ours[variant.sku].unit_price
        low, median = prices[0], _median(prices)
        cost = variant.unit_cost or None
        report.append({
            "sku": variant.sku, "variant_id": variant.id, "currency": store.currency, "our_price": our,
            "unit_cost": cost, "competitors": len(prices), "min_price": low, "median_price": median,
            "difference_to_min_percent": _difference(our, low),
            "difference_to_median_percent": _difference(our, median),
            "margin_percent": margin_percent(our, cost),
            "margin_at_min_percent": margin_percent(low, cost),
            "margin_at_median_percent": margin_percent(median, cost),
        })
    return report
