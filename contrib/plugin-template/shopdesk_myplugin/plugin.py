"""The module the ``shopdesk.plugins`` entry point names: the manifest and the hooks.

See docs/plugins.md in the Shopdesk repository for every step, and docs/hooks.md for
every hook.
"""

from marshmallow import Schema, fields, validate

import shopdesk
from shopdesk import hookimpl
from shopdesk.auth.permissions import Permission, allowed
from shopdesk.ui import NavItem

from .views import bp

manifest = shopdesk.Manifest(
    name="myplugin",
    label="My plugin",
    description="A template to copy: one settings field, one page, one navigation item.",
    requires=(),
    host=">=0.1,<1",
)


class Settings(Schema):
    greeting = fields.String(
        load_default="Hello", validate=validate.Length(min=1, max=100),
        metadata={"description": "What the page says first."})


@hookimpl
def register_permissions():
    # Name, English label, Traditional Chinese label. A *.read permission goes to the
    # manager, operator and viewer roles by default; pass roles=(...) to choose.
    return [Permission("myplugin.read", "See the My plugin page", "檢視「我的外掛」頁面")]


@hookimpl
def settings_schema():
    return Settings


@hookimpl
def register_blueprints():
    return [bp]


@hookimpl
def nav_items(ctx, user):
    if not allowed("myplugin.read", ctx.store, user):  # no link to a page they cannot open
        return []
    return [NavItem(label="My plugin", endpoint="myplugin.index", icon="puzzle")]
