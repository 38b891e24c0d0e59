"""Quotes as a buyer or an order sees them: which list applies, tiers, breaks, rules, rounding,
other plugins' adjustments, and the explanation trail of every price."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from shopdesk.commerce import Adjustment, Stage, StockLine
from shopdesk.db import utcnow
from shopdesk.stores import use_store
from shopdesk.testing import make_plugin
from shopdesk_pricing import engine
from shopdesk_pricing.rules import rounded


def make_list(client, **fields):
    answer = client.post("/api/v1/pricing/price-lists", json={"name": "Retail", **fields})
    assert answer.status_code == 201, answer.json
    return answer.json["id"]


def set_price(client, list_id, sku, price, min_quantity=1):
    answer = client.put(f"/api/v1/pricing/price-lists/{list_id}/items",
                        json={"sku": sku, "price": price, "min_quantity": min_quantity})
    assert answer.status_code == 200, answer.json
    return answer.json


def quote(client, *lines, **extra):
    answer = client.post("/api/v1/pricing/quote",
                         json={"lines": [{"sku": s, "quantity": q} for s, q in lines], **extra})
    assert answer.status_code == 200, answer.json
    return answer.json


def labels(line):
    return [step["label"] for step in line["trail"]]


# --- base prices and the resolution rule -------------------------------------------------------


def test_without_price_lists_the_catalog_price_is_used(client, shop):
    line = quote(client, ("TEE-M", 2))["lines"][0]
    assert (line["unit_price"], line["line_total"], line["currency"]) == (1290, 2580, "USD")
    assert line["trail"] == [{"label": "catalog price 12.90", "change": 1290, "price": 1290, "source": "pricing"}]


def test_a_quote_explains_list_price_volume_break_and_rounding(client, shop, configure):
    configure(rounding="0.99")
    retail = make_list(client)
    set_price(client, retail, "TEE-M", 1290)
    assert client.post(f"/api/v1/pricing/price-lists/{retail}/volume-breaks",
                       json={"min_quantity": 10, "discount_percent": "5"}).status_code == 201

    body = quote(client, ("TEE-M", 12), ("MUG-1", 1))
    tee, mug = body["lines"]
    assert labels(tee) == ["list price 12.90 from list Retail", "volume break ≥10: −5 %", "rounding .99"]
    assert [(s["change"], s["price"]) for s in tee["trail"]] == [(1290, 1290), (-65, 1225), (74, 1299)]
    assert tee["unit_price"] == 1299 and tee["line_total"] == 12 * 1299
    assert labels(mug) == ["catalog price 8.00", "rounding .99"] and mug["unit_price"] == 899
    assert body["total"] == 12 * 1299 + 899


def test_a_customer_groups_list_wins_over_the_general_one(client, shop):
    set_price(client, make_list(client, name="Retail", priority=50), "TEE-M", 1290)
    set_price(client, make_list(client, name="Wholesale", customer_group="wholesale"), "TEE-M", 990)

    assert quote(client, ("TEE-M", 1))["lines"][0]["unit_price"] == 1290
    wholesale = quote(client, ("TEE-M", 1), customer_group="wholesale")["lines"][0]
    assert wholesale["unit_price"] == 990
    assert labels(wholesale) == ["list price 9.90 from list Wholesale"]
    # another group sees only the lists for everyone
    assert quote(client, ("TEE-M", 1), customer_group="vip")["lines"][0]["unit_price"] == 1290


def test_then_priority_then_narrower_window_then_lowest_id(client, shop):
    now = utcnow()
    low = make_list(client, name="Low", priority=1)
    high = make_list(client, name="High", priority=5)
    set_price(client, low, "TEE-M", 1100)
    set_price(client, high, "TEE-M", 1200)
    assert quote(client, ("TEE-M", 1))["lines"][0]["unit_price"] == 1200

    week = make_list(client, name="Week", priority=5, valid_from=(now - timedelta(days=1)).isoformat(),
                     valid_to=(now + timedelta(days=6)).isoformat())
    set_price(client, week, "TEE-M", 1150)
    assert quote(client, ("TEE-M", 1))["lines"][0]["unit_price"] == 1150  # narrower than the open-ended High

    twin = make_list(client, name="Twin", priority=5, valid_from=(now - timedelta(days=1)).isoformat(),
                     valid_to=(now + timedelta(days=6)).isoformat())
    set_price(client, twin, "TEE-M", 1140)
    assert quote(client, ("TEE-M", 1))["lines"][0]["unit_price"] == 1150  # tie: the lower id, Week


def test_validity_windows_and_the_active_flag(client, shop):
    now = utcnow()
    later = make_list(client, name="Next month", priority=9, valid_from=(now + timedelta(days=30)).isoformat())
    set_price(client, later, "TEE-M", 999)
    over = make_list(client, name="Last year", priority=9, valid_to=(now - timedelta(days=300)).isoformat())
    set_price(client, over, "TEE-M", 888)

    assert quote(client, ("TEE-M", 1))["lines"][0]["unit_price"] == 1290
    in_a_month = (now + timedelta(days=31)).isoformat()
    assert quote(client, ("TEE-M", 1), at=in_a_month)["lines"][0]["unit_price"] == 999

    assert client.patch(f"/api/v1/pricing/price-lists/{later}", json={"active": False}).status_code == 200
    assert quote(client, ("TEE-M", 1), at=in_a_month)["lines"][0]["unit_price"] == 1290


def test_tiered_prices_pick_the_highest_break_reached(client, shop):
    wholesale = make_list(client, name="Wholesale")
    for min_quantity, price in ((1, 1100), (10, 1000), (50, 900)):
        set_price(client, wholesale, "TEE-M", price, min_quantity)
    prices = {q: quote(client, ("TEE-M", q))["lines"][0] for q in (1, 9, 10, 49, 50, 500)}
    assert {q: line["unit_price"] for q, line in prices.items()} == {
        1: 1100, 9: 1100, 10: 1000, 49: 1000, 50: 900, 500: 900}
    assert labels(prices[50]) == ["list price 9.00 from list Wholesale (≥50)"]


def test_a_list_whose_first_tier_is_not_reached_does_not_apply(client, shop):
    bulk = make_list(client, name="Bulk only", priority=10)
    set_price(client, bulk, "TEE-M", 900, min_quantity=50)
    assert quote(client, ("TEE-M", 5))["lines"][0]["unit_price"] == 1290
    assert quote(client, ("TEE-M", 50))["lines"][0]["unit_price"] == 900


def test_lists_in_another_currency_price_quotes_in_that_currency(client, shop):
    twd = make_list(client, name="Retail TW", currency="TWD")
    set_price(client, twd, "TEE-M", 129000)
    line = quote(client, ("TEE-M", 1), currency="TWD")["lines"][0]
    assert (line["unit_price"], line["currency"]) == (129000, "TWD")
    assert labels(line) == ["list price 1,290.00 from list Retail TW"]
    refused = client.post("/api/v1/pricing/quote", json={"lines": [{"sku": "MUG-1", "quantity": 1}],
                                                           "currency": "TWD"})
    assert refused.status_code == 422 and "MUG-1" in refused.json["message"]


# --- cost-plus and rounding --------------------------------------------------------------------


def test_cost_plus_prices_variants_no_list_has_and_the_most_specific_rule_wins(client, shop):
    rules = "/api/v1/pricing/cost-plus-rules"
    assert client.post(rules, json={"scope": "all", "markup_percent": "100"}).status_code == 201
    assert client.post(rules, json={"scope": "category", "category_id": shop.apparel,
                                    "markup_percent": "60"}).status_code == 201
    retail = make_list(client)
    set_price(client, retail, "TEE-S", 1500)

    tee_m, tee_s, mug = quote(client, ("TEE-M", 1), ("TEE-S", 1), ("MUG-1", 1))["lines"]
    assert tee_m["unit_price"] == 800 and labels(tee_m) == ["cost-plus 5.00 + 60 %"]  # Tees is under Apparel
    assert tee_s["unit_price"] == 1500  # a list price is not replaced by a base rule
    assert mug["unit_price"] == 600 and labels(mug) == ["cost-plus 3.00 + 100 %"]


def test_a_floor_rule_raises_prices_below_cost_plus_markup(client, shop):
    assert client.post("/api/v1/pricing/cost-plus-rules",
                       json={"scope": "brand", "brand_id": shop.brand, "markup_percent": "200",
                             "mode": "floor"}).status_code == 201
    tee, mug = quote(client, ("TEE-M", 1), ("MUG-1", 1))["lines"]
    assert tee["unit_price"] == 1500
    assert tee["trail"][1] == {"label": "cost-plus floor 5.00 + 200 %", "change": 210, "price": 1500,
                               "source": "pricing"}
    assert mug["unit_price"] == 800  # not the brand's


@pytest.mark.parametrize("rule, price, expected", [
    ("none", 1234, 1234), ("0.99", 1234, 1299), ("0.99", 1299, 1299), ("0.99", 1300, 1399),
    ("0.95", 1234, 1295), ("0.95", 1296, 1395), ("whole", 1249, 1200), ("whole", 1250, 1300),
    ("0.05", 1232, 1230), ("0.05", 1233, 1235), ("0.05", 1235, 1235),
])
def test_each_rounding_rule(rule, price, expected):
    assert rounded(price, rule, "USD") == expected


def test_currencies_without_minor_units_are_left_as_they_are():
    assert rounded(1234, "0.99", "JPY") == 1234


def test_rounding_runs_last_after_every_adjustment(client, shop, configure):
    configure(rounding="whole")
    line = quote(client, ("TEE-M", 1))["lines"][0]
    assert labels(line) == ["catalog price 12.90", "rounding to whole units"]
    assert line["unit_price"] == 1300


# --- other plugins' adjustments ----------------------------------------------------------------


def ten_percent_off(name, calls=None):
    def adjust(ctx, quote):
        if calls is not None:
            calls.append((name, len(quote.lines)))
        return [Adjustment(line=line.index, label=f"{name} -10 %", stage=Stage.DISCOUNT, percent=Decimal(-10),
                           code=name) for line in quote.lines]
    return adjust


CALLS = []
ALPHA = make_plugin("alpha", requires=("pricing",), price_adjustments=ten_percent_off("alpha", CALLS))
OMEGA = make_plugin("omega", requires=("pricing",), price_adjustments=ten_percent_off("omega", CALLS))


def enable(app, db, store, *names):
    from shopdesk.stores import enable_plugin

    for name in names:
        enable_plugin(app.extensions["shopdesk"], store, name)
    db.session.commit()


@pytest.mark.shopdesk_plugins(ALPHA, OMEGA)
def test_hook_price_adjustments(app, db, client, store, shop, configure):
    """Two plugins discount in the same step: both show in the trail, the result does not depend
    on their order, each is called once per quote with every line, and a failing one fails
    the quote."""
    enable(app, db, store, "alpha", "omega")
    configure(rounding="0.99")
    CALLS.clear()
    tee, mug = quote(client, ("TEE-M", 3), ("MUG-1", 1))["lines"]
    assert CALLS == [("alpha", 2), ("omega", 2)]  # once each, batched
    assert labels(tee) == ["catalog price 12.90", "alpha -10 %", "omega -10 %", "rounding .99"]
    assert [s["source"] for s in tee["trail"]] == ["pricing", "alpha", "omega", "pricing"]
    assert [s["change"] for s in tee["trail"][1:3]] == [-129, -129]  # both from the price entering the step
    assert tee["unit_price"] == 1099  # 1290 - 258 = 1032, rounded up to .99

    # the same adjustments, given in the other order, give the same price and trail
    with use_store(store):
        from shopdesk.commerce import apply_adjustments
        a = Adjustment(line=0, label="alpha -10 %", percent=Decimal(-10), plugin="alpha")
        b = Adjustment(line=0, label="omega -10 %", percent=Decimal(-10), plugin="omega")
        assert apply_adjustments(1290, [a, b]) == apply_adjustments(1290, [b, a])


def broken_adjuster(ctx, quote):
    raise RuntimeError("coupon service down")


BROKEN = make_plugin("broken", requires=("pricing",), price_adjustments=broken_adjuster)


@pytest.mark.shopdesk_plugins(BROKEN)
def test_a_failing_adjuster_fails_the_quote_with_its_name(app, db, client, store, shop):
    enable(app, db, store, "broken")
    answer = client.post("/api/v1/pricing/quote", json={"lines": [{"sku": "TEE-M", "quantity": 1}]})
    assert answer.status_code == 503
    assert "broken" in answer.json["message"] and "coupon service down" in answer.json["message"]


NONSENSE = make_plugin("nonsense", requires=("pricing",),
                       price_adjustments=lambda ctx, quote: [Adjustment(line=7, label="x")])


@pytest.mark.shopdesk_plugins(NONSENSE)
def test_an_adjustment_for_a_line_that_does_not_exist_fails_the_quote(app, db, client, store, shop):
    enable(app, db, store, "nonsense")
    answer = client.post("/api/v1/pricing/quote", json={"lines": [{"sku": "TEE-M", "quantity": 1}]})
    assert answer.status_code == 503 and "nonsense" in answer.json["message"]


# --- the owner hook the orders plugin calls ----------------------------------------------------


def test_hook_price_lines(app, db, store, shop, configure):
    """Outside a request (as the orders plugin may call it from a job), through the store's hooks."""
    configure(rounding="0.99")
    registry = app.extensions["shopdesk"]
    with use_store(store):
        hooks = registry.for_store(store)
        assert hooks.owns("price_lines")
        priced = hooks.owner("price_lines", lines=[StockLine("TEE-M", 2), StockLine("MUG-1", 1)],
                             customer_group=None, currency="USD")
        assert [(p.sku, p.quantity, p.unit_price, p.total, p.currency) for p in priced] == [
            ("TEE-M", 2, 1299, 2598, "USD"), ("MUG-1", 1, 899, 899, "USD")]
        assert [s.label for s in priced[0].trail] == ["catalog price 12.90", "rounding .99"]
        assert priced[0].variant_id == shop.variants["TEE-M"] and priced[0].unit_cost == 500
        with pytest.raises(ValueError, match="NOPE"):
            hooks.owner("price_lines", lines=[StockLine("NOPE", 1)], customer_group=None, currency="USD")


