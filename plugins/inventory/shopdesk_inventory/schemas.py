"""Marshmallow schemas of the inventory API (input is validated here, naming each field)."""

from marshmallow import Schema, fields, validate
from shopdesk.api import SyncQuery, sort_argument

from .models import COUNT_SCOPES, MOVE_KINDS, RESERVATION_STATUSES, TRANSFER_STATUSES
from .operations import ADJUSTMENT_REASONS

MAX_UNITS = 1_000_000
code_field = validate.Regexp(r"^[A-Za-z0-9_-]{1,20}$", error="1 to 20 letters, digits, - or _.")
sku_field = validate.Length(min=1, max=64)
reference_field = validate.Length(min=1, max=120)


class BinSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String()


class WarehouseSchema(Schema):
    id = fields.Integer(dump_only=True)
    code = fields.String(required=True, validate=code_field)
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    priority = fields.Integer(load_default=100, validate=validate.Range(0, 10_000),
                              metadata={"description": "Lower is tried first by the priority rule."})
    active = fields.Boolean(load_default=True)
    bins = fields.List(fields.String(validate=validate.Length(min=1, max=40)), load_default=list,
                       validate=validate.Length(max=500),
                       metadata={"description": "Bin location codes inside the warehouse (optional)."})
    updated_at = fields.DateTime(dump_only=True)


class WarehouseFilterSchema(SyncQuery):
    pass


class WarehouseChangesSchema(Schema):
    name = fields.String(validate=validate.Length(min=1, max=120))
    priority = fields.Integer(validate=validate.Range(0, 10_000))
    active = fields.Boolean()
    bins = fields.List(fields.String(validate=validate.Length(min=1, max=40)), validate=validate.Length(max=500))


class LevelSchema(Schema):
    id = fields.Integer()
    sku = fields.String()
    variant_id = fields.Integer()
    warehouse = fields.String()
    on_hand = fields.Integer()
    reserved = fields.Integer()
    available = fields.Integer()
    reorder_point = fields.Integer(allow_none=True)
    low = fields.Boolean()
    updated_at = fields.DateTime(metadata={"description": "Moves with every change of on hand or reserved."})


class LevelFilterSchema(SyncQuery):
    sort = sort_argument(["sku", "updated_at", "id"], default="sku")
    sku = fields.String(validate=sku_field)
    warehouse = fields.String(validate=code_field)
    low = fields.Boolean(metadata={"description": "Only levels below their reorder point."})


class MoveSchema(Schema):
    id = fields.Integer()
    sku = fields.String()
    warehouse = fields.String()
    kind = fields.String()
    quantity = fields.Integer()
    reason = fields.String()
    note = fields.String()
    reference = fields.String()
    unit_cost = fields.Integer()
    user = fields.String(attribute="user_email")
    created_at = fields.DateTime()


class MoveFilterSchema(Schema):
    sort = sort_argument(["id"], default="-id")
    after_id = fields.Integer(validate=validate.Range(0, 2**31 - 1), metadata={
        "description": "Only moves recorded after this one. The ledger is append-only: to read what is "
                       "new, keep the last id you saw and ask with ``sort=id&after_id=…``."})
    sku = fields.String(validate=sku_field)
    warehouse = fields.String(validate=code_field)
    kind = fields.String(validate=validate.OneOf(MOVE_KINDS))
    reference = fields.String(validate=reference_field)


class ReceiptLineSchema(Schema):
    sku = fields.String(required=True, validate=sku_field)
    quantity = fields.Integer(required=True, validate=validate.Range(1, MAX_UNITS))
    unit_cost = fields.Integer(validate=validate.Range(0, 10**12),
                               metadata={"description": "Cost per unit in minor units; default the variant's."})


class ReceiptSchema(Schema):
    warehouse = fields.String(required=True, validate=code_field)
    reference = fields.String(load_default="", validate=validate.Length(max=120),
                              metadata={"description": "The source document, e.g. a supplier's delivery note."})
    note = fields.String(load_default="", validate=validate.Length(max=500))
    lines = fields.List(fields.Nested(ReceiptLineSchema), required=True, validate=validate.Length(min=1, max=1000))


