"""Webhooks on the web: the API under /api/v1/webhooks and the page /s/<store>/webhooks.

Both need ``webhooks.manage``. A subscription's secret is in the answer to its creation and
to a rotation, never again. A subscription of another store is a 404 like any missing one.
"""

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint as ApiBlueprint
from flask_smorest import abort as api_abort
from marshmallow import Schema, ValidationError, fields, validate

from . import events
from .api import page_of, paginate, sort_argument
from .audit_web import UTCDateTimeField
from .auth.permissions import allowed, requires
from .db import db
from .idempotency import not_idempotent
from .ui import page_of_rows
from .webhooks import (WebhookAttempt, WebhookError, WebhookSubscription, check_events, check_url,
                       create_subscription, delete_subscription, disable_subscription, enable_subscription, resend,
                       rotate_secret, update_subscription, wake_dispatcher)

PERMISSION = "webhooks.manage"
MAX_ID = 2**31 - 1  # what an <int:...> route id may be (app.DatabaseIntConverter)
PAGE_SIZE = 25
RECENT_ATTEMPTS = 20

# --- schemas -----------------------------------------------------------------------------------

URL_HELP = "Where to POST events: https:// (or http://), no user name or password."
EVENTS_HELP = "Event type names (see docs/events.md), or [\"*\"] for every event."


class WebhookSchema(Schema):
    id = fields.Integer(dump_only=True)
    url = fields.String(required=True, validate=check_url, metadata={"description": URL_HELP})
    events = fields.List(fields.String(validate=validate.Length(min=1, max=100)), required=True,
                         validate=check_events, metadata={"description": EVENTS_HELP})
    description = fields.String(load_default="", validate=validate.Length(max=200))
    active = fields.Boolean(load_default=True, metadata={"description": "false: created paused."})
    state = fields.String(dump_only=True, metadata={"description": "active, paused, or disabled (automatically, "
                                                                   "after too many failures: see disabled_reason)."})
    consecutive_failures = fields.Integer(dump_only=True)
    disabled_reason = fields.String(dump_only=True, allow_none=True)
    disabled_at = UTCDateTimeField(dump_only=True, allow_none=True)
    created_at = UTCDateTimeField(dump_only=True)
    updated_at = UTCDateTimeField(dump_only=True)


class NewSecretSchema(WebhookSchema):
    secret = fields.String(dump_only=True, metadata={"description": "Signs every delivery. Shown once: store it now."})


class WebhookChangesSchema(Schema):
    url = fields.String(validate=check_url, metadata={"description": URL_HELP})
    events = fields.List(fields.String(validate=validate.Length(min=1, max=100)), validate=check_events,
                         metadata={"description": EVENTS_HELP})
    description = fields.String(validate=validate.Length(max=200))
    active = fields.Boolean(metadata={"description": "true re-enables (clearing the failure count), false pauses."})


class WebhookQuery(Schema):
    active = fields.Boolean(metadata={"description": "Only active (true) or paused/disabled (false) subscriptions."})
    state = fields.String(validate=validate.OneOf(["active", "paused", "disabled"]))
    sort = sort_argument(["id", "created_at", "url"], "id")


class AttemptSchema(Schema):
    id = fields.Integer()
    subscription_id = fields.Integer()
    delivery_id = fields.Integer(allow_none=True)
    event_id = fields.String()
    event_name = fields.String()
    resend = fields.Boolean(metadata={"description": "A manual re-send."})
    url = fields.String()
    request_headers = fields.Dict(keys=fields.String(), values=fields.String())
    request_body = fields.String()
    response_status = fields.Integer(allow_none=True, metadata={"description": "None: no answer (see error)."})
    response_body = fields.String(allow_none=True, metadata={"description": "The first 2000 characters."})
    latency_ms = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
    success = fields.Boolean()
    attempted_at = UTCDateTimeField()


class AttemptQuery(Schema):
    success = fields.Boolean(metadata={"description": "Only answered 2xx (true) or failed (false) attempts."})
    status = fields.Integer(validate=validate.Range(min=100, max=599),
                            metadata={"description": "Only attempts answered with this HTTP status."})
    event = fields.String(validate=validate.Length(min=1, max=100), metadata={"description": "An event type name."})
    sort = sort_argument(["attempted_at", "latency_ms", "id"], "-attempted_at")


class ResendSchema(Schema):
    delivery_id = fields.Integer()
    target = fields.String()
    event_id = fields.String()
    status = fields.String(metadata={"description": "pending: it is sent in a moment."})


# --- API ---------------------------------------------------------------------------------------

blp = ApiBlueprint("webhooks-api", __name__, url_prefix="/webhooks",
                   description="Webhook subscriptions of the store: signed HTTP deliveries of events, their log.")


def refuse(exc: WebhookError):
    message = f"{exc.field}: {exc}" if exc.field else str(exc)
    api_abort(exc.status, message=message, errors={exc.field: [str(exc)]} if exc.field else {})


def _subscription(webhook_id) -> WebhookSubscription:
    return db.one_or_404(sa.select(WebhookSubscription).filter_by(id=webhook_id))


