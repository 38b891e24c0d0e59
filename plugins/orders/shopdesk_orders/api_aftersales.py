"""Returns, complaints and file import on the orders API blueprint (/api/v1/orders/...)."""

import sqlalchemy as sa
from flask import g
from flask.views import MethodView
from marshmallow import Schema, fields

from shopdesk.api import one_page, page_of, paginate, sync_filters
from shopdesk.auth.permissions import requires
from shopdesk.db import db, utcnow

from . import aftersales
from .api import api, of_order, order_or_404, service_call
from .importer import BadFile, read_rows, run_import
from .models import Complaint, ComplaintMessage, Return
from .schemas import (ComplaintChangesSchema, ComplaintInSchema, ComplaintOutSchema, ComplaintQuerySchema,
                      DecisionSchema, ImportQuerySchema, ImportReportSchema, MessageInSchema, MessageOutSchema,
                      OrderOutSchema, ReceiveInSchema, RefundOutSchema, ReturnInSchema, ReturnOutSchema,
                      ReturnQuerySchema, ReturnRefundInSchema)


def return_or_404(return_id) -> Return:
    return db.one_or_404(sa.select(Return).filter_by(id=return_id))


def complaint_or_404(complaint_id) -> Complaint:
    return db.one_or_404(sa.select(Complaint).filter_by(id=complaint_id))


@api.route("/<int:order_id>/returns")
class OrderReturns(MethodView):
    @requires("orders.read")
    @api.response(200, ReturnOutSchema(many=True))
    @paginate(api)
    def get(self, order_id, pagination_parameters):
        """The order's returns, oldest first."""
        return of_order(Return, order_or_404(order_id), pagination_parameters)

    @requires("orders.support")
    @api.arguments(ReturnInSchema)
    @api.response(201, ReturnOutSchema)
    def post(self, data, order_id):
        """Request a return (RMA) of shipped units, with a reason from the taxonomy."""
        order = order_or_404(order_id)
        with service_call():
            rma = aftersales.request_return(g.hooks, order, items=data["lines"], reason=data["reason"],
                                            comment=data["comment"])
            db.session.commit()
        return rma


@api.route("/returns")
class Returns(MethodView):
    @requires("orders.read")
    @api.arguments(ReturnQuerySchema, location="query")
    @api.response(200, ReturnOutSchema(many=True))
    @paginate(api, keyset=True)
    def get(self, query, pagination_parameters):
        """Every return of the store, newest first (``sort=updated_at&updated_since=…`` to sync)."""
        select = sync_filters(sa.select(Return), Return, query)
        if query.get("status"):
            select = select.filter_by(status=query["status"])
        return page_of(select, pagination_parameters, query["sort"],
                       {"id": Return.id, "created_at": Return.created_at, "updated_at": Return.updated_at})


@api.route("/returns/<int:return_id>")
class ReturnById(MethodView):
    @requires("orders.read")
    @api.response(200, ReturnOutSchema)
    def get(self, return_id):
        return return_or_404(return_id)


def _return_action(return_id, work):
    rma = return_or_404(return_id)
    with service_call():
        work(rma)
        db.session.commit()
    return rma


@api.route("/returns/<int:return_id>/approve")
class ApproveReturn(MethodView):
    @requires("orders.support")
    @api.arguments(DecisionSchema)
    @api.response(200, ReturnOutSchema)
    def post(self, data, return_id):
        return _return_action(return_id, lambda rma: aftersales.approve_return(g.hooks, rma, data["note"]))


@api.route("/returns/<int:return_id>/reject")
class RejectReturn(MethodView):
    @requires("orders.support")
    @api.arguments(DecisionSchema)
    @api.response(200, ReturnOutSchema)
    def post(self, data, return_id):
        return _return_action(return_id, lambda rma: aftersales.reject_return(g.hooks, rma, data["note"]))


@api.route("/returns/<int:return_id>/receive")
class ReceiveReturn(MethodView):
    @requires("orders.fulfil")
    @api.arguments(ReceiveInSchema)
    @api.response(200, ReturnOutSchema)
    def post(self, data, return_id):
        """Goods arrived: per line, ``restock`` (to a warehouse) or ``scrap``."""
        return _return_action(return_id, lambda rma: aftersales.receive_return(g.hooks, rma, data["lines"]))


@api.route("/returns/<int:return_id>/refund")
class RefundReturn(MethodView):
    @requires("orders.refund")
    @api.arguments(ReturnRefundInSchema)
    @api.response(201, RefundOutSchema)
    def post(self, data, return_id):
        """Settle a received return with a refund (by default the returned lines' value)."""
        rma = return_or_404(return_id)
        with service_call():
            refund = aftersales.refund_return(g.hooks, rma, data["amount"], data["reason"])
            db.session.commit()
        return refund


