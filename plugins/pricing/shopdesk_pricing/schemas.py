"""Input and output schemas: the API validates with them and the pages reuse them."""

from datetime import timezone

from babel.numbers import list_currencies
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from shopdesk.api import SyncQuery

from .models import APPROVAL_STATUSES, CHANGE_STATUSES, COST_PLUS_MODES, COST_PLUS_SCOPES

MAX_PRICE = 10**12
MAX_QUANTITY = 10**6
ID = validate.Range(min=1, max=2**31 - 1)
PRICE = validate.Range(min=0, max=MAX_PRICE)
QUANTITY = validate.Range(min=1, max=MAX_QUANTITY)
not_blank = validate.Regexp(r"\S", error="Must not be blank.")


def known_currency(value):
    if value not in list_currencies():
        raise ValidationError("Not an ISO 4217 currency code, such as USD or TWD.")


def when(**kwargs):
    return fields.AwareDateTime(default_timezone=timezone.utc, **kwargs)


class PriceListSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=[validate.Length(max=120), not_blank])
    currency = fields.String(validate=known_currency,
                             metadata={"description": "ISO 4217; the store's currency when left out."})
    customer_group = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=60),
                                   metadata={"description": "Only for customers of this group (a code); "
                                                            "empty: for everyone."})
    priority = fields.Integer(load_default=0, validate=validate.Range(min=-1000, max=1000),
                              metadata={"description": "Higher wins when several lists match."})
    valid_from = when(allow_none=True, load_default=None)
    valid_to = when(allow_none=True, load_default=None)
    active = fields.Boolean(load_default=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    @validates_schema
    def window(self, data, **kwargs):
        start, end = data.get("valid_from"), data.get("valid_to")
        if start is not None and end is not None and end <= start:
            raise ValidationError("Must be after valid_from.", "valid_to")


class PriceListChangesSchema(PriceListSchema):
    """What PATCH accepts: any field of a list, none required."""

    name = fields.String(validate=[validate.Length(max=120), not_blank])
    customer_group = fields.String(allow_none=True, validate=validate.Length(max=60))
    priority = fields.Integer(validate=validate.Range(min=-1000, max=1000))
    valid_from = when(allow_none=True)
    valid_to = when(allow_none=True)
    active = fields.Boolean()


class PriceListFilterSchema(SyncQuery):
    active = fields.Boolean()
    customer_group = fields.String(validate=validate.Length(max=60))
    currency = fields.String(validate=validate.Length(equal=3))


class PriceItemSchema(Schema):
    id = fields.Integer(dump_only=True)
    price_list_id = fields.Integer(dump_only=True)
    variant_id = fields.Integer(dump_only=True)
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    min_quantity = fields.Integer(load_default=1, validate=QUANTITY,
                                  metadata={"description": "The price holds from this many units on (tiers)."})
    price = fields.Integer(required=True, validate=PRICE, metadata={"description": "Minor units."})
    updated_at = fields.DateTime(dump_only=True)


class PriceApprovalSchema(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True)
    price_list_id = fields.Integer(dump_only=True, allow_none=True)
    variant_id = fields.Integer(dump_only=True)
    sku = fields.String(dump_only=True)
    min_quantity = fields.Integer(dump_only=True)
    scheduled_change_id = fields.Integer(dump_only=True, allow_none=True)
    old_price = fields.Integer(dump_only=True, allow_none=True)
    new_price = fields.Integer(dump_only=True)
    unit_cost = fields.Integer(dump_only=True)
    minimum_price = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True)
    requested_by = fields.String(dump_only=True)
    decided_by = fields.String(dump_only=True)
    decided_at = fields.DateTime(dump_only=True, allow_none=True)
    current_price = fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "The price the request would replace, as it is now: when it differs from "
                       "old_price the price changed since, and approving is refused (409 approval_stale)."})
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class PriceApprovalFilterSchema(SyncQuery):
    status = fields.String(validate=validate.OneOf(APPROVAL_STATUSES))


class SetPriceResultSchema(Schema):
    status = fields.String(metadata={"description": "applied, or pending_approval (margin guard)."})
    item = fields.Nested(PriceItemSchema, allow_none=True)
    approval = fields.Nested(PriceApprovalSchema, allow_none=True)


