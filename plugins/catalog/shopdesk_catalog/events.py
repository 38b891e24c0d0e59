"""The events the catalog emits so other plugins (pricing, inventory, orders) can react.

Every path that changes a product (API, pages, bulk actions, demo data) goes through
:mod:`.products`, which emits here in the same transaction as the change; the key
``product:<id>`` keeps one product's events in order for every receiver.
"""

from marshmallow import Schema, fields

from shopdesk.plugin import EventType, emit


class ProductPayload(Schema):
    id = fields.Integer(required=True, metadata={"description": "The product's id (unique in its store)."})
    name = fields.String(required=True, metadata={"description": "The product's name in the store's language."})
    status = fields.String(required=True, metadata={"description": "draft, active or archived."})
    skus = fields.List(fields.String(), required=True,
                       metadata={"description": "The SKUs of the product's variants, in their order."})


EVENT_TYPES = [
    EventType("product.created", 1, ProductPayload,
              "A product was created (API, Products page, import or demo data)."),
    EventType("product.updated", 1, ProductPayload,
              "A product or one of its variants changed: name, status (other than archiving), "
              "category, brand, tags, SKUs, prices, costs."),
    EventType("product.archived", 1, ProductPayload,
              "A product was archived (alone or by a bulk action): it is no longer for sale."),
]


def product_payload(product) -> dict:
    return {"id": product.id, "name": product.name, "status": product.status,
            "skus": [variant.sku for variant in product.variants]}


def emit_product(name: str, product):
    emit(name, product_payload(product), key=f"product:{product.id}")
