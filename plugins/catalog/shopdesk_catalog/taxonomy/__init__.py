"""How products are grouped: the category tree, brands and tags.

Names are unique per store (categories: among siblings). Every change is audited. A category
is refused deletion while it has sub-categories or products, and the refusal names them, so
the user knows what to move first; a move that would put a category under itself is refused.
"""

import sqlalchemy as sa

from shopdesk.plugin import audit, db

from ..errors import CatalogError
from ..models import Brand, Category, Product, ProductTag, Tag

SHOWN_NAMES = 5  # how many clashing names a refusal lists before "and N more"


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:SHOWN_NAMES])
    return shown + (f" and {len(names) - SHOWN_NAMES} more" if len(names) > SHOWN_NAMES else "")


def _clean(name: str | None, field: str = "name") -> str:
    name = (name or "").strip()
    if not name:
        raise CatalogError("Must not be blank.", field=field)
    return name


# --- categories ----------------------------------------------------------------------------


def all_categories() -> list[Category]:
    return db.session.scalars(sa.select(Category).order_by(Category.position, Category.name)).all()


def category_paths() -> dict[int, str]:
    """Every category's full path (``Apparel › T-shirts``), for lists and pickers."""
    rows = {c.id: c for c in all_categories()}
    paths: dict[int, str] = {}

    def path(cid):
        if cid not in paths:
            node = rows[cid]
            paths[cid] = node.name if node.parent_id is None else f"{path(node.parent_id)} › {node.name}"
        return paths[cid]

    for cid in rows:
        path(cid)
    return paths


def tree() -> list[tuple[Category, int]]:
    """The tree in display order: (category, depth), each parent before its children."""
    children: dict[int | None, list[Category]] = {}
    for category in all_categories():
        children.setdefault(category.parent_id, []).append(category)
    ordered = []

    def walk(parent_id, depth):
        for category in children.get(parent_id, []):
            ordered.append((category, depth))
            walk(category.id, depth + 1)

    walk(None, 0)
    return ordered


def descendant_ids(category_id: int) -> set[int]:
    """The category and everything below it (a filter by "Apparel" includes T-shirts)."""
    children: dict[int | None, list[int]] = {}
    for cid, parent in db.session.execute(sa.select(Category.id, Category.parent_id)):
        children.setdefault(parent, []).append(cid)
    found, todo = set(), [category_id]
    while todo:
        cid = todo.pop()
        if cid not in found:
            found.add(cid)
            todo.extend(children.get(cid, []))
    return found


def get_category(category_id, field="category_id") -> Category:
    category = db.session.get(Category, category_id) if category_id else None
    if category is None:
        raise CatalogError(f"No category with id {category_id} in this store.", field=field)
    return category


def _check_sibling_name(name, parent_id, exclude_id=None):
    clash = db.session.scalar(sa.select(Category).where(
        Category.name == name,
        Category.parent_id.is_(None) if parent_id is None else Category.parent_id == parent_id,
        Category.id != (exclude_id or 0)))
    if clash is not None:
        where = f"under '{clash.parent.name}'" if clash.parent else "at the top level"
        raise CatalogError(f"A category named '{name}' already exists {where}.", field="name", status=409, code="name_taken")


def category_snapshot(category: Category) -> dict:
    return {"name": category.name, "parent_id": category.parent_id, "position": category.position}


def create_category(name, parent_id=None, position=0) -> Category:
    name = _clean(name)
    if parent_id is not None:
        get_category(parent_id, field="parent_id")
    _check_sibling_name(name, parent_id)
    category = Category(name=name, parent_id=parent_id, position=position or 0)
    db.session.add(category)
    db.session.flush()
    audit.record("catalog.category.created", object_type="category", object_id=category.id,
                 after=category_snapshot(category))
    return category


def update_category(category: Category, changes: dict) -> Category:
    """Rename and/or move (``parent_id``; None moves it to the top) a category."""
    before = category_snapshot(category)
    name = _clean(changes["name"]) if "name" in changes else category.name
    parent_id = changes["parent_id"] if "parent_id" in changes else category.parent_id
    if parent_id is not None and parent_id != category.parent_id:
        parent = get_category(parent_id, field="parent_id")
        if parent.id in descendant_ids(category.id):
            raise CatalogError(f"'{category.name}' cannot move under '{parent.name}': "
                               f"that is itself or one of its sub-categories.", field="parent_id")
    if (name, parent_id) != (category.name, category.parent_id):
        _check_sibling_name(name, parent_id, exclude_id=category.id)
    category.name, category.parent_id = name, parent_id
    if "position" in changes:
        category.position = changes["position"]
    after = category_snapshot(category)
    if after != before:
        db.session.flush()
        audit.record("catalog.category.updated", object_type="category", object_id=category.id,
                     before=before, after=after)
    return category


