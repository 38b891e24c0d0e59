"""The events the notes plugin emits, and the changes that emit them.

Both the pages and the API write, change and delete notes through :func:`write_note`,
:func:`change_note` and :func:`delete_note`, so every path emits the same event and leaves
the same audit entry, in the same transaction as the change: the caller commits, and a change
that fails or rolls back emits and records nothing. The key
``note:<id>`` keeps one note's events in order for every receiver.
"""

from marshmallow import Schema, fields

from shopdesk import audit
from shopdesk.db import db
from shopdesk.events import EventType, emit

from .models import Note


class NoteCreatedPayload(Schema):
    id = fields.Integer(
        required=True, metadata={"description": "The note's id (unique in its store)."})
    title = fields.String(
        required=True, metadata={"description": "The title, at most 200 characters."})
    body = fields.String(
        required=True, metadata={"description": "The text of the note; may be empty."})
    pinned = fields.Boolean(
        required=True, metadata={"description": "True when the note is pinned to the dashboard."})
    author_email = fields.String(
        required=True, metadata={"description": "Email of the staff member who wrote it."})


class NoteDeletedPayload(Schema):
    id = fields.Integer(required=True, metadata={"description": "The id the note had."})
    title = fields.String(required=True, metadata={"description": "The title the note had."})
    deleted_by = fields.String(
        required=True, metadata={"description": "Email of the staff member who deleted it."})


EVENT_TYPES = [
    EventType("note.created", 1, NoteCreatedPayload,
              "A staff note was written, on the Notes page or through the API."),
    EventType("note.deleted", 1, NoteDeletedPayload,
              "A staff note was deleted, on the Notes page or through the API."),
]


def write_note(*, author_email: str, title: str, body: str = "", pinned: bool = False):
    """Add a note to the current store and emit ``note.created``; the caller commits."""
    note = Note(title=title, body=body, pinned=pinned, author_email=author_email)
    db.session.add(note)
    db.session.flush()  # the id, for the payload and the key
    payload = {"id": note.id, "title": note.title, "body": note.body, "pinned": note.pinned,
               "author_email": note.author_email}
    audit.record("notes.created", object_type="note", object_id=note.id, after=_audited(note))
    emit("note.created", payload, key=f"note:{note.id}")
    return note


def change_note(note: Note, changes: dict):
    """Change a note's title, body or pinned flag and record it in the audit log (before and
    after); the caller commits."""
    before = _audited(note)
    for key, value in changes.items():
        setattr(note, key, value)
    if _audited(note) != before:
        audit.record("notes.changed", object_type="note", object_id=note.id, before=before, after=_audited(note))
    return note


def _audited(note: Note) -> dict:
    return {"title": note.title, "body": note.body, "pinned": note.pinned, "author_email": note.author_email}


def delete_note(note: Note, *, deleted_by: str):
    """Delete a note, record it in the audit log and emit ``note.deleted``; the caller commits."""
    audit.record("notes.deleted", object_type="note", object_id=note.id, before=_audited(note))
    payload = {"id": note.id, "title": note.title, "deleted_by": deleted_by}
    emit("note.deleted", payload, key=f"note:{note.id}")
    db.session.delete(note)
