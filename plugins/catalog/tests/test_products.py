"""Products with variants, as staff create and edit them through the API and the pages."""

import threading

import pytest
import sqlalchemy as sa

from shopdesk.plugin import Action, Panel
from shopdesk.stores import use_store
from shopdesk.testing import make_plugin
from shopdesk_catalog import products as product_service
from shopdesk_catalog.models import Product, ProductTranslation, Variant

API = "/api/v1/catalog/products"


# --- creating and reading ----------------------------------------------------------------------


def test_a_product_is_created_with_its_variants_translations_and_tags(client, h):
    made = client.post(API, json=h.tee(
        description="Soft **organic** cotton.", tags=["organic", "bestseller"],
        translations={"zh_Hant": {"name": "有機棉T恤", "description": "柔軟的**有機**棉。"}}))
    assert made.status_code == 201, made.json
    product = made.json
    assert (product["name"], product["status"], product["currency"]) == ("Organic Tee", "active", "USD")
    assert [(v["sku"], v["options"], v["price"], v["unit_cost"]) for v in product["variants"]] == [
        ("TEE-S", {"size": "S"}, 2400, 850), ("TEE-M", {"size": "M"}, 2400, 850)]
    assert product["tags"] == ["bestseller", "organic"]
    assert product["description_html"] == "<p>Soft <strong>organic</strong> cotton.</p>\n"
    assert product["translations"]["zh_Hant"]["name"] == "有機棉T恤"
    assert product["translations"]["zh_Hant"]["description_html"] == "<p>柔軟的<strong>有機</strong>棉。</p>\n"
    assert client.get(f"{API}/{product['id']}").json == product


def test_variants_keep_barcode_weight_and_dimensions(client, h):
    body = h.tee(variants=[{"sku": "MUG-1", "barcode": "4710000000011", "options": {"size": "350 ml"},
                            "price": 2200, "unit_cost": 700, "weight_g": 380, "length_mm": 120,
                            "width_mm": 90, "height_mm": 95}])
    variant = client.post(API, json=body).json["variants"][0]
    assert (variant["barcode"], variant["weight_g"], variant["length_mm"], variant["width_mm"],
            variant["height_mm"]) == ("4710000000011", 380, 120, 90, 95)


def test_a_script_in_the_description_is_never_rendered(client, h):
    product = client.post(API, json=h.tee(
        description='Nice <script>alert("x")</script>\n\n<img src="a.png" onerror="alert(1)">\n\n'
                    '[click](javascript:alert(2)) and <a href="javascript:alert(3)">here</a>')).json
    html = product["description_html"]
    assert "<script" not in html and "alert(\"x\")" not in html
    assert "onerror" not in html and 'href="javascript' not in html
    assert '<img src="a.png">' in html


def test_bad_input_names_each_field(client):
    refused = client.post(API, json={"name": " ", "status": "sold", "variants": [{"price": -1}],
                                     "translations": {"fr": {"name": "x"}}})
    assert refused.status_code == 422
    errors = refused.json["errors"]
    assert errors["name"] == ["Must not be blank."]
    assert errors["status"] == ["Must be one of: draft, active, archived."]
    assert errors["variants"]["0"]["sku"] == ["Missing data for required field."]
    assert errors["variants"]["0"]["price"] == ["Must be greater than or equal to 0 and less than or equal to "
                                                "1000000000000."]
    assert "fr" in str(errors["translations"])
    assert client.get(API).json == []


def test_each_variant_needs_a_value_for_every_option_axis(client, h):
    refused = client.post(API, json=h.tee(option_axes=["size", "colour"]))
    assert refused.status_code == 422
    assert refused.json["errors"] == {"variants": {"0": {"options": ["Needs a value for colour."]}}}

    twins = client.post(API, json=h.tee(variants=[{"sku": "A", "options": {"size": "S"}},
                                                  {"sku": "B", "options": {"size": "S"}}]))
    assert twins.json["errors"] == {"variants": {"1": {"options": ["Two variants have the same options (size S)."]}}}


def test_an_active_product_needs_a_variant(client, h):
    refused = client.post(API, json=h.tee(variants=[]))
    assert refused.status_code == 422
    assert refused.json["errors"] == {"status": ["An active product needs at least one variant."]}
    draft = client.post(API, json=h.tee(variants=[], status="draft"))
    assert draft.status_code == 201 and draft.json["status"] == "draft"
    assert client.patch(f"{API}/{draft.json['id']}", json={"status": "active"}).status_code == 422


