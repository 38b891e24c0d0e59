"""The product selection pages, mounted at /s/<store>/catalog/selection/.

A ranked list of candidates with their scores, a page per candidate with its evidence and
the score's breakdown (each factor's evidence, normalised value, weight, points and rule),
and the actions: edit, reject, reopen, delete, promote to a draft product.
"""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user

from shopdesk.plugin import Money, allowed, db, plugin_settings, requires

from .. import selection, taxonomy
from ..errors import CatalogError
from ..models import CANDIDATE_STATUSES, Candidate, Product
from .forms import CandidateForm, PromoteForm, RejectForm

bp = Blueprint("catalog_selection", __name__, url_prefix="/catalog/selection", template_folder="templates")

FACTOR_LABELS = {
    # gettext at render time, so each reader gets their language
    "demand": lambda: gettext("Expected demand"),
    "search": lambda: gettext("Search interest"),
    "feedback": lambda: gettext("Customer feedback"),
    "margin": lambda: gettext("Expected margin"),
    "price": lambda: gettext("Price vs competitor"),
}


def money(amount):
    return None if amount is None else Money(amount, g.store.currency)


@bp.app_template_global("catalog_factor_label")
def factor_label(name: str) -> str:
    return FACTOR_LABELS[name]() if name in FACTOR_LABELS else name


def _candidate(candidate_id) -> Candidate:
    return db.one_or_404(sa.select(Candidate).filter_by(id=candidate_id))


def _refused(exc: CatalogError):
    db.session.rollback()
    flash(exc.message, "danger")


@bp.route("/")
@requires("catalog.read")
def index():
    status = request.args.get("status", "open")
    if status not in (*CANDIDATE_STATUSES, "all"):
        abort(400, description=gettext("status: must be open, promoted, rejected or all"))
    search = request.args.get("q", "")[:200]
    current = plugin_settings("catalog")
    rows = selection.ranked(current, status=None if status == "all" else status, search=search)
    return render_template("catalog/selection/index.html", rows=rows, status=status, search=search,
                           settings=current, factors=selection.FACTORS, money=money,
                           categories=taxonomy.category_paths(), margin=selection.expected_margin,
                           can_configure=allowed("plugins.manage", g.store, current_user),
                           can_write=allowed("catalog.write", g.store, current_user))


@bp.route("/new", methods=["GET", "POST"])
@requires("catalog.write")
def new():
    form = CandidateForm().setup(g.store.currency, taxonomy.category_paths())
    if form.validate_on_submit():
        try:
            candidate = selection.create_candidate(form.data_for_service())
            db.session.commit()
        except CatalogError as exc:
            _refused(exc)
        else:
            flash(gettext("Candidate “%(name)s” saved.", name=candidate.name), "success")
            return redirect(url_for("catalog_selection.detail", candidate_id=candidate.id))
    return render_template("catalog/selection/form.html", form=form, candidate=None), 400 if form.errors else 200


@bp.route("/<int:candidate_id>")
@requires("catalog.read")
def detail(candidate_id):
    candidate = _candidate(candidate_id)
    current = plugin_settings("catalog")
    promote = PromoteForm(name=candidate.name)
    promote.price.currency = g.store.currency
    if candidate.target_price is not None:
        promote.price.data = money(candidate.target_price).to_decimal()
    return _detail(candidate, current, promote, RejectForm())


def _detail(candidate, current, promote, reject, status=200):
    product = db.session.get(Product, candidate.product_id) if candidate.product_id else None
    kept = (product.evidence or None) if product is not None else None
    # a promoted candidate shows the score as it was when promoted (kept on the product)
    result = selection.kept_score(kept) if kept and kept.get("breakdown") else selection.score(candidate, current)
    return render_template("catalog/selection/detail.html", candidate=candidate, product=product,
                           kept=kept, result=result, money=money,
                           margin=selection.expected_margin(candidate), promote=promote, reject=reject,
                           category=taxonomy.category_paths().get(candidate.category_id),
                           can_write=allowed("catalog.write", g.store, current_user),
                           can_configure=allowed("plugins.manage", g.store, current_user)), status


