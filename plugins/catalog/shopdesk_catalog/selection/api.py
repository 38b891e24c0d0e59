"""REST API of product selection, mounted at /api/v1/catalog/candidates.

Every candidate comes back with its score and the breakdown that explains it, computed with
the store's current weights (the catalog plugin's settings).
"""

import sqlalchemy as sa
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from shopdesk.plugin import db, paginate, plugin_settings, requires, sort_argument

from .. import selection
from ..errors import CatalogError, api_refuse
from ..models import CANDIDATE_STATUSES, Candidate

api = Blueprint("catalog_selection_api", __name__, url_prefix="/catalog/candidates",
                description="Product selection: candidates, their evidence, score and promotion to products.")

not_blank = validate.Regexp(r"\S", error="Must not be blank.")
MONEY_MAX = 10**12  # minor units; far above any real price, well inside BIGINT
money = validate.Range(min=0, max=MONEY_MAX)


class EvidenceFields(Schema):
    """The evidence a buyer enters; null means "not known yet" (shown as missing, not zero)."""

    category_id = fields.Integer(allow_none=True, validate=validate.Range(min=1, max=2**31 - 1))
    supplier = fields.String(validate=validate.Length(max=200))
    expected_demand = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=10**9),
                                     metadata={"description": "Expected demand, units a month."})
    search_interest = fields.Integer(allow_none=True, validate=validate.Range(min=0, max=100),
                                     metadata={"description": "Search interest, 0 to 100 (as search trend tools give it)."})
    feedback_rating = fields.Float(allow_none=True, validate=validate.Range(min=0, max=5),
                                   metadata={"description": "Average customer rating, 0 to 5 (two decimals kept)."})
    feedback_count = fields.Integer(validate=validate.Range(min=0, max=10**9),
                                    metadata={"description": "How many reviews the rating is based on."})
    supplier_cost = fields.Integer(allow_none=True, validate=money,
                                   metadata={"description": "Supplier's unit cost, minor units of the store currency."})
    competitor_price = fields.Integer(allow_none=True, validate=money,
                                      metadata={"description": "A competitor's price, minor units."})
    target_price = fields.Integer(allow_none=True, validate=money,
                                  metadata={"description": "The price we would sell at, minor units."})
    notes = fields.String(validate=validate.Length(max=20000))


class CandidateInSchema(EvidenceFields):
    name = fields.String(required=True, validate=[validate.Length(max=200), not_blank])


class CandidateChangesSchema(EvidenceFields):
    name = fields.String(validate=[validate.Length(max=200), not_blank])


class FactorSchema(Schema):
    factor = fields.String(metadata={"description": "demand, search, feedback, margin or price."})
    raw = fields.Raw(allow_none=True, metadata={"description": "The evidence as entered (margin and price: "
                                                                "percent); null when missing."})
    missing = fields.Boolean()
    normalised = fields.Float(allow_none=True, metadata={"description": "0..1; null when left out."})
    weight = fields.Float()
    contribution = fields.Float(metadata={"description": "Points of the 0-100 score this factor adds."})
    rule = fields.String(metadata={"description": "How the evidence became the normalised value, in words."})


class CandidateSchema(CandidateInSchema):
    id = fields.Integer(dump_only=True)
    status = fields.String(dump_only=True, metadata={"description": "open, promoted or rejected."})
    rejected_reason = fields.String(dump_only=True)
    product_id = fields.Integer(dump_only=True, allow_none=True)
    currency = fields.String(dump_only=True)
    expected_margin_percent = fields.Float(dump_only=True, allow_none=True)
    score = fields.Float(dump_only=True, metadata={"description": "0 to 100, higher is better."})
    evidence_share = fields.Float(dump_only=True,
                                  metadata={"description": "Share of the total weight backed by evidence, 0..1."})
    missing_rule = fields.String(dump_only=True)
    breakdown = fields.List(fields.Nested(FactorSchema), dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class CandidateFilterSchema(Schema):
    status = fields.String(load_default="open", validate=validate.OneOf((*CANDIDATE_STATUSES, "all")),
                           metadata={"description": "open (default), promoted, rejected or all."})
    q = fields.String(load_default="", validate=validate.Length(max=200),
                      metadata={"description": "Part of the name."})
    category_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    sort = sort_argument(list(selection.SORTS), "-score")


class RejectSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=500))


class PromoteSchema(Schema):
    sku = fields.String(required=True, validate=[validate.Length(max=64), not_blank],
                        metadata={"description": "The SKU of the new product's one variant."})
    name = fields.String(validate=[validate.Length(max=200), not_blank],
                         metadata={"description": "The product's name; the candidate's by default."})
    price = fields.Integer(validate=money, metadata={"description": "List price; the target price by default."})
    unit_cost = fields.Integer(validate=money, metadata={"description": "Unit cost; the supplier cost by default."})


