"""The plugin kit, as a plugin author meets it: one refusal for the API, pages and CLI, lookups
that name what is missing, one listing for an API route and its page, forms through the
schema, money typed in major units, store commands and page slots."""

import re

import click
import flask
import flask_smorest
import pytest
import sqlalchemy as sa
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from shopdesk.auth.roles import Role
from shopdesk.plugin import (Action, Listing, MajorUnits, Panel, Refusal, current_hooks, current_store, db,
                             get_or_404, load_form, on_refusal, paginate, parse_major, plugin_settings, requires,
                             sort_argument, store_command, use_store)
from shopdesk.stores import disable_plugin
from shopdesk.testing import make_plugin

# --- a small plugin written with the kit: gift wrapping --------------------------------------


class WrapSchema(Schema):
    label = fields.String(required=True, validate=validate.Length(min=1, max=20))
    price = MajorUnits(lambda: current_store().currency, required=True)


class RoleQuery(Schema):
    builtin = fields.Boolean()
    sort = sort_argument(["name", "id"], "name")


class RoleOut(Schema):
    id = fields.Integer()
    name = fields.String()


roles = Listing(schema=RoleQuery, sorts={"name": Role.name, "id": Role.id}, endpoint="wraps.roles_page", page_size=2,
                select=lambda q: sa.select(Role).where(
                    *([Role.builtin.is_not(None) if q["builtin"] else Role.builtin.is_(None)] if "builtin" in q else [])))

pages = flask.Blueprint("wraps", __name__, url_prefix="/wraps")
api = flask_smorest.Blueprint("wraps-api", __name__, url_prefix="/wraps")


def wrap(data):
    if data["label"] == "taken":
        raise Refusal(409, "name_taken", "A wrapping called “taken” exists.", {"label": ["taken"]})
    return data


@pages.route("/new", methods=["POST"])
@requires("store.view")
@on_refusal(lambda refusal: flask.render_template_string(
    "<form><input name=label value='{{ request.form.label }}'><p>{{ errors }}</p></form>", errors=refusal.errors))
def new_wrap():
    wrap(load_form(WrapSchema))
    return "saved"


@pages.route("/plain", methods=["POST"])
@requires("store.view")
def plain():
    raise Refusal(409, "invalid_transition", "The parcel has left already.")


@pages.route("/roles")
@requires("store.view")
def roles_page():
    page = roles.html_page()
    return flask.jsonify(names=[r.name for r in page.rows], number=page.number, pages=page.pages,
                         older=page.older, newer=page.newer)


@pages.route("/roles/<int:role_id>")
@requires("store.view")
def role_page(role_id):
    return get_or_404(Role, role_id).name


@api.route("/roles")
class Roles(MethodView):
    @api.arguments(RoleQuery, location="query")
    @api.response(200, RoleOut(many=True))
    @paginate(api)
    @requires("store.view")
    def get(self, query, pagination_parameters):
        return roles.api_page(query, pagination_parameters)


@api.route("/roles/<int:role_id>")
class OneRole(MethodView):
    @api.response(200, RoleOut)
    @requires("store.view")
    def get(self, role_id):
        return get_or_404(Role, role_id)


@api.route("")
class Wraps(MethodView):
    @api.arguments(WrapSchema)
    @api.response(201, WrapSchema)
    @requires("store.view")
    def post(self, data):
        return wrap(data)


class WrapSettings(Schema):
    paper = fields.String(load_default="kraft")


def wraps_commands(cli):
    @cli.group("wraps")
    def wraps_group():
        """Gift wrapping."""

    @store_command(wraps_group, "paper")
    @click.option("--loud", is_flag=True)
    def paper(store, loud):
        """The store's wrapping paper."""
        text = f"{store.slug}: {plugin_settings('wraps')['paper']}"
        click.echo(text.upper() if loud else text)

    @store_command(wraps_group, "refuse")
    def refuse(store):
        raise Refusal(409, "invalid_transition", "Nothing to wrap.")


WRAPS = make_plugin("wraps", register_blueprints=lambda: [pages], register_api=lambda: [api],
                    settings_schema=lambda: WrapSettings, register_commands=wraps_commands)
pytestmark = [pytest.mark.shopdesk_plugins(WRAPS), pytest.mark.shopdesk_unchecked_answers]


# --- Refusal -----------------------------------------------------------------------------------


def test_an_api_refusal_has_the_one_error_shape(client):
    answer = client.post("/api/v1/wraps", json={"label": "taken", "price": "12.50"})
    assert answer.status_code == 409
    assert answer.json == {"status": 409, "code": "name_taken", "message": "A wrapping called “taken” exists.",
                           "errors": {"label": ["taken"]}}


