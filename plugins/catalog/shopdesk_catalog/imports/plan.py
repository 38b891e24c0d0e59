"""Checking a whole product file against the store, and planning what the import would write.

The rules (the README's "Import and export" says them to users):

* Rows are grouped into products. A row whose SKU already exists in the store updates that
  variant; its ``product_name`` must be that variant's product's name (else the SKU clashes
  with another product and the row is refused). A row with a new SKU joins the product of
  that name: one in the file or, failing that, the store's product of that name (the oldest
  if several), else a new product.
* A SKU appears once per file (a repeat is refused, naming the first line).
* Product columns repeat on each row of a product; an empty cell leaves the value as it is,
  a different non-empty value on a later row is refused.
* Options: a new product's axes are the option names of its first row, in order; an existing
  product keeps its axes. Each row names exactly those options, and no two variants of a
  product have the same combination.
* Category paths ("Apparel > T-shirts") match the tree exactly; unknown ones are created
  (with ``create_categories``) or refused. Unknown brands and tags are always created.
* A new variant needs a price; unit cost defaults to 0.

Everything is resolved with a handful of queries up front (all SKUs, products, categories,
brands, tags of the store), then checked in Python: no query per row.
"""

from dataclasses import dataclass, field

import sqlalchemy as sa

from shopdesk.plugin import db

from ..models import Brand, Category, Product, ProductTag, ProductTranslation, Tag, Variant
from .rows import Row

PRODUCT_FIELD_COLUMNS = {"status": "status", "category": "category", "brand": "brand", "tags": "tags",
                         "description": "description", "translation_zh_Hant": "name_zh_Hant",
                         "translation_zh_Hans": "name_zh_Hans"}


@dataclass
class ExistingVariant:
    id: int
    product_id: int
    barcode: str | None
    options: dict
    price: int
    unit_cost: int
    weight_g: int | None
    dimensions: tuple
    position: int


@dataclass
class ExistingProduct:
    id: int
    name: str
    status: str
    category_id: int | None
    brand_id: int | None
    description: str
    option_axes: list


class Store:
    """What the store holds that an import needs, loaded once."""

    def __init__(self):
        self.variants: dict[str, ExistingVariant] = {}
        self.skus_of: dict[int, list[str]] = {}
        for (vid, pid, sku, barcode, options, price, cost, weight, length, width, height,
             position) in db.session.execute(sa.select(
                Variant.id, Variant.product_id, Variant.sku, Variant.barcode, Variant.options, Variant.price,
                Variant.unit_cost, Variant.weight_g, Variant.length_mm, Variant.width_mm, Variant.height_mm,
                Variant.position).order_by(Variant.product_id, Variant.position, Variant.id)):
            self.variants[sku] = ExistingVariant(vid, pid, barcode, options or {}, price, cost, weight,
                                                 (length, width, height), position)
            self.skus_of.setdefault(pid, []).append(sku)
        self.products: dict[int, ExistingProduct] = {}
        self.product_named: dict[str, int] = {}
        for row in db.session.execute(sa.select(Product.id, Product.name, Product.status, Product.category_id,
                                                Product.brand_id, Product.description, Product.option_axes)
                                      .order_by(Product.id)):
            self.products[row.id] = ExistingProduct(*row[:6], list(row.option_axes or []))
            self.product_named.setdefault(row.name, row.id)
        parents = {cid: (parent, name) for cid, parent, name in
                   db.session.execute(sa.select(Category.id, Category.parent_id, Category.name))}
        self.category_paths: dict[int, tuple] = {}

        def path(cid):
            if cid not in self.category_paths:
                parent, name = parents[cid]
                self.category_paths[cid] = (name,) if parent is None else (*path(parent), name)
            return self.category_paths[cid]

        for cid in parents:
            path(cid)
        self.categories = {p: cid for cid, p in self.category_paths.items()}
        self.brands = dict(db.session.execute(sa.select(Brand.name, Brand.id)).all())
        self.brand_names = {bid: name for name, bid in self.brands.items()}
        self.tags = dict(db.session.execute(sa.select(Tag.name, Tag.id)).all())

    def tags_of(self, product_ids) -> dict[int, list[str]]:
        names = {tid: name for name, tid in self.tags.items()}
        out: dict[int, list[str]] = {}
        for pid, tid in db.session.execute(sa.select(ProductTag.product_id, ProductTag.tag_id)
                                           .where(ProductTag.product_id.in_(product_ids))):
            out.setdefault(pid, []).append(names[tid])
        return out

    def translations_of(self, product_ids) -> dict[int, dict]:
        out: dict[int, dict] = {}
        for pid, locale, name, description in db.session.execute(
                sa.select(ProductTranslation.product_id, ProductTranslation.locale, ProductTranslation.name,
                          ProductTranslation.description).where(ProductTranslation.product_id.in_(product_ids))):
            out.setdefault(pid, {})[locale] = (name, description or "")
        return out


@dataclass
class Group:
    """The rows of one product: an existing one (``product_id``) or a new one."""

    name: str
    product_id: int | None
    axes: list | None = None
    axes_line: int | None = None
    rows: list[Row] = field(default_factory=list)
    fields: dict = field(default_factory=dict)  # product column -> value, from the good rows


@dataclass
class Plan:
    groups: list[Group]
    new_categories: list[tuple]  # paths, parents first
    new_brands: list[str]
    new_tags: list[str]
    bad_lines: set[int]
    summary: dict


