"""A plugin's declared contributions turned into the hookimpls the host already calls.

Every plugin used to carry six to eight identical one-line hookimpls (``register_permissions``
returning a list, ``settings_schema`` returning a class, ``migration_dirs`` returning its
folder …). The manifest now declares them; :func:`plugin_object` wraps the plugin's module in
an object that has the module's own hookimpls plus one generated hookimpl per declaration, so
the registry, the migrations and ``plugins check`` see one plugin either way.
"""

from dataclasses import replace
from pathlib import Path
from types import ModuleType

from . import hookimpl

# manifest field -> the start-up hook it stands for
DECLARED_HOOKS = {"permissions": "register_permissions", "settings": "settings_schema",
                  "event_types": "register_event_types", "jobs": "register_jobs", "nav": "nav_items"}


class DeclarationError(ValueError):
    """A manifest that declares a contribution the plugin also implements as a hook."""


class PluginObject:
    """What the registry registers for a plugin: its module, plus generated hookimpls."""

    def __init__(self, module, generated: dict):
        self.plugin_module = module
        self.__name__ = module.__name__ if isinstance(module, ModuleType) else type(module).__module__
        # pluggy (1.7) finds hookimpls with inspect.getattr_static, which never sees __getattr__
        self.__dict__.update({name: getattr(module, name) for name in dir(module) if _implements(module, name)})
        self.__dict__.update(generated)

    def __getattr__(self, name):
        return getattr(self.__dict__["plugin_module"], name)

    def __dir__(self):
        return sorted(set(dir(self.plugin_module)) | set(self.__dict__))

    def __repr__(self):
        return f"<plugin {self.__name__}>"


def _implements(module, hook: str) -> bool:
    return hasattr(getattr(module, hook, None), "shopdesk_impl")


def migrations_folder(module) -> Path | None:
    """``<package>/migrations`` of a plugin package that has revision files there."""
    if not isinstance(module, ModuleType) or module.__name__.split(".")[0] == "shopdesk":
        return None
    import sys

    package = sys.modules.get(module.__name__.split(".")[0])
    folder = Path(getattr(package, "__file__", "") or ".").parent / "migrations"
    return folder if folder.is_dir() and any(folder.glob("*.py")) else None


def _nav_items(items):
    def nav_items(ctx, user):
        from flask_babel import gettext

        return [replace(item, label=gettext(item.label)) for item in items]

    return nav_items


def _constant(value):
    def answer():
        return list(value) if isinstance(value, tuple) else value

    return answer


def generated_hookimpls(module, manifest) -> dict:
    """The hookimpls the manifest's declarations stand for; refuses a declaration that the
    module also implements (which of the two would win is not for the reader to guess)."""
    generated = {}
    for field_name, hook in DECLARED_HOOKS.items():
        value = getattr(manifest, field_name)
        if not value:
            continue
        if _implements(module, hook):
            raise DeclarationError(f"declares `{field_name}` in its manifest and also implements `{hook}`: "
                                   "keep one")
        function = _nav_items(value) if hook == "nav_items" else _constant(value)
        function.__name__ = function.__qualname__ = hook
        generated[hook] = hookimpl(function)
    folder = migrations_folder(module)
    if folder is not None and not _implements(module, "migration_dirs"):
        generated["migration_dirs"] = hookimpl(_constant([folder]))
        generated["migration_dirs"].__name__ = "migration_dirs"
    return generated


def plugin_object(obj, manifest):
    """``obj`` with its declared contributions as hookimpls (``obj`` itself when it declares none)."""
    if isinstance(obj, PluginObject):
        return obj
    generated = generated_hookimpls(obj, manifest)
    return PluginObject(obj, generated) if generated else obj
