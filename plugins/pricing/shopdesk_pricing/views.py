"""The pricing pages, mounted by the host at /s/<store>/pricing/.

Forms are plain HTML posted with the CSRF token and validated by the API's own schemas, so
the pages and the API accept and refuse exactly the same input.
"""

from decimal import Decimal

import sqlalchemy as sa
from babel.numbers import get_currency_precision
from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from shopdesk.auth.permissions import allowed, requires
from shopdesk.commerce import StockLine
from shopdesk.db import db, utcnow
from shopdesk_catalog import public as catalog
from shopdesk_catalog.public import Variant

from . import changes, competitor_imports, competitors, engine, service
from .models import CompetitorImport, CompetitorPrice, CostPlusRule, PriceApproval, PriceList, PriceListItem, ScheduledChange, VolumeBreak
from .rules import ROUNDING_RULES, to_minor
from .schemas import (
    PriceBulkUpdateSchema, CompetitorPriceSchema, CostPlusRuleSchema, PriceItemSchema, PriceListChangesSchema, PriceListSchema,
    PriceQuoteRequestSchema, ScheduledChangeSchema, VolumeBreakSchema,
)

bp = Blueprint("pricing", __name__, url_prefix="/pricing", template_folder="templates")


def form_data(*names, booleans=(), money=(), currency=None):
    """The named form fields, blank ones left out (so schema defaults apply). Fields in
    ``money`` are typed in major units of ``currency`` ("12.90", "1,200") and handed on in
    minor units, as the API takes them; an amount that is not one is flashed, and None returned."""
    data = {n: request.form[n].strip() for n in names if request.form.get(n, "").strip() != ""}
    for name in booleans:
        data[name] = name in request.form
    for name in money:
        if name in data:
            try:
                data[name] = to_minor(data[name], currency)
            except (ValueError, ArithmeticError):
                digits = get_currency_precision(currency)
                example = "1,200" + ("." + "5" * digits if digits else "")
                flash(gettext("%(field)s: not an amount in %(currency)s with at most %(digits)d decimals, "
                              "e.g. %(example)s.", field=name, currency=currency, digits=digits,
                              example=example), "danger")
                return None
    return data


def load(schema, data, **kwargs):
    """Validate like the API does; on error flash every field's message and return None."""
    if data is None:
        return None
    try:
        return schema(**kwargs).load(data)
    except ValidationError as exc:
        for field, messages in exc.normalized_messages().items():
            flash(f"{field}: {' '.join(map(str, messages)) if isinstance(messages, list) else messages}", "danger")
        return None


def api_error(exc: HTTPException):
    """Show an error the shared service raised for the API (422 naming fields) as flashes."""
    data = getattr(exc, "data", None) or {}
    errors = data.get("errors") or {}
    if errors:
        for field, messages in errors.items():
            flash(f"{field}: {' '.join(map(str, messages))}", "danger")
    else:
        flash(data.get("message") or exc.description, "danger")
    db.session.rollback()


def lookups():
    return {"categories": catalog.categories(), "brands": catalog.brands(), "tags": catalog.tags(),
            "price_lists": db.session.scalars(sa.select(PriceList).order_by(PriceList.name)).all()}


# --- price lists ---------------------------------------------------------------------------------


@bp.route("/")
@requires("pricing.read")
def index():
    price_lists = db.session.scalars(sa.select(PriceList).order_by(PriceList.priority.desc(), PriceList.id)).all()
    counts = dict(db.session.execute(sa.select(PriceListItem.price_list_id, sa.func.count())
                                     .group_by(PriceListItem.price_list_id)).all())
    upcoming = upcoming_changes()
    pending = db.session.scalar(sa.select(sa.func.count()).select_from(PriceApproval).filter_by(status="pending"))
    return render_template("pricing/index.html", price_lists=price_lists, counts=counts, upcoming=upcoming,
                           pending=pending, settings=service.settings(), rounding_rules=ROUNDING_RULES,
                           can_write=allowed("pricing.write"), now=utcnow())


def upcoming_changes(list_id=None):
    query = (sa.select(ScheduledChange, Variant.sku).join(Variant, Variant.id == ScheduledChange.variant_id)
             .where(ScheduledChange.status.in_(("scheduled", "pending_approval", "active")))
             .order_by(ScheduledChange.starts_at, ScheduledChange.id))
    if list_id is not None:
        query = query.where(ScheduledChange.price_list_id == list_id)
    return db.session.execute(query).all()