# --- bad input ---------------------------------------------------------------------------------


def test_unknown_skus_and_bad_lines_are_422_naming_them(client, shop):
    unknown = client.post("/api/v1/pricing/quote", json={"lines": [{"sku": "TEE-M", "quantity": 1},
                                                                   {"sku": "GHOST", "quantity": 1}]})
    assert unknown.status_code == 422 and "GHOST" in unknown.json["message"]
    bad = client.post("/api/v1/pricing/quote", json={"lines": [{"sku": "TEE-M", "quantity": 0}],
                                                     "currency": "EURO"})
    assert bad.status_code == 422
    assert set(bad.json["errors"]) == {"lines", "currency"}
    assert client.post("/api/v1/pricing/quote", json={"lines": []}).status_code == 422


def test_the_engine_prices_a_quote_with_a_fixed_number_of_queries(app, db, store, shop):
    """Batched: the number of statements does not grow with the number of lines."""
    import sqlalchemy as sa

    counted = []
    engine_ = db.engine

    def count(*args):
        counted.append(1)

    with use_store(store):
        settings = app.extensions["shopdesk"].for_store(store).context("pricing").settings
        sa.event.listen(engine_, "before_cursor_execute", count)
        try:
            engine.price(store, settings, [StockLine("TEE-M", 1)])
            one = len(counted)
            counted.clear()
            engine.price(store, settings, [StockLine(s, 2) for s in ("TEE-S", "TEE-M", "TEE-L", "MUG-1")])
            four = len(counted)
        finally:
            sa.event.remove(engine_, "before_cursor_execute", count)
    assert four == one


