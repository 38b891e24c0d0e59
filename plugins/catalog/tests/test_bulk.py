"""Bulk actions over selected products: archive, tag, untag, change category; all audited."""

import re

API = "/api/v1/catalog/products"


def make(client, *names, **fields):
    return [client.post(API, json={"name": name, "variants": [{"sku": f"SKU-{name}"}], **fields}).json["id"]
            for name in names]


def bulk(client, **body):
    return client.post(f"{API}/bulk", json=body)


def test_selected_products_are_archived_with_one_audit_entry_and_event_each(client, db, store, h):
    tee, mug, cap = make(client, "Tee", "Mug", "Cap", status="active")
    client.patch(f"{API}/{cap}", json={"status": "archived"})
    answer = bulk(client, action="archive", ids=[tee, mug, cap])
    assert answer.status_code == 200
    assert answer.json == {"action": "archive", "changed": [tee, mug], "unchanged": [cap]}
    assert [p["status"] for p in client.get(f"{API}?sort=id").json] == ["archived"] * 3
    entries = [(e.object_id, e.before, e.after) for e in h.audit_entries(db, store, "catalog.product.bulk")]
    assert entries == [(str(tee), {"status": "active"}, {"status": "archived"}),
                       (str(mug), {"status": "active"}, {"status": "archived"})]
    archived = [payload["id"] for name, payload in h.emitted(db, store) if name == "product.archived"]
    assert archived == [cap, tee, mug]


def test_a_tag_is_added_and_removed_over_the_selection(client, db, store, h):
    tee, mug = make(client, "Tee", "Mug")
    client.patch(f"{API}/{mug}", json={"tags": ["sale"]})
    added = bulk(client, action="add_tag", ids=[tee, mug], tag="sale")
    assert added.json["changed"] == [tee] and added.json["unchanged"] == [mug]
    assert [p["tags"] for p in client.get(f"{API}?sort=id").json] == [["sale"], ["sale"]]
    removed = bulk(client, action="remove_tag", ids=[tee, mug], tag="sale")
    assert removed.json["changed"] == [tee, mug]
    assert [p["tags"] for p in client.get(f"{API}?sort=id").json] == [[], []]
    [entry] = [e for e in h.audit_entries(db, store, "catalog.product.bulk_add_tag")]
    assert (entry.before, entry.after) == ({"tags": []}, {"tags": ["sale"]})
    unknown = bulk(client, action="remove_tag", ids=[tee], tag="nope")
    assert unknown.status_code == 422 and unknown.json["errors"] == {"tag": ["No tag named 'nope' in this store."]}
    assert bulk(client, action="add_tag", ids=[tee]).json["errors"] == {"tag": ["Name the tag."]}


def test_the_category_of_the_selection_is_changed_or_cleared(client):
    tee, mug = make(client, "Tee", "Mug")
    home = client.post("/api/v1/catalog/categories", json={"name": "Home"}).json["id"]
    assert bulk(client, action="set_category", ids=[tee, mug], category_id=home).json["changed"] == [tee, mug]
    assert {p["category"] for p in client.get(API).json} == {"Home"}
    assert bulk(client, action="set_category", ids=[tee], category_id=None).json["changed"] == [tee]
    assert bulk(client, action="set_category", ids=[tee], category_id=777777).json["errors"] == {
        "category_id": ["No category with id 777777 in this store."]}


def test_an_unknown_or_foreign_id_refuses_the_whole_action(app, client, db, store, user, h):
    h.other_store(app, db, user)
    [theirs] = [client.post(API, json={"name": "Theirs"}, headers={"Shopdesk-Store": "other"}).json["id"]]
    [tee] = make(client, "Tee")
    refused = bulk(client, action="archive", ids=[tee, theirs])
    assert refused.status_code == 422
    assert refused.json["errors"] == {"ids": [f"No product with id {theirs} in this store."]}
    assert client.get(f"{API}/{tee}").json["status"] == "draft"
    assert client.get(f"{API}/{theirs}", headers={"Shopdesk-Store": "other"}).json["status"] == "draft"
    assert h.audit_entries(db, store, "catalog.product.bulk") == []
    assert bulk(client, action="melt", ids=[tee]).status_code == 422
    assert bulk(client, action="archive", ids=[]).status_code == 422


def test_the_list_page_runs_bulk_actions_on_the_ticked_products(client, db, store, h):
    tee, mug, cap = make(client, "Tee", "Mug", "Cap")
    done = client.post("/s/acme/catalog/products/bulk", data={"action": "add_tag", "tag": "gift",
                                                              "ids": [str(tee), str(mug)]},
                       follow_redirects=True)
    assert "2 product(s) changed, 0 already so." in done.get_data(as_text=True)
    client.post("/s/acme/catalog/products/bulk", data={"action": "archive", "ids": [str(cap)],
                                                       "next": "/s/acme/catalog/products/?status=draft"})
    statuses = {p["name"]: (p["status"], p["tags"]) for p in client.get(API).json}
    assert statuses == {"Tee": ("draft", ["gift"]), "Mug": ("draft", ["gift"]), "Cap": ("archived", [])}
    nothing = client.post("/s/acme/catalog/products/bulk", data={"action": "archive"}, follow_redirects=True)
    assert "ids:" in nothing.get_data(as_text=True)
    assert len(h.audit_entries(db, store, "catalog.product.bulk")) == 3


def test_the_list_page_has_a_select_all_box_whose_script_members_can_load(app, client):
    make(client, "Tee")
    page = client.get("/s/acme/catalog/products/").get_data(as_text=True)
    assert 'id="select-all"' in page
    script = re.search(r'<script src="(/s/acme/catalog/static/select_all\.js)"></script>', page).group(1)
    served = client.get(script)
    assert served.status_code == 200 and "select-all" in served.get_data(as_text=True)
    assert served.mimetype in ("text/javascript", "application/javascript")
    stranger = app.test_client().get(script)  # signed out: the store's files are not public
    assert stranger.status_code in (302, 401) and "select-all" not in stranger.get_data(as_text=True)
