"""Sign-in and sign-out pages (session login, CSRF-protected).

Signing out ends the session on the server (the user's session version moves on), so a copy
of the cookie taken before is refused; see ``models.end_sessions``.
"""

import unicodedata
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from .. import audit
from ..db import db, utcnow
from ..i18n import N_
from . import lockout
from .models import User, end_sessions, user_for_session
from .permissions import PUBLIC, SIGNED_IN, requires

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = N_("Please log in to access this page.")
login_manager.localize_callback = gettext  # flashed in the reader's language


@login_manager.user_loader
def load_user(session_id):
    return user_for_session(session_id)


class LoginForm(FlaskForm):
    email = EmailField(lazy_gettext("Email"), validators=[DataRequired()])
    password = PasswordField(lazy_gettext("Password"), validators=[DataRequired()])


@bp.route("/login", methods=["GET", "POST"])
@requires(PUBLIC)
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        wait = lockout.locked_for(email)
        if wait is not None:
            audit.record("auth.login_locked", object_type="user", after={"email": email}, actor=email)
            db.session.commit()
            flash(lockout.message(wait), "danger")
            return render_template("auth/login.html", form=form), 429, {"Retry-After": lockout.seconds(wait)}
        user = db.session.scalar(sa.select(User).filter_by(email=email))
        if user is not None and user.active and user.check_password(form.password.data):
            user.last_login_at = utcnow()
            login_user(user)
            audit.record("auth.login", object_type="user", object_id=user.id, actor=user.email,
                         user_id=user.id)
            db.session.commit()
            return redirect(_safe_next() or url_for("shell.home"))
        audit.record("auth.login_failed", object_type="user", after={"email": email}, actor=email)
        db.session.commit()
        flash(gettext("Wrong email or password."), "danger")
        status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


def _safe_next():
    return safe_next_path(request.args.get("next", ""))


def safe_next_path(target: str) -> str | None:
    """``target`` if it is a path on this site, else None (the caller goes home).

    Browsers drop tabs and newlines and read a backslash as a slash, so ``/%09/evil.example``
    and ``/\\evil.example`` lead off-site: refuse control characters and backslashes in the
    value and in its percent-decoded form, and anything that parses with a scheme or a host.
    """
    if not target.startswith("/"):
        return None
    for form in (target, unquote(target)):
        if "\\" in form or any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in form):
            return None
        if form.startswith("//"):
            return None
        parts = urlsplit(form)
        if parts.scheme or parts.netloc:
            return None
    return target


@bp.route("/logout", methods=["POST"])
@requires(SIGNED_IN)
def logout():
    """Sign out: this user's sessions end on the server, every copy of the cookie included."""
    end_sessions(current_user, reason="signed_out")
    db.session.commit()
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@requires(SIGNED_IN)
def sign_out_everywhere():
    """End every session of the user, on every device (confirmed with a checkbox)."""
    if request.form.get("confirm") != "yes":
        flash(gettext("confirm: tick the box to sign out everywhere."), "danger")
        return redirect(url_for("account.profile"))
    end_sessions(current_user, reason="signed_out_everywhere")
    db.session.commit()
    logout_user()
    flash(gettext("You are signed out on every device."), "success")
    return redirect(url_for("auth.login"))
