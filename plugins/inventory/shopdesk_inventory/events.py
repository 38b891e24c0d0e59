"""The events the inventory plugin emits, with their versioned payload schemas."""

from marshmallow import Schema, fields

from shopdesk.events import EventType


class StockLowPayload(Schema):
    sku = fields.String(required=True, metadata={"description": "The variant's SKU."})
    variant_id = fields.Integer(required=True, metadata={"description": "The catalog variant's id."})
    warehouse = fields.String(required=True, metadata={"description": "The warehouse code."})
    on_hand = fields.Integer(required=True, metadata={"description": "Units on hand after the change."})
    reserved = fields.Integer(required=True, metadata={"description": "Units reserved after the change."})
    available = fields.Integer(required=True, metadata={"description": "on_hand - reserved, after the change."})
    reorder_point = fields.Integer(
        required=True, metadata={"description": "The last computed reorder point it fell below."})


class StockSlowMovingPayload(Schema):
    sku = fields.String(required=True, metadata={"description": "The variant's SKU."})
    variant_id = fields.Integer(required=True, metadata={"description": "The catalog variant's id."})
    classification = fields.String(
        required=True, metadata={"description": "'slow' (no shipment in slow_after_days) or 'dead' "
                                                 "(none in dead_after_days)."})
    on_hand = fields.Integer(required=True, metadata={"description": "Units on hand in every warehouse."})
    stock_value = fields.Integer(
        required=True, metadata={"description": "on_hand x unit cost, minor units of the store currency."})
    currency = fields.String(required=True, metadata={"description": "ISO 4217 code of stock_value."})
    last_shipped_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "The last shipment, or null if never shipped."})
    days_without_shipment = fields.Integer(
        required=True, allow_none=True, metadata={"description": "Days since the last shipment (null: never)."})
    period = fields.String(required=True, metadata={"description": "The month (YYYY-MM) this notice is for."})


class CountApprovedPayload(Schema):
    id = fields.Integer(required=True, metadata={"description": "The count session's id."})
    warehouse = fields.String(required=True, metadata={"description": "The warehouse code."})
    lines = fields.Integer(required=True, metadata={"description": "Lines counted."})
    lines_with_variance = fields.Integer(required=True, metadata={"description": "Lines whose count differed."})
    variance_value = fields.Integer(
        required=True, metadata={"description": "Net value of the posted variances at cost (minor units)."})
    approved_by = fields.String(required=True, metadata={"description": "Email of the approver."})


EVENT_TYPES = [
    EventType("stock.low", 1, StockLowPayload,
              "Available stock of a SKU in a warehouse fell below its reorder point (sent once "
              "per crossing, again only after it recovered)."),
    EventType("stock.slow_moving", 1, StockSlowMovingPayload,
              "A SKU with stock on hand has not shipped for the slow or dead threshold: a "
              "candidate for clearance (once per SKU per month)."),
    EventType("stock.count_approved", 1, CountApprovedPayload,
              "A cycle count was approved and its variances posted as stock moves."),
]
