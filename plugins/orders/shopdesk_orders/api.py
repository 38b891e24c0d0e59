"""The orders REST API, mounted by the host at /api/v1/orders."""

from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from shopdesk.api import one_page, page_of, page_of_items, paginate, sync_filters
from shopdesk.auth.permissions import requires
from shopdesk.db import commit_keeping_objects, db
from shopdesk.registry import PluginError

from . import lifecycle
from .common import OrderError, as_order_error
from .intake import create_order
from .models import Order, OrderLine, Payment, Refund, Shipment, TimelineEntry
from .providers import providers
from .schemas import (FulfilInSchema, OrderInSchema, OrderOutSchema, OrderQuerySchema, OrderSummarySchema,
                      PaymentInSchema, PaymentOutSchema, ProviderSchema, ReasonSchema, RefundInSchema,
                      RefundOutSchema, ShipInSchema, ShipmentOutSchema, TimelineSchema)
from .states import IllegalTransition

api = Blueprint("orders_api", __name__, url_prefix="/orders",
                description="Orders: intake, lifecycle, payments, fulfilment, returns and complaints.")

SORTABLE = {"created_at": Order.created_at, "updated_at": Order.updated_at, "number": Order.number,
            "total": Order.total, "status": Order.status, "id": Order.id}


@contextmanager
def service_call():
    """Run a service function; a refusal rolls everything back and answers with its status."""
    try:
        yield
    except (OrderError, IllegalTransition) as exc:
        db.session.rollback()
        error = as_order_error(exc)
        abort(error.status, message=error.message, errors=error.errors, **({"code": error.code} if error.code else {}))
    except PluginError as exc:
        db.session.rollback()
        abort(502, message=str(exc))


def order_or_404(order_id) -> Order:
    return db.one_or_404(sa.select(Order).filter_by(id=order_id))


def filtered(query: dict):
    """The order list's filters, shared by the API and the orders page."""
    select = sa.select(Order)
    if query.get("q"):
        text = query["q"].strip().lower()
        select = select.where(sa.or_(*(sa.func.lower(column).contains(text, autoescape=True) for column in (
            Order.number, Order.external_id, Order.customer_name, Order.customer_email))))
    for name in ("status", "channel", "payment_status"):
        if query.get(name):
            select = select.where(getattr(Order, name) == query[name])
    if query.get("customer"):
        text = query["customer"].strip().lower()
        select = select.where(sa.or_(sa.func.lower(Order.customer_email).contains(text, autoescape=True),
                                     sa.func.lower(Order.customer_name).contains(text, autoescape=True)))
    if query.get("sku"):
        select = select.where(Order.id.in_(sa.select(OrderLine.order_id).where(OrderLine.sku == query["sku"])))
    if query.get("created_from"):
        select = select.where(Order.created_at >= datetime.combine(query["created_from"], time.min, UTC))
    if query.get("created_to"):
        select = select.where(Order.created_at < datetime.combine(query["created_to"] + timedelta(days=1),
                                                                  time.min, UTC))
    return select


@api.route("")
class Orders(MethodView):
    @requires("orders.read")
    @api.arguments(OrderQuerySchema, location="query")
    @api.response(200, OrderSummarySchema(many=True))
    @paginate(api, keyset=True)
    def get(self, query, pagination_parameters):
        """List orders, newest first; search and filter by status, channel, customer, SKU and dates.
        To sync: ``sort=updated_at&updated_since=…`` and follow ``next_cursor``."""
        return page_of(sync_filters(filtered(query), Order, query), pagination_parameters, query["sort"], SORTABLE)

    @requires("orders.write")
    @api.arguments(OrderInSchema())  # an instance: a class is instantiated on every request
    @api.response(201, OrderOutSchema)
    @api.alt_response(200, schema=OrderOutSchema, description="The channel's external id was known: "
                                                              "the existing order, nothing created.")
    def post(self, data):
        """Take an order in and place it (validated, risk-scored, stock reserved), or keep it as a draft.

        Send an ``Idempotency-Key`` to retry safely. A known channel + ``external_id`` returns
        the existing order with 200. Blocking problems answer 422, missing stock 409 naming
        the SKUs; either way nothing is written."""
        draft = data.pop("draft")
        with service_call():
            order, created = create_order(g.hooks, data, place=not draft, number_apart=True)
            commit_keeping_objects()  # the answer is the order as written, without reloading it
        return order, (201 if created else 200)


