"""The inventory pages, mounted by the host at /s/<store>/inventory/.

Forms post to the same services as the API; a refusal is shown with its message and a 400
(409 for a stock or state conflict), and nothing is written.
"""

from contextlib import contextmanager
from datetime import datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from shopdesk.auth.permissions import allowed, requires
from shopdesk.commerce import OutOfStock
from shopdesk.db import db, utcnow
from shopdesk_catalog import public as catalog
from shopdesk_catalog.public import Variant

from . import analytics, counts, open_orders, operations, replenishment, stock
from .models import CountSession, Reservation, StockLevel, StockMove, Transfer, Warehouse
from .operations import ADJUSTMENT_REASONS

bp = Blueprint("inventory", __name__, url_prefix="/inventory", template_folder="templates")


@bp.app_template_filter("stock_money")
def stock_money(minor, currency):
    """Minor units of ``currency`` formatted for the reader (the shell's money filter takes Money)."""
    from shopdesk.i18n import format_money
    from shopdesk.money import Money

    return format_money(Money(int(round(minor or 0)), currency))


class Refused(Exception):
    def __init__(self, message, status=400):
        self.message, self.status = message, status
        super().__init__(message)


@contextmanager
def refusals():
    try:
        yield
    except stock.InvalidStockRequest as exc:
        db.session.rollback()
        raise Refused(f"{exc.field}: {exc}") from exc
    except OutOfStock as exc:
        db.session.rollback()
        raise Refused(str(exc), 409) from exc
    except operations.StateError as exc:
        db.session.rollback()
        raise Refused(str(exc), 409) from exc
    except PermissionError as exc:
        db.session.rollback()
        raise Refused(str(exc), 403) from exc


@bp.errorhandler(Refused)
def show_refusal(exc):
    return render_template("inventory/refused.html", message=exc.message, back=request.referrer), exc.status


def settings():
    return current_app.extensions["shopdesk"].for_store(g.store).context("inventory").settings


def _int(name, *, minimum=None, maximum=1_000_000, required=True):
    raw = (request.form.get(name) or "").strip()
    if not raw and not required:
        return None
    try:
        value = int(raw)
    except ValueError:
        raise Refused(gettext("%(field)s: enter a whole number.", field=name)) from None
    if (minimum is not None and value < minimum) or value > maximum:
        raise Refused(gettext("%(field)s: out of range.", field=name))
    return value


def _text(name, *, max_length=120, required=True):
    value = (request.form.get(name) or "").strip()
    if required and not value:
        raise Refused(gettext("%(field)s: required.", field=name))
    if len(value) > max_length:
        raise Refused(gettext("%(field)s: too long.", field=name))
    return value


def _lines_from_form():
    """Lines typed as one ``SKU quantity`` pair per line."""
    lines = []
    for number, text in enumerate((request.form.get("lines") or "").splitlines(), start=1):
        if not text.strip():
            continue
        parts = text.replace(",", " ").split()
        if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) < 1 or int(parts[1]) > 1_000_000:
            raise Refused(gettext("lines: line %(number)s must be 'SKU quantity'.", number=number))
        lines.append({"sku": parts[0], "quantity": int(parts[1])})
    if not lines:
        raise Refused(gettext("lines: give at least one 'SKU quantity' line."))
    return lines


def _warehouses():
    return db.session.scalars(sa.select(Warehouse).order_by(Warehouse.priority, Warehouse.code)).all()


# --- stock ---------------------------------------------------------------------------------


@bp.route("/")
@requires("inventory.read")
def index():
    query = (sa.select(StockLevel, Variant.sku, Warehouse.code).join(Variant, Variant.id == StockLevel.variant_id)
             .join(Warehouse, Warehouse.id == StockLevel.warehouse_id))
    sku = (request.args.get("sku") or "").strip()
    if sku:
        query = query.where(Variant.sku.contains(sku[:64]))
    rows = db.session.execute(query.order_by(Variant.sku, Warehouse.priority).limit(500)).all()
    return render_template("inventory/index.html", rows=rows, sku=sku, warehouses=_warehouses(),
                           reasons=ADJUSTMENT_REASONS,
                           can_write=allowed("inventory.write"), can_adjust=allowed("inventory.adjust"))


@bp.route("/moves")
@requires("inventory.read")
def moves():
    found = db.session.execute(
        sa.select(StockMove, Variant.sku, Warehouse.code).join(Variant, Variant.id == StockMove.variant_id)
        .join(Warehouse, Warehouse.id == StockMove.warehouse_id).order_by(StockMove.id.desc()).limit(300)).all()
    return render_template("inventory/moves.html", moves=found)