def plan_import(rows: list[Row], store: Store, create_categories: bool, report) -> Plan:
    """Check the rows against each other and the store; every problem goes to ``report``."""

    def refuse(row, column, message):
        report(row.line, column, message)
        row.bad = True

    first_line: dict[str, int] = {}
    groups: dict[object, Group] = {}
    for row in rows:
        if row.sku:
            if row.sku in first_line:
                refuse(row, "sku", f"SKU '{row.sku}' is also on line {first_line[row.sku]}.")
            else:
                first_line[row.sku] = row.line
        category = row.product.get("category")
        if category is not None and category not in store.categories and not create_categories:
            refuse(row, "category", f"Unknown category '{' > '.join(category)}': create it first, "
                                    f"or import with “create categories”.")
        if row.bad:
            continue
        existing = store.variants.get(row.sku)
        if existing is not None:
            owner = store.products[existing.product_id]
            if owner.name != row.product_name:
                refuse(row, "sku", f"SKU '{row.sku}' belongs to product '{owner.name}' (id {owner.id}), "
                                   f"not '{row.product_name}'.")
                continue
            key = owner.id
        else:
            key = store.product_named.get(row.product_name) or ("new", row.product_name)
        group = groups.get(key)
        if group is None:
            product_id = key if isinstance(key, int) else None
            group = groups[key] = Group(row.product_name, product_id)
            if product_id is not None:
                group.axes = store.products[product_id].option_axes
        if not _options_fit(row, existing, group, refuse):
            continue
        group.rows.append(row)
    for group in groups.values():
        _check_combinations(group, store, refuse)
        _check_prices(group, store, refuse)
        _settle_fields(group, refuse)  # last: only rows still good give the product's values
    kept = [g for g in groups.values() if any(not r.bad for r in g.rows)]
    for group in kept:
        group.rows = [r for r in group.rows if not r.bad]
    bad_lines = {row.line for row in rows if row.bad}
    return _finish(kept, store, bad_lines, len(rows))


def _options_fit(row: Row, existing, group: Group, refuse) -> bool:
    """Normalise the row's options to the product's axes (order included), or refuse the row."""
    if row.options is None:
        if existing is not None:
            return True  # keeps its options
        row.options = {}
    if group.axes is None:  # a new product's first row decides its axes
        group.axes, group.axes_line = list(row.options), row.line
    if set(row.options) != set(group.axes):
        where = f" (as on line {group.axes_line})" if group.axes_line else ""
        wanted = ", ".join(group.axes) if group.axes else "no options"
        refuse(row, "options", f"Product '{group.name}' has options: {wanted}{where}; "
                               f"this row gives {', '.join(row.options) or 'none'}.")
        return False
    row.options = {axis: row.options[axis] for axis in group.axes}
    return True


def _check_combinations(group: Group, store: Store, refuse):
    """No two variants of one product share an option combination (the file's and the store's)."""
    in_file = {row.sku for row in group.rows}
    taken: dict[tuple, str] = {}
    for sku in store.skus_of.get(group.product_id, []) if group.product_id else []:
        if sku not in in_file:
            taken[tuple(sorted(store.variants[sku].options.items()))] = f"SKU {sku}"
    for row in group.rows:
        options = row.options if row.options is not None else store.variants[row.sku].options
        combination = tuple(sorted(options.items()))
        if combination in taken:
            described = ", ".join(f"{k}={v}" for k, v in options.items()) or "no options"
            refuse(row, "options", f"Same options ({described}) as {taken[combination]} of product '{group.name}'.")
        else:
            taken[combination] = f"line {row.line}"


def _settle_fields(group: Group, refuse):
    """The product's columns from its rows: the first non-empty value; a different one later is refused."""
    seen: dict[str, tuple] = {}
    for row in group.rows:
        if row.bad:
            continue
        clash = [key for key, value in row.product.items() if key in seen and seen[key][0] != value]
        for key in clash:
            refuse(row, PRODUCT_FIELD_COLUMNS[key], f"Differs from line {seen[key][1]} for product '{group.name}'.")
        if clash:
            continue
        for key, value in row.product.items():
            seen.setdefault(key, (value, row.line))
    group.fields = {key: value for key, (value, _line) in seen.items()}


def _check_prices(group: Group, store: Store, refuse):
    for row in group.rows:
        if not row.bad and row.price is None and row.sku not in store.variants:
            refuse(row, "price", "A new variant needs a price.")


def _finish(groups: list[Group], store: Store, bad_lines: set[int], row_count: int) -> Plan:
    new_categories: list[tuple] = []
    new_brands: list[str] = []
    new_tags: list[str] = []
    for group in groups:
        path = group.fields.get("category")
        if path is not None:
            for depth in range(1, len(path) + 1):
                prefix = path[:depth]
                if prefix not in store.categories and prefix not in new_categories:
                    new_categories.append(prefix)
        brand = group.fields.get("brand")
        if brand is not None and brand not in store.brands and brand not in new_brands:
            new_brands.append(brand)
        for tag in group.fields.get("tags", ()):
            if tag not in store.tags and tag not in new_tags:
                new_tags.append(tag)
    new_categories.sort(key=len)
    variants_updated = sum(1 for g in groups for r in g.rows if r.sku in store.variants)
    variants_total = sum(len(g.rows) for g in groups)
    summary = {
        "rows": row_count,
        "rows_refused": len(bad_lines),
        "products_created": sum(1 for g in groups if g.product_id is None),
        "products_updated": sum(1 for g in groups if g.product_id is not None),
        "variants_created": variants_total - variants_updated,
        "variants_updated": variants_updated,
        "categories_created": len(new_categories),
        "brands_created": len(new_brands),
        "tags_created": len(new_tags),
    }
    return Plan(groups, new_categories, new_brands, new_tags, bad_lines, summary)