@api.route("/<int:order_id>")
class OrderById(MethodView):
    @requires("orders.read")
    @api.response(200, OrderOutSchema)
    def get(self, order_id):
        """One order with its lines (and their price trail), totals and risk scores."""
        return order_or_404(order_id)


def of_order(model, order, pagination) -> list:
    """One page of an order's payments, refunds, parcels, returns or timeline, oldest first."""
    select = sa.select(model).filter_by(order_id=order.id)
    return db.session.scalars(one_page(select, pagination, model.id)).all()


def _action(order_id, work):
    order = order_or_404(order_id)
    with service_call():
        work(order)
        db.session.commit()
    return order


@api.route("/<int:order_id>/place")
class PlaceOrder(MethodView):
    @requires("orders.write")
    @api.response(200, OrderOutSchema)
    def post(self, order_id):
        """Place a draft: validate_order, score_risk, then reserve stock (all or nothing)."""
        return _action(order_id, lambda order: lifecycle.place(g.hooks, order))


@api.route("/<int:order_id>/cancel")
class CancelOrder(MethodView):
    @requires("orders.write")
    @api.arguments(ReasonSchema)
    @api.response(200, OrderOutSchema)
    def post(self, data, order_id):
        """Cancel a draft, placed or paid order; its stock reservation is released."""
        return _action(order_id, lambda order: lifecycle.cancel(g.hooks, order, data["reason"]))


@api.route("/<int:order_id>/complete")
class CompleteOrder(MethodView):
    @requires("orders.fulfil")
    @api.response(200, OrderOutSchema)
    def post(self, order_id):
        """Close a delivered order as completed."""
        return _action(order_id, lambda order: lifecycle.complete(g.hooks, order))


@api.route("/payment-providers")
class PaymentProviders(MethodView):
    @requires("orders.read")
    @api.response(200, ProviderSchema(many=True))
    @paginate(api)
    def get(self, pagination_parameters):
        """Payment providers of this store: cash, bank_transfer and manual, plus plugins' ones."""
        return page_of_items([{"code": p.code, "label": p.label, "offline": p.offline, "description": p.description,
                               "plugin": plugin} for plugin, p in providers(g.hooks)], pagination_parameters)


@api.route("/<int:order_id>/payments")
class Payments(MethodView):
    @requires("orders.read")
    @api.response(200, PaymentOutSchema(many=True))
    @paginate(api)
    def get(self, order_id, pagination_parameters):
        """The order's payments, oldest first."""
        order = order_or_404(order_id)
        return of_order(Payment, order, pagination_parameters)

    @requires("orders.write")
    @api.arguments(PaymentInSchema)
    @api.response(201, PaymentOutSchema)
    def post(self, data, order_id):
        """Record a payment (partial ones too). Over-payment is refused with 422; covering
        the total makes the order paid."""
        order = order_or_404(order_id)
        with service_call():
            payment = lifecycle.record_payment(g.hooks, order, provider=data["provider"], amount=data["amount"],
                                               reference_text=data["reference"], paid_at=data["paid_at"])
            db.session.commit()
        return payment