@bp.route("/receive", methods=["POST"])
@requires("inventory.write")
def receive():
    with refusals():
        operations.receive(_text("warehouse", max_length=20), _lines_from_form(),
                           reference=_text("reference", required=False), note=_text("note", max_length=500,
                                                                                      required=False))
        db.session.commit()
    flash(gettext("Goods received."), "success")
    return redirect(url_for("inventory.index"))


@bp.route("/adjust", methods=["POST"])
@requires("inventory.adjust")
def adjust():
    quantity = _int("quantity", minimum=-1_000_000)
    if quantity == 0:
        raise Refused(gettext("quantity: must not be zero."))
    with refusals():
        operations.adjust(_text("sku", max_length=64), _text("warehouse", max_length=20), quantity,
                          _text("reason", max_length=40), note=_text("note", max_length=500, required=False))
        db.session.commit()
    flash(gettext("Stock adjusted."), "success")
    return redirect(url_for("inventory.index"))


@bp.route("/reservations")
@requires("inventory.read")
def reservations():
    return _reservations_page()


def _reservations_page(summary=None):
    found = db.session.execute(
        sa.select(Reservation, Variant.sku, Warehouse.code).join(Variant, Variant.id == Reservation.variant_id)
        .join(Warehouse, Warehouse.id == Reservation.warehouse_id).order_by(Reservation.id.desc()).limit(300)).all()
    return render_template("inventory/reservations.html", reservations=found, summary=summary,
                           unreserved=len(open_orders.unreserved(g.hooks)), can_write=allowed("inventory.write"))


@bp.route("/reservations/open-orders", methods=["POST"])
@requires("inventory.write")
def reserve_open_orders():
    """Reserve stock for the open orders placed before inventory was enabled (confirmed)."""
    if request.form.get("confirm") != "yes":
        raise Refused(gettext("confirm: tick the box to reserve stock for the open orders."))
    summary = open_orders.run(g.hooks, settings())
    flash(gettext("Reserved %(units)s unit(s) for %(orders)s order(s).", units=summary["reserved_units"],
                  orders=summary["reserved_documents"]), "success" if not summary["shortfalls"] else "warning")
    return _reservations_page(summary)


# --- warehouses ----------------------------------------------------------------------------


@bp.route("/warehouses", methods=["GET", "POST"])
@requires("inventory.read")
def warehouses():
    if request.method == "POST":
        if not allowed("inventory.write"):
            raise Refused(gettext("You need the 'inventory.write' permission in this store."), 403)
        code = _text("code", max_length=20)
        if not code.replace("-", "").replace("_", "").isalnum():
            raise Refused(gettext("code: letters, digits, - or _ only."))
        with refusals():
            operations.create_warehouse(code, _text("name"), _int("priority", minimum=0, maximum=10_000))
            db.session.commit()
        flash(gettext("Warehouse added."), "success")
        return redirect(url_for("inventory.warehouses"))
    return render_template("inventory/warehouses.html", warehouses=_warehouses(),
                           can_write=allowed("inventory.write"))


# --- transfers -----------------------------------------------------------------------------


@bp.route("/transfers", methods=["GET", "POST"])
@requires("inventory.read")
def transfers():
    if request.method == "POST":
        if not allowed("inventory.write"):
            raise Refused(gettext("You need the 'inventory.write' permission in this store."), 403)
        with refusals():
            transfer = operations.create_transfer(_text("from_warehouse", max_length=20),
                                                  _text("to_warehouse", max_length=20), _lines_from_form(),
                                                  note=_text("note", max_length=500, required=False))
            db.session.commit()
        return redirect(url_for("inventory.transfer", transfer_id=transfer.id))
    found = db.session.scalars(sa.select(Transfer).order_by(Transfer.id.desc()).limit(200)).all()
    return render_template("inventory/transfers.html", transfers=found, warehouses=_warehouses(),
                           can_write=allowed("inventory.write"))


@bp.route("/transfers/<int:transfer_id>")
@requires("inventory.read")
def transfer(transfer_id):
    found = db.one_or_404(sa.select(Transfer).filter_by(id=transfer_id))
    skus = catalog.skus_by_id(l.variant_id for l in found.lines)
    return render_template("inventory/transfer.html", transfer=found, skus=skus, can_write=allowed("inventory.write"))


@bp.route("/transfers/<int:transfer_id>/<any(ship, receive, cancel):action>", methods=["POST"])
@requires("inventory.write")
def transfer_action(transfer_id, action):
    found = db.one_or_404(sa.select(Transfer).filter_by(id=transfer_id))
    with refusals():
        if action == "ship":
            operations.ship_transfer(found)
        elif action == "cancel":
            operations.cancel_transfer(found)
        else:
            quantities = {line.id: _int(f"line-{line.id}", minimum=0) for line in found.lines
                          if f"line-{line.id}" in request.form}
            operations.receive_transfer(found, quantities or None)
        db.session.commit()
    flash(gettext("Transfer %(id)s is now %(status)s.", id=found.id, status=found.status), "success")
    return redirect(url_for("inventory.transfer", transfer_id=found.id))


