"""Competitor prices and the positioning report; the pricing pages a user clicks through; demo data."""

import sqlalchemy as sa

from shopdesk.demo import fill_with_demo_data
from shopdesk.stores import create_store, use_store
from shopdesk_pricing.models import CompetitorPrice, PriceList, ScheduledChange

URL = "/api/v1/pricing/competitor-prices"


def record(client, sku, competitor, price, observed_at="2030-01-05T10:00:00Z"):
    answer = client.post(URL, json={"sku": sku, "competitor": competitor, "price": price,
                                    "observed_at": observed_at})
    assert answer.status_code == 201, answer.json
    return answer.json


def test_competitor_prices_are_recorded_and_listed(client, shop):
    made = record(client, "TEE-M", "ShopRival", 1190)
    assert (made["sku"], made["currency"], made["source_url"]) == ("TEE-M", "USD", "")
    assert client.get(URL + "?sku=TEE-M").json == [made]
    bad = client.post(URL, json={"sku": "GHOST", "competitor": " ", "price": 0})
    assert bad.status_code == 422 and set(bad.json["errors"]) == {"competitor", "price"}
    assert client.post(URL, json={"sku": "GHOST", "competitor": "X", "price": 5}).json["errors"] == {
        "sku": ["Unknown SKU: GHOST"]}
    assert client.delete(f"{URL}/{made['id']}").status_code == 204
    assert client.get(URL).json == []


def test_the_positioning_report_compares_with_min_and_median_using_each_competitors_latest_price(
        client, shop):
    record(client, "TEE-M", "ShopRival", 1500, "2030-01-01T00:00:00Z")
    record(client, "TEE-M", "ShopRival", 1100, "2030-01-05T00:00:00Z")  # the latest counts
    record(client, "TEE-M", "MegaMart", 1400)
    record(client, "TEE-M", "CornerStore", 1200)
    [row] = client.get("/api/v1/pricing/positioning").json
    assert row == {
        "sku": "TEE-M", "variant_id": shop.variants["TEE-M"], "currency": "USD", "our_price": 1290,
        "unit_cost": 500, "competitors": 3, "min_price": 1100, "median_price": 1200,
        "difference_to_min_percent": "17.3",      # (1290 - 1100) / 1100
        "difference_to_median_percent": "7.5",    # (1290 - 1200) / 1200
        "margin_percent": "61.2",                 # (1290 - 500) / 1290
        "margin_at_min_percent": "54.5",          # (1100 - 500) / 1100
        "margin_at_median_percent": "58.3",       # (1200 - 500) / 1200
    }
    page = client.get("/s/acme/pricing/positioning").get_data(as_text=True)
    assert "TEE-M" in page and "17.3 %" in page


def test_csv_import_writes_every_row_or_none_and_names_bad_lines(client, db, store, shop):
    good = ("sku,competitor,price,observed_at,source_url\n"
            "TEE-M,ShopRival,11.90,2030-01-02T00:00:00Z,https://shoprival.example.com/tee\n"
            "MUG-1,MegaMart,7.50,,\n")
    bad = good + "GHOST,MegaMart,7.50,,\nTEE-S,,abc,yesterday,ftp://x\n"
    refused = client.post(URL + "/import", json={"csv": bad})
    assert refused.status_code == 422
    assert refused.json["errors"]["csv"] == [
        "line 4, sku: Unknown SKU: 'GHOST'.",
        "line 5, competitor: Name the competitor (at most 120 characters).",
        "line 5, price: Not a positive amount in USD: 'abc'.",
        "line 5, observed_at: Not an ISO 8601 time: 'yesterday'.",
        "line 5, source_url: Must be an http(s) URL of at most 500 characters.",
    ]
    with use_store(store):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CompetitorPrice)) == 0
    imported = client.post(URL + "/import", json={"csv": good})
    assert imported.status_code == 201
    assert [(r["sku"], r["price"]) for r in imported.json] == [("TEE-M", 1190), ("MUG-1", 750)]