# --- SKUs are unique per store -----------------------------------------------------------------


def test_a_sku_used_by_another_product_is_refused_naming_that_product(client, db, store, h):
    first = client.post(API, json=h.tee()).json
    clash = client.post(API, json={"name": "Pocket Tee", "variants": [
        {"sku": "POCKET-S"}, {"sku": "TEE-M"}]})
    assert clash.status_code == 409
    message = f"SKU 'TEE-M' is already used by product 'Organic Tee' (id {first['id']})."
    assert clash.json["message"] == message
    assert clash.json["errors"] == {"variants": {"1": {"sku": [message]}}}
    # nothing half-written: not the product, not its first variant
    assert h.count(db, store, Product) == 1 and h.count(db, store, Variant) == 2
    assert [name for name, _ in h.emitted(db, store)] == ["product.created"]


def test_a_sku_given_twice_in_one_product_is_refused(client, h):
    refused = client.post(API, json=h.tee(option_axes=[], variants=[{"sku": "X"}, {"sku": "X"}]))
    assert refused.status_code == 422
    assert refused.json["errors"]["variants"]["1"]["sku"] == ["SKU 'X' is given twice (also variant 0)."]


def test_the_same_sku_is_fine_in_another_store(app, client, db, user, h):
    h.other_store(app, db, user)
    assert client.post(API, json=h.tee()).status_code == 201
    assert client.post(API, json=h.tee(), headers={"Shopdesk-Store": "other"}).status_code == 201


def test_a_lost_race_on_the_unique_sku_is_a_409_not_a_500(client, db, store, h, monkeypatch):
    """Both requests passed the up-front check; the database's unique constraint decides."""
    client.post(API, json=h.tee())
    monkeypatch.setattr(product_service, "_check_sku", lambda *args, **kwargs: None)
    lost = client.post(API, json={"name": "Copy", "variants": [{"sku": "TEE-S"}]})
    assert lost.status_code == 409
    assert "SKU 'TEE-S' is already used by product 'Organic Tee'" in lost.json["message"]
    assert h.count(db, store, Product) == 1


def test_two_staff_creating_the_same_sku_at_once_get_one_product(app, db, store, user, h):
    """Real concurrency: two clients in their own threads and connections."""
    answers = []
    barrier = threading.Barrier(2)

    def create(name):
        with app.app_context():
            c = app.test_client(user=user)
            barrier.wait()
            answers.append(c.post(API, json={"name": name, "variants": [{"sku": "RACE-1"}]},
                                  headers={"Shopdesk-Store": "acme"}).status_code)

    threads = [threading.Thread(target=create, args=(name,)) for name in ("One", "Two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [201, 409]
    with use_store(store):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Variant).filter_by(sku="RACE-1")) == 1


# --- changing ----------------------------------------------------------------------------------


def test_patch_changes_fields_and_replaces_the_variant_list(client, db, store, h):
    product = client.post(API, json=h.tee()).json
    small, medium = product["variants"]
    changed = client.patch(f"{API}/{product['id']}", json={
        "name": "Organic Crew Tee",
        "variants": [{"id": medium["id"], "price": 2600},
                     {"sku": "TEE-L", "options": {"size": "L"}, "price": 2600}]})
    assert changed.status_code == 200, changed.json
    assert changed.json["name"] == "Organic Crew Tee"
    assert [(v["sku"], v["price"]) for v in changed.json["variants"]] == [("TEE-M", 2600), ("TEE-L", 2600)]
    assert changed.json["variants"][0]["id"] == medium["id"]
    assert client.get(f"{API}/{product['id']}/variants/{small['id']}").status_code == 404


def test_a_failed_patch_leaves_the_product_as_it_was(client, h):
    other = client.post(API, json=h.tee(name="Hoodie", variants=[{"sku": "HOOD-M", "options": {"size": "M"}}])).json
    product = client.post(API, json=h.tee()).json
    refused = client.patch(f"{API}/{product['id']}", json={
        "name": "Renamed", "variants": [{"sku": "NEW-1", "options": {"size": "XS"}},
                                        {"sku": "HOOD-M", "options": {"size": "M"}}]})
    assert refused.status_code == 409
    assert refused.json["errors"]["variants"]["1"]["sku"] == [
        f"SKU 'HOOD-M' is already used by product 'Hoodie' (id {other['id']})."]
    assert client.get(f"{API}/{product['id']}").json == product


