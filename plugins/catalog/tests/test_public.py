"""What other plugins get from ``shopdesk_catalog.public``: reads that stay in the current store,
and price writes that announce themselves with the catalog's own event."""

import sqlalchemy as sa

from shopdesk.stores import use_store
from shopdesk_catalog import public as catalog

API = "/api/v1/catalog/products"


def test_a_price_set_by_another_plugin_is_announced_like_one_set_in_the_catalog(client, db, store, h):
    product = client.post(API, json=h.tee()).json
    with use_store(store):
        medium = catalog.variant_with_sku("TEE-M")
        assert catalog.set_variant_price(medium, 2600) is True
        assert catalog.set_variant_price(medium, 2600) is False  # unchanged: nothing to announce
        db.session.commit()
    assert client.get(f"{API}/{product['id']}").json["variants"][1]["price"] == 2600
    assert h.emitted(db, store)[1:] == [
        ("product.updated", {"id": product["id"], "name": "Organic Tee", "status": "active",
                             "skus": ["TEE-S", "TEE-M"]})]
    assert [e.action for e in h.audit_entries(db, store)][-1] == "catalog.variant.created"  # the caller audits


def test_many_prices_of_one_product_make_one_event_and_report_what_they_replaced(client, db, store, h):
    client.post(API, json=h.tee())
    client.post(API, json=h.tee(name="Mug", option_axes=[], variants=[{"sku": "MUG", "price": 900}]))
    with use_store(store):
        found = catalog.variants_with_skus(["TEE-S", "TEE-M", "MUG", "NOPE"])
        replaced = catalog.set_variant_prices([(found["TEE-S"], 2000), (found["TEE-M"], 2100),
                                               (found["MUG"], 900)])
        db.session.commit()
        assert replaced == {found["TEE-S"].id: 2400, found["TEE-M"].id: 2400}
    assert [(name, payload["skus"]) for name, payload in h.emitted(db, store)[2:]] == [
        ("product.updated", ["TEE-S", "TEE-M"])]


def test_reads_see_only_the_current_store(app, client, db, store, user, h):
    client.post(API, json=h.tee())
    other = h.other_store(app, db, user)
    with use_store(other):
        assert catalog.variant_with_sku("TEE-S") is None
        assert catalog.variants_by_sku(["TEE-S"]) == {}
        assert catalog.skus_by_id() == {}
    with use_store(store):
        ids = catalog.variant_ids_by_sku(["TEE-S", "TEE-M"])
        assert catalog.skus_by_id(ids.values()) == {ids["TEE-S"]: "TEE-S", ids["TEE-M"]: "TEE-M"}
        assert catalog.product_names_by_variant(ids.values()) == dict.fromkeys(ids.values(), "Organic Tee")
        assert catalog.variants_by_sku(["TEE-S"])["TEE-S"].display_name == "Organic Tee (S)"


def test_foreign_key_targets_name_the_catalog_tables(db):
    tables = sa.inspect(db.engine).get_table_names()
    for target in (catalog.VARIANT_ID, catalog.CATEGORY_ID, catalog.BRAND_ID, catalog.TAG_ID):
        table, column = target.split(".")
        assert table in tables and column == "id"
