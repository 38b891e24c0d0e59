"""`shopdesk plugins check`: what a plugin author runs before publishing.

It checks a plugin the way the host will use it: hookimpls match the hookspecs, the
manifest is complete and fits this host, and the plugin's tables have migrations that are
present, carry the plugin's branch label, and are applied up to their head.
"""

import configparser
import importlib
import sys
from pathlib import Path

import pluggy
from alembic.script import ScriptDirectory

from . import Manifest, __version__, hookspecs
from .db import db
from .migrate import alembic_config, branch_heads, check as schema_check
from .registry import PluginError, PluginInfo, check_pending, register_checked, apply_manifest


def load_from_path(path: Path) -> PluginInfo:
    """Import the plugin a project directory declares in its setup.cfg entry point."""
    cfg = configparser.ConfigParser()
    cfg.read(path / "setup.cfg")
    raw = cfg.get("options.entry_points", "shopdesk.plugins", fallback="").strip()
    if not raw or "=" not in raw:
        raise PluginError(f"{path}/setup.cfg declares no `shopdesk.plugins` entry point")
    name, target = (part.strip() for part in raw.splitlines()[0].split("=", 1))
    for extra in (path, path / "src"):
        if extra.is_dir() and str(extra) not in sys.path:
            sys.path.insert(0, str(extra))
    obj = importlib.import_module(target.split(":")[0])
    version = cfg.get("metadata", "version", fallback="0")
    return PluginInfo(name=name, obj=obj, version=version, dist=cfg.get("metadata", "name", fallback=None))


def plugin_tables(info: PluginInfo) -> set[str]:
    package = info.package
    return {
        mapper.local_table.name
        for mapper in db.Model.registry.mappers
        if mapper.class_.__module__.split(".")[0] == package
    }


def check_plugin(app, target: str) -> list[str]:
    """Problems with the plugin named ``target`` (installed) or at path ``target``."""
    registry = app.extensions["shopdesk"]
    path = Path(target)
    if path.is_dir():
        info = load_from_path(path)
    elif target in registry.plugins:
        info = registry.plugins[target]
        if info.obj is None:
            return [f"import failed: {info.error}"]
    else:
        return [f"'{target}' is neither an installed plugin nor a plugin directory"]

    problems = []
    manifest = getattr(info.obj, "manifest", None)
    if not isinstance(manifest, Manifest):
        return ["no manifest: define `manifest = shopdesk.Manifest(...)` in the plugin module"]
    for attr in ("name", "label", "description"):
        if not getattr(manifest, attr, "").strip():
            problems.append(f"manifest: '{attr}' is empty")
    probe = PluginInfo(name=info.name, obj=info.obj, version=info.version)
    apply_manifest(probe, __version__)
    if probe.error:
        problems.append(f"manifest: {probe.error}")
    for dep in manifest.requires:
        if dep not in registry.plugins:
            problems.append(f"requires '{dep}', which is not installed")

    pm = pluggy.PluginManager("shopdesk")
    pm.add_hookspecs(hookspecs)
    try:
        register_checked(pm, probe)
        check_pending(pm)
    except PluginError as exc:
        problems.append(f"hooks: {exc}")

    tables = plugin_tables(info)
    dirs = [Path(d) for r in _own_results(pm, info.name, "migration_dirs") for d in (r or [])]
    if tables and not dirs:
        problems.append(f"migrations: tables {', '.join(sorted(tables))} but no `migration_dirs` hook")
    for d in dirs:
        if not d.is_dir() or not any(d.glob("*.py")):
            problems.append(f"migrations: {d} holds no revision files")
    if dirs and info.name in registry.working:
        script = ScriptDirectory.from_config(alembic_config(app))
        if not any(info.name in r.branch_labels for r in script.walk_revisions()):
            problems.append(f"migrations: no revision carries branch label '{info.name}'")
        else:
            applied, head = branch_heads(app, info.name)
            if applied != head:
                problems.append(f"migrations: database at {applied or 'base'}, head is {head}: run `shopdesk db upgrade`")
            else:
                problems += [f"migrations: {p}" for p in schema_check(app, tables) if "differ" in p]
    elif dirs:
        problems.append("migrations: plugin is not installed here, so they cannot be checked against the database")
    return problems


def _own_results(pm, name, hook):
    return [impl.function() for impl in getattr(pm.hook, hook).get_hookimpls() if impl.plugin_name == name]