def test_a_refused_request_leaves_its_idempotency_key_free_for_a_retry(client):
    headers = {"Idempotency-Key": "wrap-1"}
    first = client.post("/api/v1/wraps", json={"label": "taken", "price": "1"}, headers=headers)
    again = client.post("/api/v1/wraps", json={"label": "taken", "price": "1"}, headers=headers)
    assert (first.status_code, again.status_code) == (409, 409)  # ran again: the state may have changed
    assert "Idempotent-Replayed" not in again.headers and again.json == first.json


def test_a_page_refusal_rerenders_the_form_with_what_was_typed(client):
    answer = client.post("/s/acme/wraps/new", data={"label": "taken", "price": "3"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409
    assert "value='taken'" in html and "label" in html


def test_a_refused_field_names_itself_on_the_page(client):
    answer = client.post("/s/acme/wraps/new", data={"label": "Ribbon", "price": "1.234"})
    assert answer.status_code == 422
    assert "price" in answer.get_data(as_text=True) and "value='Ribbon'" in answer.get_data(as_text=True)


def test_a_page_without_a_form_shows_the_refusal_and_a_way_back(client):
    answer = client.post("/s/acme/wraps/plain", headers={"Referer": "http://localhost/s/acme/"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 409
    assert "The parcel has left already." in html and 'href="http://localhost/s/acme/"' in html


def test_a_refusal_names_a_single_field():
    refusal = Refusal.field("lines.0.quantity", "Must be at least 1.")
    assert refusal.message == "lines.0.quantity: Must be at least 1."
    assert refusal.body()["errors"] == {"lines": {"0": {"quantity": ["Must be at least 1."]}}}
    with pytest.raises(ValueError):
        Refusal(500, "server_error", "not a refusal")


# --- get_or_404 --------------------------------------------------------------------------------


def test_a_missing_object_is_named_in_the_404(client):
    answer = client.get("/api/v1/wraps/roles/999999")
    assert answer.status_code == 404
    assert answer.json["message"] == "No role 999999 in this store."
    assert "No role 999999 in this store." in client.get("/s/acme/wraps/roles/999999").get_data(as_text=True)


def test_another_stores_row_is_a_404_like_a_missing_one(client, db, store, user):
    from shopdesk.stores import create_store

    rival = create_store("rival", "Rival", owner=user)
    db.session.commit()
    with use_store(rival):
        rival_role = db.session.scalar(sa.select(Role).filter_by(name="owner"))
    answer = client.get(f"/api/v1/wraps/roles/{rival_role.id}")
    assert answer.status_code == 404 and answer.json["message"] == f"No role {rival_role.id} in this store."


# --- Listing -----------------------------------------------------------------------------------


def _custom_roles(db, store, *names):
    with use_store(store):
        for name in names:
            db.session.add(Role(name=name))
        db.session.commit()


def test_the_api_and_the_page_filter_and_sort_alike(client, db, store):
    _custom_roles(db, store, "packer", "auditor")
    api_names = [r["name"] for r in client.get("/api/v1/wraps/roles?builtin=false&sort=-name").json]
    page = client.get("/s/acme/wraps/roles?builtin=false&sort=-name").json
    assert api_names == page["names"] == ["packer", "auditor"]


def test_the_page_pages_and_links_keep_the_filters(client, db, store):
    page = client.get("/s/acme/wraps/roles?builtin=true").json
    assert page["names"] == ["manager", "operator"] and page["pages"] == 2
    assert page["older"] == "/s/acme/wraps/roles?builtin=true&page=2" and page["newer"] is None
    last = client.get(page["older"]).json
    assert last["names"] == ["owner", "viewer"] and last["newer"] == "/s/acme/wraps/roles?builtin=true"


def test_a_bad_filter_on_the_page_is_dropped_and_said(client):
    answer = client.get("/s/acme/wraps/roles?builtin=perhaps&page=99")
    assert answer.status_code == 200
    assert answer.json["number"] == answer.json["pages"]  # a page past the end shows the last one
    with client.session_transaction() as session:
        flashed = dict(session["_flashes"])
    assert "builtin" in flashed["danger"]


def test_the_api_refuses_a_bad_filter_naming_it(client):
    answer = client.get("/api/v1/wraps/roles?builtin=perhaps")
    assert answer.status_code == 422 and "builtin" in answer.json["errors"]


def test_a_listing_needs_a_tie_breaker():
    with pytest.raises(ValueError, match="id"):
        Listing(schema=RoleQuery, select=lambda q: sa.select(Role), sorts={"name": Role.name})


# --- forms and money ---------------------------------------------------------------------------


@pytest.mark.parametrize("text, currency, locale, minor", [
    ("1,200", "TWD", "zh_Hant_TW", 120000), ("1200.5", "USD", "en_US", 120050), ("12.90", "USD", "en_US", 1290),
    ("1 200,50", "EUR", "fr_FR", 120050), ("0", "JPY", "ja_JP", 0),
])
def test_amounts_are_typed_in_major_units(text, currency, locale, minor):
    assert parse_major(text, currency, locale) == minor


@pytest.mark.parametrize("text, currency, why", [
    ("12.345", "USD", "USD has 2 decimal place(s)"), ("1200.5", "JPY", "JPY has 0 decimal place(s)"),
    ("twelve", "USD", "is not an amount"), ("1e30", "USD", "not an amount this store can hold"),
])
def test_an_amount_with_too_many_digits_or_none_is_refused(text, currency, why):
    with pytest.raises(ValueError, match=re.escape(why)):
        parse_major(text, currency, "en_US")


def test_load_form_refuses_naming_each_field(app, store):
    with app.test_request_context("/", method="POST", data={"label": "x" * 21, "price": "-1"}), use_store(store):
        with pytest.raises(Refusal) as refused:
            load_form(WrapSchema)
        assert load_form(WrapSchema, {"label": "Ribbon", "price": "2.50"}) == {"label": "Ribbon", "price": 250}
    assert refused.value.status == 422 and set(refused.value.errors) == {"label", "price"}
    assert refused.value.message == "Invalid input: label, price"


# --- store commands ----------------------------------------------------------------------------


def test_a_store_command_runs_in_the_store_with_its_settings(cli, store):
    result = cli("wraps", "paper", "acme", "--loud")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "ACME: KRAFT"


def test_a_store_command_refuses_an_unknown_store_in_one_line(cli, store):
    result = cli("wraps", "paper", "nowhere")
    assert result.exit_code == 2 and "Error: no store with slug 'nowhere'" in result.output


def test_a_store_command_refuses_a_store_where_the_plugin_is_off(app, cli, db, store):
    disable_plugin(app.extensions["shopdesk"], store, "wraps")
    db.session.commit()
    result = cli("wraps", "paper", "acme")
    assert result.exit_code == 2 and "plugin 'wraps' is not enabled in store 'acme'" in result.output


def test_a_refusal_in_a_command_is_one_error_line(cli, store):
    result = cli("wraps", "refuse", "acme")
    assert result.exit_code == 2 and result.output.strip().endswith("Error: Nothing to wrap.")
    assert "Traceback" not in result.output


def test_the_current_store_and_hooks_follow_use_store(app, db, store):
    with use_store(store):
        assert current_store().id == store.id and "wraps" in current_hooks().enabled
    assert current_store() is None and current_hooks() is None


# --- page slots --------------------------------------------------------------------------------

slot_page = flask.Blueprint("slotted", __name__, url_prefix="/slotted")


@slot_page.route("/")
@requires("store.view")
def slotted():
    return flask.render_template_string(
        '{% import "shell/_slots.html" as slots %}{{ slots.panels("order", obj) }}|{{ slots.actions("order", obj) }}',
        obj={"id": 7})


def gift_panels(ctx, user, kind, obj):
    if kind != "order":
        return []
    return [Panel(title="Gift message", html=f"<em>for order {obj['id']}</em>", order=2),
            Panel(title="Secret", html="hidden", permission="nobody.has.this")]


def gift_actions(ctx, user, kind, obj):
    return [Action(label="Remove wrapping", url="/x", method="POST", confirm="Remove the wrapping?"),
            Action(label="Print card", url="/card", order=1)]


def broken_panels(ctx, user, kind, obj):
    raise RuntimeError("card printer offline")


@pytest.mark.shopdesk_plugins(
    make_plugin("slotted", register_blueprints=lambda: [slot_page]),
    make_plugin("gifts", object_panels=gift_panels, object_actions=gift_actions),
    make_plugin("cards", object_panels=broken_panels),
)
def test_hook_object_panels(client):
    html = client.get("/s/acme/slotted/").get_data(as_text=True)
    assert "Gift message" in html and "<em>for order 7</em>" in html
    assert "Secret" not in html
    assert "This panel failed: card printer offline" in html
    assert html.index("Gift message") < html.index("card printer offline")


@pytest.mark.shopdesk_plugins(
    make_plugin("slotted", register_blueprints=lambda: [slot_page]),
    make_plugin("gifts", object_actions=gift_actions),
)
def test_hook_object_actions(client):
    actions = client.get("/s/acme/slotted/").get_data(as_text=True).split("|")[1]
    assert actions.index("Print card") < actions.index("Remove wrapping")
    assert 'data-confirm="Remove the wrapping?"' in actions and 'name="csrf_token"' in actions
    assert 'href="/card"' in actions


@pytest.mark.shopdesk_plugins(
    make_plugin("slotted", register_blueprints=lambda: [slot_page]),
    make_plugin("gifts", object_panels=gift_panels),
)
def test_a_disabled_plugin_adds_nothing_to_a_page(app, client, db, store):
    disable_plugin(app.extensions["shopdesk"], store, "gifts")
    db.session.commit()
    assert "Gift message" not in client.get("/s/acme/slotted/").get_data(as_text=True)
