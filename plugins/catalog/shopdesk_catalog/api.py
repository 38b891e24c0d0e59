"""The catalog REST API, mounted by the host at /api/v1/catalog.

Every route names its permission (``catalog.read`` to look, ``catalog.write`` to change).
An id of another store is a 404 like a missing one: lookups go through the tenant filter.
Refusals use the host's error format, naming the field (``variants.1.sku``).
"""

import sqlalchemy as sa
from flask import request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from shopdesk.plugin import db, page_of, page_of_items, paginate, requires, sync_filters

from . import bulk, images, products, taxonomy
from .errors import CatalogError, api_refuse
from .listing import SORT_COLUMNS, product_query
from .models import Brand, Category, Product, ProductImage, Tag, Variant
from .schemas import (BrandSchema, ProductBulkResultSchema, ProductBulkSchema, CategoryChangesSchema, CategorySchema,
                      ImageChangesSchema, ImageFileQuery, ImageOrderSchema, ImageSchema, NamedSchema,
                      ProductChangesSchema, ProductOutSchema, ProductQuerySchema, ProductSchema, TaxonomyQuerySchema,
                      VariantChangesSchema, VariantListSchema, VariantOutSchema, VariantQuerySchema,
                      VariantSchema)

api = Blueprint("catalog_api", __name__, url_prefix="/catalog",
                description="The catalog: products with variants, categories, brands, tags and images.")


def attempt(action, skus=()):
    """Run a write and commit it, or answer with the refusal (nothing written)."""
    try:
        return products.write(action, skus)
    except CatalogError as exc:
        api_refuse(exc)


def one(model, object_id, **where):
    return db.one_or_404(sa.select(model).filter_by(id=object_id, **where))


def _skus(data):
    return [row.get("sku") for row in data.get("variants") or []] + [data.get("sku")]


# --- products --------------------------------------------------------------------------------


@api.route("/products")
class Products(MethodView):
    @requires("catalog.read")
    @api.arguments(ProductQuerySchema, location="query")
    @api.response(200, ProductOutSchema(many=True))
    @paginate(api, keyset=True)
    def get(self, query, pagination_parameters):
        """Search and filter the store's products (name, SKU, barcode; status, category with its
        sub-categories, brand, tag; ``updated_since``, ``ids``), sorted and paged. A product's
        ``updated_at`` moves when its variants, translations, tags or images change."""
        return page_of(sync_filters(product_query(query), Product, query), pagination_parameters, query["sort"],
                       SORT_COLUMNS)

    @requires("catalog.write")
    @api.arguments(ProductSchema)
    @api.response(201, ProductOutSchema)
    def post(self, data):
        """Create a product with its variants. A SKU already used in the store is a 409 naming
        the product that has it, and nothing is written. Emits ``product.created``."""
        return attempt(lambda: products.create_product(data), _skus(data))


@api.route("/products/<int:product_id>")
class ProductById(MethodView):
    @requires("catalog.read")
    @api.response(200, ProductOutSchema)
    def get(self, product_id):
        return one(Product, product_id)

    @requires("catalog.write")
    @api.arguments(ProductChangesSchema)
    @api.response(200, ProductOutSchema)
    def patch(self, changes, product_id):
        """Change a product; ``variants`` replaces the variant list. Emits ``product.updated``
        (or ``product.archived`` when the status becomes archived)."""
        product = one(Product, product_id)
        return attempt(lambda: products.update_product(product, changes), _skus(changes))

    @requires("catalog.write")
    @api.response(204)
    def delete(self, product_id):
        """Delete a draft or archived product with its variants and images (an active one: 409)."""
        product = one(Product, product_id)
        attempt(lambda: products.delete_product(product))


@api.route("/products/bulk")
class Bulk(MethodView):
    @requires("catalog.write")
    @api.arguments(ProductBulkSchema)
    @api.response(200, ProductBulkResultSchema)
    def post(self, data):
        """Archive, add or remove a tag, or change the category of the selected products; each
        changed product is audited and gets its event. An unknown id refuses the whole action."""
        return attempt(lambda: bulk.run(data["action"], data["ids"], tag=data.get("tag"),
                                        category_id=data.get("category_id")))


# --- variants --------------------------------------------------------------------------------