# --- counts --------------------------------------------------------------------------------


@bp.route("/counts", methods=["GET", "POST"])
@requires("inventory.read")
def count_list():
    if request.method == "POST":
        if not allowed("inventory.count"):
            raise Refused(gettext("You need the 'inventory.count' permission in this store."), 403)
        scope = request.form.get("scope", "warehouse")
        with refusals():
            session = counts.start_count(
                settings(), _text("warehouse", max_length=20), scope=scope,
                category_id=_int("category_id", minimum=1, maximum=2**31 - 1, required=False),
                abc_class=request.form.get("abc_class") or None, blind=bool(request.form.get("blind")))
            db.session.commit()
        return redirect(url_for("inventory.count", count_id=session.id))
    found = db.session.scalars(sa.select(CountSession).order_by(CountSession.id.desc()).limit(200)).all()
    categories = catalog.categories()
    return render_template("inventory/counts.html", sessions=found, warehouses=_warehouses(),
                           categories=categories, accuracy=analytics.count_accuracy(),
                           can_count=allowed("inventory.count"))


@bp.route("/counts/<int:count_id>", methods=["GET", "POST"])
@requires("inventory.read")
def count(count_id):
    session = db.one_or_404(sa.select(CountSession).filter_by(id=count_id))
    if request.method == "POST":
        if not allowed("inventory.count"):
            raise Refused(gettext("You need the 'inventory.count' permission in this store."), 403)
        with refusals():
            upload = request.files.get("file")
            if upload is not None and upload.filename:
                entered = counts.parse_sheet(upload.filename, upload.read())
            else:
                entered = {row["sku"]: _int(f"count-{row['line_id']}", minimum=0, required=False)
                           for row in counts.sheet(session) if f"count-{row['line_id']}" in request.form}
            counts.record_counts(session, entered)
            db.session.commit()
        flash(gettext("Counts saved."), "success")
        return redirect(url_for("inventory.count", count_id=session.id))
    return render_template("inventory/count.html", session=session, rows=counts.sheet(session),
                           can_count=allowed("inventory.count"), can_approve=allowed("inventory.approve"))


@bp.route("/counts/<int:count_id>/sheet.<any(csv, xlsx):fmt>")
@requires("inventory.read")
def count_sheet(count_id, fmt):
    from .api import sheet_response

    return sheet_response(db.one_or_404(sa.select(CountSession).filter_by(id=count_id)), fmt)


@bp.route("/counts/<int:count_id>/<any(submit, cancel):action>", methods=["POST"])
@requires("inventory.count")
def count_action(count_id, action):
    session = db.one_or_404(sa.select(CountSession).filter_by(id=count_id))
    with refusals():
        getattr(counts, action)(session)
        db.session.commit()
    flash(gettext("Count %(id)s is now %(status)s.", id=session.id, status=session.status), "success")
    return redirect(url_for("inventory.count", count_id=session.id))


@bp.route("/counts/<int:count_id>/approve", methods=["POST"])
@requires("inventory.approve")
def count_approve(count_id):
    session = db.one_or_404(sa.select(CountSession).filter_by(id=count_id))
    with refusals():
        counts.approve(session)
        db.session.commit()
    flash(gettext("Count approved; variances posted."), "success")
    return redirect(url_for("inventory.count", count_id=session.id))


# --- replenishment and reports -------------------------------------------------------------


@bp.route("/replenishment")
@requires("inventory.read")
def replenishment_page():
    only = request.args.get("show") == "suggestions"
    sku = (request.args.get("sku") or "").strip()[:64] or None
    plan = (replenishment.suggestions if only else replenishment.plan)(settings(), sku=sku)
    return render_template("inventory/replenishment.html", plan=plan, only=only, sku=sku or "",
                           settings=settings())


@bp.route("/reports")
@requires("inventory.read")
def reports():
    today = utcnow().date()
    try:
        days = max(7, min(730, int(request.args.get("days", 90))))
    except ValueError:
        days = 90
    end = datetime.combine(today + timedelta(days=1), time(), tzinfo=timezone.utc)
    start = end - timedelta(days=days)
    by = "category" if request.args.get("by") == "category" else "sku"
    return render_template("inventory/reports.html", days=days, by=by,
                           turnover=analytics.turnover(start, end, by=by),
                           abc=analytics.abc_classes(settings()), slow=analytics.slow_movers(settings()),
                           settings=settings())