@bp.route("/<int:candidate_id>/edit", methods=["GET", "POST"])
@requires("catalog.write")
def edit(candidate_id):
    candidate = _candidate(candidate_id)
    form = CandidateForm(obj=candidate).setup(g.store.currency, taxonomy.category_paths())
    if request.method == "GET":
        form.category_id.data = candidate.category_id or 0
        for name in ("supplier_cost", "competitor_price", "target_price"):
            amount = getattr(candidate, name)
            getattr(form, name).data = None if amount is None else money(amount).to_decimal()
    if form.validate_on_submit():
        try:
            selection.update_candidate(candidate, form.data_for_service())
            db.session.commit()
        except CatalogError as exc:
            _refused(exc)
        else:
            flash(gettext("Candidate “%(name)s” saved.", name=candidate.name), "success")
            return redirect(url_for("catalog_selection.detail", candidate_id=candidate.id))
    return render_template("catalog/selection/form.html", form=form, candidate=candidate), 400 if form.errors else 200


@bp.route("/<int:candidate_id>/reject", methods=["POST"])
@requires("catalog.write")
def reject(candidate_id):
    candidate = _candidate(candidate_id)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            selection.reject_candidate(candidate, form.reason.data or "")
            db.session.commit()
            flash(gettext("Candidate “%(name)s” rejected.", name=candidate.name), "success")
        except CatalogError as exc:
            _refused(exc)
    else:
        flash(gettext("The reason is too long (500 characters at most)."), "danger")
    return redirect(url_for("catalog_selection.detail", candidate_id=candidate_id))


@bp.route("/<int:candidate_id>/reopen", methods=["POST"])
@requires("catalog.write")
def reopen(candidate_id):
    candidate = _candidate(candidate_id)
    try:
        selection.reopen_candidate(candidate)
        db.session.commit()
        flash(gettext("Candidate “%(name)s” reopened.", name=candidate.name), "success")
    except CatalogError as exc:
        _refused(exc)
    return redirect(url_for("catalog_selection.detail", candidate_id=candidate_id))


@bp.route("/<int:candidate_id>/delete", methods=["POST"])
@requires("catalog.write")
def delete(candidate_id):
    candidate = _candidate(candidate_id)
    name = candidate.name
    try:
        selection.delete_candidate(candidate)
        db.session.commit()
    except CatalogError as exc:
        _refused(exc)
        return redirect(url_for("catalog_selection.detail", candidate_id=candidate_id))
    flash(gettext("Candidate “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("catalog_selection.index"))


@bp.route("/<int:candidate_id>/promote", methods=["POST"])
@requires("catalog.write")
def promote(candidate_id):
    candidate = _candidate(candidate_id)
    current = plugin_settings("catalog")
    form = PromoteForm()
    form.price.currency = g.store.currency
    if not form.validate_on_submit():
        return _detail(candidate, current, form, RejectForm(), 400)
    sku = form.sku.data.strip()
    try:
        promoted = selection.promote_candidate(candidate_id, sku, current, price=form.price.minor(),
                                               name=form.name.data)
        db.session.commit()
    except CatalogError as exc:
        db.session.rollback()
        if exc.field in form._fields:
            form[exc.field].errors = [exc.message]
            return _detail(_candidate(candidate_id), current, form, RejectForm(), exc.status if exc.status != 404 else 400)
        flash(exc.message, "danger")
        return redirect(url_for("catalog_selection.detail", candidate_id=candidate_id))
    except sa.exc.IntegrityError:
        db.session.rollback()
        flash(gettext("SKU “%(sku)s” is already used in this store.", sku=sku), "danger")
        return redirect(url_for("catalog_selection.detail", candidate_id=candidate_id))
    flash(gettext("“%(name)s” is now a draft product with SKU %(sku)s.", name=form.name.data.strip(), sku=sku),
          "success")
    return redirect(url_for("catalog_selection.detail", candidate_id=promoted.id))