LIST_FIELDS = ("name", "currency", "customer_group", "priority", "valid_from", "valid_to")


@bp.route("/lists", methods=["POST"])
@requires("pricing.write")
def create_list():
    data = load(PriceListSchema, form_data(*LIST_FIELDS, booleans=("active",)))
    if data is not None:
        try:
            price_list = service.create_price_list(data, g.store)
            db.session.commit()
            flash(gettext("Price list created."), "success")
            return redirect(url_for("pricing.price_list", list_id=price_list.id))
        except HTTPException as exc:
            api_error(exc)
    return redirect(url_for("pricing.index"))


@bp.route("/lists/<int:list_id>")
@requires("pricing.read")
def price_list(list_id):
    the_list = service.price_list_or_404(list_id)
    items = db.session.execute(sa.select(PriceListItem, Variant).join(Variant, Variant.id == PriceListItem.variant_id)
                               .where(PriceListItem.price_list_id == list_id)
                               .order_by(Variant.sku, PriceListItem.min_quantity)).all()
    return render_template("pricing/list.html", price_list=the_list, items=items,
                           upcoming=upcoming_changes(list_id), can_write=allowed("pricing.write"))


@bp.route("/lists/<int:list_id>/edit", methods=["POST"])
@requires("pricing.write")
def edit_list(list_id):
    the_list = service.price_list_or_404(list_id)
    data = load(PriceListChangesSchema, form_data(*LIST_FIELDS, booleans=("active",)))
    if data is not None:
        data.pop("currency", None)
        for key in ("customer_group", "valid_from", "valid_to"):
            data.setdefault(key, None)
        try:
            service.change_price_list(the_list, data)
            db.session.commit()
            flash(gettext("Price list saved."), "success")
        except HTTPException as exc:
            api_error(exc)
    return redirect(url_for("pricing.price_list", list_id=list_id))


@bp.route("/lists/<int:list_id>/delete", methods=["POST"])
@requires("pricing.write")
def delete_list(list_id):
    service.delete_price_list(service.price_list_or_404(list_id))
    db.session.commit()
    flash(gettext("Price list deleted."), "success")
    return redirect(url_for("pricing.index"))


@bp.route("/lists/<int:list_id>/items", methods=["POST"])
@requires("pricing.write")
def set_price(list_id):
    the_list = service.price_list_or_404(list_id)
    data = load(PriceItemSchema, form_data("sku", "min_quantity", "price", money=("price",),
                                           currency=the_list.currency))
    if data is not None:
        try:
            variant = service.variant_or_422(data["sku"])
            outcome, _ = changes.set_list_price(service.settings(), g.store, current_user, the_list, variant,
                                                data["min_quantity"], data["price"])
            db.session.commit()
            if outcome == "applied":
                flash(gettext("Price saved."), "success")
            else:
                flash(gettext("Below the minimum margin: the price waits for approval."), "warning")
        except changes.MarginRefused as exc:
            db.session.rollback()
            flash(gettext("Refused: %(detail)s", detail=str(exc)), "danger")
        except HTTPException as exc:
            api_error(exc)
    return redirect(url_for("pricing.price_list", list_id=list_id))


@bp.route("/lists/<int:list_id>/items/<int:item_id>/delete", methods=["POST"])
@requires("pricing.write")
def delete_item(list_id, item_id):
    item = db.one_or_404(sa.select(PriceListItem).filter_by(id=item_id, price_list_id=list_id))
    changes.remove_list_price(item, catalog.get_variant(item.variant_id))
    db.session.commit()
    flash(gettext("Price removed."), "success")
    return redirect(url_for("pricing.price_list", list_id=list_id))


@bp.route("/lists/<int:list_id>/breaks", methods=["POST"])
@requires("pricing.write")
def add_break(list_id):
    the_list = service.price_list_or_404(list_id)
    data = load(VolumeBreakSchema, form_data("min_quantity", "discount_percent"))
    if data is not None:
        try:
            service.add_volume_break(the_list, data)
            db.session.commit()
            flash(gettext("Volume break added."), "success")
        except HTTPException as exc:
            api_error(exc)
    return redirect(url_for("pricing.price_list", list_id=list_id))


