"""The notes plugin: its manifest and hook implementations."""

from pathlib import Path

import sqlalchemy as sa
from flask import render_template
from flask_babel import gettext
from marshmallow import Schema, fields, validate

import shopdesk
from shopdesk import hookimpl
from shopdesk.auth.permissions import Permission, allowed
from shopdesk.db import db
from shopdesk.i18n import N_
from shopdesk.ui import NavItem, Widget

from .api import api
from .events import EVENT_TYPES
from .models import Note
from .views import bp, pinned_first

manifest = shopdesk.Manifest(
    name="notes",
    label=N_("Store notes"),  # N_: in the catalogue, translated where the host shows it
    description=N_("Staff notes per store: supplier calls, returns policy reminders; "
                   "pinned ones on the dashboard."),
    requires=(),
    host=">=0.1,<1",
)


class NotesSettings(Schema):
    pinned_limit = fields.Integer(
        load_default=5, validate=validate.Range(min=1, max=50),
        metadata={"description": N_("How many pinned notes the dashboard shows (1 to 50).")})
    slack_webhook_url = fields.String(
        load_default="",
        validate=validate.Regexp(r"^(https://\S+)?$", error="Must be an https:// URL, or empty."),
        metadata={"secret": True,
                  "description": N_("Slack incoming-webhook URL. Stored for a later release: "
                                    "nothing is sent yet.")})


@hookimpl
def register_permissions():
    return [
        Permission("notes.read", N_("Read store notes"), "閱讀商店筆記"),
        Permission("notes.write", N_("Write, pin and delete store notes"), "撰寫、釘選與刪除商店筆記",
                   roles=("manager", "operator")),
    ]


@hookimpl
def register_event_types():
    return EVENT_TYPES  # note.created and note.deleted: see events.py and docs/events.md


@hookimpl
def migration_dirs():
    return [Path(__file__).parent / "migrations"]


@hookimpl
def settings_schema():
    return NotesSettings


@hookimpl
def register_api():
    return [api]


@hookimpl
def register_blueprints():
    return [bp]


# The host shows every plugin's navigation items and cards to every member of the store:
# leave them out for people who could not open what they show.
@hookimpl
def nav_items(ctx, user):
    if not allowed("notes.read", ctx.store, user):
        return []
    return [NavItem(label=gettext("Notes"), endpoint="notes.index", icon="journal-text")]


@hookimpl
def dashboard_widgets(ctx, user):
    if not allowed("notes.read", ctx.store, user):
        return []
    limit = ctx.settings["pinned_limit"]
    pinned = pinned_first(sa.select(Note).filter_by(pinned=True)).limit(limit)
    notes = db.session.scalars(pinned).all()
    html = render_template("notes/_pinned.html", notes=notes)
    return [Widget(title=gettext("Pinned notes"), html=html, order=50)]


@hookimpl
def demo_data(ctx):
    db.session.add_all([
        Note(title="Returns window is 30 days", pinned=True, author_email="support@example.com",
             body="Since March: 30 days from delivery, unworn, tags on. "
                  "Refund to the original payment."),
        Note(title="Supplier call: Q3 price list", pinned=True, author_email="buyer@example.com",
             body="Asked Nordic Textiles for the Q3 list and volume tiers above 500 units. "
                  "Follow up Friday."),
        Note(title="Courier pick-up moved to 15:00", author_email="warehouse@example.com",
             body="From next Monday the courier collects at 15:00 instead of 16:30. "
                  "Pack before 14:30."),
        Note(title="Holiday campaign ideas", author_email="marketing@example.com",
             body="Gift bundles, free wrapping over $50, early-bird code for newsletter members."),
    ])
