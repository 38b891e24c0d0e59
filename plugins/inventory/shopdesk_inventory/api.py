"""The REST API, mounted by the host at /api/v1/inventory."""

from contextlib import contextmanager
from datetime import datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask import Response, current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint, abort
from shopdesk.api import one_page, page_of, page_of_items, paginate, sync_filters
from shopdesk.auth.permissions import requires
from shopdesk.commerce import OutOfStock, StockLine
from shopdesk.db import db, utcnow
from shopdesk_catalog.public import Variant, skus_by_id

from . import analytics, counts, operations, replenishment, schemas, stock
from .models import BinLocation, CountSession, LeadTime, Reservation, StockLevel, StockMove, Transfer, Warehouse
from .verify import verify

api = Blueprint("inventory_api", __name__, url_prefix="/inventory",
                description="Warehouses, stock levels and moves, reservations, transfers, counts, "
                            "replenishment and turnover.")


def settings() -> dict:
    return current_app.extensions["shopdesk"].for_store(g.store).context("inventory").settings


@contextmanager
def refused_as_4xx():
    """Turn the services' refusals into API errors, rolling back whatever was half done."""
    try:
        yield
    except stock.InvalidStockRequest as exc:
        db.session.rollback()
        abort(422, message=str(exc), errors={exc.field: [str(exc)]})
    except OutOfStock as exc:
        db.session.rollback()
        abort(409, message=str(exc), code="out_of_stock",
              errors={s.sku: [f"requested {s.requested}, available {s.available}"] for s in exc.shortages})
    except operations.StateError as exc:
        db.session.rollback()
        abort(409, message=str(exc), code="invalid_transition")
    except PermissionError as exc:
        db.session.rollback()
        abort(403, message=str(exc))


def _names():
    return (skus_by_id(),
            dict(db.session.execute(sa.select(Warehouse.id, Warehouse.code)).all()))


# --- warehouses ----------------------------------------------------------------------------


def _warehouse_out(warehouse):
    return {"id": warehouse.id, "code": warehouse.code, "name": warehouse.name, "priority": warehouse.priority,
            "active": warehouse.active, "bins": [b.code for b in warehouse.bins], "updated_at": warehouse.updated_at}


def _set_bins(warehouse, codes):
    wanted = list(dict.fromkeys(codes))
    for bin_ in list(warehouse.bins):
        if bin_.code not in wanted:
            warehouse.bins.remove(bin_)
            db.session.delete(bin_)
    have = {b.code for b in warehouse.bins}
    warehouse.bins.extend(BinLocation(code=code) for code in wanted if code not in have)


@api.route("/warehouses")
class Warehouses(MethodView):
    @requires("inventory.read")
    @api.arguments(schemas.WarehouseFilterSchema, location="query")
    @api.response(200, schemas.WarehouseSchema(many=True))
    @paginate(api)
    def get(self, filters, pagination_parameters):
        """The store's warehouses, by priority."""
        query = sync_filters(sa.select(Warehouse), Warehouse, filters)
        found = db.session.scalars(one_page(query, pagination_parameters, Warehouse.priority, Warehouse.code)).all()
        return [_warehouse_out(w) for w in found]

    @requires("inventory.write")
    @api.arguments(schemas.WarehouseSchema)
    @api.response(201, schemas.WarehouseSchema)
    def post(self, data):
        """Add a warehouse (code unique in the store)."""
        bins = data.pop("bins")
        with refused_as_4xx():
            warehouse = operations.create_warehouse(**data)
            _set_bins(warehouse, bins)
            db.session.commit()
        return _warehouse_out(warehouse)


def _warehouse_or_404(warehouse_id):
    return db.one_or_404(sa.select(Warehouse).filter_by(id=warehouse_id))


@api.route("/warehouses/<int:warehouse_id>")
class WarehouseById(MethodView):
    @requires("inventory.read")
    @api.response(200, schemas.WarehouseSchema)
    def get(self, warehouse_id):
        return _warehouse_out(_warehouse_or_404(warehouse_id))

    @requires("inventory.write")
    @api.arguments(schemas.WarehouseChangesSchema)
    @api.response(200, schemas.WarehouseSchema)
    def patch(self, changes, warehouse_id):
        """Rename, reprioritise, (de)activate a warehouse or replace its bins."""
        warehouse = _warehouse_or_404(warehouse_id)
        before = _warehouse_out(warehouse)
        if "bins" in changes:
            _set_bins(warehouse, changes.pop("bins"))
        for key, value in changes.items():
            setattr(warehouse, key, value)
        from shopdesk import audit

        audit.record("inventory.warehouse_changed", object_type="warehouse", object_id=warehouse.id,
                     before=before, after=_warehouse_out(warehouse))
        db.session.commit()
        return _warehouse_out(warehouse)