@api.route("/variants")
class AllVariants(MethodView):
    @requires("catalog.read")
    @api.arguments(VariantQuerySchema, location="query")
    @api.response(200, VariantListSchema(many=True))
    @paginate(api, keyset=True)
    def get(self, query, pagination_parameters):
        """Find variants across products: by exact ``sku`` or ``barcode``, or SKUs containing ``q``."""
        select = sync_filters(sa.select(Variant), Variant, query)
        if query.get("sku"):
            select = select.where(Variant.sku == query["sku"])
        if query.get("barcode"):
            select = select.where(Variant.barcode == query["barcode"])
        if query.get("q"):
            select = select.where(sa.func.lower(Variant.sku).like(f"%{query['q'].lower()}%"))
        return page_of(select, pagination_parameters, query["sort"],
                       {"sku": Variant.sku, "id": Variant.id, "price": Variant.price, "updated_at": Variant.updated_at})



@api.route("/products/<int:product_id>/variants")
class Variants(MethodView):
    @requires("catalog.read")
    @api.response(200, VariantOutSchema(many=True))
    @paginate(api)
    def get(self, product_id, pagination_parameters):
        """The product's variants in their order."""
        return page_of_items(one(Product, product_id).variants, pagination_parameters)

    @requires("catalog.write")
    @api.arguments(VariantSchema)
    @api.response(201, VariantOutSchema)
    def post(self, data, product_id):
        """Add a variant to a product. Emits ``product.updated``."""
        product = one(Product, product_id)
        return attempt(lambda: products.add_variant(product, data), [data.get("sku")])


@api.route("/products/<int:product_id>/variants/<int:variant_id>")
class VariantById(MethodView):
    @requires("catalog.read")
    @api.response(200, VariantOutSchema)
    def get(self, product_id, variant_id):
        return one(Variant, variant_id, product_id=product_id)

    @requires("catalog.write")
    @api.arguments(VariantChangesSchema)
    @api.response(200, VariantOutSchema)
    def patch(self, changes, product_id, variant_id):
        variant = one(Variant, variant_id, product_id=product_id)
        return attempt(lambda: products.update_variant(variant, changes), [changes.get("sku")])

    @requires("catalog.write")
    @api.response(204)
    def delete(self, product_id, variant_id):
        """Delete a variant (not the only one of an active product: 409)."""
        variant = one(Variant, variant_id, product_id=product_id)
        attempt(lambda: products.delete_variant(variant))


# --- images ----------------------------------------------------------------------------------

UPLOAD_BODY = {"content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"],
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "A JPEG, PNG or WebP image (5 MB at most)."},
                   "alt": {"type": "string", "maxLength": 300, "description": "Alt text."}}}}}}


@api.route("/products/<int:product_id>/images")
class Images(MethodView):
    @requires("catalog.read")
    @api.response(200, ImageSchema(many=True))
    @paginate(api)
    def get(self, product_id, pagination_parameters):
        """The product's images in their order."""
        return page_of_items(images.images_of(one(Product, product_id).id), pagination_parameters)

    @requires("catalog.write")
    @api.doc(requestBody=UPLOAD_BODY)
    @api.response(201, ImageSchema)
    def post(self, product_id):
        """Upload an image (multipart field ``file``, optional ``alt``); a thumbnail is made.
        A file that is not a JPEG, PNG or WebP image is refused with 415, a large one with 413."""
        product = one(Product, product_id)
        upload = request.files.get("file")
        if upload is None:
            abort(422, message="file: Missing data for required field.",
                  errors={"file": ["Missing data for required field."]})
        data = upload.read(images.max_bytes() + 1)
        return attempt(lambda: images.add_image(product, data, request.form.get("alt", "")))


@api.route("/products/<int:product_id>/images/order")
class ImageOrder(MethodView):
    @requires("catalog.write")
    @api.arguments(ImageOrderSchema)
    @api.response(200, ImageSchema(many=True))
    def post(self, data, product_id):
        """Put the product's images in this order (the first is the main picture)."""
        product = one(Product, product_id)
        attempt(lambda: images.reorder(product, data["ids"]))
        return images.images_of(product_id)


@api.route("/products/<int:product_id>/images/<int:image_id>")
class ImageById(MethodView):
    @requires("catalog.read")
    @api.response(200, ImageSchema)
    def get(self, product_id, image_id):
        return one(ProductImage, image_id, product_id=product_id)

    @requires("catalog.write")
    @api.arguments(ImageChangesSchema)
    @api.response(200, ImageSchema)
    def patch(self, changes, product_id, image_id):
        """Change the alt text."""
        image = one(ProductImage, image_id, product_id=product_id)
        attempt(lambda: images.set_alt(image, changes["alt"]))
        return image

    @requires("catalog.write")
    @api.response(204)
    def delete(self, product_id, image_id):
        """Delete the image and its files."""
        image = one(ProductImage, image_id, product_id=product_id)
        attempt(lambda: images.delete_image(image))


