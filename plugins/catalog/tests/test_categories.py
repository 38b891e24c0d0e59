"""The category tree, brands and tags, as staff keep them through the API and the pages."""

import sqlalchemy as sa

from shopdesk.stores import use_store
from shopdesk_catalog.models import Brand, Category, Tag

API = "/api/v1/catalog"


def category(client, name, parent=None):
    answer = client.post(f"{API}/categories", json={"name": name, "parent_id": parent})
    assert answer.status_code == 201, answer.json
    return answer.json


def test_categories_form_a_tree_listed_parents_first(client):
    apparel = category(client, "Apparel")
    home = category(client, "Home")
    tees = category(client, "T-shirts", apparel["id"])
    mugs = category(client, "Mugs", home["id"])
    assert tees["path"] == "Apparel › T-shirts"
    listed = [(c["name"], c["parent_id"]) for c in client.get(f"{API}/categories").json]
    assert listed == [("Apparel", None), ("T-shirts", apparel["id"]), ("Home", None), ("Mugs", home["id"])]
    assert client.get(f"{API}/categories/{mugs['id']}").json["path"] == "Home › Mugs"


def test_a_name_is_unique_among_siblings_only(client):
    apparel = category(client, "Apparel")
    home = category(client, "Home")
    category(client, "Sale", apparel["id"])
    category(client, "Sale", home["id"])  # fine: another parent
    clash = client.post(f"{API}/categories", json={"name": "Sale", "parent_id": apparel["id"]})
    assert clash.status_code == 409
    assert clash.json["errors"] == {"name": ["A category named 'Sale' already exists under 'Apparel'."]}
    top = client.post(f"{API}/categories", json={"name": "Apparel"})
    assert top.json["errors"] == {"name": ["A category named 'Apparel' already exists at the top level."]}


def test_a_category_is_renamed_and_moved_but_never_under_itself(client):
    apparel = category(client, "Apparel")
    tees = category(client, "T-shirts", apparel["id"])
    basics = category(client, "Basics", tees["id"])
    moved = client.patch(f"{API}/categories/{basics['id']}", json={"parent_id": None, "name": "Essentials"})
    assert (moved.json["name"], moved.json["parent_id"]) == ("Essentials", None)

    cycle = client.patch(f"{API}/categories/{apparel['id']}", json={"parent_id": tees["id"]})
    assert cycle.status_code == 422
    assert cycle.json["errors"] == {"parent_id": [
        "'Apparel' cannot move under 'T-shirts': that is itself or one of its sub-categories."]}
    itself = client.patch(f"{API}/categories/{apparel['id']}", json={"parent_id": apparel["id"]})
    assert itself.status_code == 422
    assert client.patch(f"{API}/categories/{apparel['id']}", json={"parent_id": 999999}).json["errors"] == {
        "parent_id": ["No category with id 999999 in this store."]}


def test_a_category_with_children_or_products_is_not_deleted(client):
    apparel = category(client, "Apparel")
    tees = category(client, "T-shirts", apparel["id"])
    refused = client.delete(f"{API}/categories/{apparel['id']}")
    assert refused.status_code == 409
    assert refused.json["message"] == "'Apparel' still has sub-categories: T-shirts. Move or delete them first."

    product = client.post(f"{API}/products", json={"name": "Organic Tee", "category_id": tees["id"]}).json
    refused = client.delete(f"{API}/categories/{tees['id']}")
    assert refused.json["message"] == ("'T-shirts' still has products: Organic Tee. "
                                       "Move them to another category first.")
    client.patch(f"{API}/products/{product['id']}", json={"category_id": None})
    assert client.delete(f"{API}/categories/{tees['id']}").status_code == 204
    assert client.delete(f"{API}/categories/{apparel['id']}").status_code == 204
    assert client.get(f"{API}/categories").json == []


def test_category_changes_are_audited(client, db, store, h):
    apparel = category(client, "Apparel")
    client.patch(f"{API}/categories/{apparel['id']}", json={"name": "Clothing"})
    client.delete(f"{API}/categories/{apparel['id']}")
    entries = [(e.action, e.before, e.after) for e in h.audit_entries(db, store)]
    assert entries == [
        ("catalog.category.created", None, {"name": "Apparel", "parent_id": None, "position": 0}),
        ("catalog.category.updated", {"name": "Apparel", "parent_id": None, "position": 0},
         {"name": "Clothing", "parent_id": None, "position": 0}),
        ("catalog.category.deleted", {"name": "Clothing", "parent_id": None, "position": 0}, None),
    ]


def test_brands_and_tags_have_unique_names_and_counts(client):
    brand = client.post(f"{API}/brands", json={"name": "Kiln Studio"}).json
    clash = client.post(f"{API}/brands", json={"name": "Kiln Studio"})
    assert clash.status_code == 409 and clash.json["errors"] == {"name": ["A brand named 'Kiln Studio' already exists."]}
    client.post(f"{API}/products", json={"name": "Mug", "brand_id": brand["id"], "tags": ["handmade"]})
    [listed] = client.get(f"{API}/brands").json
    assert {k: listed[k] for k in ("id", "name", "product_count")} == {"id": brand["id"], "name": "Kiln Studio",
                                                                       "product_count": 1}
    assert listed["updated_at"] == brand["updated_at"]
    [tag] = client.get(f"{API}/tags").json
    assert (tag["name"], tag["product_count"]) == ("handmade", 1)
    assert client.post(f"{API}/tags", json={"name": "handmade"}).json["errors"] == {
        "name": ["A tag named 'handmade' already exists."]}
    assert client.post(f"{API}/tags", json={"name": "  "}).json["errors"] == {"name": ["Must not be blank."]}


