"""Orders for products that are not for sale (draft or archived) are refused, unless the
store's orders setting ``accept_unpublished_products`` says otherwise."""

import io

import pytest
import sqlalchemy as sa
from flask import current_app

from shopdesk.stores import configure_plugin, use_store
from shopdesk_catalog.models import Product, Variant
from shopdesk_orders.models import Order


@pytest.fixture
def unpublished(db, shop):
    """The cap's product is archived and the mug's is a draft again."""
    with use_store(shop):
        for sku, status in (("CAP", "archived"), ("MUG", "draft")):
            product_id = db.session.scalar(sa.select(Variant.product_id).filter_by(sku=sku))
            db.session.get(Product, product_id).status = status
        db.session.commit()
    return shop


def count_orders(db, shop):
    with use_store(shop):
        return db.session.scalar(sa.select(sa.func.count(Order.id)))


def test_an_order_naming_a_draft_or_archived_product_is_refused_naming_the_line(db, unpublished, new_order):
    refused = new_order([("TEE-S", 1), ("CAP", 1), ("MUG", 2)], status=422)
    assert set(refused["errors"]) == {"lines.1.sku", "lines.2.sku"}
    assert "CAP: its product is archived, not for sale" in refused["errors"]["lines.1.sku"][0]
    assert "MUG: its product is draft, not for sale" in refused["errors"]["lines.2.sku"][0]
    assert refused["message"] == "Not for sale (draft or archived product): CAP, MUG"
    assert new_order([("MUG", 1)], status=422, draft=True)["errors"].keys() == {"lines.0.sku"}
    assert count_orders(db, unpublished) == 0


def test_the_store_setting_lets_them_in(db, unpublished, new_order, api):
    configure_plugin(current_app.extensions["shopdesk"], unpublished, "orders", {"accept_unpublished_products": True})
    db.session.commit()
    order = new_order([("CAP", 1), ("MUG", 1)])
    assert order["status"] == "placed" and [l["sku"] for l in order["lines"]] == ["CAP", "MUG"]
    page = api.get("/s/shop/plugins/orders/settings").get_data(as_text=True)
    assert "accept_unpublished_products" in page


def test_the_order_form_refuses_them_and_keeps_what_was_typed(db, unpublished, api):
    answer = api.post("/s/shop/orders/new", data={"channel": "manual", "customer_name": "Walk-in",
                                                  "lines": "TEE-S 1\nCAP 2"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 400 and "Not for sale (draft or archived product): CAP" in page
    assert "TEE-S 1\nCAP 2" in page and 'value="Walk-in"' in page
    assert count_orders(db, unpublished) == 0


def test_an_import_lists_their_rows_and_imports_nothing(db, unpublished, api):
    text = ("channel,external_id,sku,quantity\n"
            "web,W-1,TEE-S,1\n"
            "web,W-2,CAP,1\n")
    for dry_run in ("true", "false"):
        report = api.post(f"/api/v1/orders/import?dry_run={dry_run}", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(text.encode()), "orders.csv")}).get_json()
        assert [(e["line"], e["field"]) for e in report["errors"]] == [(3, "sku")]
        assert "its product is archived" in report["errors"][0]["message"] and report["created"] == []
    assert count_orders(db, unpublished) == 0