@api.route("/products/<int:product_id>/images/<int:image_id>/file")
class ImageFile(MethodView):
    @requires("catalog.read")
    @api.arguments(ImageFileQuery, location="query")
    @api.response(200, description="The image (size=full) or its thumbnail (size=thumb).")
    def get(self, query, product_id, image_id):
        image = one(ProductImage, image_id, product_id=product_id)
        path = images.file_path(image, query["size"])
        if not path.is_file():
            abort(404, message="The image's file is missing from the media folder.")
        return send_file(path, mimetype=image.content_type if query["size"] == "full" else None, max_age=3600)


# --- categories, brands, tags ---------------------------------------------------------------


@api.route("/categories")
class Categories(MethodView):
    @requires("catalog.read")
    @api.arguments(TaxonomyQuerySchema, location="query")
    @api.response(200, CategorySchema(many=True))
    @paginate(api)
    def get(self, query, pagination_parameters):
        """The category tree, each parent before its children (``updated_since``, ``ids``: only those)."""
        wanted = set(db.session.scalars(sync_filters(sa.select(Category.id), Category, query)))
        return page_of_items([category for category, _depth in taxonomy.tree() if category.id in wanted],
                             pagination_parameters)

    @requires("catalog.write")
    @api.arguments(CategorySchema)
    @api.response(201, CategorySchema)
    def post(self, data):
        return attempt(lambda: taxonomy.create_category(data["name"], data["parent_id"], data["position"]))


@api.route("/categories/<int:category_id>")
class CategoryById(MethodView):
    @requires("catalog.read")
    @api.response(200, CategorySchema)
    def get(self, category_id):
        return one(Category, category_id)

    @requires("catalog.write")
    @api.arguments(CategoryChangesSchema)
    @api.response(200, CategorySchema)
    def patch(self, changes, category_id):
        """Rename or move (``parent_id``) a category; moving it under itself is refused."""
        category = one(Category, category_id)
        return attempt(lambda: taxonomy.update_category(category, changes))

    @requires("catalog.write")
    @api.response(204)
    def delete(self, category_id):
        """Delete a category with no sub-categories and no products (else 409 naming them)."""
        category = one(Category, category_id)
        attempt(lambda: taxonomy.delete_category(category))


def _named_routes(path, model, schema, create, rename, delete, counts):
    """GET/POST ``/<path>`` and GET/PATCH/DELETE ``/<path>/<id>`` for brands and tags."""
    param = f"{path[:-1]}_id"

    class Collection(MethodView):
        @requires("catalog.read")
        @api.arguments(TaxonomyQuerySchema, location="query")
        @api.response(200, schema(many=True))
        @paginate(api)
        def get(self, query, pagination_parameters):
            rows = page_of(sync_filters(sa.select(model), model, query), pagination_parameters, "name",
                           {"name": model.name, "id": model.id})
            used = counts()
            return [{"id": row.id, "name": row.name, "product_count": used.get(row.id, 0),
                     "updated_at": row.updated_at} for row in rows]

        @requires("catalog.write")
        @api.arguments(schema)
        @api.response(201, schema)
        def post(self, data):
            return attempt(lambda: create(data["name"]))

    class Item(MethodView):
        @requires("catalog.read")
        @api.response(200, schema)
        def get(self, **ids):
            return one(model, ids[param])

        @requires("catalog.write")
        @api.arguments(schema)
        @api.response(200, schema)
        def patch(self, data, **ids):
            row = one(model, ids[param])
            return attempt(lambda: rename(row, data["name"]))

        @requires("catalog.write")
        @api.response(204)
        def delete(self, **ids):
            row = one(model, ids[param])
            attempt(lambda: delete(row))

    Collection.__name__, Item.__name__ = path.title(), f"{path.title()[:-1]}ById"
    api.route(f"/{path}")(Collection)
    api.route(f"/{path}/<int:{param}>")(Item)


_named_routes("brands", Brand, BrandSchema, taxonomy.create_brand, taxonomy.rename_brand, taxonomy.delete_brand,
              lambda: taxonomy.usage_counts(Product.brand_id))
_named_routes("tags", Tag, NamedSchema, taxonomy.create_tag, taxonomy.rename_tag, taxonomy.delete_tag,
              taxonomy.tag_counts)
