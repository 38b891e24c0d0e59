"""Permissions: declared by the host and by plugins, granted per store through roles.

Every route names the permission it needs with :func:`requires` (UI and API alike), or says
it is :data:`PUBLIC`, only needs a :data:`SIGNED_IN` user, or any permission at all in the
store (:data:`ANY_IN_STORE`: what every caller needs to read, such as the store's currency). A route that declares nothing is
refused at run time, and a test walks every route so a plugin cannot forget.
"""

from dataclasses import dataclass
from functools import wraps

from flask import Blueprint, abort, current_app, g, request
from flask_login import current_user

from ..i18n import N_

PUBLIC = "public"
SIGNED_IN = "signed-in"
ANY_IN_STORE = "any-in-store"  # a member, or a token holding at least one permission there
BUILTIN_ROLES = ("owner", "manager", "operator", "viewer")
# Framework routes that serve files or the API description: no store, no data.
EXEMPT_PERMISSION_ENDPOINTS = {"static", "api-docs.openapi_json"}  # blueprint static folders: see below


@dataclass(frozen=True)
class Permission:
    """A permission a plugin returns from ``register_permissions``.

    ``roles`` are the built-in roles that get it by default (owners get everything); when
    left out, ``*.read`` permissions go to manager, operator and viewer, others to manager.
    """

    name: str
    label: str
    label_zh_hant: str
    roles: tuple[str, ...] | None = None

    def default_roles(self) -> tuple[str, ...]:
        if self.roles is not None:
            return tuple(self.roles)
        return ("manager", "operator", "viewer") if self.name.endswith(".read") else ("manager",)


HOST_PERMISSIONS = [
    Permission("store.view", "See the store and its dashboard", "檢視商店與儀表板", ("manager", "operator", "viewer")),
    Permission("store.settings", "Change the store's settings", "變更商店設定", ("manager",)),
    Permission("plugins.manage", "Enable, disable and configure plugins", "啟用、停用與設定外掛", ()),
    Permission("members.manage", "Add and remove members, change their roles", "管理成員及其角色", ()),
    Permission("roles.manage", "Create and edit custom roles", "建立與編輯自訂角色", ()),
    Permission("audit.read", "Read and export the audit log", "閱讀與匯出稽核紀錄", ("manager",)),
    Permission("api.tokens", "Create API tokens", "建立 API 權杖", ("manager", "operator")),
    Permission("jobs.read", "See scheduled jobs and their runs", "檢視排程工作及其執行紀錄", ("manager", "operator")),
    Permission("jobs.run", "Run a scheduled job now", "立即執行排程工作", ("manager",)),
    Permission("webhooks.manage", N_("Manage webhooks and read their delivery log"), "管理 Webhook 並檢視其傳送紀錄",
               ("manager",)),
]


def declared_permissions(registry) -> dict[str, Permission]:
    """Every permission by name: the host's, then each working plugin's (computed once per
    registry: every permission check of every request reads it, and it never changes)."""
    found = getattr(registry, "_permissions", None)
    if found is None:
        found = {p.name: p for p in HOST_PERMISSIONS}
        for result in registry.each("register_permissions"):
            for permission in result.value or []:
                found.setdefault(permission.name, permission)
        registry._permissions = found
    return found


def builtin_permissions(registry, role: str) -> frozenset[str]:
    every = declared_permissions(registry)
    if role == "owner":
        return frozenset(every)
    return frozenset(name for name, p in every.items() if role in p.default_roles())


def permissions_in_store(user, store) -> frozenset[str]:
    """What ``user`` may do in ``store``: their role's permissions, narrowed by an API token."""
    from .roles import role_of

    cache = g.setdefault("_shopdesk_permissions", {})
    key = (user.id, store.id)
    if key not in cache:
        bound = g.get("_shopdesk_role")  # the request's own membership, read by bind_store
        role = bound[2] if bound is not None and bound[:2] == key else role_of(user, store)
        registry = current_app.extensions["shopdesk"]
        if role is None:
            granted = frozenset()
        elif role.builtin:
            granted = builtin_permissions(registry, role.builtin)
        else:
            granted = frozenset(role.permissions or ()) & set(declared_permissions(registry))
        token = g.get("api_token")
        if token is not None:
            granted &= frozenset(token.permissions or ())
        cache[key] = granted
    return cache[key]


def allowed(permission: str, store=None, user=None) -> bool:
    """True if the user holds ``permission`` in the store and no plugin vetoes it."""
    user = user or current_user
    store = store or g.get("store")
    if store is None or not user.is_authenticated:
        return False
    if permission not in permissions_in_store(user, store):
        return False
    hooks = current_app.extensions["shopdesk"].for_store(store)
    for result in hooks.each("has_permission", user=user, permission=permission):
        if result.error is not None or result.value is False:  # a failing veto denies
            return False
    return True


def requires(permission: str):
    """Declare (and enforce) the permission a view needs: PUBLIC, SIGNED_IN or a name."""

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            enforce(permission)
            return view(*args, **kwargs)

        guarded.shopdesk_permission = permission
        return guarded

    return decorate


def enforce(permission: str):
    if permission == PUBLIC:
        return
    if not current_user.is_authenticated:
        if request.path.startswith("/api/"):
            abort(401)
        abort(current_app.login_manager.unauthorized())
    if permission == SIGNED_IN:
        return
    if g.get("store") is None:
        if request.path.startswith("/api/"):
            from flask_smorest import abort as api_abort

            from ..api import STORE_HEADER

            api_abort(400, message=f"{STORE_HEADER} header: name the store (its slug)")
        abort(404)
    if permission == ANY_IN_STORE:
        if not permissions_in_store(current_user, g.store):
            abort(403, description="You need a permission in this store.")
        return
    if not allowed(permission):
        abort(403, description=f"You need the '{permission}' permission in this store.")


def exempt_from_permission(app, endpoint: str) -> bool:
    """Routes that declare no permission: the host's static files and API document, and any
    blueprint's static folder (a plugin's scripts and styles: the CSP allows no inline ones)."""
    if endpoint in EXEMPT_PERMISSION_ENDPOINTS:
        return True
    view = app.view_functions.get(endpoint)
    return getattr(view, "__name__", "") == "send_static_file" and isinstance(getattr(view, "__self__", None),
                                                                             Blueprint)


def declared_permission(app, endpoint: str, method: str | None = None):
    """The permission a route declares, or None: what the route walk and the guard check."""
    view = app.view_functions.get(endpoint)
    if view is None:
        return None
    if hasattr(view, "view_class") and method:
        handler = getattr(view.view_class, method.lower(), None)
        return getattr(handler, "shopdesk_permission", None)
    return getattr(view, "shopdesk_permission", None)
