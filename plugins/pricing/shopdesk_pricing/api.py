"""The REST API, mounted by the host at /api/v1/pricing."""

from functools import wraps

import sqlalchemy as sa
from flask import g, jsonify, url_for
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint, abort

from shopdesk.api import one_page, page_of_items, paginate, sync_filters
from shopdesk.auth.permissions import requires
from shopdesk.db import db, utcnow
from shopdesk.idempotency import not_idempotent
from shopdesk_catalog.public import Variant, get_variant, skus_by_id

from . import changes, competitor_imports, competitors, engine, service
from .models import (CompetitorImport, CompetitorPrice, CostPlusRule, PriceApproval, PriceList, PriceListItem,
                     ScheduledChange, VolumeBreak)
from .schemas import (
    CompetitorCsvImportSchema, CompetitorFilterSchema, CompetitorImportQuerySchema, CompetitorImportSchema,
    CompetitorPriceSchema, CostPlusRuleSchema, PriceApprovalFilterSchema, PriceApprovalSchema, PriceBulkResultSchema,
    PriceBulkRowSchema, PriceBulkUpdateSchema, PriceItemFilterSchema, PriceItemSchema, PriceListChangesSchema,
    PriceListFilterSchema, PriceListSchema, PricePositionSchema, PriceQuoteRequestSchema, PriceQuoteSchema,
    ScheduledChangeFilterSchema, ScheduledChangeSchema, SetPriceResultSchema, VolumeBreakSchema,
)

def list_exists(view):
    """404 for another store's (or no) list before the body is read: an id that is not ours
    answers the same whatever the body says."""

    @wraps(view)
    def checked(*args, **kwargs):
        service.price_list_or_404(kwargs["list_id"])
        return view(*args, **kwargs)

    return checked


api = Blueprint("pricing_api", __name__, url_prefix="/pricing",
                description="Price lists, rules, margin guard, competitor prices and explained quotes.")


# --- quotes --------------------------------------------------------------------------------------


@api.route("/quote")
class QuoteView(MethodView):
    @not_idempotent("it only computes: it writes nothing")
    @requires("pricing.read")
    @api.arguments(PriceQuoteRequestSchema)
    @api.response(200, PriceQuoteSchema)
    def post(self, data):
        """Price lines and explain each price (the same engine prices orders)."""
        return run_quote(data)


def run_quote(data):
    from shopdesk.commerce import StockLine

    lines = [StockLine(line["sku"], line["quantity"]) for line in data["lines"]]
    currency = (data.get("currency") or g.store.currency).upper()
    try:
        priced = engine.price(g.store, service.settings(), lines, data.get("customer_group"), currency,
                              at=data.get("at"), hooks=g.hooks)
    except engine.UnknownSku as exc:
        abort(422, errors={"lines": [str(exc)]}, message=str(exc))
    except engine.AdjustmentFailed as exc:
        abort(503, message=f"The quote failed: {exc}")
    return service.quote_dict(priced, currency, data.get("customer_group") or None)


# --- price lists ---------------------------------------------------------------------------------


@api.route("/price-lists")
class PriceLists(MethodView):
    @requires("pricing.read")
    @api.arguments(PriceListFilterSchema, location="query")
    @api.response(200, PriceListSchema(many=True))
    @paginate(api)
    def get(self, filters, pagination_parameters):
        """The store's price lists, highest priority first."""
        query = sync_filters(sa.select(PriceList), PriceList, filters)
        for key in ("active", "customer_group", "currency"):
            if key in filters:
                query = query.where(getattr(PriceList, key) == filters[key])
        return db.session.scalars(one_page(query, pagination_parameters, PriceList.priority.desc(), PriceList.id)).all()

    @requires("pricing.write")
    @api.arguments(PriceListSchema)
    @api.response(201, PriceListSchema)
    def post(self, data):
        """Create a price list (currency defaults to the store's)."""
        price_list = service.create_price_list(data, g.store)
        db.session.commit()
        return price_list