# --- levels and moves ----------------------------------------------------------------------


@api.route("/levels")
class Levels(MethodView):
    @requires("inventory.read")
    @api.arguments(schemas.LevelFilterSchema, location="query")
    @api.response(200, schemas.LevelSchema(many=True))
    @paginate(api, keyset=True)
    def get(self, filters, pagination_parameters):
        """On hand, reserved and available per SKU and warehouse. To sync availability:
        ``sort=updated_at&updated_since=…`` and follow ``next_cursor``."""
        query = (sync_filters(sa.select(StockLevel), StockLevel, filters)
                 .join(Variant, Variant.id == StockLevel.variant_id)
                 .join(Warehouse, Warehouse.id == StockLevel.warehouse_id))
        if "sku" in filters:
            query = query.where(Variant.sku == filters["sku"])
        if "warehouse" in filters:
            query = query.where(Warehouse.code == filters["warehouse"])
        if filters.get("low") is not None:
            low = sa.and_(StockLevel.reorder_point.is_not(None),
                          StockLevel.on_hand - StockLevel.reserved < StockLevel.reorder_point)
            query = query.where(low if filters["low"] else sa.not_(low))
        levels = page_of(query, pagination_parameters, filters["sort"],
                         {"sku": Variant.sku, "updated_at": StockLevel.updated_at, "id": StockLevel.id})
        skus, codes = _names()
        return [{"id": level.id, "sku": skus[level.variant_id], "variant_id": level.variant_id,
                 "warehouse": codes[level.warehouse_id], "on_hand": level.on_hand, "reserved": level.reserved,
                 "available": level.available, "reorder_point": level.reorder_point,
                 "low": level.reorder_point is not None and level.available < level.reorder_point,
                 "updated_at": level.updated_at} for level in levels]


def _move_out(move, skus, codes):
    return {"id": move.id, "sku": skus.get(move.variant_id), "warehouse": codes.get(move.warehouse_id),
            "kind": move.kind, "quantity": move.quantity, "reason": move.reason, "note": move.note,
            "reference": move.reference, "unit_cost": move.unit_cost, "user_email": move.user_email,
            "created_at": move.created_at}


@api.route("/moves")
class Moves(MethodView):
    @requires("inventory.read")
    @api.arguments(schemas.MoveFilterSchema, location="query")
    @api.response(200, schemas.MoveSchema(many=True))
    @paginate(api, keyset=True)
    def get(self, filters, pagination_parameters):
        """The stock ledger, newest first (``sort=id&after_id=…`` reads what is new)."""
        query = sa.select(StockMove)
        if "after_id" in filters:
            query = query.where(StockMove.id > filters["after_id"])
        if "sku" in filters:
            query = query.join(Variant, Variant.id == StockMove.variant_id).where(Variant.sku == filters["sku"])
        if "warehouse" in filters:
            query = query.join(Warehouse, Warehouse.id == StockMove.warehouse_id).where(
                Warehouse.code == filters["warehouse"])
        for key in ("kind", "reference"):
            if key in filters:
                query = query.where(getattr(StockMove, key) == filters[key])
        moves = page_of(query, pagination_parameters, filters["sort"], {"id": StockMove.id})
        skus, codes = _names()
        return [_move_out(m, skus, codes) for m in moves]


@api.route("/receipts")
class Receipts(MethodView):
    @requires("inventory.write")
    @api.arguments(schemas.ReceiptSchema)
    @api.response(201, schemas.MoveSchema(many=True))
    def post(self, data):
        """Receive goods into a warehouse: one receipt move per line."""
        with refused_as_4xx():
            moves = operations.receive(data["warehouse"], data["lines"], reference=data["reference"],
                                       note=data["note"])
            db.session.commit()
        skus, codes = _names()
        return [_move_out(m, skus, codes) for m in moves]


