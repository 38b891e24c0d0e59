"""Marshmallow schemas: what the API accepts and returns (and the importer validates with)."""

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from shopdesk.api import SyncQuery, sort_argument

from .aftersales import COMPLAINT_STATUSES, DISPOSITIONS, REASONS
from .models import CHANNELS
from .states import PAYMENT_STATUSES, STATUSES

not_blank = validate.Regexp(r"\S", error="Must not be blank.")
MAX_MONEY = 10**13


class RateField(fields.Decimal):
    """A percentage 0–100 given as a string or a number; returned as a string."""

    def __init__(self, **kwargs):
        super().__init__(as_string=True, allow_nan=False, validate=validate.Range(min=0, max=100), **kwargs)


class CustomerSchema(Schema):
    name = fields.String(load_default="", validate=validate.Length(max=200))
    email = fields.String(load_default="", validate=[validate.Length(max=255), validate.Regexp(
        r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$", error="Not a valid email address.")])
    phone = fields.String(load_default="", validate=validate.Length(max=50))
    group = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=60))


class AddressSchema(Schema):
    """An address as the channel sent it; every part is optional text."""

    name = fields.String(validate=validate.Length(max=200))
    line1 = fields.String(validate=validate.Length(max=300))
    line2 = fields.String(validate=validate.Length(max=300))
    city = fields.String(validate=validate.Length(max=100))
    region = fields.String(validate=validate.Length(max=100))
    postal_code = fields.String(validate=validate.Length(max=20))
    country = fields.String(validate=validate.Length(max=2))
    phone = fields.String(validate=validate.Length(max=50))


class LineInSchema(Schema):
    sku = fields.String(required=True, validate=[validate.Length(min=1, max=64), not_blank])
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100000))
    unit_price = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_MONEY), metadata={
        "description": "The price the channel already charged (minor units). Leave out to price it here."})
    tax_rate = RateField(metadata={"description": "This line's tax rate in percent (else the order's)."})


class DiscountSchema(Schema):
    label = fields.String(load_default="Discount", validate=validate.Length(max=120))
    amount = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_MONEY))
    percent = fields.Decimal(as_string=True, allow_nan=False, validate=validate.Range(min=0, max=100))

    @validates_schema
    def one_of(self, data, **kwargs):
        if ("amount" in data) == ("percent" in data):
            raise ValidationError("Give either amount or percent.", "amount")


class OrderInSchema(Schema):
    channel = fields.String(load_default="manual", validate=validate.OneOf(CHANNELS))
    external_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100), metadata={
        "description": "The channel's order id: unique per channel in the store. Sending a known one "
                       "returns the existing order (200) instead of a duplicate."})
    customer = fields.Nested(CustomerSchema, load_default=dict)
    shipping_address = fields.Nested(AddressSchema, load_default=dict)
    billing_address = fields.Nested(AddressSchema, load_default=dict)
    note = fields.String(load_default="", validate=validate.Length(max=5000))
    lines = fields.List(fields.Nested(LineInSchema), required=True, validate=validate.Length(min=1, max=500))
    discounts = fields.List(fields.Nested(DiscountSchema), load_default=list, validate=validate.Length(max=20))
    shipping_fee = fields.Integer(load_default=0, strict=True, validate=validate.Range(min=0, max=MAX_MONEY))
    tax_rate = RateField(load_default=None, allow_none=True, metadata={
        "description": "Tax rate in percent for lines without their own (else the store's setting)."})
    draft = fields.Boolean(load_default=False, metadata={"description": "Keep it as a draft instead of placing it."})


class TrailStepSchema(Schema):
    label = fields.String()
    change = fields.Integer()
    price = fields.Integer()
    source = fields.String()


class LineOutSchema(Schema):
    id = fields.Integer()
    sku = fields.String()
    name = fields.String()
    quantity = fields.Integer()
    unit_price = fields.Integer()
    discount = fields.Integer()
    tax_rate = RateField()
    tax = fields.Integer()
    total = fields.Integer()
    price_trail = fields.List(fields.Nested(TrailStepSchema))
    allocations = fields.List(fields.Dict())
    fulfilled_quantity = fields.Integer()
    returned_quantity = fields.Integer()


class RiskSchema(Schema):
    plugin = fields.String()
    code = fields.String()
    score = fields.Integer()
    reason = fields.String()