def _state_filter(state):
    return {"active": WebhookSubscription.active.is_(True),
            "paused": sa.and_(WebhookSubscription.active.is_(False), WebhookSubscription.disabled_at.is_(None)),
            "disabled": sa.and_(WebhookSubscription.active.is_(False), WebhookSubscription.disabled_at.is_not(None)),
            }[state]


@blp.route("")
class Webhooks(MethodView):
    @requires(PERMISSION)
    @blp.arguments(WebhookQuery, location="query")
    @blp.response(200, WebhookSchema(many=True))
    @paginate(blp)
    def get(self, query, pagination_parameters):
        """The store's subscriptions."""
        select = sa.select(WebhookSubscription)
        if "active" in query:
            select = select.where(WebhookSubscription.active.is_(query["active"]))
        if "state" in query:
            select = select.where(_state_filter(query["state"]))
        return page_of(select, pagination_parameters, query["sort"],
                       {"id": WebhookSubscription.id, "created_at": WebhookSubscription.created_at,
                        "url": WebhookSubscription.url})

    @not_idempotent("a replayed answer would keep the signing secret in clear in the database for a day")
    @requires(PERMISSION)
    @blp.arguments(WebhookSchema)
    @blp.response(201, NewSecretSchema)
    def post(self, data):
        """Subscribe a URL to events. The answer holds the signing secret, shown this once."""
        sub, _secret = create_subscription(data["url"], data["events"], data["description"], data["active"])
        db.session.commit()
        return sub  # NewSecretSchema reads the secret, this once


@blp.route("/<int:webhook_id>")
class WebhookById(MethodView):
    @requires(PERMISSION)
    @blp.response(200, WebhookSchema)
    def get(self, webhook_id):
        return _subscription(webhook_id)

    @requires(PERMISSION)
    @blp.arguments(WebhookChangesSchema)
    @blp.response(200, WebhookSchema)
    def patch(self, changes, webhook_id):
        """Change the URL, events or description; ``active`` re-enables or pauses."""
        sub = _subscription(webhook_id)
        update_subscription(sub, changes)
        if changes.get("active") is True:
            enable_subscription(sub)
        elif changes.get("active") is False:
            disable_subscription(sub)
        db.session.commit()
        return sub

    @requires(PERMISSION)
    @blp.response(204)
    def delete(self, webhook_id):
        """Delete the subscription and its delivery log; nothing more is sent to it."""
        delete_subscription(_subscription(webhook_id))
        db.session.commit()


@blp.route("/<int:webhook_id>/rotate-secret")
class WebhookSecret(MethodView):
    @not_idempotent("a replayed answer would keep the signing secret in clear; rotating again is harmless")
    @requires(PERMISSION)
    @blp.response(200, NewSecretSchema)
    def post(self, webhook_id):
        """Replace the signing secret at once; the new one is in the answer, shown this once."""
        sub = _subscription(webhook_id)
        rotate_secret(sub)
        db.session.commit()
        return sub


@blp.route("/<int:webhook_id>/attempts")
class WebhookAttempts(MethodView):
    @requires(PERMISSION)
    @blp.arguments(AttemptQuery, location="query")
    @blp.response(200, AttemptSchema(many=True))
    @paginate(blp, keyset=True)
    def get(self, query, pagination_parameters, webhook_id):
        """The delivery log of one subscription: every request as sent, and its answer."""
        sub = _subscription(webhook_id)
        select = sa.select(WebhookAttempt).filter_by(subscription_id=sub.id)
        if "success" in query:
            select = select.where(WebhookAttempt.success.is_(query["success"]))
        if "status" in query:
            select = select.where(WebhookAttempt.response_status == query["status"])
        if "event" in query:
            select = select.where(WebhookAttempt.event_name == query["event"])
        return page_of(select, pagination_parameters, query["sort"],
                       {"attempted_at": WebhookAttempt.attempted_at, "latency_ms": WebhookAttempt.latency_ms,
                        "id": WebhookAttempt.id})


@blp.route("/<int:webhook_id>/attempts/<int:attempt_id>/resend")
class WebhookResend(MethodView):
    @requires(PERMISSION)
    @blp.response(202, ResendSchema)
    def post(self, webhook_id, attempt_id):
        """Send the event of this attempt to the subscription again, as a new delivery."""
        sub = _subscription(webhook_id)
        attempt = db.one_or_404(sa.select(WebhookAttempt).filter_by(id=attempt_id, subscription_id=sub.id))
        try:
            delivery = resend(attempt)
        except WebhookError as exc:
            db.session.rollback()
            refuse(exc)
        answer = {"delivery_id": delivery.id, "target": delivery.target, "event_id": attempt.event_id,
                  "status": delivery.status}
        db.session.commit()
        wake_dispatcher()
        return answer


# --- UI ----------------------------------------------------------------------------------------

bp = Blueprint("webhooks", __name__)


class WebhookForm(Schema):
    url = fields.String(required=True, validate=check_url)
    events = fields.List(fields.String(validate=validate.Length(min=1, max=100)), required=True,
                         validate=check_events)
    description = fields.String(load_default="", validate=validate.Length(max=200))


