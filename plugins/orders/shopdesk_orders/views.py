"""The orders pages, mounted by the host at /s/<store>/orders/."""

import math

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from marshmallow import ValidationError

from shopdesk.auth.permissions import requires
from shopdesk.db import db
from shopdesk.money import Money
from shopdesk.registry import PluginError

from . import aftersales, lifecycle, states
from .api import filtered
from .common import OrderError, as_order_error
from .importer import BadFile, read_rows, run_import
from .intake import create_order
from .models import CHANNELS, Complaint, Order, Return
from .providers import providers
from .schemas import OrderInSchema, OrderQuerySchema
from .states import IllegalTransition

bp = Blueprint("orders", __name__, url_prefix="/orders", template_folder="templates")
PAGE_SIZE = 25


def _order(order_id) -> Order:
    return db.one_or_404(sa.select(Order).filter_by(id=order_id))


def _run(work, done: str, back: str):
    """Run a service call; a refusal is flashed and nothing is written."""
    try:
        work()
        db.session.commit()
        flash(done, "success")
    except (OrderError, IllegalTransition) as exc:
        db.session.rollback()
        flash(as_order_error(exc).message, "danger")
    except PluginError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    return redirect(back)


def _int(name, default=None, minimum=0):
    value = request.form.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        abort(400, description=f"{name}: not a whole number")
    if number < minimum:
        abort(400, description=f"{name}: must be at least {minimum}")
    return number


def _amount(name, currency):
    text = request.form.get(name, "").strip()
    try:
        value = Money.from_decimal(text, currency).amount
    except Exception:
        abort(400, description=f"{name}: not an amount")
    if value <= 0:
        abort(400, description=f"{name}: must be above zero")
    return value


# --- list, new, detail ------------------------------------------------------------------


