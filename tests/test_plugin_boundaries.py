"""Plugins reach each other only through what they publish.

Every module of every first-party plugin package (``plugins/*/shopdesk_*``, ``contrib/*/shopdesk_*``;
not their tests) is read with ``ast``. Each rule is a function from one module to the problems
it finds, each naming ``file:line``; a new rule is one more function listed in ``RULES``.
"""

import ast
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from shopdesk.registry import ENTRY_POINT_GROUP

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = ("plugins", "contrib")


@dataclass(frozen=True)
class Plugin:
    name: str
    package: str
    requires: tuple[str, ...]


@dataclass(frozen=True)
class Import:
    line: int
    name: str  # dotted, absolute: "shopdesk_catalog.public", "shopdesk_catalog.models.Variant"


@dataclass(frozen=True)
class Module:
    path: Path
    plugin: Plugin
    imports: tuple[Import, ...]

    def at(self, imp: Import) -> str:
        return f"{self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path}:{imp.line}"


def imports_of(source: str) -> tuple[Import, ...]:
    """Every absolute import, at any depth (imports inside functions count too). ``from a import b``
    gives ``a.b``: ``b`` may be a submodule, and an attribute is checked by its module's rules alike."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [Import(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found += [Import(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return tuple(sorted(found, key=lambda imp: imp.line))


def first_party_plugins() -> dict[str, Plugin]:
    """Package → plugin, for the installed entry points whose package is in this repository. The
    manifest is read from the source, so a plugin that fails to import is checked all the same."""
    folders = {folder.name: folder for folder in package_folders()}
    plugins = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        package, *inner = ep.module.split(".")
        if package in folders:
            module = folders[package].joinpath(*inner)
            path = module.with_suffix(".py") if inner and module.with_suffix(".py").exists() else module / "__init__.py"
            plugins[package] = Plugin(ep.name, package, manifest_requires(path))
    return plugins


def manifest_requires(path: Path) -> tuple[str, ...]:
    """The ``requires`` of the ``shopdesk.Manifest(...)`` in a plugin's entry-point module."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        called = getattr(node, "func", None)
        if isinstance(node, ast.Call) and getattr(called, "attr", getattr(called, "id", None)) == "Manifest":
            return next((tuple(ast.literal_eval(k.value)) for k in node.keywords if k.arg == "requires"), ())
    raise AssertionError(f"{path.relative_to(ROOT)}: no shopdesk.Manifest(...) in the entry-point module")


def package_folders() -> list[Path]:
    return sorted(p.parent for base in FIRST_PARTY for p in ROOT.glob(f"{base}/*/shopdesk_*/__init__.py"))


def first_party_modules(plugins: dict[str, Plugin]) -> list[Module]:
    return [Module(path, plugins[folder.name], imports_of(path.read_text(encoding="utf-8")))
            for folder in package_folders() for path in sorted(folder.rglob("*.py"))]


def _other_plugin(module: Module, imp: Import, plugins: dict[str, Plugin]) -> Plugin | None:
    other = plugins.get(imp.name.split(".")[0])
    return other if other is not None and other is not module.plugin else None


# --- rules ---------------------------------------------------------------------------------------


def only_public_modules(module: Module, plugins: dict[str, Plugin]) -> list[str]:
    """Another plugin is used through its ``public`` module, never its internals."""
    problems = []
    for imp in module.imports:
        other = _other_plugin(module, imp, plugins)
        public = f"{other.package}.public" if other else ""
        if other and imp.name != public and not imp.name.startswith(public + "."):
            problems.append(f"{module.at(imp)}: imports {imp.name}: plugin '{module.plugin.name}' may use "
                            f"only {public} of plugin '{other.name}'")
    return problems


def only_required_plugins(module: Module, plugins: dict[str, Plugin]) -> list[str]:
    """A plugin imports only plugins it lists in ``requires``: the others may not be installed or enabled."""
    problems = []
    for imp in module.imports:
        other = _other_plugin(module, imp, plugins)
        if other and other.name not in module.plugin.requires:
            problems.append(f"{module.at(imp)}: imports {imp.name}, but plugin '{module.plugin.name}' does not "
                            f"list '{other.name}' in its manifest's requires")
    return problems


# Plugins still being moved onto shopdesk.plugin (issue 13); each leaves this set when it is.
NOT_YET_ON_THE_PLUGIN_API = {"inventory", "orders", "pricing", "notes"}