@bp.app_context_processor
def webhook_notices():
    """``disabled_webhooks()`` for the navigation: how many were disabled after failures."""

    def disabled_webhooks() -> int:
        if g.get("store") is None or not allowed(PERMISSION):
            return 0
        if "_disabled_webhooks" not in g:
            g._disabled_webhooks = db.session.scalar(
                sa.select(sa.func.count()).select_from(WebhookSubscription).where(_state_filter("disabled")))
        return g._disabled_webhooks

    return {"disabled_webhooks": disabled_webhooks}


def _form_id(name) -> int:
    try:
        value = int(request.form.get(name, ""))
    except ValueError:
        abort(400, description=_("%(field)s: not a number", field=name))
    if not 0 < value <= MAX_ID:
        abort(404)
    return value


def _flat(messages: dict) -> dict:
    """Field -> list of messages (a list field's per-item errors come keyed by index)."""
    def strings(value):
        if isinstance(value, dict):
            return [m for inner in value.values() for m in strings(inner)]
        return [str(m) for m in value] if isinstance(value, list) else [str(value)]

    return {name: strings(value) for name, value in messages.items()}


def _declared_events() -> list[str]:
    return sorted(events.event_types(current_app.extensions["shopdesk"]))


def _back(sub_id=None):
    if request.form.get("back") == "detail" and sub_id is not None:
        return redirect(url_for("webhooks.detail", webhook_id=sub_id))
    return redirect(url_for("webhooks.page"))


def _render_page(shown=None, errors=None, form=None, status=200):
    subs = db.session.scalars(sa.select(WebhookSubscription).order_by(WebhookSubscription.id)).all()
    recent = db.session.scalars(sa.select(WebhookAttempt).order_by(WebhookAttempt.id.desc())
                                .limit(RECENT_ATTEMPTS)).all()
    urls = {s.id: s.url for s in subs}
    return render_template("shell/webhooks.html", subscriptions=subs, recent=recent, urls=urls, shown=shown,
                           errors=errors or {}, form=form or {}, declared=_declared_events()), status


@bp.route("/s/<store>/webhooks", methods=["GET", "POST"])
@requires(PERMISSION)
def page():
    if request.method == "GET":
        return _render_page()
    action = request.form.get("action", "")
    if action == "create":
        raw = {"url": request.form.get("url", "").strip(), "events": request.form.getlist("events"),
               "description": request.form.get("description", "").strip()}
        try:
            data = WebhookForm().load(raw)
        except ValidationError as exc:
            return _render_page(errors=_flat(exc.messages), form=raw, status=400)
        sub, secret = create_subscription(data["url"], data["events"], data["description"])
        db.session.commit()
        return _render_page(shown={"id": sub.id, "url": sub.url, "secret": secret, "created": True})
    if action == "resend":
        attempt = db.one_or_404(sa.select(WebhookAttempt).filter_by(id=_form_id("attempt_id")))
        try:
            resend(attempt)
            db.session.commit()
            wake_dispatcher()
            flash(_("Re-send of %(event)s queued: it is delivered in a moment.", event=attempt.event_name), "success")
        except WebhookError as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return _back(attempt.subscription_id)
    sub = db.one_or_404(sa.select(WebhookSubscription).filter_by(id=_form_id("webhook_id")))
    if action == "rotate":
        secret = rotate_secret(sub)
        db.session.commit()
        return _render_page(shown={"id": sub.id, "url": sub.url, "secret": secret, "created": False})
    if action == "enable":
        enable_subscription(sub)
        flash(_("Webhook enabled: new events are sent to %(url)s.", url=sub.url), "success")
    elif action == "pause":
        disable_subscription(sub)
        flash(_("Webhook paused: nothing is sent to %(url)s until you enable it.", url=sub.url), "success")
    elif action == "delete":
        delete_subscription(sub)
        flash(_("Webhook deleted: %(url)s.", url=sub.url), "success")
        db.session.commit()
        return redirect(url_for("webhooks.page"))
    else:
        abort(400, description=_("action: must be create, enable, pause, rotate, delete or resend"))
    db.session.commit()
    return _back(sub.id)


@bp.route("/s/<store>/webhooks/<int:webhook_id>")
@requires(PERMISSION)
def detail(webhook_id):
    sub = _subscription(webhook_id)
    try:
        number = max(1, int(request.args.get("page", 1)))
    except ValueError:
        number = 1
    attempts, number, pages, total = page_of_rows(sa.select(WebhookAttempt).filter_by(subscription_id=sub.id),
                                                  number, PAGE_SIZE, WebhookAttempt.id.desc())
    return render_template(
        "shell/webhooks_detail.html", sub=sub, attempts=attempts, total=total, page=number, pages=pages,
        newer=url_for("webhooks.detail", webhook_id=sub.id, page=number - 1) if number > 1 else None,
        older=url_for("webhooks.detail", webhook_id=sub.id, page=number + 1) if number < pages else None)