class AdjustmentSchema(Schema):
    sku = fields.String(required=True, validate=sku_field)
    warehouse = fields.String(required=True, validate=code_field)
    quantity = fields.Integer(required=True, validate=[validate.Range(-MAX_UNITS, MAX_UNITS),
                                                       validate.NoneOf([0], error="Must not be zero.")],
                              metadata={"description": "Signed change of on hand."})
    reason = fields.String(required=True, validate=validate.OneOf(ADJUSTMENT_REASONS))
    note = fields.String(load_default="", validate=validate.Length(max=500))


class StockLineSchema(Schema):
    sku = fields.String(required=True, validate=sku_field)
    quantity = fields.Integer(required=True, validate=validate.Range(1, MAX_UNITS))
    warehouse = fields.String(load_default=None, allow_none=True, validate=code_field)


class ReserveSchema(Schema):
    reference = fields.String(required=True, validate=reference_field,
                              metadata={"description": "The document the stock is held for, e.g. order:42."})
    lines = fields.List(fields.Nested(StockLineSchema), required=True, validate=validate.Length(min=1, max=500))


class ReleaseSchema(Schema):
    reference = fields.String(required=True, validate=reference_field)


class AllocationSchema(Schema):
    sku = fields.String()
    quantity = fields.Integer()
    warehouse = fields.String()


class ReservedSchema(Schema):
    reference = fields.String()
    allocations = fields.List(fields.Nested(AllocationSchema))


class ReleasedSchema(Schema):
    reference = fields.String()
    released = fields.Integer()


class ReservationSchema(Schema):
    id = fields.Integer()
    reference = fields.String()
    sku = fields.String()
    warehouse = fields.String()
    quantity = fields.Integer()
    open_quantity = fields.Integer()
    status = fields.String()
    expires_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ReservationFilterSchema(SyncQuery):
    sort = sort_argument(["updated_at", "id"], default="-id")
    reference = fields.String(validate=reference_field)
    status = fields.String(validate=validate.OneOf(RESERVATION_STATUSES))


class TransferLineInSchema(Schema):
    sku = fields.String(required=True, validate=sku_field)
    quantity = fields.Integer(required=True, validate=validate.Range(1, MAX_UNITS))


class TransferLineSchema(Schema):
    id = fields.Integer()
    sku = fields.String()
    quantity = fields.Integer()
    received_quantity = fields.Integer()


class TransferSchema(Schema):
    id = fields.Integer(dump_only=True)
    from_warehouse = fields.String(required=True, validate=code_field)
    to_warehouse = fields.String(required=True, validate=code_field)
    note = fields.String(load_default="", validate=validate.Length(max=500))
    lines = fields.List(fields.Nested(TransferLineInSchema), required=True, load_only=True,
                        validate=validate.Length(min=1, max=1000))
    items = fields.List(fields.Nested(TransferLineSchema), dump_only=True)
    status = fields.String(dump_only=True)
    created_by = fields.String(dump_only=True)
    shipped_at = fields.DateTime(dump_only=True, allow_none=True)
    received_at = fields.DateTime(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class TransferFilterSchema(SyncQuery):
    status = fields.String(validate=validate.OneOf(TRANSFER_STATUSES))


class ReceivedLineSchema(Schema):
    line_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1))
    quantity = fields.Integer(required=True, validate=validate.Range(0, MAX_UNITS))


class TransferReceiveSchema(Schema):
    lines = fields.List(fields.Nested(ReceivedLineSchema), load_default=None, validate=validate.Length(max=1000),
                        metadata={"description": "What arrived per line; leave out to receive everything due."})


class CountSchema(Schema):
    id = fields.Integer(dump_only=True)
    warehouse = fields.String(required=True, validate=code_field)
    scope = fields.String(load_default="warehouse", validate=validate.OneOf(COUNT_SCOPES))
    category_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 2**31 - 1))
    abc_class = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(["A", "B", "C"]))
    blind = fields.Boolean(load_default=False)
    status = fields.String(dump_only=True)
    created_by = fields.String(dump_only=True)
    counted_by = fields.String(dump_only=True)
    approved_by = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    submitted_at = fields.DateTime(dump_only=True, allow_none=True)
    approved_at = fields.DateTime(dump_only=True, allow_none=True)
    updated_at = fields.DateTime(dump_only=True)


class SheetRowSchema(Schema):
    line_id = fields.Integer()
    sku = fields.String()
    product = fields.String()
    expected = fields.Integer(allow_none=True, metadata={"description": "Hidden (null) on blind counts."})
    counted = fields.Integer(allow_none=True)
    variance = fields.Integer(allow_none=True)


