"""The product pages, mounted by the host at /s/<store>/catalog/products/.

The list (search, filters, sort, pages, bulk actions), a product's page (variants, images,
translations) and its form. Every write goes through the same services as the API.
"""

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from shopdesk.plugin import Money, current_locale, db, page_of_rows, requires

from . import bulk, images, product_form, products, taxonomy
from .errors import CatalogError
from .listing import SORT_COLUMNS, SORTS, product_query
from .models import PRODUCT_STATUSES, Brand, Product, ProductImage, Tag
from .rendering import description_html
from .schemas import ProductBulkSchema, ProductQuerySchema, may_see_costs

bp = Blueprint("catalog", __name__, url_prefix="/catalog", template_folder="templates", static_folder="static")

PAGE_SIZE = 25
FILTERS = ("q", "status", "category_id", "brand_id", "tag_id", "without_images", "sort")


def _product(product_id) -> Product:
    return db.one_or_404(sa.select(Product).filter_by(id=product_id))


def choices() -> dict:
    """The pickers every product page needs: category paths, brands, tags."""
    paths = taxonomy.category_paths()
    return {"categories": [(category.id, paths[category.id]) for category, _depth in taxonomy.tree()],
            "brands": db.session.scalars(sa.select(Brand).order_by(Brand.name)).all(),
            "tags": db.session.scalars(sa.select(Tag).order_by(Tag.name)).all(),
            "statuses": PRODUCT_STATUSES}


def display_name(product) -> str:
    return products.localized(product, current_locale())[0]


@bp.app_template_global("money_of")
def money_of(amount, currency):
    return None if amount is None else Money(amount, currency)


@bp.app_template_global("catalog_may_see_costs")
def catalog_may_see_costs() -> bool:
    return may_see_costs()


@bp.app_template_global("catalog_name")
def catalog_name(product):
    return display_name(product)


# --- the list --------------------------------------------------------------------------------


@bp.route("/products/")
@requires("catalog.read")
def index():
    raw = {key: request.args[key] for key in FILTERS if request.args.get(key)}
    errors = {}
    try:
        filters = ProductQuerySchema().load(raw)
    except ValidationError as exc:
        errors, filters = exc.messages, {"sort": "name"}
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    sort = filters["sort"]
    column = SORT_COLUMNS[sort.lstrip("-")]
    rows, page, pages, total = page_of_rows(product_query(filters), page, PAGE_SIZE,
                                            column.desc() if sort.startswith("-") else column.asc(), Product.id)
    thumbs = _first_images([p.id for p in rows])

    def page_url(number):
        return url_for("catalog.index", **raw, **({"page": number} if number > 1 else {}))

    return render_template(
        "catalog/products.html", products=rows, total=total, page=page, pages=pages, errors=errors,
        filters=raw, sorts=SORTS, thumbs=thumbs, **choices(),
        previous=page_url(page - 1) if page > 1 else None, next=page_url(page + 1) if page < pages else None)


def _first_images(product_ids) -> dict:
    if not product_ids:
        return {}
    found = {}
    for image in db.session.scalars(sa.select(ProductImage).where(ProductImage.product_id.in_(product_ids))
                                    .order_by(ProductImage.position, ProductImage.id)):
        found.setdefault(image.product_id, image)
    return found


@bp.route("/products/bulk", methods=["POST"])
@requires("catalog.write")
def bulk_action():
    back = request.form.get("next") or url_for("catalog.index")
    if not back.startswith("/") or back.startswith("//") or "\\" in back:  # only pages of this site
        back = url_for("catalog.index")
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    raw = {"action": request.form.get("action", ""), "ids": ids}
    if request.form.get("tag"):
        raw["tag"] = request.form["tag"]
    if raw["action"] == "set_category":
        category = request.form.get("category_id", "")
        raw["category_id"] = int(category) if category.isdigit() else None
    try:
        data = ProductBulkSchema().load(raw)
        result = products.write(lambda: bulk.run(data["action"], data["ids"], tag=data.get("tag"),
                                                 category_id=data.get("category_id")))
    except ValidationError as exc:
        flash(" ".join(product_form.flat_errors(exc.messages)), "danger")
        return redirect(back)
    except CatalogError as exc:
        flash(exc.message, "danger")
        return redirect(back)
    flash(_("%(changed)d product(s) changed, %(unchanged)d already so.",
            changed=len(result["changed"]), unchanged=len(result["unchanged"])), "success")
    return redirect(back)


# --- one product -----------------------------------------------------------------------------


@bp.route("/products/<int:product_id>")
@requires("catalog.read")
def detail(product_id):
    product = _product(product_id)
    name, description = products.localized(product, current_locale())
    paths = taxonomy.category_paths()
    return render_template("catalog/product.html", product=product, name=name,
                           description=description_html(description),
                           category_path=paths.get(product.category_id),
                           images=images.images_of(product.id), currency=g.store.currency,
                           translated=product_form.TRANSLATED)


def _form_page(state, product=None, errors=(), status=200):
    state = product_form.with_blank_rows(state)
    return render_template("catalog/product_form.html", state=state, product=product, errors=errors,
                           translated=product_form.TRANSLATED, **choices()), status