@bp.route("/lists/<int:list_id>/breaks/<int:break_id>/delete", methods=["POST"])
@requires("pricing.write")
def delete_break(list_id, break_id):
    service.remove_volume_break(db.one_or_404(sa.select(VolumeBreak).filter_by(id=break_id, price_list_id=list_id)))
    db.session.commit()
    flash(gettext("Volume break removed."), "success")
    return redirect(url_for("pricing.price_list", list_id=list_id))


@bp.route("/lists/<int:list_id>/schedule", methods=["POST"])
@requires("pricing.write")
def schedule(list_id):
    the_list = service.price_list_or_404(list_id)
    raw = form_data("sku", "min_quantity", "new_price", "starts_at", "ends_at", "note", money=("new_price",),
                    currency=the_list.currency)
    data = load(ScheduledChangeSchema, None if raw is None else {**raw, "price_list_id": list_id})
    if data is not None:
        try:
            variant = service.variant_or_422(data["sku"])
            change = changes.schedule_change(service.settings(), g.store, current_user, the_list, variant,
                                             data["min_quantity"], data["new_price"], data["starts_at"],
                                             data.get("ends_at"), data.get("note", ""))
            db.session.commit()
            if change.status == "pending_approval":
                flash(gettext("Scheduled, below the minimum margin: it waits for approval."), "warning")
            else:
                flash(gettext("Price change scheduled."), "success")
        except changes.MarginRefused as exc:
            db.session.rollback()
            flash(gettext("Refused: %(detail)s", detail=str(exc)), "danger")
        except HTTPException as exc:
            api_error(exc)
    return redirect(url_for("pricing.price_list", list_id=list_id))


@bp.route("/changes/<int:change_id>/cancel", methods=["POST"])
@requires("pricing.write")
def cancel(change_id):
    change = db.one_or_404(sa.select(ScheduledChange).filter_by(id=change_id))
    try:
        changes.cancel_change(change)
        db.session.commit()
        flash(gettext("Scheduled change cancelled."), "success")
    except changes.NotPending as exc:
        flash(str(exc), "danger")
    back = request.form.get("next", "")
    if not back.startswith(f"/s/{g.store.slug}/pricing/"):  # only back to a pricing page of this store
        back = url_for("pricing.index")
    return redirect(back)


# --- approvals -----------------------------------------------------------------------------------


@bp.route("/approvals")
@requires("pricing.read")
def approvals():
    rows = db.session.execute(sa.select(PriceApproval, Variant.sku).join(Variant, Variant.id == PriceApproval.variant_id)
                              .order_by((PriceApproval.status == "pending").desc(), PriceApproval.id.desc())
                              .limit(200)).all()
    return render_template("pricing/approvals.html", rows=rows, can_approve=allowed("pricing.approve"),
                           current_price=changes.current_price)


@bp.route("/approvals/<int:approval_id>/<any(approve, reject):decision>", methods=["POST"])
@requires("pricing.approve")
def decide(approval_id, decision):
    approval = db.one_or_404(sa.select(PriceApproval).filter_by(id=approval_id))
    try:
        changes.decide(approval, current_user, decision == "approve")
        db.session.commit()
        flash(gettext("Approved.") if decision == "approve" else gettext("Rejected."), "success")
    except changes.StaleApproval as exc:
        db.session.rollback()
        currency = changes.approval_currency(approval)
        flash(gettext("Not approved: the price is now %(current)s, not %(base)s as when this was asked. "
                      "Reject it, and ask again if the new price is still wanted.",
                      current=pricing_money(exc.current, currency) or gettext("none"),
                      base=pricing_money(exc.base, currency) or gettext("none")), "danger")
    except (changes.SelfApproval, changes.NotPending) as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    return redirect(url_for("pricing.approvals"))


@bp.route("/approvals/<int:approval_id>/withdraw", methods=["POST"])
@requires("pricing.write")
def withdraw(approval_id):
    approval = db.one_or_404(sa.select(PriceApproval).filter_by(id=approval_id))
    try:
        changes.withdraw(approval, current_user)
        db.session.commit()
        flash(gettext("Request withdrawn."), "success")
    except (changes.SelfApproval, changes.NotPending) as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    return redirect(url_for("pricing.approvals"))


# --- rules ---------------------------------------------------------------------------------------


