"""Marshmallow schemas: what the catalog API takes and answers (and the pages validate with)."""

from flask import g, has_request_context, url_for
from marshmallow import Schema, ValidationError, fields, post_dump, validate, validates

from shopdesk.plugin import SyncQuery, allowed, sort_argument

from .listing import SORTS
from .models import LOCALES, PRODUCT_STATUSES
from .rendering import description_html

MAX_ID = 2**31 - 1
MAX_MONEY = 10**12  # minor units: ten billion dollars is not a list price
an_id = validate.Range(min=1, max=MAX_ID)
not_blank = validate.Regexp(r"\S", error="Must not be blank.")
size = validate.Range(min=0, max=MAX_ID)
MONEY_HELP = "Minor units of the store's currency (1290 is 12.90 USD)."


def _id(**kwargs):
    return fields.Integer(validate=an_id, **kwargs)


class TranslationSchema(Schema):
    name = fields.String(required=True, validate=[validate.Length(max=200)])
    description = fields.String(load_default="", validate=validate.Length(max=50000),
                                metadata={"description": "Markdown."})


COSTS = "catalog.costs"


def may_see_costs() -> bool:
    """Unit costs are the store's margins: they need catalog.costs, not catalog.read, so a
    storefront token can read the catalog without them. Outside a request (CLI) all is shown."""
    return not has_request_context() or g.get("store") is None or allowed(COSTS)


class VariantSchema(Schema):
    id = _id(metadata={"description": "In a product PATCH: the variant to change (leave out for a new one)."})
    sku = fields.String(required=True, validate=[validate.Length(min=1, max=64), not_blank],
                        metadata={"description": "Unique in the store."})
    barcode = fields.String(allow_none=True, validate=validate.Length(max=64),
                            metadata={"description": "EAN/UPC/GTIN, searchable."})
    options = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=60)),
                          values=fields.String(validate=validate.Length(max=100)),
                          metadata={"description": "A value per option axis: {\"size\": \"M\", \"colour\": \"Navy\"}."})
    price = fields.Integer(validate=validate.Range(min=0, max=MAX_MONEY),
                           metadata={"description": "List price. " + MONEY_HELP})
    unit_cost = fields.Integer(validate=validate.Range(min=0, max=MAX_MONEY),
                               metadata={"description": "What one unit costs the store. " + MONEY_HELP +
                                         " Sent and answered only with the `catalog.costs` permission."})
    weight_g = fields.Integer(allow_none=True, validate=size, metadata={"description": "Grams."})
    length_mm = fields.Integer(allow_none=True, validate=size, metadata={"description": "Millimetres."})
    width_mm = fields.Integer(allow_none=True, validate=size, metadata={"description": "Millimetres."})
    height_mm = fields.Integer(allow_none=True, validate=size, metadata={"description": "Millimetres."})

    @validates("unit_cost")
    def costs_permitted(self, value, **kwargs):
        if not may_see_costs():
            raise ValidationError(f"Setting a unit cost needs the '{COSTS}' permission.")


class VariantChangesSchema(VariantSchema):
    sku = fields.String(validate=[validate.Length(min=1, max=64), not_blank])
    position = fields.Integer(validate=validate.Range(min=0, max=10000))


class VariantOutSchema(VariantChangesSchema):
    product_id = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    @post_dump
    def without_costs(self, data, **kwargs):
        if not may_see_costs():
            data.pop("unit_cost", None)
        return data


class VariantListSchema(VariantOutSchema):
    product_name = fields.String(attribute="product.name")
    product_status = fields.String(attribute="product.status", validate=validate.OneOf(PRODUCT_STATUSES))


class VariantQuerySchema(SyncQuery):
    sku = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "Exactly this SKU."})
    barcode = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "Exactly this barcode."})
    q = fields.String(validate=validate.Length(max=64), metadata={"description": "SKUs containing this text."})
    sort = sort_argument(["sku", "id", "price", "updated_at"], "sku")


class ProductSchema(Schema):
    """A product as written: its variants nested."""

    name = fields.String(required=True, validate=[validate.Length(max=200), not_blank])
    description = fields.String(validate=validate.Length(max=50000), metadata={"description": "Markdown."})
    status = fields.String(validate=validate.OneOf(PRODUCT_STATUSES),
                           metadata={"description": "draft (default), active (needs a variant) or archived."})
    category_id = _id(allow_none=True)
    brand_id = _id(allow_none=True)
    tags = fields.List(fields.String(validate=[validate.Length(min=1, max=60), not_blank]),
                       validate=validate.Length(max=50),
                       metadata={"description": "Tag names; missing tags are created."})
    option_axes = fields.List(fields.String(validate=validate.Length(min=1, max=60)),
                              validate=validate.Length(max=5),
                              metadata={"description": "Variant axes, e.g. [\"size\", \"colour\"]."})
    translations = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LOCALES)),
        values=fields.Nested(TranslationSchema, allow_none=True),
        metadata={"description": "Name and description in other languages: "
                                 "{\"zh_Hant\": {\"name\": ..., \"description\": ...}}; null removes one."})
    variants = fields.List(fields.Nested(VariantSchema), validate=validate.Length(max=500))


class ProductChangesSchema(ProductSchema):
    """PATCH: any field; ``variants`` replaces the list (rows with ``id`` change that variant,
    rows without are new, variants left out are deleted)."""

    name = fields.String(validate=[validate.Length(max=200), not_blank])
    variants = fields.List(fields.Nested(VariantChangesSchema), validate=validate.Length(max=500))