def present(candidate: Candidate, current: dict | None = None) -> dict:
    result = selection.score(candidate, current or plugin_settings("catalog"))
    margin = selection.expected_margin(candidate)
    data = {column: getattr(candidate, column) for column in
            ("id", "name", "category_id", "supplier", *selection.EVIDENCE_FIELDS, "notes", "status",
             "rejected_reason", "product_id", "created_at", "updated_at")}
    if data["feedback_rating"] is not None:
        data["feedback_rating"] = float(data["feedback_rating"])
    return data | result.as_dict() | {
        "currency": g.store.currency,
        "expected_margin_percent": None if margin is None else round(margin * 100, 2),
    }


def candidate_or_404(candidate_id) -> Candidate:
    return db.one_or_404(sa.select(Candidate).filter_by(id=candidate_id))


def _do(action):
    """Run a service call and commit; a refusal answers in the host's error format."""
    try:
        result = action()
        db.session.commit()
        return result
    except CatalogError as exc:
        db.session.rollback()
        api_refuse(exc)


@api.route("")
class Candidates(MethodView):
    @requires("catalog.read")
    @api.arguments(CandidateFilterSchema, location="query")
    @api.response(200, CandidateSchema(many=True))
    @paginate(api)
    def get(self, filters, pagination_parameters):
        """List candidates with their scores, best score first (or by ``sort``)."""
        current = plugin_settings("catalog")
        rows = selection.ranked(current, status=None if filters["status"] == "all" else filters["status"],
                                sort=filters["sort"], search=filters["q"], category_id=filters.get("category_id"))
        pagination_parameters.item_count = len(rows)
        first = pagination_parameters.first_item
        return [present(c, current) for c, _ in rows[first:first + pagination_parameters.page_size]]

    @requires("catalog.write")
    @api.arguments(CandidateInSchema)
    @api.response(201, CandidateSchema)
    def post(self, data):
        """Record a candidate and its evidence; leave unknown evidence out (or null)."""
        return present(_do(lambda: selection.create_candidate(data)))


@api.route("/<int:candidate_id>")
class CandidateById(MethodView):
    @requires("catalog.read")
    @api.response(200, CandidateSchema)
    def get(self, candidate_id):
        """One candidate, its score and the breakdown that explains it."""
        return present(candidate_or_404(candidate_id))

    @requires("catalog.write")
    @api.arguments(CandidateChangesSchema)
    @api.response(200, CandidateSchema)
    def patch(self, changes, candidate_id):
        """Change a candidate's evidence (refused with 409 once it is promoted)."""
        candidate = candidate_or_404(candidate_id)
        return present(_do(lambda: selection.update_candidate(candidate, changes)))

    @requires("catalog.write")
    @api.response(204)
    def delete(self, candidate_id):
        """Delete an open or rejected candidate (a promoted one stays as its product's record)."""
        candidate = candidate_or_404(candidate_id)
        _do(lambda: selection.delete_candidate(candidate))


@api.route("/<int:candidate_id>/reject")
class RejectCandidate(MethodView):
    @requires("catalog.write")
    @api.arguments(RejectSchema)
    @api.response(200, CandidateSchema)
    def post(self, data, candidate_id):
        """Reject an open candidate, with an optional reason."""
        candidate = candidate_or_404(candidate_id)
        return present(_do(lambda: selection.reject_candidate(candidate, data["reason"])))


@api.route("/<int:candidate_id>/reopen")
class ReopenCandidate(MethodView):
    @requires("catalog.write")
    @api.response(200, CandidateSchema)
    def post(self, candidate_id):
        """Reopen a rejected candidate."""
        candidate = candidate_or_404(candidate_id)
        return present(_do(lambda: selection.reopen_candidate(candidate)))


@api.route("/<int:candidate_id>/promote")
class PromoteCandidate(MethodView):
    @requires("catalog.write")
    @api.arguments(PromoteSchema)
    @api.response(201, CandidateSchema)
    def post(self, data, candidate_id):
        """Create a draft product from the candidate: one variant with the given SKU, unit cost =
        supplier cost, price = target price. The product keeps the evidence and the score
        breakdown (``evidence`` on the product). A second promotion answers 409."""
        candidate_or_404(candidate_id)
        current = plugin_settings("catalog")
        sku = data.pop("sku").strip()
        try:
            promoted = selection.promote_candidate(candidate_id, sku, current, **data)
            db.session.commit()
        except CatalogError as exc:
            db.session.rollback()
            api_refuse(exc)
        except sa.exc.IntegrityError:
            db.session.rollback()
            from ..products import sku_clash

            api_refuse(sku_clash(sku, "sku"))
        return present(promoted, current)