def test_the_competitor_page_records_and_imports(client, shop):
    import io

    assert client.post("/s/acme/pricing/competitors", data={
        "sku": "TEE-M", "competitor": "ShopRival", "price": "11.90"}).status_code == 302
    csv = b"sku,competitor,price\nMUG-1,MegaMart,7.50\n"
    assert client.post("/s/acme/pricing/competitors", data={"file": (io.BytesIO(csv), "prices.csv")},
                       content_type="multipart/form-data").status_code == 302
    page = client.get("/s/acme/pricing/competitors").get_data(as_text=True)
    assert "ShopRival" in page and "MegaMart" in page


# --- pages -------------------------------------------------------------------------------------


def test_price_lists_are_made_and_priced_through_the_pages(client, db, store, shop):
    created = client.post("/s/acme/pricing/lists", data={"name": "Retail", "currency": "USD", "priority": "0",
                                                        "active": "y"})
    assert created.status_code == 302
    with use_store(store):
        list_id = db.session.scalar(sa.select(PriceList.id))
    base = f"/s/acme/pricing/lists/{list_id}"
    assert client.post(base + "/items", data={"sku": "TEE-M", "min_quantity": "1", "price": "11.90"}).status_code == 302
    assert client.post(base + "/breaks", data={"min_quantity": "10", "discount_percent": "5"}).status_code == 302
    assert client.post(base + "/schedule", data={"sku": "TEE-M", "new_price": "9.90",
                                                 "starts_at": "2031-01-01T00:00"}).status_code == 302
    page = client.get(base).get_data(as_text=True)
    assert "TEE-M" in page and "$11.90" in page and "≥10" in page and "$9.90" in page
    with use_store(store):
        assert db.session.scalar(sa.select(ScheduledChange.new_price)) == 990

    checked = client.post("/s/acme/pricing/check", data={"lines": "TEE-M 12\nMUG-1"}).get_data(as_text=True)
    assert "list price 11.90 from list Retail" in checked and "volume break ≥10: −5 %" in checked
    assert "catalog price 8.00" in checked


def test_a_refused_price_on_the_page_says_why(client, shop, configure):
    configure(min_margin_percent=20)
    client.post("/s/acme/pricing/lists", data={"name": "Retail"})
    page = client.post("/s/acme/pricing/lists/1/items", data={"sku": "TEE-M", "price": "1.00"},
                       follow_redirects=True).get_data(as_text=True)
    assert "below the minimum 6.00" in page


def test_prices_are_typed_in_major_units_with_the_currencys_digits(client, db, store, shop):
    client.post("/s/acme/pricing/lists", data={"name": "Retail"})
    saved = client.post("/s/acme/pricing/lists/1/items", data={"sku": "TEE-M", "price": "1,200.50"},
                        follow_redirects=True).get_data(as_text=True)
    assert "$1,200.50" in saved
    too_fine = client.post("/s/acme/pricing/lists/1/items", data={"sku": "TEE-S", "price": "12.905"},
                           follow_redirects=True).get_data(as_text=True)
    assert "price: not an amount in USD with at most 2 decimals" in too_fine
    with use_store(store):
        from shopdesk_pricing.models import PriceListItem

        assert db.session.scalars(sa.select(PriceListItem.price)).all() == [120050]
    assert 'name="price" inputmode="decimal"' in client.get("/s/acme/pricing/lists/1").get_data(as_text=True)


def test_every_pricing_page_opens_in_english_and_chinese(client, db, user, shop):
    for locale, word in (("en", "Price lists"), ("zh_Hant", "價目表"), ("zh_Hans", "价目表")):
        user.locale = locale
        db.session.commit()
        for path in ("", "check", "approvals", "rules", "competitors", "positioning", "bulk"):
            page = client.get(f"/s/acme/pricing/{path}")
            assert page.status_code == 200 and word in page.get_data(as_text=True), (locale, path)
    user.locale = "en"
    db.session.commit()
    preview = client.post("/s/acme/pricing/bulk", data={"brand_id": str(shop.brand), "percent": "10",
                                                        "action": "preview"}).get_data(as_text=True)
    assert "TEE-M" in preview and "$14.19" in preview


