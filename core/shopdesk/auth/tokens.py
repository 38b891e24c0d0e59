"""API tokens: made by a user for one store, with a subset of that user's permissions.

The token is shown once; only its SHA-256 is stored (it is 32 random bytes, so a slow hash
adds nothing). Tokens expire, can be revoked, and remember when they were last used.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, defaultload, mapped_column, relationship

from .. import audit
from ..db import StoreScoped, Timestamps, UTCDateTime, db, utcnow
from .models import User

if TYPE_CHECKING:
    from ..stores import Store
    from .roles import Membership

PREFIX = "sdk_"
LAST_USED_PRECISION = timedelta(minutes=1)  # don't write on every request


class ApiToken(StoreScoped, Timestamps, db.Model):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    hint: Mapped[str] = mapped_column(sa.String(16))  # the first characters, to tell tokens apart
    permissions: Mapped[list] = mapped_column(sa.JSON, default=list)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    user: Mapped[User] = relationship(lazy="joined")
    # Loaded with the token, so a token request reads its token, store and role in one query.
    store: Mapped["Store"] = relationship(lazy="joined")
    membership: Mapped["Membership | None"] = relationship(
        primaryjoin="and_(ApiToken.user_id == foreign(Membership.user_id), "
                    "ApiToken.store_id == foreign(Membership.store_id))",
        viewonly=True, uselist=False, lazy="joined")

    @property
    def active(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > utcnow())


class TokenError(ValueError):
    def __init__(self, message, field):
        super().__init__(message)
        self.field = field


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user, store, name: str, permissions, expires_at: datetime | None) -> tuple[ApiToken, str]:
    """Returns the stored token and its plain text, which is never shown again."""
    from .permissions import permissions_in_store

    name = name.strip()
    if not name:
        raise TokenError("must not be blank", "name")
    wanted = set(permissions)
    if not wanted:
        raise TokenError("name at least one permission", "permissions")
    beyond = sorted(wanted - permissions_in_store(user, store))
    if beyond:
        raise TokenError(f"you do not hold {', '.join(beyond)} in this store", "permissions")
    if expires_at is not None and expires_at <= utcnow():
        raise TokenError("must be in the future", "expires_at")
    plain = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(store_id=store.id, user_id=user.id, name=name, token_hash=_digest(plain),
                     hint=plain[:10], permissions=sorted(wanted), expires_at=expires_at)
    db.session.add(token)
    db.session.flush()
    audit.record("token.created", store_id=store.id, object_type="api_token", object_id=token.id,
                 after={"name": name, "user": user.email, "permissions": token.permissions,
                        "expires_at": expires_at.isoformat() if expires_at else None})
    return token, plain


def revoke_token(token: ApiToken):
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record("token.revoked", store_id=token.store_id, object_type="api_token", object_id=token.id,
                      before={"name": token.name})


def authenticate(plain: str) -> ApiToken | None:
    """The active token for a bearer value, or None; notes when it was used."""
    from .roles import Membership

    # The membership's user is the token's user, already joined: not a second time.
    token = db.session.scalar(sa.select(ApiToken).filter_by(token_hash=_digest(plain))
                              .options(defaultload(ApiToken.membership).lazyload(Membership.user))
                              .execution_options(all_stores=True))
    if token is None or not token.active or not token.user.active:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        # On its own connection: read-only requests never commit the session.
        with db.engine.begin() as connection:
            connection.execute(sa.update(ApiToken.__table__).where(ApiToken.id == token.id)
                               .values(last_used_at=now))
    return token