@api.route("/adjustments")
class Adjustments(MethodView):
    @requires("inventory.adjust")
    @api.arguments(schemas.AdjustmentSchema)
    @api.response(201, schemas.MoveSchema)
    def post(self, data):
        """Correct on hand with a reason code (audited). A decrease below what is reserved is
        refused with 409 naming the SKU and the quantities."""
        with refused_as_4xx():
            move = operations.adjust(data["sku"], data["warehouse"], data["quantity"], data["reason"],
                                     note=data["note"])
            db.session.commit()
        skus, codes = _names()
        return _move_out(move, skus, codes)


# --- reservations --------------------------------------------------------------------------


@api.route("/reservations")
class Reservations(MethodView):
    @requires("inventory.read")
    @api.arguments(schemas.ReservationFilterSchema, location="query")
    @api.response(200, schemas.ReservationSchema(many=True))
    @paginate(api, keyset=True)
    def get(self, filters, pagination_parameters):
        """Reservations, newest first."""
        query = sync_filters(sa.select(Reservation), Reservation, filters)
        for key in ("reference", "status"):
            if key in filters:
                query = query.where(getattr(Reservation, key) == filters[key])
        rows = page_of(query, pagination_parameters, filters["sort"],
                       {"id": Reservation.id, "updated_at": Reservation.updated_at})
        skus, codes = _names()
        return [{"id": r.id, "reference": r.reference, "sku": skus.get(r.variant_id),
                 "warehouse": codes.get(r.warehouse_id), "quantity": r.quantity, "open_quantity": r.open_quantity,
                 "status": r.status, "expires_at": r.expires_at, "created_at": r.created_at,
                 "updated_at": r.updated_at} for r in rows]

    @requires("inventory.write")
    @api.arguments(schemas.ReserveSchema)
    @api.response(201, schemas.ReservedSchema)
    def post(self, data):
        """Reserve stock for a document: all lines or none (409 names every short SKU).
        Send an ``Idempotency-Key`` so a retried call reserves once."""
        lines = [StockLine(l["sku"], l["quantity"], l.get("warehouse")) for l in data["lines"]]
        with refused_as_4xx():
            allocations = stock.reserve(settings(), data["reference"], lines)
            db.session.commit()
        return {"reference": data["reference"],
                "allocations": [{"sku": a.sku, "quantity": a.quantity, "warehouse": a.warehouse}
                                for a in allocations]}


@api.route("/reservations/release")
class Release(MethodView):
    @requires("inventory.write")
    @api.arguments(schemas.ReleaseSchema)
    @api.response(200, schemas.ReleasedSchema)
    def post(self, data):
        """Release what is still reserved for a document; a second call releases nothing."""
        released = stock.release(data["reference"])
        db.session.commit()
        return {"reference": data["reference"], "released": released}


# --- transfers -----------------------------------------------------------------------------


def _transfer_out(transfer):
    skus, _ = _names()
    return {"id": transfer.id, "from_warehouse": transfer.from_warehouse.code,
            "to_warehouse": transfer.to_warehouse.code, "note": transfer.note, "status": transfer.status,
            "created_by": transfer.created_by, "shipped_at": transfer.shipped_at,
            "received_at": transfer.received_at, "created_at": transfer.created_at, "updated_at": transfer.updated_at,
            "items": [{"id": l.id, "sku": skus.get(l.variant_id), "quantity": l.quantity,
                       "received_quantity": l.received_quantity} for l in transfer.lines]}


def _transfer_or_404(transfer_id):
    return db.one_or_404(sa.select(Transfer).filter_by(id=transfer_id))


@api.route("/transfers")
class Transfers(MethodView):
    @requires("inventory.read")
    @api.arguments(schemas.TransferFilterSchema, location="query")
    @api.response(200, schemas.TransferSchema(many=True))
    @paginate(api)
    def get(self, filters, pagination_parameters):
        """Transfers between warehouses, newest first."""
        query = sync_filters(sa.select(Transfer), Transfer, filters)
        if "status" in filters:
            query = query.filter_by(status=filters["status"])
        found = db.session.scalars(one_page(query, pagination_parameters, Transfer.id.desc())).all()
        return [_transfer_out(t) for t in found]

    @requires("inventory.write")
    @api.arguments(schemas.TransferSchema)
    @api.response(201, schemas.TransferSchema)
    def post(self, data):
        """Draft a transfer; nothing moves until it is shipped."""
        with refused_as_4xx():
            transfer = operations.create_transfer(data["from_warehouse"], data["to_warehouse"], data["lines"],
                                                  note=data["note"])
            db.session.commit()
        return _transfer_out(transfer)


