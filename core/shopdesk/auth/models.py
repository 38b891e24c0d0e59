"""Users: email, name, an argon2id password hash, active flag, locale, last login.

A signed-in session carries the user's ``session_version`` next to their id (Flask-Login's
"alternative token"): bumping the version ends every session of the user on the server, so a
cookie copied before signing out, or before a password change, is refused afterwards.
"""

from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from .. import audit
from ..db import UTCDateTime, Timestamps, db

# OWASP Password Storage Cheat Sheet: argon2id, 19 MiB memory, 2 iterations, 1 lane.
hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

MIN_PASSWORD_LENGTH = 10


class User(UserMixin, Timestamps, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(255), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(sa.String(16))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    def get_id(self):
        """What the session keeps: id and session version (see :func:`end_sessions`)."""
        return f"{self.id}:{self.session_version or 0}"

    @property
    def is_active(self):
        return self.active

    def check_password(self, password: str) -> bool:
        try:
            hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if hasher.check_needs_rehash(self.password_hash):
            self.password_hash = hasher.hash(password)
        return True


class UserError(ValueError):
    pass


def _validate_password(password: str):
    if len(password) < MIN_PASSWORD_LENGTH:
        raise UserError(f"password: must be at least {MIN_PASSWORD_LENGTH} characters")


def create_user(email: str, password: str, name: str = "") -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise UserError(f"email: '{email}' is not an email address")
    if db.session.scalar(sa.select(User.id).filter_by(email=email)) is not None:
        raise UserError(f"email: a user with email '{email}' already exists")
    _validate_password(password)
    user = User(email=email, name=name, password_hash=hasher.hash(password))
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", object_type="user", object_id=user.id, after={"email": email})
    return user


def set_password(user: User, password: str):
    """Change the password and end every session of the user (the caller signs the current
    one in again when the user changed it themselves)."""
    _validate_password(password)
    user.password_hash = hasher.hash(password)
    audit.record("user.password_changed", object_type="user", object_id=user.id)
    end_sessions(user, reason="password_changed")


def end_sessions(user: User, reason: str):
    """End every signed-in session of ``user``, on every device: their cookies stop working."""
    user.session_version = (user.session_version or 0) + 1
    audit.record("auth.sessions_ended", object_type="user", object_id=user.id, after={"reason": reason})


def user_for_session(session_id: str) -> User | None:
    """The active user a session's ``id:version`` names, or None when it was ended."""
    user_id, _, version = str(session_id).partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None  # a cookie from before session versions, or tampered: sign in again
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or (user.session_version or 0) != int(version):
        return None
    return user