class OrderSummarySchema(Schema):
    id = fields.Integer()
    number = fields.String()
    channel = fields.String()
    external_id = fields.String(allow_none=True)
    status = fields.String()
    payment_status = fields.String()
    currency = fields.String()
    total = fields.Integer()
    customer_name = fields.String()
    customer_email = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime(metadata={"description": "Moves with every change of the order and of its "
                                                          "lines, payments, refunds, parcels and returns."})
    placed_at = fields.DateTime(allow_none=True)


class OrderOutSchema(OrderSummarySchema):
    customer_phone = fields.String()
    customer_group = fields.String(allow_none=True)
    shipping_address = fields.Nested(AddressSchema)
    billing_address = fields.Nested(AddressSchema)
    note = fields.String()
    subtotal = fields.Integer()
    discount_total = fields.Integer()
    discounts = fields.List(fields.Dict())
    shipping_fee = fields.Integer()
    tax_total = fields.Integer()
    tax_lines = fields.List(fields.Dict())
    paid_total = fields.Integer()
    refunded_total = fields.Integer()
    balance_due = fields.Integer()
    warnings = fields.List(fields.Dict())
    replaces_order_id = fields.Integer(allow_none=True)
    lines = fields.List(fields.Nested(LineOutSchema))
    risk_scores = fields.List(fields.Nested(RiskSchema))
    allowed_transitions = fields.Method("_allowed", metadata={
        "type": "array", "items": {"type": "string", "enum": list(STATUSES)},
        "description": "The statuses this order can move to next."})

    def _allowed(self, order):
        from .states import TRANSITIONS

        return list(TRANSITIONS[order.status])


class OrderQuerySchema(SyncQuery):
    sort = sort_argument(["created_at", "updated_at", "number", "total", "status", "id"], default="-created_at")
    q = fields.String(validate=validate.Length(max=200), metadata={
        "description": "Search the number, external id, customer name and email."})
    status = fields.String(validate=validate.OneOf(STATUSES))
    payment_status = fields.String(validate=validate.OneOf(PAYMENT_STATUSES))
    channel = fields.String(validate=validate.OneOf(CHANNELS))
    customer = fields.String(validate=validate.Length(max=255), metadata={"description": "Customer email or name contains."})
    sku = fields.String(validate=validate.Length(max=64), metadata={"description": "Orders with a line of this SKU."})
    created_from = fields.Date(metadata={"description": "Created on or after this day (UTC)."})
    created_to = fields.Date(metadata={"description": "Created on or before this day (UTC)."})


class ReasonSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class PaymentInSchema(Schema):
    provider = fields.String(required=True, validate=validate.Length(min=1, max=40))
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_MONEY))
    reference = fields.String(load_default="", validate=validate.Length(max=200))
    paid_at = fields.AwareDateTime(load_default=None, allow_none=True)


class PaymentOutSchema(Schema):
    id = fields.Integer()
    provider = fields.String()
    amount = fields.Integer()
    currency = fields.String()
    reference = fields.String()
    paid_at = fields.DateTime()
    recorded_by = fields.String()


class ProviderSchema(Schema):
    code = fields.String()
    label = fields.String()
    offline = fields.Boolean()
    description = fields.String()
    plugin = fields.String()


class RefundInSchema(Schema):
    amount = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=MAX_MONEY))
    reason = fields.String(load_default="", validate=validate.Length(max=500))
    provider = fields.String(load_default="manual", validate=validate.Length(min=1, max=40))
    reference = fields.String(load_default="", validate=validate.Length(max=200))


class RefundOutSchema(Schema):
    id = fields.Integer()
    return_id = fields.Integer(allow_none=True)
    amount = fields.Integer()
    currency = fields.String()
    provider = fields.String()
    reference = fields.String()
    reason = fields.String()
    created_at = fields.DateTime()
    recorded_by = fields.String()


class FulfilItemSchema(Schema):
    order_line_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100000))
    warehouse = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))


class FulfilInSchema(Schema):
    lines = fields.List(fields.Nested(FulfilItemSchema), load_default=None, validate=validate.Length(min=1, max=500),
                        metadata={"description": "What to pack; leave out to pack everything left."})


class ShipInSchema(Schema):
    carrier = fields.String(load_default="", validate=validate.Length(max=100))
    tracking_number = fields.String(load_default="", validate=validate.Length(max=100))