@api.route("/transfers/<int:transfer_id>")
class TransferById(MethodView):
    @requires("inventory.read")
    @api.response(200, schemas.TransferSchema)
    def get(self, transfer_id):
        return _transfer_out(_transfer_or_404(transfer_id))


@api.route("/transfers/<int:transfer_id>/ship")
class TransferShip(MethodView):
    @requires("inventory.write")
    @api.response(200, schemas.TransferSchema)
    def post(self, transfer_id):
        """draft → in_transit: posts transfer_out moves from the source (all lines or none)."""
        transfer = _transfer_or_404(transfer_id)
        with refused_as_4xx():
            operations.ship_transfer(transfer)
            db.session.commit()
        return _transfer_out(transfer)


@api.route("/transfers/<int:transfer_id>/receive")
class TransferReceive(MethodView):
    @requires("inventory.write")
    @api.arguments(schemas.TransferReceiveSchema)
    @api.response(200, schemas.TransferSchema)
    def post(self, data, transfer_id):
        """Post transfer_in moves for what arrived (partial receipts allowed)."""
        transfer = _transfer_or_404(transfer_id)
        quantities = None if data["lines"] is None else {l["line_id"]: l["quantity"] for l in data["lines"]}
        with refused_as_4xx():
            operations.receive_transfer(transfer, quantities)
            db.session.commit()
        return _transfer_out(transfer)


@api.route("/transfers/<int:transfer_id>/cancel")
class TransferCancel(MethodView):
    @requires("inventory.write")
    @api.response(200, schemas.TransferSchema)
    def post(self, transfer_id):
        """Cancel a draft transfer."""
        transfer = _transfer_or_404(transfer_id)
        with refused_as_4xx():
            operations.cancel_transfer(transfer)
            db.session.commit()
        return _transfer_out(transfer)


# --- counts --------------------------------------------------------------------------------


def _count_out(session, with_sheet=False):
    out = {"id": session.id, "warehouse": session.warehouse.code, "scope": session.scope,
           "category_id": session.category_id, "abc_class": session.abc_class, "blind": session.blind,
           "status": session.status, "created_by": session.created_by, "counted_by": session.counted_by,
           "approved_by": session.approved_by, "created_at": session.created_at,
           "submitted_at": session.submitted_at, "approved_at": session.approved_at, "updated_at": session.updated_at}
    if with_sheet:
        out["sheet"] = counts.sheet(session)
    return out


def _count_or_404(count_id):
    return db.one_or_404(sa.select(CountSession).filter_by(id=count_id))


@api.route("/counts")
class Counts(MethodView):
    @requires("inventory.read")
    @api.arguments(schemas.CountFilterSchema, location="query")
    @api.response(200, schemas.CountSchema(many=True))
    @paginate(api)
    def get(self, filters, pagination_parameters):
        """Cycle count sessions, newest first."""
        query = sync_filters(sa.select(CountSession), CountSession, filters)
        if "status" in filters:
            query = query.filter_by(status=filters["status"])
        found = db.session.scalars(one_page(query, pagination_parameters, CountSession.id.desc())).all()
        return [_count_out(s) for s in found]

    @requires("inventory.count")
    @api.arguments(schemas.CountSchema)
    @api.response(201, schemas.CountDetailSchema)
    def post(self, data):
        """Start a count of a warehouse (all SKUs, one category or one ABC class)."""
        with refused_as_4xx():
            session = counts.start_count(settings(), data["warehouse"], scope=data["scope"],
                                         category_id=data["category_id"], abc_class=data["abc_class"],
                                         blind=data["blind"])
            db.session.commit()
        return _count_out(session, with_sheet=True)


@api.route("/counts/<int:count_id>")
class CountById(MethodView):
    @requires("inventory.read")
    @api.response(200, schemas.CountDetailSchema)
    def get(self, count_id):
        """A count with its sheet (expected quantities hidden on a blind count)."""
        return _count_out(_count_or_404(count_id), with_sheet=True)