@api.route("/price-lists/<int:list_id>")
class PriceListById(MethodView):
    @requires("pricing.read")
    @api.response(200, PriceListSchema)
    def get(self, list_id):
        return service.price_list_or_404(list_id)

    @requires("pricing.write")
    @list_exists
    @api.arguments(PriceListChangesSchema)
    @api.response(200, PriceListSchema)
    def patch(self, data, list_id):
        """Change a list's name, group, priority, validity window or active flag."""
        price_list = service.price_list_or_404(list_id)
        if "currency" in data and data["currency"] != price_list.currency:
            abort(422, errors={"currency": ["A list's currency cannot change: create another list."]})
        service.change_price_list(price_list, data)
        db.session.commit()
        return price_list

    @requires("pricing.write")
    @api.response(204)
    def delete(self, list_id):
        """Delete a list and its prices (each removal audited)."""
        service.delete_price_list(service.price_list_or_404(list_id))
        db.session.commit()


@api.route("/price-lists/<int:list_id>/items")
class Items(MethodView):
    @requires("pricing.read")
    @api.arguments(PriceItemFilterSchema, location="query")
    @api.response(200, PriceItemSchema(many=True))
    @paginate(api)
    def get(self, filters, list_id, pagination_parameters):
        """The list's prices, by SKU and minimum quantity (``updated_since`` for those changed)."""
        service.price_list_or_404(list_id)
        query = (sync_filters(sa.select(PriceListItem), PriceListItem, filters).filter_by(price_list_id=list_id)
                 .join(Variant, Variant.id == PriceListItem.variant_id))
        if "sku" in filters:
            query = query.where(Variant.sku == filters["sku"])
        page = one_page(query, pagination_parameters, Variant.sku, PriceListItem.min_quantity, PriceListItem.id)
        return [service.item_dict(item) for item in db.session.scalars(page)]

    @requires("pricing.write")
    @list_exists
    @api.arguments(PriceItemSchema)
    @api.response(200, SetPriceResultSchema)
    def put(self, data, list_id):
        """Set a SKU's price from a minimum quantity on. Through the margin guard: refused
        (422 naming SKU, price, cost and minimum) or kept for approval (status pending_approval)."""
        price_list = service.price_list_or_404(list_id)
        variant = service.variant_or_422(data["sku"])
        try:
            outcome, row = changes.set_list_price(service.settings(), g.store, current_user, price_list, variant,
                                                  data["min_quantity"], data["price"])
        except changes.MarginRefused as exc:
            db.session.rollback()
            service.refuse_margin(exc)
        db.session.commit()
        if outcome == "applied":
            return {"status": outcome, "item": service.item_dict(row), "approval": None}
        return {"status": outcome, "item": None, "approval": service.approval_dict(row)}


@api.route("/price-lists/<int:list_id>/items/<int:item_id>")
class ItemById(MethodView):
    @requires("pricing.write")
    @api.response(204)
    def delete(self, list_id, item_id):
        """Remove a price from the list (audited)."""
        item = db.one_or_404(sa.select(PriceListItem).filter_by(id=item_id, price_list_id=list_id))
        changes.remove_list_price(item, item_variant(item))
        db.session.commit()


def item_variant(item):
    return get_variant(item.variant_id)


@api.route("/price-lists/<int:list_id>/volume-breaks")
class VolumeBreaks(MethodView):
    @requires("pricing.read")
    @api.response(200, VolumeBreakSchema(many=True))
    @paginate(api)
    def get(self, list_id, pagination_parameters):
        """The list's volume breaks, smallest quantity first."""
        return page_of_items(service.price_list_or_404(list_id).volume_breaks, pagination_parameters)

    @requires("pricing.write")
    @list_exists
    @api.arguments(VolumeBreakSchema)
    @api.response(201, VolumeBreakSchema)
    def post(self, data, list_id):
        """Add a percentage off every price of the list from a quantity on."""
        row = service.add_volume_break(service.price_list_or_404(list_id), data)
        db.session.commit()
        return row


@api.route("/price-lists/<int:list_id>/volume-breaks/<int:break_id>")
class VolumeBreakById(MethodView):
    @requires("pricing.write")
    @api.response(204)
    def delete(self, list_id, break_id):
        service.remove_volume_break(db.one_or_404(sa.select(VolumeBreak).filter_by(id=break_id,
                                                                                  price_list_id=list_id)))
        db.session.commit()


# --- scheduled changes ---------------------------------------------------------------------------


