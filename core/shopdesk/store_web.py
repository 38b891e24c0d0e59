"""The store's own settings (name, currency, language, time zone) in the UI and the API."""

from zoneinfo import available_timezones

from babel.numbers import get_currency_name
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint as ApiBlueprint
from flask_smorest import abort as api_abort
from marshmallow import Schema, ValidationError, fields, validate, validates

from . import audit
from .auth.permissions import ANY_IN_STORE, requires
from .db import db
from .i18n import LANGUAGES

bp = Blueprint("store", __name__)
api = ApiBlueprint("store-api", __name__, url_prefix="/store", description="The current store's own settings.")
EDITABLE = ("name", "currency", "locale", "timezone")


class StoreSchema(Schema):
    slug = fields.String(dump_only=True)
    name = fields.String(validate=validate.Length(min=1, max=200))
    currency = fields.String(validate=validate.Length(equal=3))
    locale = fields.String(validate=validate.OneOf(LANGUAGES))
    timezone = fields.String()

    @validates("currency")
    def known_currency(self, value, **kwargs):
        if get_currency_name(value.upper(), locale="en") == value.upper():  # babel echoes unknown codes
            raise ValidationError("Not a known ISO 4217 currency.")

    @validates("timezone")
    def known_timezone(self, value, **kwargs):
        if value not in available_timezones():
            raise ValidationError("Not a known time zone (e.g. Asia/Taipei).")


class CurrencyLocked(ValueError):
    """The store holds amounts in its currency; changing it would change what they are worth."""

    def __init__(self, held: list[str]):
        super().__init__(_("The currency cannot change: the store has %(held)s in its current currency.",
                           held=", ".join(held)))
        self.held = held


def currency_in_use(store) -> list[str]:
    """What the store's plugins keep in its currency (``currency_in_use`` hook), in words."""
    hooks = current_app.extensions["shopdesk"].for_store(store)
    return [str(result.value) for result in hooks.each("currency_in_use", isolate=False) if result.value]


def change_store(store, data: dict):
    """Apply validated changes; audited with before and after. A new currency is refused while
    anything is priced in the old one (CurrencyLocked)."""
    changes = {k: (v.upper() if k == "currency" else v) for k, v in data.items() if k in EDITABLE}
    if changes.get("currency", store.currency) != store.currency:
        held = currency_in_use(store)
        if held:
            raise CurrencyLocked(held)
    before = {k: getattr(store, k) for k in changes}
    for key, value in changes.items():
        setattr(store, key, value)
    audit.record("store.updated", store_id=store.id, object_type="store", object_id=store.id,
                 before=before, after=changes)


@bp.route("/s/<store>/settings", methods=["GET", "POST"])
@requires("store.settings")
def settings():
    errors, status = {}, 200
    if request.method == "POST":
        try:
            data = StoreSchema().load({k: request.form[k] for k in EDITABLE if k in request.form})
            change_store(g.store, data)
            db.session.commit()
            flash(_("Store settings saved."), "success")
            return redirect(url_for("store.settings"))
        except ValidationError as exc:
            errors, status = exc.messages, 400
        except CurrencyLocked as exc:
            errors, status = {"currency": [str(exc)]}, 409
    return render_template("shell/store_settings.html", errors=errors, languages=LANGUAGES,
                           timezones=sorted(available_timezones())), status


@api.route("")
class CurrentStore(MethodView):
    @requires(ANY_IN_STORE)
    @api.response(200, StoreSchema)
    def get(self):
        """The store the request is for: its name, currency, language and time zone. Any
        permission in the store reads them (a storefront token with only ``orders.write`` needs
        the currency to show prices)."""
        return g.store

    @requires("store.settings")
    @api.arguments(StoreSchema)
    @api.response(200, StoreSchema)
    def patch(self, data):
        """Change the store's name, currency, language or time zone. The currency is refused
        (409 ``currency_locked``) while the store has prices, price lists or orders in it."""
        try:
            change_store(g.store, data)
        except CurrencyLocked as exc:
            api_abort(409, code="currency_locked", message=str(exc), errors={"currency": [str(exc)]})
        db.session.commit()
        return g.store
