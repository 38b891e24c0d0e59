"""Writing products and their variants: the one path the API, the pages and demo data share.

Each function changes the session and flushes; the caller commits (through :func:`write`,
which turns a lost unique-SKU race into the same 409 the up-front check gives). A refused
change raises :class:`CatalogError` before anything is flushed that the caller would keep:
the caller rolls back, so a product whose second SKU clashes writes nothing at all.

Rules: a SKU is unique in its store (the refusal names the product that has it); each
variant has a value for every option axis of its product and no two variants share a
combination; an active product has at least one variant (so the last variant of an active
product cannot be deleted).
"""

import sqlalchemy as sa

from shopdesk.plugin import audit, db, utcnow

from . import images, taxonomy
from .errors import CatalogError
from .events import emit_product
from .models import LOCALES, PRODUCT_STATUSES, Product, ProductTag, ProductTranslation, Variant

VARIANT_FIELDS = ("sku", "barcode", "options", "price", "unit_cost", "weight_g", "length_mm", "width_mm",
                  "height_mm")
PRODUCT_FIELDS = ("name", "description", "status", "category_id", "brand_id", "option_axes")


# --- snapshots for the audit log -----------------------------------------------------------


def variant_snapshot(variant: Variant) -> dict:
    return {field: getattr(variant, field) for field in VARIANT_FIELDS} | {"position": variant.position}


def product_snapshot(product: Product) -> dict:
    return {field: getattr(product, field) for field in PRODUCT_FIELDS} | {
        "tags": [tag.name for tag in product.tags],
        "translations": {t.locale: {"name": t.name, "description": t.description}
                         for t in sorted(product.translations, key=lambda t: t.locale)},
    }


def _changed(before: dict, after: dict) -> tuple[dict, dict]:
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}


# --- checks ---------------------------------------------------------------------------------


def sku_owner(sku: str, exclude_variant_id: int | None = None):
    """The (variant, product) of this store that already uses ``sku``, or None."""
    query = sa.select(Variant).where(Variant.sku == sku)
    if exclude_variant_id:
        query = query.where(Variant.id != exclude_variant_id)
    variant = db.session.scalar(query)
    return (variant, variant.product) if variant else None


def sku_clash(sku: str, field: str) -> CatalogError:
    found = sku_owner(sku)
    if found is None:
        return CatalogError(f"SKU '{sku}' is already used in this store.", field=field, status=409, code="sku_taken")
    _variant, owner = found
    return CatalogError(f"SKU '{sku}' is already used by product '{owner.name}' (id {owner.id}).",
                        field=field, status=409, code="sku_taken")


def _check_sku(sku: str, field: str, variant_id: int | None = None):
    found = sku_owner(sku, variant_id)
    if found:
        _variant, owner = found
        raise CatalogError(f"SKU '{sku}' is already used by product '{owner.name}' (id {owner.id}).",
                           field=field, status=409, code="sku_taken")


def _check_options(axes: list[str], options: dict, field: str) -> dict:
    options = {str(k).strip(): str(v).strip() for k, v in (options or {}).items()}
    missing = [axis for axis in axes if not options.get(axis)]
    if missing:
        raise CatalogError(f"Needs a value for {', '.join(missing)}.", field=field)
    extra = sorted(set(options) - set(axes))
    if extra:
        raise CatalogError(f"{', '.join(extra)} is not an option axis of this product "
                           f"(axes: {', '.join(axes) or 'none'}).", field=field)
    return {axis: options[axis] for axis in axes}


def _check_variants(product: Product):
    """Every variant fits the axes, and no two share SKU or option combination."""
    seen_skus, seen_options = {}, {}
    for index, variant in enumerate(product.variants):
        field = f"variants.{index}"
        variant.options = _check_options(product.option_axes or [], variant.options, f"{field}.options")
        if variant.sku in seen_skus:
            raise CatalogError(f"SKU '{variant.sku}' is given twice (also variant {seen_skus[variant.sku]}).",
                               field=f"{field}.sku")
        combination = tuple(sorted(variant.options.items()))
        if combination in seen_options:
            described = ", ".join(f"{k} {v}" for k, v in combination) or "no options"
            raise CatalogError(f"Two variants have the same options ({described}).", field=f"{field}.options")
        seen_skus[variant.sku] = index
        seen_options[combination] = index


def _check_status(product: Product):
    if product.status not in PRODUCT_STATUSES:
        raise CatalogError(f"Must be one of: {', '.join(PRODUCT_STATUSES)}.", field="status")
    if product.status == "active" and not product.variants:
        raise CatalogError("An active product needs at least one variant.", field="status")


# --- writing --------------------------------------------------------------------------------


