"""A small catalog to price: T-shirts and mugs, in a category tree, with a brand and a tag."""

from dataclasses import dataclass

import pytest
from flask import current_app

from shopdesk.auth.models import create_user
from shopdesk.auth.roles import add_member
from shopdesk.stores import configure_plugin, use_store
from shopdesk_catalog.models import Brand, Category, Product, ProductTag, Tag, Variant


@dataclass
class Shop:
    store: object
    apparel: int
    tees: int
    kitchen: int
    brand: int
    tag: int
    variants: dict


def make_catalog(db, store):
    """TEE-S/M/L (cost 5.00, catalog 12.90) in Apparel > Tees, brand Nordic, tag "summer";
    MUG-1 (cost 3.00, catalog 8.00) in Kitchen."""
    with use_store(store):
        apparel = Category(name="Apparel")
        kitchen = Category(name="Kitchen")
        db.session.add_all([apparel, kitchen])
        db.session.flush()
        tees = Category(name="Tees", parent_id=apparel.id)
        brand = Brand(name="Nordic")
        tag = Tag(name="summer")
        db.session.add_all([tees, brand, tag])
        db.session.flush()
        tee = Product(name="Logo tee", status="active", category_id=tees.id, brand_id=brand.id)
        mug = Product(name="Mug", status="active", category_id=kitchen.id)
        db.session.add_all([tee, mug])
        db.session.flush()
        db.session.add(ProductTag(product_id=tee.id, tag_id=tag.id))
        variants = {}
        for sku, product, price, cost in (("TEE-S", tee, 1290, 500), ("TEE-M", tee, 1290, 500),
                                          ("TEE-L", tee, 1290, 500), ("MUG-1", mug, 800, 300)):
            variants[sku] = Variant(product_id=product.id, sku=sku, price=price, unit_cost=cost)
            db.session.add(variants[sku])
        db.session.commit()
        return Shop(store, apparel.id, tees.id, kitchen.id, brand.id, tag.id,
                    {sku: v.id for sku, v in variants.items()})


@pytest.fixture
def shop(db, store):
    return make_catalog(db, store)


@pytest.fixture
def configure(db, store):
    def set_settings(**values):
        configure_plugin(current_app.extensions["shopdesk"], store, "pricing", values)
        db.session.commit()

    return set_settings


@pytest.fixture
def approver(app, db, store):
    """A second manager of the store, signed in: managers hold pricing.approve."""
    person = create_user("approver@example.com", "another good password")
    add_member(store, person, "manager")
    db.session.commit()
    client = app.test_client(user=person)
    client.environ_base["HTTP_SHOPDESK_STORE"] = store.slug
    return client


@pytest.fixture
def build_catalog(db):
    """``build_catalog(store)``: the same small catalog in another store."""
    return lambda store: make_catalog(db, store)
