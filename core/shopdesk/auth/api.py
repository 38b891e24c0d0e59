"""REST API for the store's access: permissions, roles, members and API tokens."""

import sqlalchemy as sa
from flask import current_app, g
from flask.views import MethodView
from flask_login import current_user
from flask_smorest import Blueprint
from flask_smorest import abort as api_abort
from marshmallow import Schema, fields, validate

from ..api import page_of, page_of_items, paginate, sort_argument
from ..db import db, utcnow
from ..idempotency import not_idempotent
from .models import UserError
from .permissions import declared_permissions, requires
from .roles import (Membership, Role, RoleError, change_role, create_role, delete_role, invite_member, remove_member,
                    update_role)
from .tokens import ApiToken, TokenError, create_token, revoke_token

blp = Blueprint("access", __name__, url_prefix="", description="Permissions, roles, members and API tokens of the store.")


def refuse(exc):
    """A RoleError/TokenError as the API's error format, naming the field."""
    status, code = getattr(exc, "status", 422), getattr(exc, "code", None)
    api_abort(status, message=f"{exc.field}: {exc}" if exc.field else str(exc),
              errors={exc.field: [str(exc)]} if exc.field else {}, **({"code": code} if code else {}))


class PermissionSchema(Schema):
    name = fields.String()
    label = fields.String()
    label_zh_hant = fields.String()


@blp.route("/permissions")
class Permissions(MethodView):
    @requires("store.view")
    @blp.response(200, PermissionSchema(many=True))
    @paginate(blp)
    def get(self, pagination_parameters):
        """Every permission the host and the installed plugins declare."""
        return page_of_items(sorted(declared_permissions(current_app.extensions["shopdesk"]).values(),
                                    key=lambda p: p.name), pagination_parameters)


class RoleSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=63))
    description = fields.String(load_default="", validate=validate.Length(max=255))
    builtin = fields.String(dump_only=True, allow_none=True)
    permissions = fields.List(fields.String(), load_default=list)


class RoleChangesSchema(Schema):
    description = fields.String(validate=validate.Length(max=255))
    permissions = fields.List(fields.String())


class RoleQuery(Schema):
    builtin = fields.Boolean(metadata={"description": "Only built-in (true) or custom (false) roles."})
    sort = sort_argument(["name", "id"], "name")


def _role(role_id) -> Role:
    return db.one_or_404(sa.select(Role).filter_by(id=role_id))


@blp.route("/roles")
class Roles(MethodView):
    @requires("store.view")
    @blp.arguments(RoleQuery, location="query")
    @blp.response(200, RoleSchema(many=True))
    @paginate(blp)
    def get(self, query, pagination_parameters):
        """The store's roles: the four built-in ones and its custom roles."""
        select = sa.select(Role)
        if "builtin" in query:
            select = select.where(Role.builtin.is_not(None) if query["builtin"] else Role.builtin.is_(None))
        return page_of(select, pagination_parameters, query["sort"], {"name": Role.name, "id": Role.id})

    @requires("roles.manage")
    @blp.arguments(RoleSchema)
    @blp.response(201, RoleSchema)
    def post(self, data):
        """Create a custom role from declared permissions."""
        try:
            role = create_role(g.store, data["name"], data["permissions"], data["description"])
        except RoleError as exc:
            refuse(exc)
        db.session.commit()
        return role


@blp.route("/roles/<int:role_id>")
class RoleById(MethodView):
    @requires("store.view")
    @blp.response(200, RoleSchema)
    def get(self, role_id):
        return _role(role_id)

    @requires("roles.manage")
    @blp.arguments(RoleChangesSchema)
    @blp.response(200, RoleSchema)
    def patch(self, changes, role_id):
        """Change a custom role's permissions or description (built-in roles are fixed)."""
        role = _role(role_id)
        try:
            update_role(role, changes.get("permissions"), changes.get("description"))
        except RoleError as exc:
            refuse(exc)
        db.session.commit()
        return role

    @requires("roles.manage")
    @blp.response(204)
    def delete(self, role_id):
        """Delete a custom role no member holds."""
        try:
            delete_role(_role(role_id))
        except RoleError as exc:
            refuse(exc)
        db.session.commit()


class NewMemberSchema(Schema):
    email = fields.Email(required=True)
    role = fields.String(required=True)
    name = fields.String(load_default="", validate=validate.Length(max=200),
                         metadata={"description": "For a person without an account yet."})


class MemberSchema(Schema):
    user_id = fields.Integer()
    email = fields.String(attribute="user.email")
    name = fields.String(attribute="user.name")
    role = fields.String(attribute="role.name")


class InvitedMemberSchema(MemberSchema):
    temporary_password = fields.String(
        dump_default=None, allow_none=True,
        metadata={"description": "Set when the person had no account: shown once, to hand over."})