@api.route("/counts/<int:count_id>/entries")
class CountEntries(MethodView):
    @requires("inventory.count")
    @api.arguments(schemas.CountEntriesSchema)
    @api.response(200, schemas.CountDetailSchema)
    def post(self, data, count_id):
        """Record counted quantities by SKU (null clears one) while the count is open."""
        session = _count_or_404(count_id)
        with refused_as_4xx():
            counts.record_counts(session, {e["sku"]: e["counted"] for e in data["counts"]})
            db.session.commit()
        return _count_out(session, with_sheet=True)


@api.route("/counts/<int:count_id>/sheet")
class CountSheet(MethodView):
    @requires("inventory.read")
    @api.response(200, {"type": "string", "format": "binary"},
                  content_type="text/csv", description="The count sheet as CSV (format=csv) or XLSX (format=xlsx).")
    def get(self, count_id):
        """Download the count sheet: ``?format=xlsx`` for Excel, CSV otherwise."""
        session = _count_or_404(count_id)
        return sheet_response(session, request.args.get("format", "csv"))

    @requires("inventory.count")
    @api.arguments(schemas.SheetUploadSchema, location="files")
    @api.response(200, schemas.CountDetailSchema)
    def post(self, files, count_id):
        """Upload a filled-in sheet (CSV or XLSX with columns sku and counted)."""
        session = _count_or_404(count_id)
        upload = files["file"]
        with refused_as_4xx():
            if upload is None or not hasattr(upload, "read"):
                raise stock.InvalidStockRequest("file", "Upload the sheet as a file.")
            counts.record_counts(session, counts.parse_sheet(upload.filename or "", upload.read()))
            db.session.commit()
        return _count_out(session, with_sheet=True)