@api.route("/scheduled-changes")
class ScheduledChanges(MethodView):
    @requires("pricing.read")
    @api.arguments(ScheduledChangeFilterSchema, location="query")
    @api.response(200, ScheduledChangeSchema(many=True))
    @paginate(api)
    def get(self, filters, pagination_parameters):
        """Scheduled price changes, soonest first; ``upcoming=true`` for those still to come."""
        query = sync_filters(sa.select(ScheduledChange), ScheduledChange, filters)
        if "status" in filters:
            query = query.filter_by(status=filters["status"])
        if filters.get("upcoming"):
            query = query.where(ScheduledChange.status.in_(("scheduled", "pending_approval")),
                                ScheduledChange.starts_at > utcnow())
        page = one_page(query, pagination_parameters, ScheduledChange.starts_at, ScheduledChange.id)
        return [service.change_dict(c) for c in db.session.scalars(page)]

    @requires("pricing.write")
    @api.arguments(ScheduledChangeSchema)
    @api.response(201, ScheduledChangeSchema)
    def post(self, data):
        """Plan a list price from ``starts_at`` (until ``ends_at``, then the old price is back).
        The margin guard applies now: refused, or pending approval until approved."""
        price_list = service.price_list_or_422(data["price_list_id"])
        variant = service.variant_or_422(data["sku"])
        try:
            change = changes.schedule_change(service.settings(), g.store, current_user, price_list, variant,
                                             data["min_quantity"], data["new_price"], data["starts_at"],
                                             data.get("ends_at"), data.get("note", ""))
        except changes.MarginRefused as exc:
            db.session.rollback()
            service.refuse_margin(exc)
        db.session.commit()
        return service.change_dict(change)


def change_or_404(change_id):
    return db.one_or_404(sa.select(ScheduledChange).filter_by(id=change_id))


@api.route("/scheduled-changes/<int:change_id>")
class ScheduledChangeById(MethodView):
    @requires("pricing.read")
    @api.response(200, ScheduledChangeSchema)
    def get(self, change_id):
        return service.change_dict(change_or_404(change_id))


@api.route("/scheduled-changes/<int:change_id>/cancel")
class CancelChange(MethodView):
    @requires("pricing.write")
    @api.response(200, ScheduledChangeSchema)
    def post(self, change_id):
        """Cancel a change that has not taken effect yet."""
        change = change_or_404(change_id)
        try:
            changes.cancel_change(change)
        except changes.NotPending as exc:
            abort(409, message=str(exc))
        db.session.commit()
        return service.change_dict(change)


# --- cost-plus rules -----------------------------------------------------------------------------


@api.route("/cost-plus-rules")
class CostPlusRules(MethodView):
    @requires("pricing.read")
    @api.response(200, CostPlusRuleSchema(many=True))
    @paginate(api)
    def get(self, pagination_parameters):
        """The store's cost-plus rules, oldest first."""
        return db.session.scalars(one_page(sa.select(CostPlusRule), pagination_parameters, CostPlusRule.id)).all()

    @requires("pricing.write")
    @api.arguments(CostPlusRuleSchema)
    @api.response(201, CostPlusRuleSchema)
    def post(self, data):
        """Add a cost-plus rule for all variants, a category (and below), a brand or a tag."""
        rule = service.add_rule(data)
        db.session.commit()
        return rule


@api.route("/cost-plus-rules/<int:rule_id>")
class CostPlusRuleById(MethodView):
    @requires("pricing.read")
    @api.response(200, CostPlusRuleSchema)
    def get(self, rule_id):
        return db.one_or_404(sa.select(CostPlusRule).filter_by(id=rule_id))

    @requires("pricing.write")
    @api.response(204)
    def delete(self, rule_id):
        service.remove_rule(db.one_or_404(sa.select(CostPlusRule).filter_by(id=rule_id)))
        db.session.commit()


# --- approvals -----------------------------------------------------------------------------------


@api.route("/approvals")
class Approvals(MethodView):
    @requires("pricing.read")
    @api.arguments(PriceApprovalFilterSchema, location="query")
    @api.response(200, PriceApprovalSchema(many=True))
    @paginate(api)
    def get(self, filters, pagination_parameters):
        """Prices the margin guard holds for approval (and past decisions), newest first."""
        query = sync_filters(sa.select(PriceApproval), PriceApproval, filters)
        if "status" in filters:
            query = query.filter_by(status=filters["status"])
        rows = db.session.scalars(one_page(query, pagination_parameters, PriceApproval.id.desc())).all()
        return [service.approval_dict(a) for a in rows]


def approval_or_404(approval_id):
    return db.one_or_404(sa.select(PriceApproval).filter_by(id=approval_id))