def only_the_plugin_api(module: Module, plugins: dict[str, Plugin]) -> list[str]:
    """The host is used through :mod:`shopdesk.plugin`, never its other modules."""
    if module.plugin.name in NOT_YET_ON_THE_PLUGIN_API:
        return []
    problems = []
    for imp in module.imports:
        host = imp.name == "shopdesk" or imp.name.startswith("shopdesk.")
        if host and imp.name != "shopdesk.plugin" and not imp.name.startswith("shopdesk.plugin."):
            problems.append(f"{module.at(imp)}: imports {imp.name}: plugin '{module.plugin.name}' may use "
                            "the host only through shopdesk.plugin")
    return problems


RULES = [only_public_modules, only_required_plugins, only_the_plugin_api]


# --- the repository keeps to them ----------------------------------------------------------------


@pytest.fixture(scope="module")
def plugins():
    return first_party_plugins()


def test_every_first_party_package_is_an_installed_plugin_so_none_escapes_the_rules(plugins):
    unknown = [str(folder.relative_to(ROOT)) for folder in package_folders() if folder.name not in plugins]
    assert not unknown, f"no installed entry point in group {ENTRY_POINT_GROUP}: {unknown}"
    assert {"shopdesk_catalog", "shopdesk_inventory", "shopdesk_orders", "shopdesk_pricing"} <= set(plugins)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.__name__)
def test_first_party_plugins_keep_to_the_rule(rule, plugins):
    problems = [problem for module in first_party_modules(plugins) for problem in rule(module, plugins)]
    assert not problems, "\n".join(problems)


# --- the rules catch what they are for ------------------------------------------------------------

SAMPLE = '''
from shopdesk_catalog.public import Variant, variants_by_sku
from shopdesk_catalog import public as catalog
from shopdesk_catalog.models import Product
import shopdesk_catalog.products


def later():
    from shopdesk_pricing import public
    from shopdesk_inventory.stock import reserve
    from . import models
'''


def sample_module(plugins) -> Module:
    return Module(ROOT / "plugins/orders/shopdesk_orders/sample.py", plugins["shopdesk_orders"], imports_of(SAMPLE))


def test_internals_of_another_plugin_are_named_with_file_and_line(plugins):
    assert only_public_modules(sample_module(plugins), plugins) == [
        "plugins/orders/shopdesk_orders/sample.py:4: imports shopdesk_catalog.models.Product: plugin 'orders' "
        "may use only shopdesk_catalog.public of plugin 'catalog'",
        "plugins/orders/shopdesk_orders/sample.py:5: imports shopdesk_catalog.products: plugin 'orders' "
        "may use only shopdesk_catalog.public of plugin 'catalog'",
        "plugins/orders/shopdesk_orders/sample.py:10: imports shopdesk_inventory.stock.reserve: plugin 'orders' "
        "may use only shopdesk_inventory.public of plugin 'inventory'",
    ]


def test_the_public_module_of_a_plugin_not_required_is_refused_too(plugins):
    assert only_required_plugins(sample_module(plugins), plugins) == [
        "plugins/orders/shopdesk_orders/sample.py:9: imports shopdesk_pricing.public, but plugin 'orders' "
        "does not list 'pricing' in its manifest's requires",
        "plugins/orders/shopdesk_orders/sample.py:10: imports shopdesk_inventory.stock.reserve, but plugin "
        "'orders' does not list 'inventory' in its manifest's requires",
    ]


def test_the_host_is_used_only_through_its_plugin_api(plugins):
    sample = '\nfrom shopdesk.plugin import db, hookimpl\nfrom shopdesk.db import utcnow\nimport shopdesk\n'
    module = Module(ROOT / "contrib/gifts/shopdesk_gifts/plugin.py", Plugin("gifts", "shopdesk_gifts", ()),
                    imports_of(sample))
    assert only_the_plugin_api(module, plugins) == [
        "contrib/gifts/shopdesk_gifts/plugin.py:3: imports shopdesk.db.utcnow: plugin 'gifts' may use the host "
        "only through shopdesk.plugin",
        "contrib/gifts/shopdesk_gifts/plugin.py:4: imports shopdesk: plugin 'gifts' may use the host only "
        "through shopdesk.plugin",
    ]
