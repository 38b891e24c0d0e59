"""The module the ``shopdesk.plugins`` entry point names: the manifest and the hooks.

See docs/plugins.md in the Shopdesk repository for every step, and docs/hooks.md for
every hook. What the plugin contributes is declared in the manifest; hookimpls are for behaviour.
"""

from marshmallow import Schema, fields, validate

from shopdesk.plugin import Manifest, NavItem, Permission, hookimpl

from .views import bp


class Settings(Schema):
    greeting = fields.String(
        load_default="Hello", validate=validate.Length(min=1, max=100),
        metadata={"description": "What the page says first."})


manifest = Manifest(
    name="myplugin",
    label="My plugin",
    description="A template to copy: one settings field, one page, one navigation item.",
    requires=(),
    host=">=0.1,<1",
    # Name, English label, Traditional Chinese label. A *.read permission goes to the
    # manager, operator and viewer roles by default; pass roles=(...) to choose.
    permissions=[Permission("myplugin.read", "See the My plugin page", "檢視「我的外掛」頁面")],
    settings=Settings,
    # Shown only to members who hold the permission: no link to a page they cannot open.
    nav=[NavItem(label="My plugin", endpoint="myplugin.index", icon="puzzle", permission="myplugin.read")],
)


@hookimpl
def register_blueprints():
    return [bp]