@api.route("/returns/<int:return_id>/exchange")
class ExchangeReturn(MethodView):
    @requires("orders.support")
    @api.response(201, OrderOutSchema)
    def post(self, return_id):
        """Settle a received return with a linked replacement order at no charge."""
        rma = return_or_404(return_id)
        with service_call():
            replacement = aftersales.exchange_return(g.hooks, rma)
            db.session.commit()
        return replacement


@api.route("/complaints")
class Complaints(MethodView):
    @requires("orders.read")
    @api.arguments(ComplaintQuerySchema, location="query")
    @api.response(200, ComplaintOutSchema(many=True))
    @paginate(api)
    def get(self, query, pagination_parameters):
        """Complaints, those due soonest first; ``overdue=true`` for the late ones."""
        select = sync_filters(sa.select(Complaint), Complaint, query)
        if query.get("status"):
            select = select.filter_by(status=query["status"])
        if query.get("overdue") is not None:
            late = sa.and_(Complaint.first_response_at.is_(None), Complaint.status != "closed",
                           Complaint.due_at < utcnow())
            select = select.where(late if query["overdue"] else sa.not_(late))
        return db.session.scalars(one_page(select, pagination_parameters, Complaint.due_at, Complaint.id)).all()

    @requires("orders.support")
    @api.arguments(ComplaintInSchema)
    @api.response(201, ComplaintOutSchema)
    def post(self, data):
        """Open a complaint about an order; it is due within the store's response target."""
        order = order_or_404_field(data["order_id"])
        with service_call():
            complaint = aftersales.open_complaint(g.hooks, order, subject=data["subject"], message=data["message"],
                                                  assignee=data["assignee"])
            db.session.commit()
        return complaint


def order_or_404_field(order_id):
    """An order named in a body: unknown (or another store's) is a 404 naming the field."""
    from flask_smorest import abort

    from .models import Order

    order = db.session.scalar(sa.select(Order).filter_by(id=order_id))
    if order is None:
        abort(404, message="No such order.", errors={"order_id": ["No such order in this store."]})
    return order


@api.route("/complaints/<int:complaint_id>")
class ComplaintById(MethodView):
    @requires("orders.read")
    @api.response(200, ComplaintOutSchema)
    def get(self, complaint_id):
        return complaint_or_404(complaint_id)

    @requires("orders.support")
    @api.arguments(ComplaintChangesSchema)
    @api.response(200, ComplaintOutSchema)
    def patch(self, changes, complaint_id):
        """Change the status (open, pending, closed) or the assignee."""
        complaint = complaint_or_404(complaint_id)
        with service_call():
            aftersales.update_complaint(g.hooks, complaint, **changes)
            db.session.commit()
        return complaint


@api.route("/complaints/<int:complaint_id>/messages")
class ComplaintMessages(MethodView):
    @requires("orders.read")
    @api.response(200, MessageOutSchema(many=True))
    @paginate(api)
    def get(self, complaint_id, pagination_parameters):
        """The complaint's messages, oldest first."""
        complaint = complaint_or_404(complaint_id)
        select = sa.select(ComplaintMessage).filter_by(complaint_id=complaint.id)
        return db.session.scalars(one_page(select, pagination_parameters, ComplaintMessage.id)).all()

    @requires("orders.support")
    @api.arguments(MessageInSchema)
    @api.response(201, MessageOutSchema)
    def post(self, data, complaint_id):
        """Add a message; the first staff reply stops the response clock."""
        complaint = complaint_or_404(complaint_id)
        with service_call():
            message = aftersales.add_message(g.hooks, complaint, body=data["body"], from_customer=data["from_customer"])
            db.session.commit()
        return message


class ImportFileSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": "A .csv or .xlsx file, one row per order line."})


@api.route("/import")
class ImportOrders(MethodView):
    @requires("orders.write")
    @api.arguments(ImportQuerySchema, location="query")
    @api.arguments(ImportFileSchema, location="files")
    @api.response(200, ImportReportSchema)
    def post(self, query, files):
        """Check (``dry_run=true``, the default) or import a CSV/XLSX file of order lines.
        Bad rows are listed with their line number and field; nothing is imported while any
        row is bad."""
        from flask_smorest import abort

        upload = files["file"]
        try:
            rows = read_rows(getattr(upload, "filename", ""), upload.read())
        except BadFile as exc:
            abort(422, message=str(exc), errors={"file": [str(exc)]})
        return run_import(g.hooks, rows, dry_run=query["dry_run"])