@api.route("/<int:order_id>/refunds")
class Refunds(MethodView):
    @requires("orders.read")
    @api.response(200, RefundOutSchema(many=True))
    @paginate(api)
    def get(self, order_id, pagination_parameters):
        """The order's refunds, oldest first."""
        order = order_or_404(order_id)
        return of_order(Refund, order, pagination_parameters)

    @requires("orders.refund")
    @api.arguments(RefundInSchema)
    @api.response(201, RefundOutSchema)
    def post(self, data, order_id):
        """Refund money; never more than was paid minus earlier refunds (422 otherwise)."""
        order = order_or_404(order_id)
        with service_call():
            refund = lifecycle.refund(g.hooks, order, amount=data["amount"], reason=data["reason"],
                                      provider=data["provider"], reference_text=data["reference"])
            db.session.commit()
        return refund


@api.route("/<int:order_id>/shipments")
class Shipments(MethodView):
    @requires("orders.read")
    @api.response(200, ShipmentOutSchema(many=True))
    @paginate(api)
    def get(self, order_id, pagination_parameters):
        """The order's parcels, oldest first."""
        order = order_or_404(order_id)
        return of_order(Shipment, order, pagination_parameters)

    @requires("orders.fulfil")
    @api.arguments(FulfilInSchema)
    @api.response(201, ShipmentOutSchema)
    def post(self, data, order_id):
        """Pack lines (by line and quantity, optionally per warehouse) into a new shipment;
        leave ``lines`` out to pack everything left."""
        order = order_or_404(order_id)
        items = data["lines"] or [{"order_line_id": l.id, "quantity": l.unfulfilled, "warehouse": None}
                                  for l in order.lines if l.unfulfilled > 0]
        with service_call():
            shipment = lifecycle.fulfil(g.hooks, order, items)
            db.session.commit()
        return shipment


def shipment_or_404(order, shipment_id) -> Shipment:
    return db.one_or_404(sa.select(Shipment).filter_by(id=shipment_id, order_id=order.id))


@api.route("/<int:order_id>/shipments/<int:shipment_id>/ship")
class ShipShipment(MethodView):
    @requires("orders.fulfil")
    @api.arguments(ShipInSchema)
    @api.response(200, ShipmentOutSchema)
    def post(self, data, order_id, shipment_id):
        """The parcel leaves: carrier and tracking number by hand; stock is consumed."""
        order = order_or_404(order_id)
        shipment = shipment_or_404(order, shipment_id)
        with service_call():
            lifecycle.ship(g.hooks, order, shipment, carrier=data["carrier"], tracking_number=data["tracking_number"])
            db.session.commit()
        return shipment


@api.route("/<int:order_id>/shipments/<int:shipment_id>/cancel")
class CancelShipment(MethodView):
    @requires("orders.fulfil")
    @api.response(200, ShipmentOutSchema)
    def post(self, order_id, shipment_id):
        """Cancel a packed parcel that has not left: its units are to pack again and the order
        goes back to paid or partially fulfilled. A parcel that shipped answers 409
        ``invalid_transition``."""
        order = order_or_404(order_id)
        shipment = shipment_or_404(order, shipment_id)
        with service_call():
            lifecycle.cancel_shipment(g.hooks, order, shipment)
            db.session.commit()
        return shipment


@api.route("/<int:order_id>/shipments/<int:shipment_id>/deliver")
class DeliverShipment(MethodView):
    @requires("orders.fulfil")
    @api.response(200, ShipmentOutSchema)
    def post(self, order_id, shipment_id):
        """The parcel arrived; when every parcel has, the order is delivered."""
        order = order_or_404(order_id)
        shipment = shipment_or_404(order, shipment_id)
        with service_call():
            lifecycle.deliver(g.hooks, order, shipment)
            db.session.commit()
        return shipment


@api.route("/<int:order_id>/timeline")
class Timeline(MethodView):
    @requires("orders.read")
    @api.response(200, TimelineSchema(many=True))
    @paginate(api)
    def get(self, order_id, pagination_parameters):
        """What happened to the order, oldest first."""
        return of_order(TimelineEntry, order_or_404(order_id), pagination_parameters)


from . import api_aftersales  # noqa: E402,F401  (returns, complaints and import on the same blueprint)
