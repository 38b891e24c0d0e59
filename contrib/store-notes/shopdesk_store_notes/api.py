"""The REST API, mounted by the host at /api/v1/notes."""

import sqlalchemy as sa
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from shopdesk.auth.permissions import requires
from shopdesk.db import db

from .events import change_note, delete_note, write_note
from .models import Note
from .views import pinned_first

api = Blueprint("notes_api", __name__, url_prefix="/notes", description="Staff notes of the store.")

not_blank = validate.Regexp(r"\S", error="Must not be blank.")


class NoteSchema(Schema):
    id = fields.Integer(dump_only=True)
    title = fields.String(required=True, validate=[validate.Length(max=200), not_blank])
    body = fields.String(load_default="", validate=validate.Length(max=20000))
    pinned = fields.Boolean(load_default=False)
    author_email = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)


class NoteChangesSchema(Schema):
    """What PATCH accepts: any of the writable fields, none required."""

    title = fields.String(validate=[validate.Length(max=200), not_blank])
    body = fields.String(validate=validate.Length(max=20000))
    pinned = fields.Boolean()


class NoteFilterSchema(Schema):
    pinned = fields.Boolean(
        metadata={"description": "Only pinned (true) or unpinned (false) notes."})


def _note_or_404(note_id):
    # The tenant filter turns another store's id into a 404.
    return db.one_or_404(sa.select(Note).filter_by(id=note_id))


@api.route("")
class Notes(MethodView):
    @requires("notes.read")
    @api.arguments(NoteFilterSchema, location="query")
    @api.response(200, NoteSchema(many=True))
    @api.paginate()
    def get(self, filters, pagination_parameters):
        """List the store's notes, pinned first, then the most recently changed."""
        pagination_parameters.item_count = db.session.scalar(
            sa.select(sa.func.count()).select_from(Note).filter_by(**filters))
        return db.session.scalars(
            pinned_first(sa.select(Note).filter_by(**filters))
            .offset(pagination_parameters.first_item)
            .limit(pagination_parameters.page_size)
        ).all()

    @requires("notes.write")
    @api.arguments(NoteSchema)
    @api.response(201, NoteSchema)
    def post(self, data):
        """Write a note; its author is the signed-in user (recorded in the audit log). Emits
        ``note.created``."""
        note = write_note(author_email=current_user.email, **data)
        db.session.commit()
        return note


@api.route("/<int:note_id>")
class NoteById(MethodView):
    @requires("notes.read")
    @api.response(200, NoteSchema)
    def get(self, note_id):
        return _note_or_404(note_id)

    @requires("notes.write")
    @api.arguments(NoteChangesSchema)
    @api.response(200, NoteSchema)
    def patch(self, changes, note_id):
        """Change a note's title, body or pinned flag (recorded in the audit log)."""
        note = change_note(_note_or_404(note_id), changes)
        db.session.commit()
        return note

    @requires("notes.write")
    @api.response(204)
    def delete(self, note_id):
        """Delete a note (recorded in the audit log). Emits ``note.deleted``."""
        delete_note(_note_or_404(note_id), deleted_by=current_user.email)
        db.session.commit()