def test_another_stores_lists_and_prices_stay_invisible(app, db, client, user, shop, build_catalog):
    from shopdesk.stores import create_store, enable_plugin

    other = create_store("other", "Other Store", owner=user)
    for name in ("catalog", "pricing"):
        enable_plugin(app.extensions["shopdesk"], other, name)
    db.session.commit()
    build_catalog(other)  # the same SKUs, in the other store
    there = {"Shopdesk-Store": "other"}
    theirs = client.post("/api/v1/pricing/price-lists", json={"name": "Secret"}, headers=there).json["id"]
    assert client.put(f"/api/v1/pricing/price-lists/{theirs}/items", json={"sku": "TEE-M", "price": 700},
                      headers=there).status_code == 200

    assert client.get("/api/v1/pricing/price-lists").json == []
    assert client.get(f"/api/v1/pricing/price-lists/{theirs}").status_code == 404
    assert client.put(f"/api/v1/pricing/price-lists/{theirs}/items",
                      json={"sku": "TEE-M", "price": 1}).status_code == 404
    assert client.get(f"/s/acme/pricing/lists/{theirs}").status_code == 404
    assert quote(client, ("TEE-M", 1))["lines"][0]["unit_price"] == 1290
    theirs_quoted = client.post("/api/v1/pricing/quote", json={"lines": [{"sku": "TEE-M", "quantity": 1}]},
                                headers=there).json
    assert theirs_quoted["lines"][0]["unit_price"] == 700


def test_datetime_windows_are_utc(client, shop):
    start = datetime(2030, 1, 1, 8, 0)
    created = client.post("/api/v1/pricing/price-lists",
                          json={"name": "New year", "valid_from": start.isoformat(),
                                "valid_to": (start + timedelta(days=1)).isoformat()})
    assert created.status_code == 201
    assert created.json["valid_from"].startswith("2030-01-01T08:00:00")
    assert datetime.fromisoformat(created.json["valid_from"]).tzinfo == timezone.utc