def test_variants_have_their_own_routes(client, h):
    product = client.post(API, json=h.tee()).json
    url = f"{API}/{product['id']}/variants"
    added = client.post(url, json={"sku": "TEE-L", "options": {"size": "L"}, "price": 2500})
    assert added.status_code == 201 and added.json["product_id"] == product["id"]
    assert client.post(url, json={"sku": "TEE-S", "options": {"size": "XL"}}).json["errors"] == {
        "variant": {"sku": [f"SKU 'TEE-S' is already used by product 'Organic Tee' (id {product['id']})."]}}
    changed = client.patch(f"{url}/{added.json['id']}", json={"barcode": "123", "unit_cost": 900})
    assert (changed.json["barcode"], changed.json["unit_cost"]) == ("123", 900)
    assert [v["sku"] for v in client.get(url).json] == ["TEE-S", "TEE-M", "TEE-L"]
    assert client.delete(f"{url}/{added.json['id']}").status_code == 204


def test_the_last_variant_of_an_active_product_cannot_be_deleted(client, h):
    product = client.post(API, json=h.tee(variants=[{"sku": "ONE", "options": {"size": "S"}}])).json
    url = f"{API}/{product['id']}/variants/{product['variants'][0]['id']}"
    refused = client.delete(url)
    assert refused.status_code == 409
    assert "only variant of active product 'Organic Tee'" in refused.json["message"]
    client.patch(f"{API}/{product['id']}", json={"status": "archived"})
    assert client.delete(url).status_code == 204


def test_translations_are_added_changed_and_removed(client, h):
    product = client.post(API, json=h.tee(translations={"zh_Hant": {"name": "T恤"}})).json
    url = f"{API}/{product['id']}"
    both = client.patch(url, json={"translations": {"zh_Hans": {"name": "T恤衫", "description": "棉"}}}).json
    assert sorted(both["translations"]) == ["zh_Hans", "zh_Hant"]
    assert client.patch(url, json={"translations": {"zh_Hant": None}}).json["translations"].keys() == {"zh_Hans"}


def test_an_active_product_is_archived_before_it_is_deleted(client, db, store, h):
    product = client.post(API, json=h.tee()).json
    refused = client.delete(f"{API}/{product['id']}")
    assert refused.status_code == 409 and "archive it before deleting it" in refused.json["message"]
    client.patch(f"{API}/{product['id']}", json={"status": "archived"})
    assert client.delete(f"{API}/{product['id']}").status_code == 204
    assert h.count(db, store, Variant) == 0 and h.count(db, store, ProductTranslation) == 0


# --- lists -------------------------------------------------------------------------------------


def _names(client, query=""):
    return [p["name"] for p in client.get(f"{API}?{query}").json]


def test_the_list_searches_name_sku_barcode_and_translated_name(client, h):
    client.post(API, json=h.tee(translations={"zh_Hant": {"name": "有機棉T恤"}}))
    client.post(API, json={"name": "Stoneware Mug", "variants": [{"sku": "MUG-OAT", "barcode": "4719999"}]})
    assert _names(client, "q=mug") == ["Stoneware Mug"]
    assert _names(client, "q=tee-m") == ["Organic Tee"]
    assert _names(client, "q=4719999") == ["Stoneware Mug"]
    assert _names(client, "q=有機") == ["Organic Tee"]
    assert _names(client) == ["Organic Tee", "Stoneware Mug"]


def test_the_list_filters_sorts_and_pages(client, h):
    apparel = client.post("/api/v1/catalog/categories", json={"name": "Apparel"}).json
    tees = client.post("/api/v1/catalog/categories", json={"name": "T-shirts", "parent_id": apparel["id"]}).json
    brand = client.post("/api/v1/catalog/brands", json={"name": "Northwind"}).json
    client.post(API, json=h.tee(category_id=tees["id"], brand_id=brand["id"], tags=["organic"]))
    client.post(API, json={"name": "Archived Cap", "status": "archived", "category_id": apparel["id"]})
    client.post(API, json={"name": "Draft Mug"})
    tag_id = client.get("/api/v1/catalog/tags").json[0]["id"]

    assert _names(client, f"category_id={apparel['id']}") == ["Archived Cap", "Organic Tee"]
    assert _names(client, f"category_id={tees['id']}") == ["Organic Tee"]
    assert _names(client, f"brand_id={brand['id']}") == ["Organic Tee"]
    assert _names(client, f"tag_id={tag_id}") == ["Organic Tee"]
    assert _names(client, "status=draft") == ["Draft Mug"]
    assert _names(client, "sort=-name") == ["Organic Tee", "Draft Mug", "Archived Cap"]
    page = client.get(f"{API}?sort=name&page=2&page_size=2")
    assert [p["name"] for p in page.json] == ["Organic Tee"]
    assert '"total": 3' in page.headers["X-Pagination"]
    assert client.get(f"{API}?sort=price").status_code == 422


