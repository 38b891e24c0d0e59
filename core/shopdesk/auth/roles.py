"""Roles and memberships: a user belongs to a store with one role; a role is a set of permissions.

Each store has the four built-in roles (their permissions follow the declarations, so a new
plugin's permissions reach them without a migration) and any custom roles its admins make.
Every change is audited, and a store always keeps at least one owner.
"""

import secrets

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import audit
from ..db import StoreScoped, Timestamps, db, lock_row
from .models import User
from .permissions import BUILTIN_ROLES, declared_permissions


class Role(StoreScoped, Timestamps, db.Model):
    __tablename__ = "roles"
    __table_args__ = (sa.UniqueConstraint("store_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(63))
    description: Mapped[str] = mapped_column(sa.String(255), default="")
    builtin: Mapped[str | None] = mapped_column(sa.String(16))  # owner/manager/operator/viewer
    permissions: Mapped[list] = mapped_column(sa.JSON, default=list)  # custom roles only


class Membership(StoreScoped, Timestamps, db.Model):
    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("store_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role_id: Mapped[int] = mapped_column(sa.ForeignKey("roles.id"), index=True)
    user: Mapped[User] = relationship(lazy="joined")
    role: Mapped[Role] = relationship(lazy="joined")


class RoleError(ValueError):
    """A role or membership change the rules refuse; ``field`` names the input at fault."""

    def __init__(self, message, field=None, status=422, code=None):
        super().__init__(message)
        self.field, self.status, self.code = field, status, code


BUILTIN_DESCRIPTIONS = {
    "owner": "Everything, including members, roles and plugins.",
    "manager": "Runs the store day to day; cannot change members, roles or plugins.",
    "operator": "Does the daily work: reads and handles records.",
    "viewer": "Reads only.",
}


def seed_builtin_roles(store):
    for name in BUILTIN_ROLES:
        db.session.add(Role(store_id=store.id, name=name, builtin=name, description=BUILTIN_DESCRIPTIONS[name]))
    db.session.flush()


def role_of(user, store) -> Role | None:
    return db.session.scalar(
        sa.select(Role).join(Membership, Membership.role_id == Role.id)
        .where(Membership.user_id == user.id, Membership.store_id == store.id)
        .execution_options(all_stores=True)
    )


def stores_of(user) -> list:
    from ..stores import Store

    return db.session.scalars(
        sa.select(Store).join(Membership, Membership.store_id == Store.id)
        .where(Membership.user_id == user.id).order_by(Store.name).execution_options(all_stores=True)
    ).all()


def get_role(store, name: str) -> Role:
    role = db.session.scalar(
        sa.select(Role).filter_by(store_id=store.id, name=name).execution_options(all_stores=True))
    if role is None:
        raise RoleError(f"no role named '{name}' in store '{store.slug}'", field="role")
    return role


def _check_permissions(names) -> list[str]:
    known = declared_permissions(current_app.extensions["shopdesk"])
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise RoleError(f"unknown permission(s): {', '.join(unknown)}", field="permissions")
    return sorted(set(names))


def create_role(store, name: str, permissions, description: str = "") -> Role:
    name = name.strip()
    if not name:
        raise RoleError("must not be blank", field="name")
    if db.session.scalar(sa.select(Role.id).filter_by(store_id=store.id, name=name)
                         .execution_options(all_stores=True)) is not None:
        raise RoleError(f"a role named '{name}' already exists", field="name", status=409, code="name_taken")
    role = Role(store_id=store.id, name=name, description=description, permissions=_check_permissions(permissions))
    db.session.add(role)
    db.session.flush()
    audit.record("role.created", store_id=store.id, object_type="role", object_id=role.id,
                 after={"name": name, "permissions": role.permissions})
    return role


def update_role(role: Role, permissions=None, description=None) -> Role:
    if role.builtin:
        raise RoleError(f"the built-in role '{role.name}' cannot be changed", field="role", status=409, code="builtin_role")
    before = {"permissions": list(role.permissions), "description": role.description}
    if permissions is not None:
        role.permissions = _check_permissions(permissions)
    if description is not None:
        role.description = description
    audit.record("role.updated", store_id=role.store_id, object_type="role", object_id=role.id,
                 before=before, after={"permissions": list(role.permissions), "description": role.description})
    return role


def delete_role(role: Role):
    if role.builtin:
        raise RoleError(f"the built-in role '{role.name}' cannot be deleted", field="role", status=409, code="builtin_role")
    in_use = db.session.scalar(sa.select(sa.func.count()).select_from(Membership).filter_by(role_id=role.id)
                               .execution_options(all_stores=True))
    if in_use:
        raise RoleError(f"role '{role.name}' is held by {in_use} member(s)", field="role", status=409, code="in_use")
    audit.record("role.deleted", store_id=role.store_id, object_type="role", object_id=role.id,
                 before={"name": role.name, "permissions": list(role.permissions)})
    db.session.delete(role)


def _lock_store(store):
    """Serialise owner changes of one store, so two demotions cannot both see two owners."""
    from ..stores import Store

    lock_row(Store, store.id)


def _owner_count(store) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Membership).join(Role, Membership.role_id == Role.id)
        .where(Membership.store_id == store.id, Role.builtin == "owner").execution_options(all_stores=True))


def membership(store, user) -> Membership | None:
    return db.session.scalar(sa.select(Membership).filter_by(store_id=store.id, user_id=user.id)
                             .execution_options(all_stores=True))


def add_member(store, user: User, role_name: str) -> Membership:
    if membership(store, user) is not None:
        raise RoleError(f"{user.email} is already a member of '{store.slug}'", field="email", status=409, code="already_member")
    role = get_role(store, role_name)
    member = Membership(store_id=store.id, user_id=user.id, role_id=role.id)
    db.session.add(member)
    db.session.flush()
    audit.record("member.added", store_id=store.id, object_type="user", object_id=user.id,
                 after={"email": user.email, "role": role.name})
    return member


def invite_member(store, email: str, role_name: str, name: str = "") -> tuple[Membership, str | None]:
    """Add ``email`` to the store; a person without an account gets one, with a temporary
    password returned once (to hand over; they change it on /account/password)."""
    from .models import create_user

    email = email.strip().lower()
    get_role(store, role_name)  # an unknown role refuses before any account is made
    user = db.session.scalar(sa.select(User).filter_by(email=email))
    temporary = None
    if user is None:
        temporary = secrets.token_urlsafe(12)
        user = create_user(email, temporary, name=name)
    return add_member(store, user, role_name), temporary


def change_role(store, member: Membership, role_name: str) -> Membership:
    role = get_role(store, role_name)
    before = member.role.name
    if before == role.name:
        return member
    _lock_store(store)
    if member.role.builtin == "owner" and _owner_count(store) <= 1:
        raise RoleError("the store needs at least one owner: make someone else owner first", field="role", status=409, code="last_owner")
    member.role_id, member.role = role.id, role
    audit.record("member.role_changed", store_id=store.id, object_type="user", object_id=member.user_id,
                 before={"role": before}, after={"role": role.name})
    db.session.flush()
    return member


def remove_member(store, member: Membership):
    _lock_store(store)
    if member.role.builtin == "owner" and _owner_count(store) <= 1:
        raise RoleError("the store needs at least one owner: the last owner cannot be removed", field="user", status=409, code="last_owner")
    audit.record("member.removed", store_id=store.id, object_type="user", object_id=member.user_id,
                 before={"email": member.user.email, "role": member.role.name})
    db.session.delete(member)
    db.session.flush()
