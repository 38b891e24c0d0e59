"""The notes pages, mounted by the host at /s/<store>/notes/."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from shopdesk.auth.permissions import requires
from shopdesk.db import db

from .events import delete_note, write_note
from .models import Note

bp = Blueprint("notes", __name__, url_prefix="/notes", template_folder="templates")


def pinned_first(query):
    """The order every list of notes uses: pinned first, then the most recently changed."""
    return query.order_by(Note.pinned.desc(), Note.updated_at.desc(), Note.id.desc())


class NoteForm(FlaskForm):
    title = StringField(lazy_gettext("Title"), validators=[DataRequired(), Length(max=200)])
    body = TextAreaField(lazy_gettext("Text"), validators=[Length(max=20000)], render_kw={"rows": 6})
    pinned = BooleanField(lazy_gettext("Pin it to the dashboard"))
    submit = SubmitField(lazy_gettext("Save note"))


@bp.route("/")
@requires("notes.read")
def index():
    notes = db.session.scalars(pinned_first(sa.select(Note))).all()
    return render_template("notes/index.html", notes=notes)


@bp.route("/new", methods=["GET", "POST"])
@requires("notes.write")
def new():
    form = NoteForm()
    if form.validate_on_submit():
        write_note(title=form.title.data.strip(), body=form.body.data or "",
                   pinned=form.pinned.data, author_email=current_user.email)
        db.session.commit()
        flash(gettext("Note saved."), "success")
        return redirect(url_for("notes.index"))
    return render_template("notes/new.html", form=form)


@bp.route("/<int:note_id>/delete", methods=["POST"])
@requires("notes.write")
def delete(note_id):
    note = db.one_or_404(sa.select(Note).filter_by(id=note_id))
    title = note.title
    delete_note(note, deleted_by=current_user.email)
    db.session.commit()
    flash(gettext("Note “%(title)s” deleted.", title=title), "success")
    return redirect(url_for("notes.index"))