# --- isolation and permissions -----------------------------------------------------------------


def test_another_stores_products_are_404_everywhere(app, client, db, user, h):
    h.other_store(app, db, user)
    theirs = client.post(API, json=h.tee(), headers={"Shopdesk-Store": "other"}).json
    pid, vid = theirs["id"], theirs["variants"][0]["id"]
    assert client.get(API).json == []
    assert client.get(f"{API}/{pid}").status_code == 404
    assert client.patch(f"{API}/{pid}", json={"name": "Mine"}).status_code == 404
    assert client.delete(f"{API}/{pid}").status_code == 404
    assert client.get(f"{API}/{pid}/variants/{vid}").status_code == 404
    assert client.post(f"{API}/{pid}/variants", json={"sku": "X"}).status_code == 404
    assert client.get(f"/s/acme/catalog/products/{pid}").status_code == 404
    assert client.post(f"/s/acme/catalog/products/{pid}/edit", data={"name": "Mine"}).status_code == 404
    assert client.get(f"{API}/{pid}", headers={"Shopdesk-Store": "other"}).json["name"] == "Organic Tee"


def test_readers_cannot_write(app, db, store, user, token_for, h):
    reader = {"Authorization": f"Bearer {token_for(user, store, ['catalog.read'])}"}
    c = app.test_client()
    assert c.get(API, headers=reader).status_code == 200
    assert c.post(API, json=h.tee(), headers=reader).status_code == 403


# --- events and audit --------------------------------------------------------------------------


def test_changes_emit_product_events_with_name_status_and_skus(client, db, store, h):
    product = client.post(API, json=h.tee()).json
    client.patch(f"{API}/{product['id']}", json={"name": "Crew Tee"})
    client.patch(f"{API}/{product['id']}", json={"status": "archived"})
    client.patch(f"{API}/{product['id']}", json={})  # no change, no event
    payload = {"id": product["id"], "skus": ["TEE-S", "TEE-M"]}
    assert h.emitted(db, store) == [
        ("product.created", payload | {"name": "Organic Tee", "status": "active"}),
        ("product.updated", payload | {"name": "Crew Tee", "status": "active"}),
        ("product.archived", payload | {"name": "Crew Tee", "status": "archived"}),
    ]


def test_every_change_to_products_and_variants_is_audited_with_before_and_after(client, db, store, h):
    product = client.post(API, json=h.tee()).json
    medium = product["variants"][1]
    client.patch(f"{API}/{product['id']}", json={"name": "Crew Tee"})
    client.patch(f"{API}/{product['id']}/variants/{medium['id']}", json={"price": 2600})
    entries = [(e.action, e.object_id, e.before, e.after) for e in h.audit_entries(db, store)]
    assert entries[0][:2] == ("catalog.product.created", str(product["id"]))
    assert [e[0] for e in entries[1:3]] == ["catalog.variant.created"] * 2
    assert entries[3] == ("catalog.product.updated", str(product["id"]), {"name": "Organic Tee"},
                          {"name": "Crew Tee"})
    assert entries[4] == ("catalog.variant.updated", str(medium["id"]), {"price": 2400}, {"price": 2600})


received = []
listener = make_plugin("catalog_listener", requires=("catalog",),
                       handle_event=lambda event, ctx: received.append((event.name, event.payload["skus"])))


@pytest.mark.shopdesk_plugins(listener)
def test_other_plugins_receive_product_events(app, client, db, store, h):
    from shopdesk.events import dispatch_due
    from shopdesk.stores import enable_plugin

    enable_plugin(app.extensions["shopdesk"], store, "catalog_listener")
    db.session.commit()
    received.clear()
    client.post(API, json=h.tee())
    dispatch_due()
    assert received == [("product.created", ["TEE-S", "TEE-M"])]


# --- the pages ---------------------------------------------------------------------------------