class CountDetailSchema(CountSchema):
    sheet = fields.List(fields.Nested(SheetRowSchema), dump_only=True)


class CountEntrySchema(Schema):
    sku = fields.String(required=True, validate=sku_field)
    counted = fields.Integer(required=True, allow_none=True, validate=validate.Range(0, MAX_UNITS))


class CountEntriesSchema(Schema):
    # Not required here: an unknown count answers 404 before an empty list answers 422.
    counts = fields.List(fields.Nested(CountEntrySchema), load_default=list, validate=validate.Length(max=5000))


class CountFilterSchema(SyncQuery):
    status = fields.String(validate=validate.OneOf(["open", "submitted", "approved", "cancelled"]))


class SheetUploadSchema(Schema):
    file = fields.Raw(load_default=None, metadata={"type": "string", "format": "binary",
                                                    "description": "The filled-in sheet (CSV or XLSX)."})


class ReplenishmentFilterSchema(Schema):
    sku = fields.String(validate=sku_field)
    warehouse = fields.String(validate=code_field)


class ReplenishmentSchema(Schema):
    sku = fields.String()
    variant_id = fields.Integer()
    warehouse = fields.String()
    on_hand = fields.Integer()
    reserved = fields.Integer()
    available = fields.Integer()
    on_order = fields.Integer()
    demand_window_days = fields.Integer()
    demand_total = fields.Integer()
    demand_mean = fields.Float()
    demand_std = fields.Float()
    lead_time_days = fields.Integer()
    lead_time_source = fields.String()
    service_level = fields.Float()
    z = fields.Float()
    safety_stock = fields.Float()
    reorder_point = fields.Float()
    reorder_point_units = fields.Integer()
    annual_demand = fields.Float()
    ordering_cost = fields.Integer()
    holding_cost_percent = fields.Float()
    unit_cost = fields.Integer()
    holding_cost_per_unit = fields.Float()
    eoq = fields.Float(allow_none=True)
    needs_reorder = fields.Boolean()
    suggested_quantity = fields.Integer()
    formulas = fields.Dict(keys=fields.String(), values=fields.String())


class RefreshedSchema(Schema):
    refreshed = fields.Integer()


class LeadTimeSchema(Schema):
    id = fields.Integer(dump_only=True)
    sku = fields.String(required=True, validate=sku_field)
    days = fields.Integer(required=True, validate=validate.Range(0, 3650))


class TurnoverFilterSchema(Schema):
    start = fields.Date(metadata={"description": "First day (default: 90 days ago)."})
    end = fields.Date(metadata={"description": "Day after the last (default: tomorrow, i.e. through today)."})
    by = fields.String(load_default="sku", validate=validate.OneOf(["sku", "category"]))


class TurnoverSchema(Schema):
    sku = fields.String()
    variant_id = fields.Integer()
    category = fields.String()
    category_id = fields.Integer(allow_none=True)
    period_days = fields.Integer()
    cogs = fields.Integer()
    average_units = fields.Float()
    average_value = fields.Integer()
    turnover = fields.Float(allow_none=True)
    days_of_inventory = fields.Float(allow_none=True)
    formula = fields.String()


class AbcSchema(Schema):
    sku = fields.String()
    variant_id = fields.Integer()
    units = fields.Integer()
    shipped_value = fields.Integer()
    cumulative_percent = fields.Float()
    class_ = fields.String(data_key="class", attribute="class")


class SlowMoverSchema(Schema):
    sku = fields.String()
    variant_id = fields.Integer()
    on_hand = fields.Integer()
    unit_cost = fields.Integer()
    stock_value = fields.Integer()
    last_shipped_at = fields.DateTime(allow_none=True)
    days_without_shipment = fields.Integer()
    classification = fields.String()


class AccuracySchema(Schema):
    session_id = fields.Integer()
    warehouse = fields.String()
    approved_at = fields.DateTime()
    lines = fields.Integer()
    exact_lines = fields.Integer()
    accuracy_percent = fields.Float(allow_none=True)
    variance_value = fields.Integer()
    absolute_variance_value = fields.Integer()


class MismatchSchema(Schema):
    sku = fields.String()
    warehouse = fields.String()
    field = fields.String()
    recorded = fields.Integer()
    expected = fields.Integer()
