"""The UI shell: layout, store switcher, navigation from plugins, dashboard, plugin admin."""

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from markupsafe import Markup
from marshmallow import ValidationError

from .. import settings as plugin_settings
from ..auth.permissions import SIGNED_IN, allowed, requires
from ..auth.roles import stores_of
from ..db import db
from ..registry import PluginError
from ..stores import PluginStateError, configure_plugin, disable_plugin, enable_plugin, resolved_settings


def page_of_rows(query, number: int, size: int, *order_by):
    """One page of ``query`` in ``order_by`` order for an HTML list: (rows, the page number
    clamped to the last page, pages, total), with one count query. The ``pager`` macro of
    ``shell/_pager.html`` draws the links."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, -(-total // size))
    number = min(number, pages)
    rows = db.session.scalars(query.order_by(*order_by).offset((number - 1) * size).limit(size)).all()
    return rows, number, pages, total


@dataclass
class NavItem:
    """A side-navigation entry a plugin returns from ``nav_items``."""

    label: str
    endpoint: str
    icon: str = "circle"
    order: int = 100
    permission: str | None = None  # shown only to members who hold it


@dataclass
class NavLink:
    label: str
    url: str
    icon: str


@dataclass
class Widget:
    """A dashboard card a plugin returns from ``dashboard_widgets``; ``html`` is trusted markup."""

    title: str
    html: str
    order: int = 100
    permission: str | None = None  # shown only to members who hold it


log = logging.getLogger(__name__)
bp = Blueprint("shell", __name__, template_folder="templates")


@bp.app_context_processor
def shell_context():
    """Navigation and store list for the layout: built once per request, not once per
    template (widgets render templates of their own)."""
    if "_shell_context" not in g:
        g._shell_context = _build_shell_context()
    return g._shell_context


def _build_shell_context() -> dict:
    store = getattr(g, "store", None)
    if store is None or not current_user.is_authenticated:
        return {"nav": [], "stores": [], "can": lambda permission: False}
    nav = []
    for result in g.hooks.each("nav_items", user=current_user):
        for item in result.value or []:
            if item.permission and not allowed(item.permission):
                continue
            try:
                nav.append((item.order, item.label, url_for(item.endpoint), item.icon))
            except Exception:  # a bad entry loses its link, never the page
                log.exception("plugin %s returned a bad nav item %r", result.plugin, item)
    return {"nav": [NavLink(label, url, icon) for _, label, url, icon in sorted(nav)],
            "stores": stores_of(current_user), "can": allowed}


def widget_cards() -> list[dict]:
    """The store's dashboard cards; a plugin whose widgets fail gets an error card instead."""
    cards = []
    for result in g.hooks.each("dashboard_widgets", user=current_user):
        try:
            if result.error is not None:
                raise result.error
            cards += [{"title": str(w.title), "html": Markup(w.html), "order": int(w.order)}
                      for w in result.value or [] if not w.permission or allowed(w.permission)]
        except Exception as exc:
            error = gettext("This widget failed: %(error)s", error=exc)
            cards.append({"title": result.plugin, "error": error, "order": 999})
    return sorted(cards, key=lambda c: c["order"])


@bp.route("/")
@requires(SIGNED_IN)
def home():
    stores = stores_of(current_user)
    store = stores[0] if stores else None
    if store is None:
        return render_template("shell/no_store.html")
    return redirect(url_for("shell.dashboard", store=store.slug))


@bp.route("/s/<store>/")
@requires("store.view")
def dashboard():
    return render_template("shell/dashboard.html", cards=widget_cards())


@bp.route("/s/<store>/plugins", methods=["GET", "POST"])
@requires("plugins.manage")
def plugins():
    registry = current_app.extensions["shopdesk"]
    if request.method == "POST":
        name, action = request.form.get("plugin", ""), request.form.get("action", "")
        try:
            if action == "enable":
                enable_plugin(registry, g.store, name)
            elif action == "disable":
                disable_plugin(registry, g.store, name)
            else:
                abort(400, description=gettext("action: must be enable or disable"))
            db.session.commit()
            flash(gettext("%(plugin)s: enabled.", plugin=name) if action == "enable"
                  else gettext("%(plugin)s: disabled.", plugin=name), "success")
        except (PluginStateError, PluginError) as exc:
            db.session.rollback()
            flash(str(exc), "danger")
        return redirect(url_for("shell.plugins"))
    return render_template("shell/plugins.html", plugins=registry.plugins.values(),
                           enabled=g.hooks.enabled, configurable=registry.settings_schemas)


@bp.route("/s/<store>/plugins/<name>/settings", methods=["GET", "POST"])
@requires("plugins.manage")
def plugin_settings_page(name):
    registry = current_app.extensions["shopdesk"]
    schema_cls = registry.settings_schemas.get(name)
    if name not in registry.working or schema_cls is None:
        abort(404)
    errors, status = {}, 200
    if request.method == "POST":
        fields = plugin_settings.describe(schema_cls)
        changes = {f["name"]: request.form[f["name"]] for f in fields
                   if f["name"] in request.form and not (f["secret"] and request.form[f["name"]] == "")}
        try:
            configure_plugin(registry, g.store, name, changes)
            db.session.commit()
            flash(gettext("%(plugin)s: settings saved.", plugin=name), "success")
            return redirect(url_for("shell.plugin_settings_page", name=name))
        except ValidationError as exc:
            db.session.rollback()
            errors, status = exc.messages, 400
    values = plugin_settings.masked(schema_cls, resolved_settings(registry, g.store, name))
    return render_template("shell/plugin_settings.html", plugin=registry.plugins[name],
                           fields=plugin_settings.describe(schema_cls), values=values, errors=errors), status