def test_a_brand_in_use_is_not_deleted_but_a_tag_is_taken_off_its_products(client):
    brand = client.post(f"{API}/brands", json={"name": "Lumen"}).json
    product = client.post(f"{API}/products", json={"name": "Candle", "brand_id": brand["id"],
                                                   "tags": ["gift"]}).json
    refused = client.delete(f"{API}/brands/{brand['id']}")
    assert refused.status_code == 409 and refused.json["message"] == (
        "Brand 'Lumen' is still used by: Candle. Give them another brand first.")
    renamed = client.patch(f"{API}/brands/{brand['id']}", json={"name": "Lumen Goods"})
    assert renamed.json["name"] == "Lumen Goods"
    tag_id = client.get(f"{API}/tags").json[0]["id"]
    assert client.delete(f"{API}/tags/{tag_id}").status_code == 204
    assert client.get(f"{API}/products/{product['id']}").json["tags"] == []


def test_an_unknown_category_or_brand_on_a_product_is_refused(client):
    refused = client.post(f"{API}/products", json={"name": "Mug", "category_id": 424242, "brand_id": 434343})
    assert refused.status_code == 422
    assert refused.json["errors"] == {"category_id": ["No category with id 424242 in this store."]}


def test_another_stores_categories_brands_and_tags_are_404(app, client, db, user, h):
    h.other_store(app, db, user)
    theirs = {"Shopdesk-Store": "other"}
    cat = client.post(f"{API}/categories", json={"name": "Secret"}, headers=theirs).json
    brand = client.post(f"{API}/brands", json={"name": "Secret"}, headers=theirs).json
    tag = client.post(f"{API}/tags", json={"name": "secret"}, headers=theirs).json
    for path in (f"categories/{cat['id']}", f"brands/{brand['id']}", f"tags/{tag['id']}"):
        assert client.get(f"{API}/{path}").status_code == 404
        assert client.patch(f"{API}/{path}", json={"name": "mine"}).status_code == 404
        assert client.delete(f"{API}/{path}").status_code == 404
    # nor can a product of this store point at them
    assert client.post(f"{API}/products", json={"name": "x", "category_id": cat["id"]}).status_code == 422
    assert client.post(f"{API}/categories", json={"name": "x", "parent_id": cat["id"]}).status_code == 422
    assert client.get(f"{API}/categories").json == []
    assert b"Secret" not in client.get("/s/acme/catalog/categories/").data


def test_the_pages_add_rename_move_and_delete(client, db, store):
    assert client.post("/s/acme/catalog/categories/", data={"name": "Apparel"}).status_code == 302
    with use_store(store):
        apparel = db.session.scalar(sa.select(Category))
    client.post("/s/acme/catalog/categories/", data={"name": "Hoodies", "parent_id": str(apparel.id)})
    page = client.get("/s/acme/catalog/categories/").get_data(as_text=True)
    assert "Apparel" in page and "Hoodies" in page and "Apparel › Hoodies" not in page.split("category-tree")[0]

    refused = client.post(f"/s/acme/catalog/categories/{apparel.id}/delete", follow_redirects=True)
    assert "still has sub-categories: Hoodies" in refused.get_data(as_text=True)

    client.post("/s/acme/catalog/brands/", data={"name": "Kiln Studio"})
    client.post("/s/acme/catalog/tags/", data={"name": "gift"})
    again = client.post("/s/acme/catalog/tags/", data={"name": "gift"}, follow_redirects=True)
    assert "A tag named &#39;gift&#39; already exists." in again.get_data(as_text=True)
    with use_store(store):
        brand = db.session.scalar(sa.select(Brand))
        tag = db.session.scalar(sa.select(Tag))
    client.post(f"/s/acme/catalog/brands/{brand.id}", data={"name": "Kiln"})
    client.post(f"/s/acme/catalog/tags/{tag.id}/delete")
    page = client.get("/s/acme/catalog/brands-tags/").get_data(as_text=True)
    assert 'value="Kiln"' in page and 'value="gift"' not in page


def test_readers_see_the_pages_without_forms(app, db, store):
    from shopdesk.auth.models import create_user
    from shopdesk.auth.roles import add_member

    viewer = create_user("viewer@example.com", "viewer password 1")
    add_member(store, viewer, "viewer")
    db.session.commit()
    as_viewer = app.test_client(user=viewer)
    page = as_viewer.get("/s/acme/catalog/categories/")
    assert page.status_code == 200 and b"Add a category" not in page.data
    assert as_viewer.post("/s/acme/catalog/categories/", data={"name": "x"}).status_code == 403
