"""The plugin kit: what every plugin needs and used to write by hand.

* :class:`Refusal` and :func:`on_refusal`: one refusal, answered by the host for the API,
  pages and the CLI;
* :func:`get_or_404`: one row of the store, or a 404 that names it;
* :class:`Listing`: a list's filters, sort and pages for its API route and its page alike;
* :func:`load_form` and :class:`MajorUnits`: forms through the plugin's marshmallow schema,
  money typed in major units;
* :func:`store_command`: a CLI command that names a store;
* :class:`Panel` and :class:`Action`: page slots on other plugins' object pages.

Plugins import these from :mod:`shopdesk.plugin`.
"""

from .commands import enabled_store, store_command
from .forms import MajorUnits, load_form, parse_major, refusal_from
from .listing import Listing, Page
from .lookup import get_or_404, not_found
from .refusals import Refusal, on_refusal
from .slots import Action, Panel, actions_for, panels_for


def init_app(app):
    from . import refusals, slots

    refusals.init_app(app)
    slots.init_app(app)


__all__ = ["Action", "Listing", "MajorUnits", "Page", "Panel", "Refusal", "actions_for", "enabled_store",
           "get_or_404", "load_form", "not_found", "on_refusal", "panels_for", "parse_major", "refusal_from",
           "store_command"]