class MemberChangesSchema(Schema):
    role = fields.String(required=True)


class MemberQuery(Schema):
    role = fields.String(metadata={"description": "Only members holding this role."})
    sort = sort_argument(["id", "user_id"], "id")


def _member(user_id) -> Membership:
    return db.one_or_404(sa.select(Membership).filter_by(user_id=user_id))


@blp.route("/members")
class Members(MethodView):
    @requires("members.manage")
    @blp.arguments(MemberQuery, location="query")
    @blp.response(200, MemberSchema(many=True))
    @paginate(blp)
    def get(self, query, pagination_parameters):
        """The store's members and their roles."""
        select = sa.select(Membership)
        if query.get("role"):
            select = select.join(Role, Membership.role_id == Role.id).where(Role.name == query["role"])
        return page_of(select, pagination_parameters, query["sort"],
                       {"id": Membership.id, "user_id": Membership.user_id})

    @not_idempotent("the answer may carry a temporary password; adding a member twice is refused (409)")
    @requires("members.manage")
    @blp.arguments(NewMemberSchema)
    @blp.response(201, InvitedMemberSchema)
    def post(self, data):
        """Add a person to the store with a role; one without an account gets one."""
        try:
            member, temporary = invite_member(g.store, data["email"], data["role"], data["name"])
        except RoleError as exc:
            refuse(exc)
        except UserError as exc:
            api_abort(422, message=str(exc), errors={"email": [str(exc)]})
        db.session.commit()
        member.temporary_password = temporary  # on this response only
        return member


@blp.route("/members/<int:user_id>")
class MemberById(MethodView):
    @requires("members.manage")
    @blp.response(200, MemberSchema)
    def get(self, user_id):
        return _member(user_id)

    @requires("members.manage")
    @blp.arguments(MemberChangesSchema)
    @blp.response(200, MemberSchema)
    def patch(self, changes, user_id):
        """Give a member another role (the last owner keeps theirs)."""
        member = _member(user_id)
        try:
            change_role(g.store, member, changes["role"])
        except RoleError as exc:
            refuse(exc)
        db.session.commit()
        return member

    @requires("members.manage")
    @blp.response(204)
    def delete(self, user_id):
        """Remove a member from the store (never the last owner)."""
        try:
            remove_member(g.store, _member(user_id))
        except RoleError as exc:
            refuse(exc)
        db.session.commit()


class TokenSchema(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    permissions = fields.List(fields.String(), required=True)
    expires_at = fields.AwareDateTime(load_default=None, allow_none=True)
    hint = fields.String(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    last_used_at = fields.DateTime(dump_only=True, allow_none=True)
    revoked_at = fields.DateTime(dump_only=True, allow_none=True)
    active = fields.Boolean(dump_only=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(dump_only=True, metadata={"description": "Shown once: store it now."})


class TokenQuery(Schema):
    active = fields.Boolean(metadata={"description": "Only active (true) or revoked/expired (false) tokens."})
    sort = sort_argument(["created_at", "name", "id"], "-created_at")


@blp.route("/tokens")
class Tokens(MethodView):
    @requires("api.tokens")
    @blp.arguments(TokenQuery, location="query")
    @blp.response(200, TokenSchema(many=True))
    @paginate(blp)
    def get(self, query, pagination_parameters):
        """Your API tokens for this store."""
        select = sa.select(ApiToken).filter_by(user_id=current_user.id)
        if "active" in query:
            active = sa.and_(ApiToken.revoked_at.is_(None),
                             sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > utcnow()))
            select = select.where(active if query["active"] else sa.not_(active))
        return page_of(select, pagination_parameters, query["sort"],
                       {"created_at": ApiToken.created_at, "name": ApiToken.name, "id": ApiToken.id})

    @not_idempotent("a replayed answer would keep the token in clear in the database for a day")
    @requires("api.tokens")
    @blp.arguments(TokenSchema)
    @blp.response(201, NewTokenSchema)
    def post(self, data):
        """Create a token with a subset of your permissions in this store; it is shown once."""
        try:
            token, plain = create_token(current_user, g.store, data["name"], data["permissions"], data["expires_at"])
        except TokenError as exc:
            refuse(exc)
        db.session.commit()
        token.token = plain  # on this response only; the database keeps the hash
        return token, 201, {"Cache-Control": "no-store"}


@blp.route("/tokens/<int:token_id>")
class TokenById(MethodView):
    @requires("api.tokens")
    @blp.response(204)
    def delete(self, token_id):
        """Revoke one of your tokens."""
        revoke_token(db.one_or_404(sa.select(ApiToken).filter_by(id=token_id, user_id=current_user.id)))
        db.session.commit()