def delete_category(category: Category):
    children = db.session.scalars(
        sa.select(Category.name).filter_by(parent_id=category.id).order_by(Category.name)).all()
    if children:
        raise CatalogError(f"'{category.name}' still has sub-categories: {_names(children)}. "
                           f"Move or delete them first.", field="category", status=409, code="in_use")
    products = db.session.scalars(
        sa.select(Product.name).filter_by(category_id=category.id).order_by(Product.name)).all()
    if products:
        raise CatalogError(f"'{category.name}' still has products: {_names(products)}. "
                           f"Move them to another category first.", field="category", status=409, code="in_use")
    audit.record("catalog.category.deleted", object_type="category", object_id=category.id,
                 before=category_snapshot(category))
    db.session.delete(category)
    db.session.flush()


# --- brands --------------------------------------------------------------------------------


def get_brand(brand_id, field="brand_id") -> Brand:
    brand = db.session.get(Brand, brand_id) if brand_id else None
    if brand is None:
        raise CatalogError(f"No brand with id {brand_id} in this store.", field=field)
    return brand


def _check_unique(model, name, exclude_id=None, what="brand"):
    if db.session.scalar(sa.select(model.id).where(model.name == name, model.id != (exclude_id or 0))):
        raise CatalogError(f"A {what} named '{name}' already exists.", field="name", status=409, code="name_taken")


def create_brand(name) -> Brand:
    name = _clean(name)
    _check_unique(Brand, name)
    brand = Brand(name=name)
    db.session.add(brand)
    db.session.flush()
    audit.record("catalog.brand.created", object_type="brand", object_id=brand.id, after={"name": name})
    return brand


def rename_brand(brand: Brand, name) -> Brand:
    name = _clean(name)
    if name != brand.name:
        _check_unique(Brand, name, brand.id)
        audit.record("catalog.brand.updated", object_type="brand", object_id=brand.id,
                     before={"name": brand.name}, after={"name": name})
        brand.name = name
        db.session.flush()
    return brand


def delete_brand(brand: Brand):
    products = db.session.scalars(
        sa.select(Product.name).filter_by(brand_id=brand.id).order_by(Product.name)).all()
    if products:
        raise CatalogError(f"Brand '{brand.name}' is still used by: {_names(products)}. "
                           f"Give them another brand first.", field="brand", status=409, code="in_use")
    audit.record("catalog.brand.deleted", object_type="brand", object_id=brand.id, before={"name": brand.name})
    db.session.delete(brand)
    db.session.flush()


# --- tags ----------------------------------------------------------------------------------


def get_tag(tag_id, field="tag_id") -> Tag:
    tag = db.session.get(Tag, tag_id) if tag_id else None
    if tag is None:
        raise CatalogError(f"No tag with id {tag_id} in this store.", field=field)
    return tag


def create_tag(name) -> Tag:
    name = _clean(name)
    _check_unique(Tag, name, what="tag")
    tag = Tag(name=name)
    db.session.add(tag)
    db.session.flush()
    audit.record("catalog.tag.created", object_type="tag", object_id=tag.id, after={"name": name})
    return tag


def tags_named(names: list[str], field="tags") -> list[Tag]:
    """The tags with these names, creating the missing ones (a product form types tag names)."""
    wanted = []
    for name in names:
        name = _clean(name, field)
        if name not in wanted:
            wanted.append(name)
    existing = {t.name: t for t in db.session.scalars(sa.select(Tag).where(Tag.name.in_(wanted)))} if wanted else {}
    return [existing.get(name) or create_tag(name) for name in wanted]


def rename_tag(tag: Tag, name) -> Tag:
    name = _clean(name)
    if name != tag.name:
        _check_unique(Tag, name, tag.id, what="tag")
        audit.record("catalog.tag.updated", object_type="tag", object_id=tag.id,
                     before={"name": tag.name}, after={"name": name})
        tag.name = name
        db.session.flush()
    return tag


def delete_tag(tag: Tag):
    """Delete a tag; the products that had it simply lose it."""
    product_ids = db.session.scalars(sa.select(ProductTag.product_id).filter_by(tag_id=tag.id)).all()
    audit.record("catalog.tag.deleted", object_type="tag", object_id=tag.id,
                 before={"name": tag.name, "product_ids": sorted(product_ids)})
    db.session.execute(sa.delete(ProductTag).where(ProductTag.tag_id == tag.id))
    db.session.delete(tag)
    db.session.flush()


def usage_counts(column) -> dict[int, int]:
    """How many products use each brand/category (``Product.brand_id``), for the pages."""
    return dict(db.session.execute(
        sa.select(column, sa.func.count()).select_from(Product).where(column.is_not(None)).group_by(column)).all())


def tag_counts() -> dict[int, int]:
    return dict(db.session.execute(
        sa.select(ProductTag.tag_id, sa.func.count()).group_by(ProductTag.tag_id)).all())