def sheet_response(session, fmt):
    if fmt == "xlsx":
        return Response(counts.sheet_xlsx(session),
                        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": f"attachment; filename=count-{session.id}.xlsx"})
    return Response(counts.sheet_csv(session), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename=count-{session.id}.csv"})


def _count_action(name, permission, doc):
    @requires(permission)
    @api.response(200, schemas.CountDetailSchema)
    def post(self, count_id):
        session = _count_or_404(count_id)
        with refused_as_4xx():
            getattr(counts, name)(session)
            db.session.commit()
        return _count_out(session, with_sheet=True)

    post.__doc__ = doc
    return type(f"Count{name.title()}", (MethodView,), {"post": post})


api.route("/counts/<int:count_id>/submit")(
    _count_action("submit", "inventory.count", "The counter hands the count in for approval."))
api.route("/counts/<int:count_id>/approve")(
    _count_action("approve", "inventory.approve",
                  "Approve a submitted count (not by its counter): posts count_variance moves."))
api.route("/counts/<int:count_id>/cancel")(
    _count_action("cancel", "inventory.count", "Cancel an open or submitted count; nothing is posted."))


# --- replenishment -------------------------------------------------------------------------


@api.route("/replenishment")
class Replenishment(MethodView):
    @requires("inventory.read")
    @api.arguments(schemas.ReplenishmentFilterSchema, location="query")
    @api.response(200, schemas.ReplenishmentSchema(many=True))
    @paginate(api)
    def get(self, filters, pagination_parameters):
        """Safety stock, reorder point and EOQ per SKU and warehouse, with inputs and formulas."""
        return page_of_items(replenishment.plan(settings(), **filters), pagination_parameters)


@api.route("/replenishment/suggestions")
class Suggestions(MethodView):
    @requires("inventory.read")
    @api.arguments(schemas.ReplenishmentFilterSchema, location="query")
    @api.response(200, schemas.ReplenishmentSchema(many=True))
    @paginate(api)
    def get(self, filters, pagination_parameters):
        """What to order: levels whose available + on order is below the reorder point, with
        suggested quantity = max(EOQ, ROP − available). For the purchasing plugin."""
        return page_of_items(replenishment.suggestions(settings(), **filters), pagination_parameters)


@api.route("/replenishment/refresh")
class RefreshReorderPoints(MethodView):
    @requires("inventory.write")
    @api.response(200, schemas.RefreshedSchema)
    def post(self):
        """Recompute and store every reorder point now (a daily job does it too)."""
        refreshed = replenishment.refresh_reorder_points(settings())
        db.session.commit()
        return {"refreshed": refreshed}


@api.route("/lead-times")
class LeadTimes(MethodView):
    @requires("inventory.read")
    @api.response(200, schemas.LeadTimeSchema(many=True))
    @paginate(api)
    def get(self, pagination_parameters):
        """Per-SKU lead times overriding the store default."""
        query = sa.select(LeadTime, Variant.sku).join(Variant, Variant.id == LeadTime.variant_id)
        rows = db.session.execute(one_page(query, pagination_parameters, Variant.sku)).all()
        return [{"id": lead.id, "sku": sku, "days": lead.days} for lead, sku in rows]

    @requires("inventory.write")
    @api.arguments(schemas.LeadTimeSchema)
    @api.response(200, schemas.LeadTimeSchema)
    def put(self, data):
        """Set a SKU's lead time in days (replaces the previous one)."""
        with refused_as_4xx():
            variant = stock.variants_by_sku([data["sku"]])[data["sku"]]
        lead = db.session.scalar(sa.select(LeadTime).filter_by(variant_id=variant.id))
        before = None if lead is None else {"days": lead.days}
        if lead is None:
            lead = LeadTime(variant_id=variant.id, days=data["days"])
            db.session.add(lead)
        lead.days = data["days"]
        db.session.flush()
        from shopdesk import audit

        audit.record("inventory.lead_time_set", object_type="lead_time", object_id=lead.id,
                     before=before, after={"sku": variant.sku, "days": lead.days})
        db.session.commit()
        return {"id": lead.id, "sku": variant.sku, "days": lead.days}


@api.route("/lead-times/<int:lead_time_id>")
class LeadTimeById(MethodView):
    @requires("inventory.write")
    @api.response(204)
    def delete(self, lead_time_id):
        """Drop a SKU's override: the store default applies again."""
        lead = db.one_or_404(sa.select(LeadTime).filter_by(id=lead_time_id))
        from shopdesk import audit

        audit.record("inventory.lead_time_removed", object_type="lead_time", object_id=lead.id,
                     before={"variant_id": lead.variant_id, "days": lead.days})
        db.session.delete(lead)
        db.session.commit()


# --- reports -------------------------------------------------------------------------------


def period_bounds(start, end):
    today = utcnow().date()
    end = end or today + timedelta(days=1)
    start = start or end - timedelta(days=90)
    if start >= end:
        abort(422, errors={"start": ["Must be before end."]})
    as_dt = lambda d: datetime.combine(d, time(), tzinfo=timezone.utc)  # noqa: E731
    return as_dt(start), as_dt(end)


@api.route("/reports/turnover")
class Turnover(MethodView):
    @requires("inventory.read")
    @api.arguments(schemas.TurnoverFilterSchema, location="query")
    @api.response(200, schemas.TurnoverSchema(many=True))
    @paginate(api)
    def get(self, args, pagination_parameters):
        """Inventory turnover and days of inventory per SKU or category over a period."""
        start, end = period_bounds(args.get("start"), args.get("end"))
        return page_of_items(analytics.turnover(start, end, by=args["by"]), pagination_parameters)


@api.route("/reports/abc")
class Abc(MethodView):
    @requires("inventory.read")
    @api.response(200, schemas.AbcSchema(many=True))
    @paginate(api)
    def get(self, pagination_parameters):
        """ABC classes by shipped value over the demand window (store thresholds)."""
        return page_of_items(analytics.abc_classes(settings()), pagination_parameters)


@api.route("/reports/slow-movers")
class SlowMovers(MethodView):
    @requires("inventory.read")
    @api.response(200, schemas.SlowMoverSchema(many=True))
    @paginate(api)
    def get(self, pagination_parameters):
        """Slow and dead stock with its value at cost."""
        return page_of_items(analytics.slow_movers(settings()), pagination_parameters)


@api.route("/reports/count-accuracy")
class CountAccuracy(MethodView):
    @requires("inventory.read")
    @api.response(200, schemas.AccuracySchema(many=True))
    @paginate(api)
    def get(self, pagination_parameters):
        """Books vs shelves over time: one row per approved count."""
        return page_of_items(analytics.count_accuracy(), pagination_parameters)


@api.route("/verify")
class Verify(MethodView):
    @requires("inventory.read")
    @api.response(200, schemas.MismatchSchema(many=True))
    @paginate(api)
    def get(self, pagination_parameters):
        """Levels that disagree with their moves or reservations (empty when the books agree;
        X-Pagination's ``total`` counts them all)."""
        return page_of_items([m.__dict__ for m in verify()], pagination_parameters)