@bp.route("/rules", methods=["GET", "POST"])
@requires("pricing.read")
def rules():
    if request.method == "POST":
        if not allowed("pricing.write"):
            return redirect(url_for("pricing.rules"))
        data = load(CostPlusRuleSchema, form_data("scope", "category_id", "brand_id", "tag_id", "markup_percent",
                                                  "mode", booleans=("active",)))
        if data is not None:
            try:
                service.add_rule(data)
                db.session.commit()
                flash(gettext("Cost-plus rule added."), "success")
            except HTTPException as exc:
                api_error(exc)
        return redirect(url_for("pricing.rules"))
    rows = db.session.scalars(sa.select(CostPlusRule).order_by(CostPlusRule.id)).all()
    return render_template("pricing/rules.html", rules=rows, settings=service.settings(),
                           rounding_rules=ROUNDING_RULES, can_write=allowed("pricing.write"),
                           can_configure=allowed("plugins.manage"), **lookups())


@bp.route("/rules/<int:rule_id>/delete", methods=["POST"])
@requires("pricing.write")
def delete_rule(rule_id):
    service.remove_rule(db.one_or_404(sa.select(CostPlusRule).filter_by(id=rule_id)))
    db.session.commit()
    flash(gettext("Cost-plus rule removed."), "success")
    return redirect(url_for("pricing.rules"))


# --- competitor prices and positioning -----------------------------------------------------------


@bp.route("/competitors", methods=["GET", "POST"])
@requires("pricing.read")
def competitor_prices():
    if request.method == "POST" and allowed("pricing.write"):
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            queued = import_file(upload)
            if queued is not None:
                return redirect(url_for("pricing.competitor_import", import_id=queued.id))
        else:
            data = load(CompetitorPriceSchema, form_data("sku", "competitor", "price", "observed_at", "source_url",
                                                         money=("price",), currency=g.store.currency))
            if data is not None:
                try:
                    variant = service.variant_or_422(data["sku"])
                    competitors.record_price(variant, data["competitor"], data["price"], g.store.currency,
                                             data.get("observed_at") or utcnow(), data.get("source_url", ""))
                    db.session.commit()
                    flash(gettext("Competitor price recorded."), "success")
                except HTTPException as exc:
                    api_error(exc)
        return redirect(url_for("pricing.competitor_prices"))
    rows = db.session.execute(sa.select(CompetitorPrice, Variant.sku).join(Variant, Variant.id == CompetitorPrice.variant_id)
                              .order_by(CompetitorPrice.observed_at.desc(), CompetitorPrice.id.desc())
                              .limit(500)).all()
    recent = db.session.scalars(sa.select(CompetitorImport).order_by(CompetitorImport.id.desc()).limit(5)).all()
    return render_template("pricing/competitors.html", rows=rows, imports=recent, can_write=allowed("pricing.write"))


def import_file(upload):
    """Import an uploaded file now, or queue it when it is large; the queued import, or None."""
    data = upload.read(competitor_imports.MAX_BYTES + 1)
    if len(data) > competitor_imports.MAX_BYTES:
        flash(gettext("The file is larger than 5 MB: split it."), "danger")
        return None
    text = data.decode("utf-8-sig", errors="replace")
    try:
        total = competitor_imports.row_count(text)
        if total > service.settings()["import_background_rows"]:
            run = competitor_imports.queue(text, upload.filename, current_user.email, total)
            db.session.commit()
            return run
        rows = competitors.import_csv(text, g.store.currency, utcnow(), g.store.id)
        db.session.commit()
        flash(gettext("%(count)d competitor prices imported.", count=len(rows)), "success")
    except competitors.CsvRejected as exc:
        db.session.rollback()
        for error in exc.errors[:50]:
            flash(gettext("Line %(line)d, %(field)s: %(message)s", **error), "danger")
        flash(gettext("Nothing was imported."), "danger")
    except competitor_imports.TooManyRows as exc:
        flash(gettext("At most %(most)d rows a file; this one has %(rows)d: split it.",
                      most=competitor_imports.MAX_ROWS, rows=exc.rows), "danger")
    return None


@bp.route("/competitors/imports/<int:import_id>")
@requires("pricing.read")
def competitor_import(import_id):
    run = db.one_or_404(sa.select(CompetitorImport).filter_by(id=import_id))
    return render_template("pricing/competitor_import.html", run=run)


