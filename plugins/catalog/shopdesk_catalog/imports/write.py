"""Writing an import plan in bulk: batched ``executemany`` inserts and updates, no ORM objects.

All of it runs on the session's connection, inside the caller's transaction, so an import
writes everything or (on any failure) nothing. Rows carry ``store_id`` explicitly and every
UPDATE is also bound to the store, because Core statements bypass the ORM's tenant filter.
Each new or changed product gets its ``product.created`` / ``product.updated`` event, as
products written from the API or the pages do.
"""

import sqlalchemy as sa

from shopdesk.plugin import db, emit_many, utcnow

from ..models import Brand, Category, Product, ProductTag, ProductTranslation, Tag, Variant
from .plan import Plan, Store

BATCH = 5000

products_t = Product.__table__
variants_t = Variant.__table__
translations_t = ProductTranslation.__table__
product_tags_t = ProductTag.__table__


def _batches(rows: list, size: int = BATCH):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _insert_returning_ids(conn, table, rows: list[dict]) -> list[int]:
    ids: list[int] = []
    for batch in _batches(rows):
        result = conn.execute(sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), batch)
        ids.extend(result.scalars().all())
    return ids


def write_plan(plan: Plan, store: Store, store_id: int, progress=None) -> dict:
    """Write ``plan``; returns the ids of the new categories, brands and tags by name/path."""
    conn = db.session.connection()
    now = utcnow()
    _new_categories(conn, plan, store, store_id, now)
    _new_named(conn, Brand.__table__, plan.new_brands, store.brands, store_id, now)
    _new_named(conn, Tag.__table__, plan.new_tags, store.tags, store_id, now)
    new_ids = _products(conn, plan, store, store_id, now)
    _variants(conn, plan, store, store_id, now, new_ids, progress)
    _translations(conn, plan, store_id, new_ids)
    _tags(conn, plan, store, store_id, new_ids)
    _events(plan, store, new_ids)
    return new_ids


def _new_categories(conn, plan, store, store_id, now):
    table = Category.__table__
    for path in plan.new_categories:  # parents first; a file names a few, not thousands
        parent = store.categories[path[:-1]] if len(path) > 1 else None
        cid = conn.execute(sa.insert(table).returning(table.c.id).values(
            store_id=store_id, parent_id=parent, name=path[-1], position=0, created_at=now, updated_at=now)).scalar()
        store.categories[path] = cid


def _new_named(conn, table, names, known: dict, store_id, now):
    if not names:
        return
    stamp = {"created_at": now, "updated_at": now} if "created_at" in table.c else {}
    ids = _insert_returning_ids(conn, table, [{"store_id": store_id, "name": name, **stamp} for name in names])
    known.update(zip(names, ids))


def _product_values(group, store: Store, existing=None) -> dict:
    fields = group.fields
    values = {}
    if "status" in fields:
        values["status"] = fields["status"]
    if "category" in fields:
        values["category_id"] = store.categories[fields["category"]]
    if "brand" in fields:
        values["brand_id"] = store.brands[fields["brand"]]
    if "description" in fields:
        values["description"] = fields["description"]
    if existing is None:
        return {"name": group.name, "status": "draft", "description": "", "category_id": None, "brand_id": None,
                "option_axes": group.axes or [], **values}
    return {key: value for key, value in values.items() if getattr(existing, key) != value}


def _products(conn, plan, store, store_id, now) -> dict[int, int]:
    """Insert the new products and update the changed ones; maps group index -> product id."""
    new_groups = [(index, g) for index, g in enumerate(plan.groups) if g.product_id is None]
    rows = [{"store_id": store_id, "created_at": now, "updated_at": now,
             **_product_values(g, store)} for _, g in new_groups]
    new_ids = dict(zip((index for index, _ in new_groups), _insert_returning_ids(conn, products_t, rows)))
    by_columns: dict[tuple, list[dict]] = {}
    for group in plan.groups:
        if group.product_id is not None:
            changes = _product_values(group, store, store.products[group.product_id])
            if changes:
                by_columns.setdefault(tuple(sorted(changes)), []).append({"_id": group.product_id, **changes})
    for columns, batch in by_columns.items():  # one executemany per set of changed columns
        statement = (sa.update(products_t)
                     .where(products_t.c.id == sa.bindparam("_id"), products_t.c.store_id == store_id)
                     .values({**{column: sa.bindparam(column) for column in columns}, "updated_at": now}))
        for chunk in _batches(batch):
            conn.execute(statement, chunk)
    return new_ids


