"""Unit costs are the store's margins: they need catalog.costs, not catalog.read."""

import csv
import io

import pytest

from shopdesk.auth.roles import add_member
from shopdesk.auth.models import create_user

PRODUCT = {"name": "Mug", "status": "active", "variants": [{"sku": "MUG", "price": 900, "unit_cost": 300}]}


@pytest.fixture
def mug(client, store):
    made = client.post("/api/v1/catalog/products", json=PRODUCT)
    assert made.status_code == 201 and made.json["variants"][0]["unit_cost"] == 300
    return made.json


@pytest.fixture
def operator(app, db, store):
    person = create_user("op@example.com", "operator password 1")
    add_member(store, person, "operator")
    db.session.commit()
    return app.test_client(user=person)


def test_a_storefront_token_reads_products_without_their_costs(app, user, store, token_for, mug):
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token_for(user, store, ['catalog.read'])}"}
    product = api.get(f"/api/v1/catalog/products/{mug['id']}", headers=headers).json
    assert product["variants"][0]["price"] == 900 and "unit_cost" not in product["variants"][0]
    assert "unit_cost" not in api.get("/api/v1/catalog/variants", headers=headers).json[0]
    costs = {"Authorization": f"Bearer {token_for(user, store, ['catalog.read', 'catalog.costs'])}"}
    assert api.get(f"/api/v1/catalog/products/{mug['id']}", headers=costs).json["variants"][0]["unit_cost"] == 300


def test_setting_a_cost_without_catalog_costs_is_refused_naming_the_field(app, user, store, token_for):
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token_for(user, store, ['catalog.read', 'catalog.write'])}"}
    refused = api.post("/api/v1/catalog/products", json=PRODUCT, headers=headers)
    assert refused.status_code == 422
    assert refused.json["errors"] == {"variants": {"0": {"unit_cost": ["Setting a unit cost needs the 'catalog.costs' permission."]}}}
    priced = {**PRODUCT, "variants": [{"sku": "MUG", "price": 900}]}
    assert api.post("/api/v1/catalog/products", json=priced, headers=headers).status_code == 201


def test_an_operator_edits_a_product_without_seeing_or_losing_its_cost(client, operator, mug):
    page = operator.get(f"/s/acme/catalog/products/{mug['id']}").get_data(as_text=True)
    assert "Unit cost" not in page and "Margin" not in page
    form = operator.get(f"/s/acme/catalog/products/{mug['id']}/edit").get_data(as_text=True)
    assert "unit_cost" not in form
    variant = mug["variants"][0]
    saved = operator.post(f"/s/acme/catalog/products/{mug['id']}/edit", data={
        "name": "Mug, large", "status": "active", "rows": "1", "v-0-id": str(variant["id"]), "v-0-sku": "MUG",
        "v-0-price": "9.50"})
    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
    after = client.get(f"/api/v1/catalog/products/{mug['id']}").json
    assert (after["name"], after["variants"][0]["price"], after["variants"][0]["unit_cost"]) == ("Mug, large", 950, 300)


def test_a_manager_sees_costs_and_margins(app, db, store, mug):
    manager = create_user("boss@example.com", "manager password 1")
    add_member(store, manager, "manager")
    db.session.commit()
    page = app.test_client(user=manager).get(f"/s/acme/catalog/products/{mug['id']}").get_data(as_text=True)
    assert "Unit cost" in page and "66.7 %" in page


def test_an_export_without_catalog_costs_leaves_the_cost_column_empty(operator, mug):
    answer = operator.get("/api/v1/catalog/export?format=csv", headers={"Shopdesk-Store": "acme"})
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert rows[0]["sku"] == "MUG" and rows[0]["unit_cost"] == ""