def _form(**fields):
    data = {"name": "Linen Towel", "status": "active", "option_axes": "colour", "rows": "2",
            "v-0-sku": "TOWEL-OAT", "v-0-opt-0": "Oat", "v-0-price": "19.00", "v-0-unit_cost": "6.20",
            "v-0-weight_g": "150", "v-1-sku": "", "tr-zh_Hant-name": "亞麻茶巾", "tags": "gift, new"}
    return data | fields


def test_a_product_is_created_and_edited_through_the_form(client, db, store):
    assert client.get("/s/acme/catalog/products/new").status_code == 200
    created = client.post("/s/acme/catalog/products/new", data=_form())
    assert created.status_code == 302
    with use_store(store):
        product = db.session.scalar(sa.select(Product))
        assert [(v.sku, v.options, v.price, v.unit_cost, v.weight_g) for v in product.variants] == [
            ("TOWEL-OAT", {"colour": "Oat"}, 1900, 620, 150)]
        assert [t.name for t in product.tags] == ["gift", "new"]
        pid, vid = product.id, product.variants[0].id
    assert created.headers["Location"] == f"/s/acme/catalog/products/{pid}"
    page = client.get(f"/s/acme/catalog/products/{pid}").get_data(as_text=True)
    assert "TOWEL-OAT" in page and "$19.00" in page and "67.4 %" in page  # margin on the list price

    edit = client.get(f"/s/acme/catalog/products/{pid}/edit").get_data(as_text=True)
    assert 'value="TOWEL-OAT"' in edit and 'value="19.00"' in edit
    saved = client.post(f"/s/acme/catalog/products/{pid}/edit", data=_form(**{
        "rows": "2", "v-0-id": str(vid), "v-0-price": "21.50", "v-1-sku": "TOWEL-SAGE", "v-1-opt-0": "Sage"}))
    assert saved.status_code == 302
    db.session.expire_all()
    with use_store(store):
        assert [(v.sku, v.price) for v in db.session.get(Product, pid).variants] == [
            ("TOWEL-OAT", 2150), ("TOWEL-SAGE", 0)]


def test_the_form_shows_what_was_refused_and_saves_nothing(client, db, store, h):
    client.post(API, json=h.tee())
    refused = client.post("/s/acme/catalog/products/new", data=_form(**{
        "rows": "2", "v-1-sku": "TEE-M", "v-1-opt-0": "Sage", "v-0-price": "abc"}))
    assert refused.status_code == 400
    assert "variants.0.price: Not a valid amount" in refused.get_data(as_text=True)
    refused = client.post("/s/acme/catalog/products/new", data=_form(**{"rows": "2", "v-1-sku": "TEE-M",
                                                                        "v-1-opt-0": "Sage"}))
    page = refused.get_data(as_text=True)
    assert "SKU &#39;TEE-M&#39; is already used by product &#39;Organic Tee&#39;" in page
    assert 'value="Linen Towel"' in page  # what was typed is kept
    assert h.count(db, store, Product) == 1


def test_the_product_page_shows_the_readers_language(app, client, db, store, user, h):
    product = client.post(API, json=h.tee(description="Soft cotton.",
                                          translations={"zh_Hant": {"name": "有機棉T恤", "description": "柔軟棉質"}})).json
    english = client.get(f"/s/acme/catalog/products/{product['id']}").get_data(as_text=True)
    assert "Organic Tee" in english and "Soft cotton." in english
    client.post("/account/language", data={"language": "zh_Hant"})
    with use_store(store):
        pass
    chinese = client.get(f"/s/acme/catalog/products/{product['id']}",
                         headers={"Accept-Language": "zh-Hant"}).get_data(as_text=True)
    assert "有機棉T恤" in chinese and "柔軟棉質" in chinese


def test_the_list_page_searches_and_filters(client, h):
    client.post(API, json=h.tee())
    client.post(API, json={"name": "Stoneware Mug", "variants": [{"sku": "MUG-1"}]})
    page = client.get("/s/acme/catalog/products/?q=mug").get_data(as_text=True)
    assert "Stoneware Mug" in page and "Organic Tee" not in page
    page = client.get("/s/acme/catalog/products/?status=active").get_data(as_text=True)
    assert "Organic Tee" in page and "Stoneware Mug" not in page
    assert "status: Must be one of" in client.get("/s/acme/catalog/products/?status=sold").get_data(as_text=True)