@bp.route("/")
@requires("orders.read")
def index():
    try:
        query = OrderQuerySchema().load({k: v for k, v in request.args.items() if v and k != "page"})
    except ValidationError as exc:
        flash(", ".join(f"{k}: {' '.join(map(str, v))}" for k, v in exc.messages.items()), "danger")
        query = {"sort": "-created_at"}
    page = max(1, request.args.get("page", 1, type=int))
    select = filtered(query)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(select.subquery()))
    orders = db.session.scalars(select.order_by(Order.created_at.desc(), Order.id.desc())
                                .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    pages = max(1, math.ceil(total / PAGE_SIZE))
    args = {k: v for k, v in request.args.items() if k != "page"}
    newer = url_for("orders.index", page=page - 1, **args) if page > 1 else None
    older = url_for("orders.index", page=page + 1, **args) if page < pages else None
    return render_template("orders/index.html", orders=orders, total=total, page=page, pages=pages,
                           newer=newer, older=older, statuses=states.STATUSES, channels=CHANNELS, args=args)


def _lines_from_text(text):
    lines = []
    for number, row in enumerate(text.splitlines(), start=1):
        parts = row.replace(",", " ").split()
        if not parts:
            continue
        if len(parts) > 2 or (len(parts) == 2 and not parts[1].isdigit()):
            raise ValidationError({"lines": [f"Line {number}: write 'SKU quantity'."]})
        lines.append({"sku": parts[0], "quantity": int(parts[1]) if len(parts) == 2 else 1})
    return lines


@bp.route("/new", methods=["GET", "POST"])
@requires("orders.write")
def new():
    form = request.form
    if request.method == "POST":
        address = {k: form.get(f"ship_{k}", "").strip() for k in ("name", "line1", "city", "postal_code", "country")}
        try:
            data = OrderInSchema().load({
                "channel": form.get("channel", "manual"), "external_id": form.get("external_id") or None,
                "customer": {"name": form.get("customer_name", ""), "email": form.get("customer_email", ""),
                             "phone": form.get("customer_phone", "")},
                "shipping_address": {k: v for k, v in address.items() if v},
                "billing_address": {k: v for k, v in address.items() if v},
                "note": form.get("note", ""), "lines": _lines_from_text(form.get("lines", "")),
                "shipping_fee": _money_field("shipping_fee"), "draft": form.get("draft") == "on",
            })
        except ValidationError as exc:
            for field, messages in _flat(exc.messages):
                flash(f"{field}: {' '.join(messages)}", "danger")
            return render_template("orders/new.html", form=form, channels=CHANNELS), 400
        draft = data.pop("draft")
        try:
            order, _ = create_order(g.hooks, data, place=not draft, number_apart=True)
            db.session.commit()
        except (OrderError, IllegalTransition) as exc:
            db.session.rollback()
            flash(as_order_error(exc).message, "danger")
            return render_template("orders/new.html", form=form, channels=CHANNELS), 400
        flash(gettext("Order %(number)s saved.", number=order.number), "success")
        return redirect(url_for("orders.detail", order_id=order.id))
    return render_template("orders/new.html", form=form, channels=CHANNELS)


def _flat(messages, prefix=""):
    """marshmallow's nested messages as (dotted field, [texts]) pairs, for flashing."""
    for key, value in messages.items():
        if isinstance(value, dict):
            yield from _flat(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", [str(v) for v in value]


def _money_field(name):
    text = request.form.get(name, "").strip()
    if not text:
        return 0
    try:
        return Money.from_decimal(text, g.store.currency).amount
    except Exception:
        raise ValidationError({name: ["Not an amount."]}) from None


@bp.route("/<int:order_id>")
@requires("orders.read")
def detail(order_id):
    return _detail_page(_order(order_id))


def _detail_page(order, packing=None):
    """The order page; ``packing`` is the pack form as typed, shown again when it was refused."""
    returns = db.session.scalars(sa.select(Return).filter_by(order_id=order.id).order_by(Return.id)).all()
    complaints = db.session.scalars(sa.select(Complaint).filter_by(order_id=order.id).order_by(Complaint.id)).all()
    return render_template("orders/detail.html", order=order, returns=returns, complaints=complaints,
                           providers=providers(g.hooks), states=states, reasons=aftersales.REASONS,
                           packing=packing or {})


@bp.route("/<int:order_id>/invoice")
@requires("orders.read")
def invoice(order_id):
    return render_template("orders/invoice.html", order=_order(order_id))


@bp.route("/<int:order_id>/pick-list")
@requires("orders.read")
def pick_list(order_id):
    order = _order(order_id)
    return render_template("orders/pick_list.html", order=order,
                           lines=[l for l in order.lines if l.unfulfilled > 0])


@bp.route("/<int:order_id>/shipments/<int:shipment_id>/packing-slip")
@requires("orders.read")
def packing_slip(order_id, shipment_id):
    order = _order(order_id)
    shipment = next((s for s in order.shipments if s.id == shipment_id), None)
    if shipment is None:
        abort(404)
    return render_template("orders/packing_slip.html", order=order, shipment=shipment)


# --- actions ----------------------------------------------------------------------------


def _back(order):
    return url_for("orders.detail", order_id=order.id)


@bp.route("/<int:order_id>/place", methods=["POST"])
@requires("orders.write")
def place(order_id):
    order = _order(order_id)
    return _run(lambda: lifecycle.place(g.hooks, order), gettext("Order placed."), _back(order))


@bp.route("/<int:order_id>/cancel", methods=["POST"])
@requires("orders.write")
def cancel(order_id):
    order = _order(order_id)
    reason = request.form.get("reason", "")[:500]
    return _run(lambda: lifecycle.cancel(g.hooks, order, reason), gettext("Order cancelled."), _back(order))


@bp.route("/<int:order_id>/complete", methods=["POST"])
@requires("orders.fulfil")
def complete(order_id):
    order = _order(order_id)
    return _run(lambda: lifecycle.complete(g.hooks, order), gettext("Order completed."), _back(order))


@bp.route("/<int:order_id>/payments", methods=["POST"])
@requires("orders.write")
def pay(order_id):
    order = _order(order_id)
    amount = _amount("amount", order.currency)
    provider = request.form.get("provider", "")
    reference = request.form.get("reference", "")[:200]
    return _run(lambda: lifecycle.record_payment(g.hooks, order, provider=provider, amount=amount,
                                                 reference_text=reference),
                gettext("Payment recorded."), _back(order))


@bp.route("/<int:order_id>/refunds", methods=["POST"])
@requires("orders.refund")
def refund(order_id):
    order = _order(order_id)
    amount = _amount("amount", order.currency)
    reason = request.form.get("reason", "")[:500]
    return _run(lambda: lifecycle.refund(g.hooks, order, amount=amount, reason=reason),
                gettext("Refund recorded."), _back(order))


@bp.route("/<int:order_id>/shipments", methods=["POST"])
@requires("orders.fulfil")
def fulfil(order_id):
    order = _order(order_id)
    items = []
    for line in order.lines:
        quantity = _int(f"qty_{line.id}", 0)
        if quantity:
            items.append({"order_line_id": line.id, "quantity": quantity,
                          "warehouse": request.form.get(f"wh_{line.id}", "").strip()[:40] or None})
    if not items:
        flash(gettext("Choose at least one unit to pack."), "danger")
        return redirect(_back(order))
    try:
        lifecycle.fulfil(g.hooks, order, items)
        db.session.commit()
    except (OrderError, IllegalTransition) as exc:
        db.session.rollback()
        error = as_order_error(exc)
        flash(error.message, "danger")
        return _detail_page(_order(order_id), packing=request.form), error.status
    except PluginError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return _detail_page(_order(order_id), packing=request.form), 502
    flash(gettext("Shipment packed."), "success")
    return redirect(_back(order))


def _shipment(order, shipment_id):
    shipment = next((s for s in order.shipments if s.id == shipment_id), None)
    if shipment is None:
        abort(404)
    return shipment


@bp.route("/<int:order_id>/shipments/<int:shipment_id>/ship", methods=["POST"])
@requires("orders.fulfil")
def ship(order_id, shipment_id):
    order = _order(order_id)
    shipment = _shipment(order, shipment_id)
    carrier = request.form.get("carrier", "").strip()[:100]
    tracking = request.form.get("tracking_number", "").strip()[:100]
    return _run(lambda: lifecycle.ship(g.hooks, order, shipment, carrier=carrier, tracking_number=tracking),
                gettext("Shipment shipped."), _back(order))


@bp.route("/<int:order_id>/shipments/<int:shipment_id>/cancel", methods=["POST"])
@requires("orders.fulfil")
def cancel_shipment(order_id, shipment_id):
    order = _order(order_id)
    shipment = _shipment(order, shipment_id)
    if request.form.get("confirm") != "yes":
        flash(gettext("confirm: tick the box to cancel the parcel."), "danger")
        return redirect(_back(order))
    return _run(lambda: lifecycle.cancel_shipment(g.hooks, order, shipment),
                gettext("Shipment cancelled: its units are to pack again."), _back(order))


@bp.route("/<int:order_id>/shipments/<int:shipment_id>/deliver", methods=["POST"])
@requires("orders.fulfil")
def deliver(order_id, shipment_id):
    order = _order(order_id)
    shipment = _shipment(order, shipment_id)
    return _run(lambda: lifecycle.deliver(g.hooks, order, shipment), gettext("Shipment delivered."), _back(order))


@bp.route("/<int:order_id>/returns", methods=["POST"])
@requires("orders.support")
def request_return(order_id):
    order = _order(order_id)
    items = [{"order_line_id": l.id, "quantity": _int(f"ret_{l.id}", 0)} for l in order.lines]
    items = [i for i in items if i["quantity"]]
    reason = request.form.get("reason", "")
    comment = request.form.get("comment", "")[:5000]
    if not items:
        flash(gettext("Choose at least one unit to return."), "danger")
        return redirect(_back(order))
    return _run(lambda: aftersales.request_return(g.hooks, order, items=items, reason=reason, comment=comment),
                gettext("Return requested."), _back(order))


@bp.route("/<int:order_id>/complaints", methods=["POST"])
@requires("orders.support")
def open_complaint(order_id):
    order = _order(order_id)
    subject = request.form.get("subject", "").strip()[:200]
    message = request.form.get("message", "").strip()[:20000]
    if not subject or not message:
        flash(gettext("A complaint needs a subject and a message."), "danger")
        return redirect(_back(order))
    return _run(lambda: aftersales.open_complaint(g.hooks, order, subject=subject, message=message,
                                                  assignee=request.form.get("assignee", "")[:255]),
                gettext("Complaint opened."), _back(order))


# --- returns ----------------------------------------------------------------------------


@bp.route("/returns")
@requires("orders.read")
def returns():
    rows = db.session.scalars(sa.select(Return).order_by(Return.id.desc()).limit(200)).all()
    return render_template("orders/returns.html", returns=rows, reasons=aftersales.REASONS)


def _return(return_id) -> Return:
    return db.one_or_404(sa.select(Return).filter_by(id=return_id))


@bp.route("/returns/<int:return_id>/<any(approve, reject):decision>", methods=["POST"])
@requires("orders.support")
def decide_return(return_id, decision):
    rma = _return(return_id)
    text = request.form.get("note", "")[:2000]
    work = aftersales.approve_return if decision == "approve" else aftersales.reject_return
    done = gettext("Return approved.") if decision == "approve" else gettext("Return rejected.")
    return _run(lambda: work(g.hooks, rma, text), done, _back(rma.order))


@bp.route("/returns/<int:return_id>/receive", methods=["POST"])
@requires("orders.fulfil")
def receive_return(return_id):
    rma = _return(return_id)
    lines = [{"return_line_id": l.id, "disposition": request.form.get(f"disp_{l.id}", "restock"),
              "warehouse": request.form.get(f"wh_{l.id}", "").strip()[:40] or None} for l in rma.lines]
    if any(l["disposition"] not in aftersales.DISPOSITIONS for l in lines):
        abort(400, description="disposition: restock or scrap")
    return _run(lambda: aftersales.receive_return(g.hooks, rma, lines), gettext("Return received."), _back(rma.order))


@bp.route("/returns/<int:return_id>/refund", methods=["POST"])
@requires("orders.refund")
def refund_return(return_id):
    rma = _return(return_id)
    amount = _amount("amount", rma.order.currency) if request.form.get("amount", "").strip() else None
    return _run(lambda: aftersales.refund_return(g.hooks, rma, amount), gettext("Return refunded."), _back(rma.order))


@bp.route("/returns/<int:return_id>/exchange", methods=["POST"])
@requires("orders.support")
def exchange_return(return_id):
    rma = _return(return_id)
    return _run(lambda: aftersales.exchange_return(g.hooks, rma),
                gettext("Replacement order placed."), _back(rma.order))


# --- complaints -------------------------------------------------------------------------


@bp.route("/complaints")
@requires("orders.read")
def complaints():
    status = request.args.get("status") or None
    select = sa.select(Complaint).order_by(Complaint.due_at, Complaint.id).limit(200)
    if status in aftersales.COMPLAINT_STATUSES:
        select = select.filter_by(status=status)
    return render_template("orders/complaints.html", complaints=db.session.scalars(select).all(), status=status,
                           statuses=aftersales.COMPLAINT_STATUSES)


def _complaint(complaint_id) -> Complaint:
    return db.one_or_404(sa.select(Complaint).filter_by(id=complaint_id))


@bp.route("/complaints/<int:complaint_id>")
@requires("orders.read")
def complaint(complaint_id):
    return render_template("orders/complaint.html", complaint=_complaint(complaint_id),
                           statuses=aftersales.COMPLAINT_STATUSES)


@bp.route("/complaints/<int:complaint_id>", methods=["POST"])
@requires("orders.support")
def update_complaint(complaint_id):
    item = _complaint(complaint_id)
    back = url_for("orders.complaint", complaint_id=item.id)
    body = request.form.get("body", "").strip()[:20000]
    status = request.form.get("status") or None
    if status is not None and status not in aftersales.COMPLAINT_STATUSES:
        abort(400, description="status: open, pending or closed")

    def work():
        if body:
            aftersales.add_message(g.hooks, item, body=body, from_customer=request.form.get("from_customer") == "on")
        aftersales.update_complaint(g.hooks, item, status=status, assignee=request.form.get("assignee"))

    return _run(work, gettext("Complaint updated."), back)


# --- import -----------------------------------------------------------------------------


@bp.route("/import", methods=["GET"])
@requires("orders.write")
def import_page():
    return render_template("orders/import.html", report=None)


@bp.route("/import", methods=["POST"])
@requires("orders.write")
def import_upload():
    upload = request.files.get("file")
    dry_run = request.form.get("dry_run") == "on"
    if upload is None or not upload.filename:
        flash(gettext("Choose a .csv or .xlsx file."), "danger")
        return render_template("orders/import.html", report=None), 400
    try:
        rows = read_rows(upload.filename, upload.read())
    except BadFile as exc:
        flash(str(exc), "danger")
        return render_template("orders/import.html", report=None), 400
    report = run_import(g.hooks, rows, dry_run=dry_run)
    return render_template("orders/import.html", report=report)


@bp.context_processor
def money_helper():
    """``{{ m(order.total, order.currency) }}``: minor units as the reader's money format."""
    from shopdesk.i18n import format_money

    return {"m": lambda amount, currency: format_money(Money(int(amount or 0), currency)),
            "dec": lambda amount, currency: Money(int(amount or 0), currency).to_decimal()}


@bp.app_template_global("orders_status_label")
def status_label(status: str) -> str:
    """A status as the reader's language says it (``placed`` → 已下單)."""
    return gettext(states.LABELS.get(status, status))