@api.route("/approvals/<int:approval_id>")
class ApprovalById(MethodView):
    @requires("pricing.read")
    @api.response(200, PriceApprovalSchema)
    def get(self, approval_id):
        return service.approval_dict(approval_or_404(approval_id))


def decide(approval_id, approve):
    approval = approval_or_404(approval_id)
    try:
        changes.decide(approval, current_user, approve)
    except changes.SelfApproval as exc:
        abort(403, message=str(exc))
    except changes.StaleApproval as exc:
        abort(409, message=str(exc), code="approval_stale",
              errors={"old_price": [f"Asked against {exc.base}; the price is now {exc.current}."]})
    except changes.NotPending as exc:
        abort(409, message=str(exc))
    db.session.commit()
    return service.approval_dict(approval)


@api.route("/approvals/<int:approval_id>/approve")
class Approve(MethodView):
    @requires("pricing.approve")
    @api.response(200, PriceApprovalSchema)
    def post(self, approval_id):
        """Approve a price under the margin guard: it is applied now (or scheduled). Not by
        whoever asked for it."""
        return decide(approval_id, True)


@api.route("/approvals/<int:approval_id>/withdraw")
class Withdraw(MethodView):
    @requires("pricing.write")
    @api.response(200, PriceApprovalSchema)
    def post(self, approval_id):
        """The requester takes a pending request back (403 for anyone else, 409 once decided)."""
        approval = approval_or_404(approval_id)
        try:
            changes.withdraw(approval, current_user)
        except changes.SelfApproval as exc:
            abort(403, message=str(exc))
        except changes.NotPending as exc:
            abort(409, message=str(exc))
        db.session.commit()
        return service.approval_dict(approval)


@api.route("/approvals/<int:approval_id>/reject")
class Reject(MethodView):
    @requires("pricing.approve")
    @api.response(200, PriceApprovalSchema)
    def post(self, approval_id):
        """Reject a price under the margin guard: nothing changes."""
        return decide(approval_id, False)


# --- competitor prices and positioning -----------------------------------------------------------


def competitor_dict(row, sku):
    return {"id": row.id, "sku": sku, "variant_id": row.variant_id, "competitor": row.competitor,
            "price": row.price, "currency": row.currency, "observed_at": row.observed_at,
            "source_url": row.source_url}


@api.route("/competitor-prices")
class CompetitorPrices(MethodView):
    @requires("pricing.read")
    @api.arguments(CompetitorFilterSchema, location="query")
    @api.response(200, CompetitorPriceSchema(many=True))
    @paginate(api)
    def get(self, filters, pagination_parameters):
        """Observed competitor prices, newest first (``sku`` to see one SKU's)."""
        query = sa.select(CompetitorPrice, Variant.sku).join(Variant, Variant.id == CompetitorPrice.variant_id)
        if filters.get("sku"):
            query = query.where(Variant.sku == filters["sku"])
        page = one_page(query, pagination_parameters, CompetitorPrice.observed_at.desc(), CompetitorPrice.id.desc())
        return [competitor_dict(row, sku) for row, sku in db.session.execute(page)]

    @requires("pricing.write")
    @api.arguments(CompetitorPriceSchema)
    @api.response(201, CompetitorPriceSchema)
    def post(self, data):
        """Record what a competitor charges for one of our SKUs."""
        variant = service.variant_or_422(data["sku"])
        row = competitors.record_price(variant, data["competitor"], data["price"],
                                       data.get("currency") or g.store.currency,
                                       data.get("observed_at") or utcnow(), data.get("source_url", ""))
        db.session.commit()
        return competitor_dict(row, variant.sku)