def test_the_rules_page_adds_a_cost_plus_rule(client, shop):
    assert client.post("/s/acme/pricing/rules", data={"scope": "all", "markup_percent": "80", "mode": "base",
                                                      "active": "y"}).status_code == 302
    assert [r["markup_percent"] for r in client.get("/api/v1/pricing/cost-plus-rules").json] == ["80.00"]


# --- demo data ---------------------------------------------------------------------------------


def test_demo_data_gives_lists_breaks_a_scheduled_change_competitors_and_settings(app, db, user):
    demo = create_store("demo", "Demo", owner=user)
    fill_with_demo_data(app.extensions["shopdesk"], demo, plugins=["catalog", "pricing"])
    db.session.commit()
    client = app.test_client(user=user)
    client.environ_base["HTTP_SHOPDESK_STORE"] = "demo"
    lists = {pl["name"]: pl for pl in client.get("/api/v1/pricing/price-lists").json}
    assert set(lists) == {"Retail", "Wholesale"} and lists["Wholesale"]["customer_group"] == "wholesale"
    assert client.get(f"/api/v1/pricing/price-lists/{lists['Retail']['id']}/volume-breaks").json
    assert len(client.get("/api/v1/pricing/scheduled-changes?upcoming=true").json) == 1
    assert client.get("/api/v1/pricing/positioning").json
    assert client.get("/api/v1/pricing/approvals?status=pending").json
    wholesale_items = client.get(f"/api/v1/pricing/price-lists/{lists['Wholesale']['id']}/items").json
    sku = wholesale_items[0]["sku"]
    line = client.post("/api/v1/pricing/quote", json={"lines": [{"sku": sku, "quantity": 12}],
                                                      "customer_group": "wholesale"}).json["lines"][0]
    assert line["trail"][0]["label"].endswith("from list Wholesale (≥10)")
    assert line["trail"][-1]["label"] == "rounding .99" or line["unit_price"] % 100 == 99


def test_an_approver_decides_on_the_approvals_page_but_not_on_their_own_price(client, approver, shop, configure):
    configure(min_margin_percent=20, margin_guard="approval")
    list_id = client.post("/api/v1/pricing/price-lists", json={"name": "Retail"}).json["id"]
    approval = client.put(f"/api/v1/pricing/price-lists/{list_id}/items",
                          json={"sku": "TEE-M", "price": 550}).json["approval"]
    assert "TEE-M" in approver.get("/s/acme/pricing/approvals").get_data(as_text=True)
    own = client.post(f"/s/acme/pricing/approvals/{approval['id']}/approve", follow_redirects=True)
    assert "someone else must approve" in own.get_data(as_text=True)
    assert approver.post(f"/s/acme/pricing/approvals/{approval['id']}/approve").status_code == 302
    assert client.get(f"/api/v1/pricing/approvals/{approval['id']}").json["status"] == "approved"


def test_a_scheduled_change_is_cancelled_from_the_page_and_sent_back_only_to_pricing_pages(client, shop):
    list_id = client.post("/api/v1/pricing/price-lists", json={"name": "Retail"}).json["id"]
    change = client.post("/api/v1/pricing/scheduled-changes", json={
        "price_list_id": list_id, "sku": "TEE-M", "new_price": 990, "starts_at": "2031-01-01T00:00:00Z"}).json
    answer = client.post(f"/s/acme/pricing/changes/{change['id']}/cancel", data={"next": "https://evil.example"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/s/acme/pricing/")
    assert client.get(f"/api/v1/pricing/scheduled-changes/{change['id']}").json["status"] == "cancelled"