def _apply_variant(variant: Variant, data: dict, field: str):
    if "sku" in data:
        sku = (data["sku"] or "").strip()
        if not sku:
            raise CatalogError("Must not be blank.", field=f"{field}.sku")
        if sku != variant.sku:
            _check_sku(sku, f"{field}.sku", variant.id)
        variant.sku = sku
    for key in VARIANT_FIELDS[1:]:
        if key in data:
            value = data[key]
            if key == "barcode":
                value = (value or "").strip() or None
            setattr(variant, key, value)


def _apply_translations(product: Product, translations: dict):
    for locale, text in (translations or {}).items():
        if locale not in LOCALES:
            raise CatalogError(f"Unknown language '{locale}' (use one of {', '.join(LOCALES)}).",
                               field=f"translations.{locale}")
        current = next((t for t in product.translations if t.locale == locale), None)
        if not text or not (text.get("name") or "").strip():
            if text and (text.get("description") or "").strip():
                raise CatalogError("A translation needs a name.", field=f"translations.{locale}.name")
            if current is not None:
                product.translations.remove(current)
            continue
        if current is None:
            current = ProductTranslation(locale=locale, name="", description="")
            product.translations.append(current)
        current.name = text["name"].strip()
        current.description = text.get("description") or ""


def _apply_tags(product: Product, names: list[str]):
    tags = taxonomy.tags_named(names)
    wanted = {tag.id for tag in tags}
    have = set(db.session.scalars(sa.select(ProductTag.tag_id).filter_by(product_id=product.id)))
    for tag_id in wanted - have:
        db.session.add(ProductTag(product_id=product.id, tag_id=tag_id))
    if have - wanted:
        db.session.execute(sa.delete(ProductTag).where(ProductTag.product_id == product.id,
                                                       ProductTag.tag_id.in_(have - wanted)))
        product.updated_at = utcnow()  # a bulk delete passes no flush: say it changed
    db.session.flush()
    db.session.expire(product, ["tags"])


def _apply_fields(product: Product, data: dict):
    if "name" in data:
        name = (data["name"] or "").strip()
        if not name:
            raise CatalogError("Must not be blank.", field="name")
        product.name = name
    if "description" in data:
        product.description = data["description"] or ""
    if "status" in data:
        product.status = data["status"]
    if "category_id" in data:
        product.category_id = data["category_id"] and taxonomy.get_category(data["category_id"]).id
    if "brand_id" in data:
        product.brand_id = data["brand_id"] and taxonomy.get_brand(data["brand_id"]).id
    if "option_axes" in data:
        axes = [axis.strip() for axis in data["option_axes"] or []]
        if any(not axis for axis in axes):
            raise CatalogError("An option axis must not be blank.", field="option_axes")
        if len(set(axes)) != len(axes):
            raise CatalogError("An option axis is given twice.", field="option_axes")
        product.option_axes = axes


def create_product(data: dict) -> Product:
    """A new product with its variants, translations and tags; emits ``product.created``."""
    product = Product(name="", description="", status="draft", option_axes=[])
    _apply_fields(product, data)
    for index, variant_data in enumerate(data.get("variants") or []):
        variant = Variant(sku="", options={}, position=index)
        _apply_variant(variant, variant_data, f"variants.{index}")
        product.variants.append(variant)
    _check_variants(product)
    _check_status(product)
    _apply_translations(product, data.get("translations"))
    db.session.add(product)
    db.session.flush()
    if data.get("tags"):
        _apply_tags(product, data["tags"])
    audit.record("catalog.product.created", object_type="product", object_id=product.id,
                 after=product_snapshot(product))
    for variant in product.variants:
        audit.record("catalog.variant.created", object_type="variant", object_id=variant.id,
                     after=variant_snapshot(variant) | {"product_id": product.id})
    emit_product("product.created", product)
    return product


def _replace_variants(product: Product, rows: list[dict]):
    """PATCH's ``variants``: rows with an ``id`` change that variant, rows without one are new,
    and variants left out are deleted."""
    current = {variant.id: variant for variant in product.variants}
    kept, order = set(), []
    for index, row in enumerate(rows):
        field = f"variants.{index}"
        if row.get("id"):
            variant = current.get(row["id"])
            if variant is None:
                raise CatalogError(f"No variant {row['id']} on this product.", field=f"{field}.id")
            kept.add(variant.id)
        else:
            variant = Variant(sku="", options={})
            if "sku" not in row:
                raise CatalogError("Missing data for required field.", field=f"{field}.sku")
        _apply_variant(variant, row, field)
        variant.position = index
        order.append(variant)
    removed = [variant for vid, variant in current.items() if vid not in kept]
    product.variants[:] = order
    return removed