@bp.route("/competitors/<int:price_id>/delete", methods=["POST"])
@requires("pricing.write")
def delete_competitor_price(price_id):
    row = db.one_or_404(sa.select(CompetitorPrice).filter_by(id=price_id))
    from shopdesk import audit

    audit.record("pricing.competitor_price_deleted", object_type="competitor_price", object_id=row.id,
                 before={"competitor": row.competitor, "price": row.price, "variant_id": row.variant_id})
    db.session.delete(row)
    db.session.commit()
    flash(gettext("Competitor price deleted."), "success")
    return redirect(url_for("pricing.competitor_prices"))


@bp.route("/positioning")
@requires("pricing.read")
def positioning():
    error, report = None, []
    try:
        report = competitors.positioning(g.store, service.settings(), hooks=g.hooks)
    except engine.AdjustmentFailed as exc:
        error = str(exc)
    return render_template("pricing/positioning.html", report=report, error=error)


# --- price check and bulk update -----------------------------------------------------------------


def parse_lines(text):
    """"TEE-M 12" per line (quantity 1 when left out) → quote lines."""
    lines = []
    for raw in text.splitlines():
        parts = raw.replace(",", " ").split()
        if parts:
            lines.append({"sku": parts[0], "quantity": parts[1] if len(parts) > 1 else "1"})
    return lines


@bp.route("/check", methods=["GET", "POST"])
@requires("pricing.read")
def check():
    quote, form = None, {"lines": "", "customer_group": "", "currency": g.store.currency, "at": ""}
    if request.method == "POST":
        form = {k: request.form.get(k, "").strip() for k in form}
        data = {"lines": parse_lines(form["lines"]), **{k: form[k] for k in ("customer_group", "currency", "at")
                                                        if form[k]}}
        data = load(PriceQuoteRequestSchema, data)
        if data is not None:
            currency = (data.get("currency") or g.store.currency).upper()
            try:
                priced = engine.price(g.store, service.settings(),
                                      [StockLine(line["sku"], line["quantity"]) for line in data["lines"]],
                                      data.get("customer_group"), currency, at=data.get("at"), hooks=g.hooks)
                quote = service.quote_dict(priced, currency, data.get("customer_group"))
            except (engine.UnknownSku, engine.AdjustmentFailed) as exc:
                flash(str(exc), "danger")
    return render_template("pricing/check.html", quote=quote, form=form)


BULK_FIELDS = ("category_id", "brand_id", "tag_id", "price_list_id", "percent", "amount")


@bp.route("/bulk", methods=["GET", "POST"])
@requires("pricing.write")
def bulk():
    rows, form = None, {k: request.form.get(k, "").strip() for k in BULK_FIELDS}
    if request.method == "POST":
        list_id = form["price_list_id"]
        chosen = db.session.scalar(sa.select(PriceList).filter_by(id=int(list_id))) if list_id.isdigit() else None
        data = load(PriceBulkUpdateSchema, form_data(*BULK_FIELDS, money=("amount",),
                                                     currency=chosen.currency if chosen else g.store.currency))
        if data is not None:
            try:
                service.check_references(data)
                selection = changes.BulkSelection(**data)
                if request.form.get("action") == "apply":
                    rows, approvals = changes.bulk_apply(service.settings(), g.store, current_user, selection)
                    db.session.commit()
                    flash(gettext("%(count)d prices updated, %(pending)d waiting for approval.",
                                  count=len(rows) - len(approvals), pending=len(approvals)), "success")
                    return redirect(url_for("pricing.bulk"))
                rows = changes.bulk_preview(service.settings(), g.store, selection)
            except changes.MarginRefused as exc:
                db.session.rollback()
                flash(gettext("Refused: %(detail)s", detail=str(exc)), "danger")
            except HTTPException as exc:
                api_error(exc)
    return render_template("pricing/bulk.html", rows=rows, form=form, **lookups())


def percent(value):
    return "" if value is None else f"{Decimal(value):.1f} %"


@bp.app_template_filter("pricing_percent")
def pricing_percent(value):
    return percent(value)


@bp.app_template_global("pricing_money")
def pricing_money(amount, currency):
    """Minor units as money in the reader's language: 1290, "USD" → $12.90."""
    from shopdesk.i18n import format_money
    from shopdesk.money import Money

    return "" if amount is None else format_money(Money(int(amount), currency))
