"""Sign-in and sign-out pages (session login, CSRF-protected)."""

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from flask_login import LoginManager, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired

from .. import audit
from ..db import db, utcnow
from ..i18n import N_
from . import lockout
from .models import User
from .permissions import PUBLIC, SIGNED_IN, requires

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = N_("Please log in to access this page.")
login_manager.localize_callback = gettext  # flashed in the reader's language


@login_manager.user_loader
def load_user(user_id):
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


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
    target = request.args.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else None


@bp.route("/logout", methods=["POST"])
@requires(SIGNED_IN)
def logout():
    logout_user()
    return redirect(url_for("auth.login"))