class VolumeBreakSchema(Schema):
    id = fields.Integer(dump_only=True)
    price_list_id = fields.Integer(dump_only=True)
    min_quantity = fields.Integer(required=True, validate=validate.Range(min=2, max=MAX_QUANTITY))
    discount_percent = fields.Decimal(required=True, as_string=True, places=2,
                                      validate=validate.Range(min=0, max=100, min_inclusive=False))


class ScheduledChangeSchema(Schema):
    id = fields.Integer(dump_only=True)
    price_list_id = fields.Integer(required=True, validate=ID)
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    variant_id = fields.Integer(dump_only=True)
    min_quantity = fields.Integer(load_default=1, validate=QUANTITY)
    new_price = fields.Integer(required=True, validate=PRICE)
    starts_at = when(required=True)
    ends_at = when(allow_none=True, load_default=None)
    note = fields.String(load_default="", validate=validate.Length(max=300))
    status = fields.String(dump_only=True)
    previous_price = fields.Integer(dump_only=True, allow_none=True)
    applied_at = fields.DateTime(dump_only=True, allow_none=True)
    finished_at = fields.DateTime(dump_only=True, allow_none=True)
    updated_at = fields.DateTime(dump_only=True)

    @validates_schema
    def window(self, data, **kwargs):
        if data.get("ends_at") is not None and data.get("starts_at") and data["ends_at"] <= data["starts_at"]:
            raise ValidationError("Must be after starts_at.", "ends_at")


class ScheduledChangeFilterSchema(SyncQuery):
    status = fields.String(validate=validate.OneOf(CHANGE_STATUSES))
    upcoming = fields.Boolean(metadata={"description": "Only changes still to take effect."})


class PriceItemFilterSchema(SyncQuery):
    sku = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "Only this SKU's prices."})


class CostPlusRuleSchema(Schema):
    id = fields.Integer(dump_only=True)
    scope = fields.String(load_default="all", validate=validate.OneOf(COST_PLUS_SCOPES))
    category_id = fields.Integer(allow_none=True, load_default=None, validate=ID)
    brand_id = fields.Integer(allow_none=True, load_default=None, validate=ID)
    tag_id = fields.Integer(allow_none=True, load_default=None, validate=ID)
    markup_percent = fields.Decimal(required=True, as_string=True, places=2,
                                    validate=validate.Range(min=0, max=10000))
    mode = fields.String(load_default="base", validate=validate.OneOf(COST_PLUS_MODES),
                         metadata={"description": "base: price variants no list prices; "
                                                  "floor: raise lower base prices to cost + markup."})
    active = fields.Boolean(load_default=True)

    @validates_schema
    def scoped(self, data, **kwargs):
        scope = data.get("scope", "all")
        for name in ("category", "brand", "tag"):
            given = data.get(f"{name}_id") is not None
            if scope == name and not given:
                raise ValidationError(f"Required when scope is {name}.", f"{name}_id")
            if scope != name and given:
                raise ValidationError(f"Only with scope {name}.", f"{name}_id")


class CompetitorPriceSchema(Schema):
    id = fields.Integer(dump_only=True)
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    variant_id = fields.Integer(dump_only=True)
    competitor = fields.String(required=True, validate=[validate.Length(max=120), not_blank])
    price = fields.Integer(required=True, validate=validate.Range(min=1, max=MAX_PRICE))
    currency = fields.String(validate=known_currency)
    observed_at = when()
    source_url = fields.URL(load_default="", validate=validate.Length(max=500), schemes={"http", "https"})


class CompetitorFilterSchema(Schema):
    sku = fields.String(validate=validate.Length(max=64))


class CompetitorCsvImportSchema(Schema):
    csv = fields.String(required=True, validate=validate.Length(min=1, max=5_000_000),
                        metadata={"description": "sku,competitor,price,observed_at,source_url with a header "
                                                 "row; price in major units (12.90)."})
    filename = fields.String(load_default="", validate=validate.Length(max=255),
                             metadata={"description": "Shown on the import's page when it is queued."})


class CompetitorImportSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    status = fields.String(metadata={"enum": ["queued", "running", "done", "failed"]})
    total_rows = fields.Integer()
    processed_rows = fields.Integer(metadata={"description": "Rows checked so far (the progress)."})
    written_rows = fields.Integer()
    errors = fields.List(fields.Dict(), metadata={"description": "A failed import's bad rows: "
                                                                 "[{line, field, message}]; nothing was written."})
    requested_by = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class CompetitorImportQuerySchema(SyncQuery):
    status = fields.String(validate=validate.OneOf(["queued", "running", "done", "failed"]))


class PricePositionSchema(Schema):
    sku = fields.String()
    variant_id = fields.Integer()
    currency = fields.String()
    our_price = fields.Integer()
    unit_cost = fields.Integer(allow_none=True)
    competitors = fields.Integer()
    min_price = fields.Integer()
    median_price = fields.Integer()
    difference_to_min_percent = fields.Decimal(as_string=True, allow_none=True)
    difference_to_median_percent = fields.Decimal(as_string=True, allow_none=True)
    margin_percent = fields.Decimal(as_string=True, allow_none=True)
    margin_at_min_percent = fields.Decimal(as_string=True, allow_none=True)
    margin_at_median_percent = fields.Decimal(as_string=True, allow_none=True)


class PriceQuoteLineSchema(Schema):
    sku = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, validate=QUANTITY)


class PriceQuoteRequestSchema(Schema):
    lines = fields.List(fields.Nested(PriceQuoteLineSchema), required=True, validate=validate.Length(min=1, max=500))
    customer_group = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=60))
    currency = fields.String(allow_none=True, load_default=None, validate=known_currency)
    at = when(allow_none=True, load_default=None,
              metadata={"description": "Price as of this time (default now): try next week's prices."})


class PriceTrailStepSchema(Schema):
    label = fields.String()
    change = fields.Integer()
    price = fields.Integer()
    source = fields.String()


class PricedQuoteLineSchema(Schema):
    sku = fields.String()
    quantity = fields.Integer()
    unit_price = fields.Integer()
    line_total = fields.Integer()
    currency = fields.String()
    trail = fields.List(fields.Nested(PriceTrailStepSchema))


class PriceQuoteSchema(Schema):
    currency = fields.String()
    customer_group = fields.String(allow_none=True)
    lines = fields.List(fields.Nested(PricedQuoteLineSchema))
    total = fields.Integer()


class PriceBulkUpdateSchema(Schema):
    category_id = fields.Integer(allow_none=True, load_default=None, validate=ID)
    brand_id = fields.Integer(allow_none=True, load_default=None, validate=ID)
    tag_id = fields.Integer(allow_none=True, load_default=None, validate=ID)
    price_list_id = fields.Integer(allow_none=True, load_default=None, validate=ID,
                                   metadata={"description": "Update this list's prices; left out: the "
                                                            "catalog prices."})
    percent = fields.Decimal(allow_none=True, load_default=None, as_string=True, places=2,
                             validate=validate.Range(min=-100, max=1000))
    amount = fields.Integer(allow_none=True, load_default=None,
                            validate=validate.Range(min=-MAX_PRICE, max=MAX_PRICE))

    @validates_schema
    def one_change(self, data, **kwargs):
        if (data.get("percent") is None) == (data.get("amount") is None):
            raise ValidationError("Give either percent or amount.", "percent")
        if all(data.get(k) is None for k in ("category_id", "brand_id", "tag_id", "price_list_id")):
            raise ValidationError("Select by category, brand, tag and/or price list.", "category_id")


class PriceBulkRowSchema(Schema):
    variant_id = fields.Integer()
    sku = fields.String()
    price_list = fields.String()
    min_quantity = fields.Integer()
    currency = fields.String()
    old_price = fields.Integer()
    new_price = fields.Integer()
    unit_cost = fields.Integer(allow_none=True)
    margin_percent = fields.Decimal(as_string=True, allow_none=True)
    minimum_price = fields.Integer(allow_none=True)
    verdict = fields.String()


class PriceBulkResultSchema(Schema):
    rows = fields.List(fields.Nested(PriceBulkRowSchema))
    approvals = fields.List(fields.Nested(PriceApprovalSchema))