def update_product(product: Product, changes: dict) -> Product:
    """Change a product (and, with ``variants``, its whole variant list); audited, emits
    ``product.archived`` when it becomes archived, ``product.updated`` otherwise."""
    before = product_snapshot(product)
    variants_before = {v.id: variant_snapshot(v) for v in product.variants}
    _apply_fields(product, changes)
    removed = _replace_variants(product, changes["variants"]) if "variants" in changes else []
    _check_variants(product)
    _check_status(product)
    if "translations" in changes:
        _apply_translations(product, changes["translations"])
    for variant in removed:
        audit.record("catalog.variant.deleted", object_type="variant", object_id=variant.id,
                     before=variant_snapshot(variant) | {"product_id": product.id})
    db.session.flush()
    if "tags" in changes:
        _apply_tags(product, changes["tags"] or [])
    _audit_variant_changes(product, variants_before)
    return record_update(product, before)


def _audit_variant_changes(product, variants_before):
    for variant in product.variants:
        if variant.id not in variants_before:
            audit.record("catalog.variant.created", object_type="variant", object_id=variant.id,
                         after=variant_snapshot(variant) | {"product_id": product.id})
        else:
            old, new = _changed(variants_before[variant.id], variant_snapshot(variant))
            if new:
                audit.record("catalog.variant.updated", object_type="variant", object_id=variant.id,
                             before=old, after=new)


def record_update(product: Product, before: dict, action="catalog.product.updated") -> Product:
    """Audit what changed since ``before`` (a :func:`product_snapshot`) and emit the event:
    ``product.archived`` when it became archived, else ``product.updated``; nothing if
    nothing changed."""
    old, new = _changed(before, product_snapshot(product))
    if new:
        audit.record(action, object_type="product", object_id=product.id, before=old, after=new)
        emit_product("product.archived" if new.get("status") == "archived" else "product.updated", product)
    return product


def add_variant(product: Product, data: dict) -> Variant:
    variant = Variant(sku="", options={}, position=len(product.variants))
    _apply_variant(variant, data, "variant")
    product.variants.append(variant)
    _check_variants_one(product, variant)
    db.session.flush()
    audit.record("catalog.variant.created", object_type="variant", object_id=variant.id,
                 after=variant_snapshot(variant) | {"product_id": product.id})
    emit_product("product.updated", product)
    return variant


def update_variant(variant: Variant, changes: dict) -> Variant:
    before = variant_snapshot(variant)
    _apply_variant(variant, changes, "variant")
    if "position" in changes:
        variant.position = changes["position"]
    _check_variants_one(variant.product, variant)
    old, new = _changed(before, variant_snapshot(variant))
    if new:
        db.session.flush()
        audit.record("catalog.variant.updated", object_type="variant", object_id=variant.id, before=old, after=new)
        emit_product("product.updated", variant.product)
    return variant


def _check_variants_one(product, variant):
    """The product-wide checks, worded for a single-variant call (``variant.sku``)."""
    try:
        _check_variants(product)
    except CatalogError as exc:
        if exc.field and exc.field.startswith("variants."):
            exc.field = "variant." + exc.field.split(".", 2)[2]
        raise


def delete_variant(variant: Variant):
    product = variant.product
    if product.status == "active" and len(product.variants) == 1:
        raise CatalogError(f"'{variant.sku}' is the only variant of active product '{product.name}': "
                           f"archive the product or add another variant first.", field="variant", status=409)
    audit.record("catalog.variant.deleted", object_type="variant", object_id=variant.id,
                 before=variant_snapshot(variant) | {"product_id": product.id})
    product.variants.remove(variant)
    db.session.flush()
    emit_product("product.updated", product)


def delete_product(product: Product):
    """Delete a draft or archived product with its variants; an active one is archived first."""
    if product.status == "active":
        raise CatalogError(f"'{product.name}' is active: archive it before deleting it.",
                           field="status", status=409, code="invalid_transition")
    audit.record("catalog.product.deleted", object_type="product", object_id=product.id,
                 before=product_snapshot(product) | {"variants": [variant_snapshot(v) for v in product.variants]})
    images.delete_files_after_commit(images.product_files(product))
    db.session.delete(product)
    db.session.flush()


def write(action, skus=()):
    """Run ``action()`` and commit. A unique-constraint race lost to another transaction
    (both passed the SKU check, the other committed first) becomes the same 409 naming the
    SKU and its product; a row other plugins still reference becomes a 409 too. Never a 500,
    never half a change."""
    try:
        result = action()
        db.session.commit()
        return result
    except sa.exc.IntegrityError as exc:
        db.session.rollback()
        for sku in skus:
            if sku and sku_owner(sku):
                raise sku_clash(sku, "sku") from exc
        raise CatalogError("This change clashes with data stored meanwhile or kept by another plugin; "
                           "reload and try again.", status=409) from exc
    except CatalogError:
        db.session.rollback()
        raise


def localized(product: Product, locale: str) -> tuple[str, str]:
    """(name, Markdown description) in the reader's language when translated, else the product's own."""
    for translation in product.translations:
        if translation.locale == locale:
            return translation.name, translation.description or product.description
    return product.name, product.description
