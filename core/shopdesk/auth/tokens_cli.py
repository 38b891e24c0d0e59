"""`shopdesk tokens create | list | revoke`: API tokens provisioned without a browser.

A token always has a maker, a member of the store whose permissions it narrows (as in the
UI and the API). On the command line the maker is the user named with ``--user EMAIL``, or
else the store's first owner; the audit log names the shell's login as the actor
(``cli:<login>``) and the token records its maker. The secret is printed once.
"""

import re
from datetime import datetime, time, timedelta, timezone

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from ..db import db, utcnow
from ..stores import PluginStateError, get_store, use_store
from .models import User
from .permissions import declared_permissions
from .roles import Membership, Role
from .tokens import ApiToken, TokenError, create_token, revoke_token

tokens_group = AppGroup("tokens", help="API tokens of a store: create (the secret is shown once), list, revoke.")


def _refuse(message: str):
    from ..cli import OneLineError  # the one `Error:` line of every command

    raise OneLineError(message)


def _store(slug):
    try:
        return get_store(slug)
    except PluginStateError as exc:
        _refuse(str(exc))


def _maker(store, email):
    """The named member, or the store's first owner."""
    select = (sa.select(User).join(Membership, Membership.user_id == User.id)
              .where(Membership.store_id == store.id).execution_options(all_stores=True))
    if email:
        user = db.session.scalar(select.where(User.email == email.strip().lower()))
        if user is None:
            _refuse(f"--user: '{email}' is not a member of store '{store.slug}'")
    else:
        user = db.session.scalar(select.join(Role, Role.id == Membership.role_id)
                                 .where(Role.builtin == "owner").order_by(Membership.id))
        if user is None:
            _refuse(f"store '{store.slug}' has no owner: name the token's maker with --user EMAIL")
    return user


def _expiry(value):
    """``--expires``: a number of days from now, or a date (the token ends at its start, UTC)
    or an ISO date-time."""
    if value is None:
        return None
    if re.fullmatch(r"\d{1,5}", value):
        return utcnow() + timedelta(days=int(value))
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        _refuse(f"--expires: '{value}' is neither a number of days nor a date (2027-01-31)")
    if len(value) == 10:  # a date alone
        moment = datetime.combine(moment.date(), time(), timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@tokens_group.command("create")
@click.argument("store")
@click.argument("name")
@click.option("--permission", "permissions", multiple=True, required=True,
              help="A permission the token carries (repeat for several); see `GET /api/v1/permissions`.")
@click.option("--expires", help="Days from now (90) or a date (2027-01-31); default: never.")
@click.option("--user", "email", help="The member whose permissions it narrows; default: the store's first owner.")
def tokens_create(store, name, permissions, expires, email):
    """Create an API token for STORE named NAME and print its secret, once."""
    the_store = _store(store)
    unknown = sorted(set(permissions) - set(declared_permissions(current_app.extensions["shopdesk"])))
    if unknown:
        _refuse(f"--permission: unknown permission {', '.join(repr(p) for p in unknown)}")
    expires_at = _expiry(expires)
    with use_store(the_store):
        maker = _maker(the_store, email)
        try:
            token, plain = create_token(maker, the_store, name, permissions, expires_at)
        except TokenError as exc:
            db.session.rollback()
            _refuse(f"{exc.field}: {exc}")
        db.session.commit()
        click.echo(f"Token #{token.id} '{token.name}' for {maker.email} in {the_store.slug}: "
                   f"{', '.join(token.permissions)}; expires {expires_at.isoformat() if expires_at else 'never'}.")
        click.echo("Store the secret now, it is not shown again:")
        click.echo(plain)


@tokens_group.command("list")
@click.argument("store")
def tokens_list(store):
    """Every token of STORE (never their secrets): id, name, maker, status, permissions."""
    the_store = _store(store)
    with use_store(the_store):
        for token in db.session.scalars(sa.select(ApiToken).order_by(ApiToken.id)):
            status = "active" if token.active else ("revoked" if token.revoked_at else "expired")
            ends = token.expires_at.date().isoformat() if token.expires_at else "never"
            used = token.last_used_at.isoformat(timespec="minutes") if token.last_used_at else "never"
            click.echo(f"#{token.id:<5} {token.name:24} {token.user.email:28} {status:8} {token.hint}…  "
                       f"expires {ends}  last used {used}  {','.join(token.permissions)}")


@tokens_group.command("revoke")
@click.argument("store")
@click.argument("token")
def tokens_revoke(store, token):
    """Revoke the token of STORE with this id (or #id) or, when only one has it, this name."""
    the_store = _store(store)
    with use_store(the_store):
        select = sa.select(ApiToken)
        if token.lstrip("#").isdigit():
            found = db.session.scalars(select.filter_by(id=int(token.lstrip("#")))).all()
        else:
            found = db.session.scalars(select.filter_by(name=token, revoked_at=None)).all()
        if not found:
            _refuse(f"no token '{token}' in store '{the_store.slug}'")
        if len(found) > 1:
            _refuse(f"{len(found)} active tokens are named '{token}': give the id (`shopdesk tokens list`)")
        revoke_token(found[0])
        db.session.commit()
        click.echo(f"Token #{found[0].id} '{found[0].name}' revoked.")
