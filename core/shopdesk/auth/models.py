"""Users: email, name, an argon2id password hash, active flag, locale, last login."""

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
    _validate_password(password)
    user.password_hash = hasher.hash(password)
    audit.record("user.password_changed", object_type="user", object_id=user.id)
