"""UI pages for access: your password, the store's members and roles, your API tokens."""

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, refresh
from flask_login import current_user, login_user

from .. import audit
from ..db import db, utcnow
from ..i18n import LANGUAGES
from .models import MIN_PASSWORD_LENGTH, UserError, set_password
from .permissions import SIGNED_IN, declared_permissions, permissions_in_store, requires
from .roles import (Membership, Role, RoleError, change_role, create_role, delete_role, invite_member, remove_member,
                    update_role)
from .tokens import ApiToken, TokenError, create_token, revoke_token

bp = Blueprint("account", __name__)


def _permissions():
    return sorted(declared_permissions(current_app.extensions["shopdesk"]).values(), key=lambda p: p.name)


@bp.route("/account/password", methods=["GET", "POST"])
@requires(SIGNED_IN)
def password():
    status = 200
    if request.method == "POST":
        form = request.form
        if not current_user.check_password(form.get("current", "")):
            flash(gettext("current password: wrong password."), "danger")
            status = 400
        elif form.get("new", "") != form.get("confirm", ""):
            flash(gettext("confirm: the two new passwords differ."), "danger")
            status = 400
        elif len(form.get("new", "")) < MIN_PASSWORD_LENGTH:
            flash(gettext("new password: must be at least %(count)d characters", count=MIN_PASSWORD_LENGTH),
                  "danger")
            status = 400
        else:
            try:
                user = current_user._get_current_object()
                set_password(user, form["new"])  # ends every session of the user...
                db.session.commit()
                login_user(user)  # ...but this one, signed in again with the new version
                flash(gettext("Password changed."), "success")
                return redirect(url_for("account.password"))
            except UserError as exc:
                db.session.rollback()
                flash(f"new {exc}", "danger")
                status = 400
    return render_template("auth/password.html"), status


@bp.route("/account/profile", methods=["GET", "POST"])
@requires(SIGNED_IN)
def profile():
    """Your name and language; no language means the browser's (Accept-Language)."""
    if request.method == "POST":
        locale = request.form.get("locale") or None
        name = request.form.get("name", current_user.name).strip()
        if locale is not None and locale not in LANGUAGES:
            flash(gettext("locale: must be one of %(choices)s", choices=", ".join(LANGUAGES)),
                  "danger")
            return render_template("auth/profile.html"), 400
        if len(name) > 200:
            flash(gettext("name: at most 200 characters"), "danger")
            return render_template("auth/profile.html"), 400
        before = {"name": current_user.name, "locale": current_user.locale}
        current_user.name, current_user.locale = name, locale
        audit.record("user.profile_changed", object_type="user", object_id=current_user.id,
                     before=before, after={"name": name, "locale": locale})
        db.session.commit()
        refresh()  # say it in the language just chosen
        flash(gettext("Profile saved."), "success")
        return redirect(url_for("account.profile"))
    return render_template("auth/profile.html")


@bp.route("/s/<store>/members", methods=["GET", "POST"])
@requires("members.manage")
def members():
    if request.method == "POST":
        form = request.form
        try:
            if form.get("action") == "add":
                _, temporary = invite_member(g.store, form.get("email", ""), form.get("role", ""), form.get("name", ""))
                if temporary:
                    flash(gettext("New account created. Hand over this temporary password once: %(password)s",
                                  password=temporary), "warning")
            else:
                member = db.one_or_404(sa.select(Membership).filter_by(user_id=int(form.get("user_id", 0))))
                if form.get("action") == "remove":
                    remove_member(g.store, member)
                else:
                    change_role(g.store, member, form.get("role", ""))
            db.session.commit()
            flash(gettext("Members updated."), "success")
        except (RoleError, UserError) as exc:
            db.session.rollback()
            field = getattr(exc, "field", None)
            flash(f"{field}: {exc}" if field else str(exc), "danger")
        return redirect(url_for("account.members"))
    rows = db.session.scalars(sa.select(Membership).order_by(Membership.id)).all()
    roles = db.session.scalars(sa.select(Role).order_by(Role.id)).all()
    return render_template("auth/members.html", members=rows, roles=roles)


@bp.route("/s/<store>/roles", methods=["GET", "POST"])
@requires("roles.manage")
def roles():
    if request.method == "POST":
        form = request.form
        try:
            if form.get("action") == "create":
                create_role(g.store, form.get("name", ""), form.getlist("permissions"), form.get("description", ""))
            else:
                role = db.one_or_404(sa.select(Role).filter_by(id=int(form.get("role_id", 0))))
                if form.get("action") == "delete":
                    delete_role(role)
                else:
                    update_role(role, form.getlist("permissions"), form.get("description"))
            db.session.commit()
            flash(gettext("Roles updated."), "success")
        except RoleError as exc:
            db.session.rollback()
            flash(f"{exc.field}: {exc}" if exc.field else str(exc), "danger")
        return redirect(url_for("account.roles"))
    from .permissions import builtin_permissions

    registry = current_app.extensions["shopdesk"]
    rows = db.session.scalars(sa.select(Role).order_by(Role.id)).all()
    granted = {r.id: builtin_permissions(registry, r.builtin) if r.builtin else set(r.permissions) for r in rows}
    return render_template("auth/roles.html", roles=rows, granted=granted, permissions=_permissions())


@bp.route("/s/<store>/tokens", methods=["GET", "POST"])
@requires("api.tokens")
def tokens():
    created, status = None, 200
    if request.method == "POST":
        form = request.form
        try:
            if form.get("action") == "revoke":
                revoke_token(db.one_or_404(sa.select(ApiToken).filter_by(id=int(form.get("token_id", 0)),
                                                                         user_id=current_user.id)))
            else:
                days = int(form.get("days") or 0)
                expires = utcnow() + timedelta(days=days) if days > 0 else None
                _, created = create_token(current_user, g.store, form.get("name", ""), form.getlist("permissions"), expires)
            db.session.commit()
        except (TokenError, ValueError) as exc:
            db.session.rollback()
            flash(f"{getattr(exc, 'field', 'days')}: {exc}", "danger")
            status = 400
    mine = db.session.scalars(sa.select(ApiToken).filter_by(user_id=current_user.id).order_by(ApiToken.id.desc())).all()
    own = permissions_in_store(current_user, g.store)
    # The page may show a new token's secret: no browser or proxy may keep a copy.
    return render_template("auth/tokens.html", tokens=mine, created=created,
                           permissions=[p for p in _permissions() if p.name in own]), status, {"Cache-Control": "no-store"}