@api.route("/competitor-prices/import")
class CompetitorCsvImport(MethodView):
    @requires("pricing.write")
    @api.arguments(CompetitorCsvImportSchema)
    @api.response(201, CompetitorPriceSchema(many=True))
    @api.alt_response(202, schema=CompetitorImportSchema,
                      description="More rows than the store's import_background_rows: queued for the "
                                  "background job; follow Location for its progress.")
    def post(self, data):
        """Import competitor prices from CSV: every row or none; bad rows named by line and field.
        A file of up to ``import_background_rows`` rows (a setting) is imported now (201); a
        larger one, up to 200,000 rows, is queued (202)."""
        try:
            total = competitor_imports.row_count(data["csv"])
            if total > service.settings()["import_background_rows"]:
                run = competitor_imports.queue(data["csv"], data["filename"], current_user.email, total)
                db.session.commit()
                answer = jsonify(CompetitorImportSchema().dump(run))
                answer.status_code = 202
                answer.headers["Location"] = url_for(".CompetitorImportById", import_id=run.id)
                return answer
            rows = competitors.import_csv(data["csv"], g.store.currency, utcnow(), g.store.id)
        except competitors.CsvRejected as exc:
            db.session.rollback()
            abort(422, message=str(exc), errors={
                "csv": [f"line {e['line']}, {e['field']}: {e['message']}" for e in exc.errors]})
        except competitor_imports.TooManyRows as exc:
            abort(422, message=str(exc), errors={"csv": [str(exc)]})
        db.session.commit()
        return [competitor_dict(r, sku) for r, sku in zip(rows, _skus_of(rows))]


def _skus_of(rows):
    skus = skus_by_id(r.variant_id for r in rows)
    return [skus[r.variant_id] for r in rows]


@api.route("/competitor-prices/imports")
class CompetitorImports(MethodView):
    @requires("pricing.read")
    @api.arguments(CompetitorImportQuerySchema, location="query")
    @api.response(200, CompetitorImportSchema(many=True))
    @paginate(api)
    def get(self, query, pagination_parameters):
        """Competitor price files queued for the background job, newest first, with their progress."""
        select = sync_filters(sa.select(CompetitorImport), CompetitorImport, query)
        if "status" in query:
            select = select.filter_by(status=query["status"])
        return db.session.scalars(one_page(select, pagination_parameters, CompetitorImport.id.desc())).all()


@api.route("/competitor-prices/imports/<int:import_id>")
class CompetitorImportById(MethodView):
    @requires("pricing.read")
    @api.response(200, CompetitorImportSchema)
    def get(self, import_id):
        """One queued import: its status, rows checked of the total, and a failed one's bad rows."""
        return db.one_or_404(sa.select(CompetitorImport).filter_by(id=import_id))


@api.route("/competitor-prices/<int:price_id>")
class CompetitorPriceById(MethodView):
    @requires("pricing.write")
    @api.response(204)
    def delete(self, price_id):
        """Delete a wrong observation (audited)."""
        from shopdesk import audit

        row = db.one_or_404(sa.select(CompetitorPrice).filter_by(id=price_id))
        audit.record("pricing.competitor_price_deleted", object_type="competitor_price", object_id=row.id,
                     before={"competitor": row.competitor, "price": row.price, "variant_id": row.variant_id})
        db.session.delete(row)
        db.session.commit()


@api.route("/positioning")
class Positioning(MethodView):
    @requires("pricing.read")
    @api.response(200, PricePositionSchema(many=True))
    @paginate(api)
    def get(self, pagination_parameters):
        """Per SKU: our price vs. the lowest and median competitor price, and our margin at each."""
        try:
            return page_of_items(competitors.positioning(g.store, service.settings(), hooks=g.hooks),
                                 pagination_parameters)
        except engine.AdjustmentFailed as exc:
            abort(503, message=f"Our prices could not be computed: {exc}")


# --- bulk updates --------------------------------------------------------------------------------


def selection(data):
    service.check_references(data)
    return changes.BulkSelection(**data)


@api.route("/bulk-updates/preview")
class BulkPreview(MethodView):
    @not_idempotent("it only computes: it writes nothing")
    @requires("pricing.write")
    @api.arguments(PriceBulkUpdateSchema)
    @api.response(200, PriceBulkRowSchema(many=True))
    def post(self, data):
        """What a bulk update would do: old and new price, unit cost, margin, guard verdict."""
        return changes.bulk_preview(service.settings(), g.store, selection(data))


@api.route("/bulk-updates")
class BulkApply(MethodView):
    @requires("pricing.write")
    @api.arguments(PriceBulkUpdateSchema)
    @api.response(200, PriceBulkResultSchema)
    def post(self, data):
        """Apply a bulk update in one transaction (the rows the preview shows)."""
        try:
            rows, approvals = changes.bulk_apply(service.settings(), g.store, current_user, selection(data))
        except changes.MarginRefused as exc:
            db.session.rollback()
            service.refuse_margin(exc)
        db.session.commit()
        return {"rows": rows, "approvals": [service.approval_dict(a) for a in approvals]}
