"""Page slots: panels and buttons other plugins add to an object's page.

The order page does not import the notes plugin, yet shows its panel: the page calls
``{{ slots.panels("order", order) }}`` and ``{{ slots.actions("order", order) }}`` (macros
of ``shell/_slots.html``), the host asks every plugin enabled in the store through the
``object_panels`` / ``object_actions`` hooks, one at a time, and leaves out what the member
may not see. A plugin whose slot fails is logged and shown as an error panel; the page stays.
"""

import logging
from dataclasses import dataclass

from flask import g
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup

log = logging.getLogger(__name__)


@dataclass
class Panel:
    """A card on another plugin's object page; ``html`` is trusted markup."""

    title: str
    html: str
    order: int = 100
    permission: str | None = None  # shown only to members who hold it


@dataclass
class Action:
    """A button on another plugin's object page."""

    label: str
    url: str
    method: str = "GET"  # POST for an action that changes something
    confirm: str | None = None  # asked before a POST is sent
    icon: str | None = None
    order: int = 100
    permission: str | None = None


def _visible(item) -> bool:
    from ..auth.permissions import allowed

    return not item.permission or allowed(item.permission)


def _collect(hook: str, kind: str, obj) -> list:
    hooks = g.get("hooks")
    if hooks is None:
        return []
    found = []
    for result in hooks.each(hook, user=current_user, kind=kind, obj=obj):
        if result.error is not None:
            if hook == "object_panels":
                found.append(Panel(title=result.plugin, order=999, html=Markup('<p class="text-danger small">{}</p>')
                                   .format(gettext("This panel failed: %(error)s", error=result.error))))
            continue
        for item in result.value or []:
            if _visible(item):
                found.append(item)
    return sorted(found, key=lambda item: item.order)


def panels_for(kind: str, obj) -> list[Panel]:
    """The panels enabled plugins add to the page of ``obj``, in ``order``."""
    return [Panel(p.title, Markup(p.html), p.order, p.permission) for p in _collect("object_panels", kind, obj)]


def actions_for(kind: str, obj) -> list[Action]:
    """The buttons enabled plugins add to the page of ``obj``, in ``order``."""
    return [a for a in _collect("object_actions", kind, obj) if a.method in ("GET", "POST")]


def init_app(app):
    app.jinja_env.globals.update(object_panels=panels_for, object_actions=actions_for)