class RenderedMarkdown(fields.String):
    """Markdown text, dumped rendered and sanitised (``attribute`` names the Markdown)."""

    def __init__(self, **kwargs):
        super().__init__(dump_only=True, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return description_html(value)


class TranslationOutSchema(Schema):
    name = fields.String()
    description = fields.String(metadata={"description": "Markdown."})
    description_html = RenderedMarkdown(attribute="description")


class ByLocale(fields.Dict):
    """A product's translation rows as one object keyed by locale."""

    def __init__(self, **kwargs):
        super().__init__(keys=fields.String(validate=validate.OneOf(LOCALES)),
                         values=fields.Nested(TranslationOutSchema), **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        rows = {t.locale: t for t in sorted(value, key=lambda t: t.locale)}
        return super()._serialize(rows, attr, obj, **kwargs)


class ProductOutSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    description_html = RenderedMarkdown(attribute="description",
                                        metadata={"description": "The description rendered and sanitised."})
    status = fields.String()
    category_id = fields.Integer(allow_none=True)
    category = fields.Pluck(lambda: CategorySchema(), "name", allow_none=True,
                            metadata={"description": "The category's name."})
    brand_id = fields.Integer(allow_none=True)
    brand = fields.Pluck(lambda: BrandSchema(), "name", allow_none=True, metadata={"description": "The brand's name."})
    tags = fields.Pluck(lambda: NamedSchema(), "name", many=True, metadata={"description": "Tag names."})
    option_axes = fields.List(fields.String())
    translations = ByLocale()
    currency = fields.Function(lambda p: g.store.currency, metadata={
        "type": "string", "description": "The store's currency (ISO 4217), of every price."})
    evidence = fields.Dict(allow_none=True, metadata={"description": "Selection evidence, when promoted "
                                                                     "from a candidate."})
    variants = fields.List(fields.Nested(VariantOutSchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ProductQuerySchema(SyncQuery):
    q = fields.String(validate=validate.Length(max=200),
                      metadata={"description": "Search: name (any language), SKU or barcode."})
    status = fields.String(validate=validate.OneOf(PRODUCT_STATUSES))
    category_id = _id(metadata={"description": "This category and its sub-categories."})
    brand_id = _id()
    tag_id = _id()
    without_images = fields.Boolean(metadata={"description": "true: only products with no image."})
    sort = sort_argument(SORTS, "name")


class ImageSchema(Schema):
    id = fields.Integer()
    product_id = fields.Integer()
    alt = fields.String()
    position = fields.Integer()
    width = fields.Integer()
    height = fields.Integer()
    content_type = fields.String()
    url = fields.Function(lambda i: url_for("catalog_api.ImageFile", product_id=i.product_id, image_id=i.id),
                          metadata={"type": "string"})
    thumbnail_url = fields.Function(lambda i: url_for("catalog_api.ImageFile", product_id=i.product_id,
                                                      image_id=i.id, size="thumb"), metadata={"type": "string"})
    created_at = fields.DateTime()


class ImageChangesSchema(Schema):
    alt = fields.String(required=True, validate=validate.Length(max=300))


class ImageOrderSchema(Schema):
    ids = fields.List(fields.Integer(validate=an_id), required=True,
                      metadata={"description": "Every image id of the product, in the new order."})


class ImageFileQuery(Schema):
    size = fields.String(load_default="full", validate=validate.OneOf(["full", "thumb"]))


class ProductBulkSchema(Schema):
    action = fields.String(required=True, validate=validate.OneOf(["archive", "add_tag", "remove_tag",
                                                                   "set_category"]))
    ids = fields.List(fields.Integer(validate=an_id), required=True, validate=validate.Length(min=1, max=1000))
    tag = fields.String(validate=validate.Length(max=60), metadata={"description": "For add_tag / remove_tag."})
    category_id = _id(allow_none=True, metadata={"description": "For set_category; null clears it."})


class ProductBulkResultSchema(Schema):
    action = fields.String()
    changed = fields.List(fields.Integer())
    unchanged = fields.List(fields.Integer(), metadata={"description": "Already in the wanted state."})


class CategorySchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=[validate.Length(max=120), not_blank])
    parent_id = _id(allow_none=True, load_default=None, metadata={"description": "null: at the top."})
    position = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10000))
    path = fields.Function(lambda c: _path(c), dump_only=True, metadata={"type": "string"})
    updated_at = fields.DateTime(dump_only=True)


def _path(category):
    names = []
    while category is not None:
        names.append(category.name)
        category = category.parent
    return " › ".join(reversed(names))


class CategoryChangesSchema(Schema):
    name = fields.String(validate=[validate.Length(max=120), not_blank])
    parent_id = _id(allow_none=True, metadata={"description": "Move under this category; null: to the top."})
    position = fields.Integer(validate=validate.Range(min=0, max=10000))


class NamedSchema(Schema):
    """A brand or a tag."""

    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=[validate.Length(max=60), not_blank])
    product_count = fields.Integer(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class TaxonomyQuerySchema(SyncQuery):
    """Categories, brands and tags: filtered for sync; categories stay in tree order."""


class BrandSchema(NamedSchema):
    name = fields.String(required=True, validate=[validate.Length(max=120), not_blank])
