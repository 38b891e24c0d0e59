"""The Categories and Brands & tags pages, mounted at /s/<store>/catalog/categories/ and
/s/<store>/catalog/brands-tags/. Refusals (a duplicate name, a category that still has
children or products) are flashed with the names involved."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from shopdesk.plugin import db, requires

from .. import products, taxonomy
from ..errors import CatalogError
from ..models import Brand, Category, Product, Tag

bp = Blueprint("catalog_taxonomy", __name__, url_prefix="/catalog", template_folder="templates")


def _do(action, done_message, back):
    try:
        products.write(action)
        flash(done_message, "success")
    except CatalogError as exc:
        flash(exc.message, "danger")
    return redirect(back)


def _optional_id(text):
    text = (text or "").strip()
    return int(text) if text.isdigit() and 0 < int(text) < 2**31 else None


# --- categories ------------------------------------------------------------------------------


@bp.route("/categories/")
@requires("catalog.read")
def categories():
    return render_template("catalog/categories.html", tree=taxonomy.tree(), paths=taxonomy.category_paths(),
                           counts=taxonomy.usage_counts(Product.category_id))


@bp.route("/categories/", methods=["POST"])
@requires("catalog.write")
def create_category():
    name = request.form.get("name", "")
    return _do(lambda: taxonomy.create_category(name, _optional_id(request.form.get("parent_id"))),
               _("Category “%(name)s” added.", name=name.strip()), url_for("catalog_taxonomy.categories"))


@bp.route("/categories/<int:category_id>", methods=["POST"])
@requires("catalog.write")
def update_category(category_id):
    """Rename and move in one form: ``name`` and ``parent_id`` (empty: to the top)."""
    category = db.one_or_404(sa.select(Category).filter_by(id=category_id))
    changes = {"name": request.form.get("name", category.name),
               "parent_id": _optional_id(request.form.get("parent_id"))}
    return _do(lambda: taxonomy.update_category(category, changes),
               _("Category saved."), url_for("catalog_taxonomy.categories"))


@bp.route("/categories/<int:category_id>/delete", methods=["POST"])
@requires("catalog.write")
def delete_category(category_id):
    category = db.one_or_404(sa.select(Category).filter_by(id=category_id))
    name = category.name
    return _do(lambda: taxonomy.delete_category(category), _("Category “%(name)s” deleted.", name=name),
               url_for("catalog_taxonomy.categories"))


# --- brands and tags -------------------------------------------------------------------------

KINDS = {"brands": (Brand, taxonomy.create_brand, taxonomy.rename_brand, taxonomy.delete_brand),
         "tags": (Tag, taxonomy.create_tag, taxonomy.rename_tag, taxonomy.delete_tag)}


@bp.route("/brands-tags/")
@requires("catalog.read")
def brands_tags():
    return render_template(
        "catalog/brands_tags.html",
        brands=db.session.scalars(sa.select(Brand).order_by(Brand.name)).all(),
        tags=db.session.scalars(sa.select(Tag).order_by(Tag.name)).all(),
        brand_counts=taxonomy.usage_counts(Product.brand_id), tag_counts=taxonomy.tag_counts())


@bp.route("/<any(brands, tags):kind>/", methods=["POST"])
@requires("catalog.write")
def create_named(kind):
    name = request.form.get("name", "")
    return _do(lambda: KINDS[kind][1](name), _("“%(name)s” added.", name=name.strip()),
               url_for("catalog_taxonomy.brands_tags"))


@bp.route("/<any(brands, tags):kind>/<int:row_id>", methods=["POST"])
@requires("catalog.write")
def rename_named(kind, row_id):
    row = db.one_or_404(sa.select(KINDS[kind][0]).filter_by(id=row_id))
    return _do(lambda: KINDS[kind][2](row, request.form.get("name", "")), _("Renamed."),
               url_for("catalog_taxonomy.brands_tags"))


@bp.route("/<any(brands, tags):kind>/<int:row_id>/delete", methods=["POST"])
@requires("catalog.write")
def delete_named(kind, row_id):
    row = db.one_or_404(sa.select(KINDS[kind][0]).filter_by(id=row_id))
    name = row.name
    return _do(lambda: KINDS[kind][3](row), _("“%(name)s” deleted.", name=name),
               url_for("catalog_taxonomy.brands_tags"))
