"""A store's currency cannot be changed under its prices (the ``currency_in_use`` hook)."""

from shopdesk.stores import create_store, enable_plugin


def test_hook_currency_in_use(client, store):
    """Each plugin names what it keeps in the currency; the refusal lists them all."""
    assert client.post("/api/v1/catalog/products", json={
        "name": "Mug", "status": "active", "variants": [{"sku": "MUG", "price": 900}]}).status_code == 201
    assert client.post("/api/v1/pricing/price-lists", json={"name": "VIP"}).status_code == 201
    assert client.post("/api/v1/orders", json={"lines": [{"sku": "MUG", "quantity": 1}], "draft": True}).status_code == 201
    refused = client.patch("/api/v1/store", json={"currency": "TWD"})
    assert (refused.status_code, refused.json["code"]) == (409, "currency_locked")
    assert refused.json["message"] == ("The currency cannot change: the store has 1 product, "
                                       "1 order, 1 price list in its current currency.")
    assert "currency" in refused.json["errors"]
    assert client.get("/api/v1/store").json["currency"] == "USD"


def test_a_new_store_with_nothing_priced_can_change_its_currency(app, client, db, user):
    create_store("fresh", "Fresh", currency="USD", owner=user)
    db.session.commit()
    changed = client.patch("/api/v1/store", json={"currency": "twd"}, headers={"Shopdesk-Store": "fresh"})
    assert (changed.status_code, changed.json["currency"]) == (200, "TWD")


def test_the_settings_page_refuses_the_currency_and_keeps_what_was_typed(client, store):
    client.post("/api/v1/catalog/products", json={"name": "Mug", "variants": [{"sku": "MUG", "price": 900}]})
    page = client.post("/s/acme/settings", data={"name": "Acme Renamed", "currency": "JPY", "locale": "en",
                                                 "timezone": "UTC"})
    html = page.get_data(as_text=True)
    assert page.status_code == 409
    assert "The currency cannot change: the store has 1 product in its current currency." in html
    assert 'value="JPY"' in html and 'value="Acme Renamed"' in html
    assert client.get("/api/v1/store").json == {**client.get("/api/v1/store").json, "currency": "USD", "name": "Acme Store"}


def test_the_refusal_reads_in_the_users_language(client, store, db, user):
    client.post("/api/v1/catalog/products", json={"name": "Mug", "variants": [{"sku": "MUG", "price": 900}]})
    user.locale = "zh_Hant"
    db.session.commit()
    page = client.post("/s/acme/settings", data={"name": "Acme", "currency": "TWD", "locale": "en", "timezone": "UTC"})
    assert "無法變更幣別：商店已有以目前幣別計價的1 項商品。" in page.get_data(as_text=True)
