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
    """

    name: str
    label: str
    description: str
    requires: tuple[str, ...] = ()
    host: str = ">=0.1"
    version: str | None = None  # only for plugins without a distribution (tests)
    extra: dict = field(default_factory=dict)


__all__ = ["hookimpl", "Manifest", "__version__"]