class ShipmentLineOutSchema(Schema):
    id = fields.Integer()
    order_line_id = fields.Integer()
    sku = fields.String()
    quantity = fields.Integer()
    warehouse = fields.String(allow_none=True)


class ShipmentOutSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "packed, shipped, delivered or cancelled (unpacked before it left)"})
    carrier = fields.String()
    tracking_number = fields.String()
    shipped_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    lines = fields.List(fields.Nested(ShipmentLineOutSchema))


class TimelineSchema(Schema):
    id = fields.Integer()
    kind = fields.String()
    message = fields.String()
    actor = fields.String()
    data = fields.Dict()
    created_at = fields.DateTime()


class ReturnItemSchema(Schema):
    order_line_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    quantity = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=100000))


class ReturnInSchema(Schema):
    reason = fields.String(required=True, validate=validate.OneOf(list(REASONS)))
    comment = fields.String(load_default="", validate=validate.Length(max=5000))
    lines = fields.List(fields.Nested(ReturnItemSchema), required=True, validate=validate.Length(max=500))


class DecisionSchema(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class DispositionSchema(Schema):
    return_line_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    disposition = fields.String(required=True, validate=validate.OneOf(DISPOSITIONS))
    warehouse = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40))


class ReceiveInSchema(Schema):
    lines = fields.List(fields.Nested(DispositionSchema), required=True, validate=validate.Length(max=500))


class ReturnRefundInSchema(Schema):
    amount = fields.Integer(load_default=None, allow_none=True, strict=True,
                            validate=validate.Range(min=1, max=MAX_MONEY),
                            metadata={"description": "Leave out to refund the returned lines' value."})
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class ReturnLineOutSchema(Schema):
    id = fields.Integer()
    order_line_id = fields.Integer()
    sku = fields.String()
    quantity = fields.Integer()
    disposition = fields.String(allow_none=True)
    warehouse = fields.String(allow_none=True)


class ReturnOutSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    order_id = fields.Integer()
    status = fields.String()
    reason = fields.String()
    comment = fields.String()
    decision_note = fields.String()
    exchange_order_id = fields.Integer(allow_none=True)
    lines = fields.List(fields.Nested(ReturnLineOutSchema))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ReturnQuerySchema(SyncQuery):
    sort = sort_argument(["created_at", "updated_at", "id"], default="-id")
    status = fields.String(validate=validate.OneOf(list({"requested", "approved", "rejected", "received",
                                                          "refunded", "exchanged"})))


class ComplaintInSchema(Schema):
    order_id = fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=2**31 - 1))
    subject = fields.String(required=True, validate=[validate.Length(max=200), not_blank])
    message = fields.String(required=True, validate=[validate.Length(max=20000), not_blank])
    assignee = fields.String(load_default="", validate=validate.Length(max=255))


class ComplaintChangesSchema(Schema):
    status = fields.String(validate=validate.OneOf(COMPLAINT_STATUSES))
    assignee = fields.String(validate=validate.Length(max=255))


class MessageInSchema(Schema):
    body = fields.String(required=True, validate=[validate.Length(max=20000), not_blank])
    from_customer = fields.Boolean(load_default=False)


class MessageOutSchema(Schema):
    id = fields.Integer()
    author = fields.String()
    from_customer = fields.Boolean()
    body = fields.String()
    created_at = fields.DateTime()


class ComplaintOutSchema(Schema):
    id = fields.Integer()
    order_id = fields.Integer()
    subject = fields.String()
    status = fields.String()
    assignee = fields.String()
    due_at = fields.DateTime()
    first_response_at = fields.DateTime(allow_none=True)
    overdue = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ComplaintQuerySchema(SyncQuery):
    status = fields.String(validate=validate.OneOf(COMPLAINT_STATUSES))
    overdue = fields.Boolean()


class ImportQuerySchema(Schema):
    dry_run = fields.Boolean(load_default=True, metadata={"description": "Check only (the default); false imports."})


class ImportErrorSchema(Schema):
    line = fields.Integer()
    field = fields.String()
    message = fields.String()


class ImportReportSchema(Schema):
    dry_run = fields.Boolean()
    rows = fields.Integer()
    orders = fields.Integer()
    created = fields.List(fields.String())
    existing = fields.List(fields.String())
    errors = fields.List(fields.Nested(ImportErrorSchema))