def _variants(conn, plan, store, store_id, now, new_ids, progress):
    inserts, updates = [], []
    for index, group in enumerate(plan.groups):
        product_id = group.product_id or new_ids[index]
        position = max((store.variants[s].position for s in store.skus_of.get(product_id, [])), default=-1) + 1
        for row in group.rows:
            existing = store.variants.get(row.sku)
            if existing is None:
                length, width, height = row.dimensions or (None, None, None)
                inserts.append({
                    "store_id": store_id, "product_id": product_id, "sku": row.sku, "barcode": row.barcode,
                    "options": row.options or {}, "price": row.price, "unit_cost": row.unit_cost or 0,
                    "weight_g": row.weight_g, "length_mm": length, "width_mm": width, "height_mm": height,
                    "position": position, "created_at": now, "updated_at": now})
                position += 1
            else:
                length, width, height = row.dimensions or existing.dimensions
                updates.append({
                    "_id": existing.id, "barcode": row.barcode if row.barcode is not None else existing.barcode,
                    "options": row.options if row.options is not None else existing.options,
                    "price": row.price if row.price is not None else existing.price,
                    "unit_cost": row.unit_cost if row.unit_cost is not None else existing.unit_cost,
                    "weight_g": row.weight_g if row.weight_g is not None else existing.weight_g,
                    "length_mm": length, "width_mm": width, "height_mm": height})
    total, done = len(inserts) + len(updates), 0
    for batch in _batches(inserts):
        conn.execute(sa.insert(variants_t), batch)
        done += len(batch)
        if progress:
            progress(done, total)
    if updates:
        columns = [key for key in updates[0] if key != "_id"]
        statement = (sa.update(variants_t)
                     .where(variants_t.c.id == sa.bindparam("_id"), variants_t.c.store_id == store_id)
                     .values({**{column: sa.bindparam(column) for column in columns}, "updated_at": now}))
        for batch in _batches(updates):
            conn.execute(statement, batch)
            done += len(batch)
            if progress:
                progress(done, total)


def _product_id(plan, index, new_ids):
    return plan.groups[index].product_id or new_ids[index]


def _translations(conn, plan, store_id, new_ids):
    """A translation given in the file replaces the product's translation in that language."""
    replace: dict[str, list[int]] = {}
    rows = []
    for index, group in enumerate(plan.groups):
        for key, value in group.fields.items():
            if key.startswith("translation_"):
                locale, product_id = key.removeprefix("translation_"), _product_id(plan, index, new_ids)
                if group.product_id is not None:
                    replace.setdefault(locale, []).append(product_id)
                rows.append({"store_id": store_id, "product_id": product_id, "locale": locale,
                             "name": value[0], "description": value[1]})
    for locale, product_ids in replace.items():
        for chunk in _batches(product_ids, 500):
            conn.execute(sa.delete(translations_t).where(translations_t.c.store_id == store_id,
                                                         translations_t.c.locale == locale,
                                                         translations_t.c.product_id.in_(chunk)))
    for batch in _batches(rows):
        conn.execute(sa.insert(translations_t), batch)


def _tags(conn, plan, store, store_id, new_ids):
    """Tags given in the file replace the product's tags."""
    replace, rows = [], []
    for index, group in enumerate(plan.groups):
        if "tags" not in group.fields:
            continue
        product_id = _product_id(plan, index, new_ids)
        if group.product_id is not None:
            replace.append(product_id)
        rows += [{"store_id": store_id, "product_id": product_id, "tag_id": store.tags[name]}
                 for name in group.fields["tags"]]
    for chunk in _batches(replace, 500):
        conn.execute(sa.delete(product_tags_t).where(product_tags_t.c.store_id == store_id,
                                                     product_tags_t.c.product_id.in_(chunk)))
    for batch in _batches(rows):
        conn.execute(sa.insert(product_tags_t), batch)


def _events(plan, store, new_ids):
    events = []
    for index, group in enumerate(plan.groups):
        product_id = _product_id(plan, index, new_ids)
        if group.product_id is None:
            name, status = "product.created", group.fields.get("status", "draft")
            skus = [row.sku for row in group.rows]
        else:
            existing = store.products[product_id]
            status = group.fields.get("status", existing.status)
            name = "product.archived" if status == "archived" and existing.status != "archived" else "product.updated"
            known = store.skus_of.get(product_id, [])
            skus = known + [row.sku for row in group.rows if row.sku not in store.variants]
        events.append((name, {"id": product_id, "name": group.name, "status": status, "skus": skus},
                       f"product:{product_id}"))
    emit_many(events)
