"""Shopdesk: a small Flask host; every capability is a pluggy plugin enabled per store."""

from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version

import pluggy

try:
    __version__ = version("shopdesk-core")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

hookimpl = pluggy.HookimplMarker("shopdesk")


@dataclass(frozen=True)
class Manifest:
    """What a plugin says about itself; the module its entry point names carries one as `manifest`.

    `host` is a PEP 440 specifier of the host versions the plugin supports, so an
    incompatible plugin is shown as broken instead of failing at run time.

    What the plugin contributes is declared here rather than returned by one-line hooks:
    `permissions` (:class:`shopdesk.plugin.Permission`), `settings` (a marshmallow schema
    class), `event_types` (:class:`shopdesk.plugin.EventType`), `nav` (:class:`NavItem`, each
    with the permission that shows it), `jobs` (:class:`shopdesk.plugin.Job`) and `hookspecs`
    (a module or class of hookspecs the plugin publishes for its own extensions). Migrations
    (`<package>/migrations`), templates and translations are found by convention. Hookimpls
    remain for behaviour; declaring a contribution and implementing its hook is refused.
    """

    name: str
    label: str
    description: str
    requires: tuple[str, ...] = ()
    host: str = ">=0.1"
    version: str | None = None  # only for plugins without a distribution (tests)
    permissions: tuple = ()
    settings: type | None = None
    event_types: tuple = ()
    nav: tuple = ()
    jobs: tuple = ()
    hookspecs: object = None
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        for name in ("requires", "permissions", "event_types", "nav", "jobs"):
            object.__setattr__(self, name, tuple(getattr(self, name) or ()))


__all__ = ["hookimpl", "Manifest", "__version__"]