def test_status_buttons_activate_and_archive(client, db, store, h):
    product = client.post(API, json=h.tee(status="draft")).json
    url = f"/s/acme/catalog/products/{product['id']}/status"
    client.post(url, data={"status": "active"})
    assert client.get(f"{API}/{product['id']}").json["status"] == "active"
    client.post(url, data={"status": "archived"})
    assert client.get(f"{API}/{product['id']}").json["status"] == "archived"
    assert [name for name, _ in h.emitted(db, store)][-1] == "product.archived"


# --- navigation, dashboard, demo ---------------------------------------------------------------


def test_the_navigation_and_dashboard_show_the_catalog_to_readers_only(app, client, db, store, h):
    from shopdesk.auth.models import create_user
    from shopdesk.auth.roles import add_member, create_role

    client.post(API, json=h.tee())
    client.post(API, json={"name": "Draft Mug"})
    dashboard = client.get("/s/acme/").get_data(as_text=True)
    for link in ("/s/acme/catalog/products/", "/s/acme/catalog/categories/", "/s/acme/catalog/brands-tags/"):
        assert f'href="{link}"' in dashboard
    assert 'status=active">1</a>' in dashboard and 'status=draft">1</a>' in dashboard
    assert 'without_images=true">2</a>' in dashboard

    create_role(store, "packer", ["store.view"])
    packer = create_user("packer@example.com", "packer password 1")
    add_member(store, packer, "packer")
    db.session.commit()
    as_packer = app.test_client(user=packer)
    page = as_packer.get("/s/acme/").get_data(as_text=True)
    assert "/s/acme/catalog/" not in page and "Without images" not in page
    assert as_packer.get("/s/acme/catalog/products/").status_code == 403


def test_the_demo_store_has_a_small_apparel_and_home_catalog(app, db, user):
    from shopdesk.demo import fill_with_demo_data
    from shopdesk.stores import create_store
    from shopdesk_catalog.models import Category, ProductImage

    demo = create_store("demo", "Demo Store", owner=user)
    fill_with_demo_data(app.extensions["shopdesk"], demo, ["catalog"])  # whatever else is enabled
    db.session.commit()
    with use_store(demo):
        names = db.session.scalars(sa.select(Product.name)).all()
        assert len(names) == 12 and "Organic Cotton Tee" in names
        tees = db.session.scalar(sa.select(Product).filter_by(name="Organic Cotton Tee"))
        assert len(tees.variants) == 6 and tees.variants[0].options == {"size": "S", "colour": "Navy"}
        assert tees.variants[0].price == 2400 and tees.variants[0].unit_cost == 850
        assert {t.locale for t in tees.translations} == {"zh_Hant"}
        assert tees.category.parent.name == "Apparel"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Category)) == 8
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ProductImage)) >= 9


def test_variants_are_found_by_sku_or_barcode_across_products(client, h):
    client.post(API, json=h.tee())
    client.post(API, json={"name": "Mug", "variants": [{"sku": "MUG-OAT", "barcode": "4711"}]})
    found = client.get("/api/v1/catalog/variants?sku=TEE-M").json
    assert [(v["sku"], v["product_name"], v["product_status"]) for v in found] == [("TEE-M", "Organic Tee", "active")]
    assert [v["sku"] for v in client.get("/api/v1/catalog/variants?barcode=4711").json] == ["MUG-OAT"]
    assert [v["sku"] for v in client.get("/api/v1/catalog/variants?q=tee&sort=-sku").json] == ["TEE-S", "TEE-M"]


# --- what other plugins add to the product page ---------------------------------------------------

def _supplier_panels(user, kind, obj):
    return [Panel(title="Supplier", html=f"<em>Made for {obj.name}</em>")] if kind == "product" else []


def _supplier_actions(user, kind, obj):
    return [Action(label="Reorder from supplier", url=f"/reorder/{obj.id}")] if kind == "product" else []


@pytest.mark.shopdesk_plugins(make_plugin("suppliers", object_panels=_supplier_panels,
                                          object_actions=_supplier_actions))
def test_another_plugins_panel_and_button_appear_on_the_product_page(app, client, db, store, h):
    from shopdesk.stores import enable_plugin

    enable_plugin(app.extensions["shopdesk"], store, "suppliers")
    db.session.commit()
    pid = client.post(API, json=h.tee()).json["id"]
    page = client.get(f"/s/acme/catalog/products/{pid}").get_data(as_text=True)
    assert "<em>Made for Organic Tee</em>" in page
    assert f'href="/reorder/{pid}"' in page and "Reorder from supplier" in page
    assert page.index("Reorder from supplier") < page.index("Made for Organic Tee")  # buttons at the top, panels below