@bp.route("/products/new")
@requires("catalog.write")
def new():
    return _form_page(product_form.empty_state())


@bp.route("/products/new", methods=["POST"])
@requires("catalog.write")
def create():
    data, errors = product_form.data_from(request.form, g.store.currency, new=True)
    if not errors:
        try:
            product = products.write(lambda: products.create_product(data),
                                     [row.get("sku") for row in data.get("variants", [])])
            flash(_("Product “%(name)s” created.", name=product.name), "success")
            return redirect(url_for("catalog.detail", product_id=product.id))
        except CatalogError as exc:
            errors = exc.errors() or {"product": [exc.message]}
    return _form_page(product_form.state_from(request.form), errors=product_form.flat_errors(errors), status=400)


@bp.route("/products/<int:product_id>/edit")
@requires("catalog.write")
def edit(product_id):
    product = _product(product_id)
    return _form_page(product_form.state_of(product, g.store.currency), product)


@bp.route("/products/<int:product_id>/edit", methods=["POST"])
@requires("catalog.write")
def update(product_id):
    product = _product(product_id)
    data, errors = product_form.data_from(request.form, g.store.currency, new=False)
    if not errors:
        try:
            products.write(lambda: products.update_product(product, data),
                           [row.get("sku") for row in data.get("variants", [])])
            flash(_("Product “%(name)s” saved.", name=product.name), "success")
            return redirect(url_for("catalog.detail", product_id=product_id))
        except CatalogError as exc:
            errors = exc.errors() or {"product": [exc.message]}
    product = _product(product_id)
    return _form_page(product_form.state_from(request.form), product,
                      errors=product_form.flat_errors(errors), status=400)


@bp.route("/products/<int:product_id>/delete", methods=["POST"])
@requires("catalog.write")
def delete(product_id):
    product = _product(product_id)
    name = product.name
    try:
        products.write(lambda: products.delete_product(product))
    except CatalogError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("catalog.detail", product_id=product_id))
    flash(_("Product “%(name)s” deleted.", name=name), "success")
    return redirect(url_for("catalog.index"))


@bp.route("/products/<int:product_id>/status", methods=["POST"])
@requires("catalog.write")
def set_status(product_id):
    """The detail page's Activate / Archive / Back to draft buttons."""
    product = _product(product_id)
    status = request.form.get("status", "")
    if status not in PRODUCT_STATUSES:
        abort(400)
    try:
        products.write(lambda: products.update_product(product, {"status": status}))
        flash(_("“%(name)s” is now %(status)s.", name=product.name, status=_(status)), "success")
    except CatalogError as exc:
        flash(exc.message, "danger")
    return redirect(url_for("catalog.detail", product_id=product_id))


# --- images ----------------------------------------------------------------------------------


def _image(product_id, image_id) -> ProductImage:
    return db.one_or_404(sa.select(ProductImage).filter_by(id=image_id, product_id=product_id))


def _back(product_id):
    return redirect(url_for("catalog.detail", product_id=product_id) + "#images")


@bp.route("/products/<int:product_id>/images", methods=["POST"])
@requires("catalog.write")
def upload_image(product_id):
    product = _product(product_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose an image file to upload."), "danger")
        return _back(product_id)
    try:
        data = upload.read(images.max_bytes() + 1)
        products.write(lambda: images.add_image(product, data, request.form.get("alt", "")))
        flash(_("Image added."), "success")
    except CatalogError as exc:
        flash(exc.message, "danger")
    return _back(product_id)


@bp.route("/products/<int:product_id>/images/<int:image_id>", methods=["POST"])
@requires("catalog.write")
def edit_image(product_id, image_id):
    """Save the alt text, or move the image one place up or down (``move``)."""
    image = _image(product_id, image_id)
    try:
        if request.form.get("move") in ("up", "down"):
            order = [i.id for i in images.images_of(product_id)]
            at = order.index(image.id)
            to = at - 1 if request.form["move"] == "up" else at + 1
            if 0 <= to < len(order):
                order[at], order[to] = order[to], order[at]
                products.write(lambda: images.reorder(_product(product_id), order))
        else:
            products.write(lambda: images.set_alt(image, request.form.get("alt", "")))
            flash(_("Alt text saved."), "success")
    except CatalogError as exc:
        flash(exc.message, "danger")
    return _back(product_id)


@bp.route("/products/<int:product_id>/images/<int:image_id>/delete", methods=["POST"])
@requires("catalog.write")
def delete_image(product_id, image_id):
    image = _image(product_id, image_id)
    products.write(lambda: images.delete_image(image))
    flash(_("Image deleted."), "success")
    return _back(product_id)


@bp.route("/media/<int:image_id>/<any(full, thumb):size>")
@requires("catalog.read")
def media(image_id, size):
    """An image file, for <img> tags: looked up in the current store first (another store's: 404)."""
    image = db.one_or_404(sa.select(ProductImage).filter_by(id=image_id))
    path = images.file_path(image, size)
    if not path.is_file():
        abort(404)
    return send_file(path, max_age=3600)
