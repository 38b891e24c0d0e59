"""In store A's context nothing of store B can be read, joined, loaded or written."""

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, aliased, mapped_column, relationship

from shopdesk.db import NoStoreContext, StoreScoped, WrongStore
from shopdesk.stores import create_store, use_store


class TenancyBase(DeclarativeBase):
    """Test-only tables, kept out of the application's metadata and migrations."""

    metadata = sa.MetaData()


sa.Table("stores", TenancyBase.metadata, sa.Column("id", sa.Integer, primary_key=True))


class Supplier(StoreScoped, TenancyBase):
    __tablename__ = "t_suppliers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    products: Mapped[list["Product"]] = relationship(back_populates="supplier")


class Product(StoreScoped, TenancyBase):
    __tablename__ = "t_products"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    supplier_id: Mapped[int] = mapped_column(sa.ForeignKey("t_suppliers.id"))
    supplier: Mapped[Supplier] = relationship(back_populates="products")


@pytest.fixture
def tables(db):
    tables = [Supplier.__table__, Product.__table__]
    TenancyBase.metadata.create_all(db.engine, tables=tables)
    yield
    db.session.rollback()
    TenancyBase.metadata.drop_all(db.engine, tables=tables)


@pytest.fixture
def stores(db, tables):
    a, b = create_store("a", "A"), create_store("b", "B")
    db.session.commit()
    for store in (a, b):
        with use_store(store):
            supplier = Supplier(name=f"supplier {store.slug}")
            db.session.add_all([supplier, Product(name=f"product {store.slug}", supplier=supplier)])
            db.session.commit()
    ids = a.id, b.id
    db.session.expunge_all()
    return ids


def test_queries_see_only_the_current_stores_rows(db, stores):
    a, b = stores
    with use_store(a):
        assert db.session.scalars(sa.select(Product.name)).all() == ["product a"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 1
    with use_store(b):
        assert [p.name for p in db.session.scalars(sa.select(Product))] == ["product b"]


def test_get_by_primary_key_of_another_store_finds_nothing(db, stores):
    a, b = stores
    with use_store(b):
        b_product_id = db.session.scalars(sa.select(Product.id)).one()
    db.session.expunge_all()
    with use_store(a):
        assert db.session.get(Product, b_product_id) is None


def test_joins_and_aliases_are_filtered_on_every_side(db, stores):
    a, _ = stores
    other = aliased(Supplier)
    with use_store(a):
        rows = db.session.execute(
            sa.select(Product.name, Supplier.name).join(Supplier, Product.supplier_id == Supplier.id)
        ).all()
        assert rows == [("product a", "supplier a")]
        cross = db.session.execute(sa.select(Product.name, other.name).join(other, sa.true())).all()
        assert cross == [("product a", "supplier a")]


def test_relationship_loads_are_filtered(db, stores):
    a, b = stores
    with use_store(b):
        b_supplier_id = db.session.scalars(sa.select(Supplier.id)).one()
    with use_store(a):
        supplier = db.session.scalars(sa.select(Supplier)).one()
        assert [p.name for p in supplier.products] == ["product a"]
        # Even a row planted in A pointing at B's supplier cannot reach B's products.
        planted = Product(name="planted", supplier_id=b_supplier_id)
        db.session.add(planted)
        db.session.flush()
        db.session.expire(planted)
        assert planted.supplier is None


def test_bulk_updates_and_deletes_touch_only_the_current_store(db, stores):
    a, b = stores
    with use_store(a):
        db.session.execute(sa.update(Product).values(name="renamed"))
        db.session.execute(sa.delete(Product).where(Product.name == "product b"))
        db.session.commit()
    with use_store(b):
        assert db.session.scalars(sa.select(Product.name)).all() == ["product b"]


def test_new_rows_land_in_the_current_store(db, stores):
    a, _ = stores
    with use_store(a):
        supplier = Supplier(name="new")
        db.session.add(supplier)
        db.session.flush()
        assert supplier.store_id == a


def test_writing_a_row_without_a_store_fails(db, stores):
    db.session.add(Supplier(name="orphan"))
    with pytest.raises(NoStoreContext, match="Supplier written without a store"):
        db.session.flush()


def test_writing_another_stores_row_fails(db, stores):
    a, b = stores
    with use_store(a):
        db.session.add(Supplier(name="smuggled", store_id=b))
        with pytest.raises(WrongStore, match=f"belongs to store {b}, current store is {a}"):
            db.session.flush()


def test_reading_without_a_store_must_be_explicit(db, stores):
    with pytest.raises(NoStoreContext):
        db.session.scalars(sa.select(Product)).all()
    every = db.session.scalars(sa.select(Product.name).execution_options(all_stores=True)).all()
    assert sorted(every) == ["product a", "product b"]


def test_get_never_hands_out_another_stores_row_from_the_session(db, stores):
    """Session.get answers from the identity map without a query; it checks the store too."""
    a, b = stores
    with use_store(b):
        b_product = db.session.scalars(sa.select(Product)).one()  # now in the identity map
    with use_store(a):
        assert db.session.get(Product, b_product.id) is None
    with pytest.raises(NoStoreContext):
        db.session.get(Product, b_product.id)
    assert db.session.get(Product, b_product.id, execution_options={"all_stores": True}) is b_product
