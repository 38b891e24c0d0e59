"""Schema migrations: the host's Alembic branch plus one branch per plugin.

Migrations run only from the command line (``shopdesk db upgrade``), never on web boot.
After an upgrade each working plugin's package version is recorded as its migrated version;
a plugin whose package is newer than that "needs upgrade" and cannot be enabled.
"""

import os
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from . import audit, database_roles
from .db import UTCDateTime, db, utcnow

HERE = Path(__file__).parent
HOST_BRANCH = "shopdesk"


class InstalledPlugin(db.Model):
    """Which package version of a plugin the database schema was last migrated for."""

    __tablename__ = "installed_plugins"

    name: Mapped[str] = mapped_column(sa.String(63), primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(63))
    migrated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SchemaRevision(db.Model):
    """A migration revision applied to this database (Alembic keeps only the heads).

    Written by ``shopdesk db upgrade``; a process of an older release reads it during a
    rolling upgrade to see that its own revisions are applied under newer heads it has no
    file for (``schema_state``)."""

    __tablename__ = "schema_revisions"

    revision: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MigrationError(RuntimeError):
    pass


# While generating a plugin's revision, autogenerate looks at that plugin's tables only.
_only_tables: ContextVar[set[str] | None] = ContextVar("shopdesk_only_tables", default=None)


def version_dirs(registry) -> dict[str, list[Path]]:
    """Version folders of the host and of every plugin whose code loads, broken or not:
    a plugin broken by its manifest still has tables that upgrade and downgrade must know."""
    dirs = {HOST_BRANCH: [HERE / "migrations" / "versions"]}
    for info in registry.plugins.values():
        hook = getattr(info.obj, "migration_dirs", None)
        if hook is not None and hasattr(hook, "shopdesk_impl"):
            dirs[info.name] = [Path(p) for p in (hook() or [])]
    return dirs


def alembic_config(app) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    cfg.set_main_option("path_separator", "os")
    locations = [p for paths in version_dirs(app.extensions["shopdesk"]).values() for p in paths]
    cfg.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations))
    cfg.attributes["app"] = app
    return cfg


def _include_object(obj, name, type_, reflected, compare_to):
    # Tables no model knows (an uninstalled plugin's leftovers, job stores) are not ours to diff.
    if type_ == "table" and reflected and compare_to is None:
        return False
    only = _only_tables.get()
    if only is not None:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in only
    return True


def _render_item(type_, obj, autogen_context):
    # Migrations spell the plain column type, so they never import application code.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _context_options():
    return dict(target_metadata=db.metadata, render_as_batch=True, compare_type=True,
                include_object=_include_object, render_item=_render_item)


def configure_context(context):
    """Called by ``migrations/env.py``: run the migrations on the owner's engine (the app's
    own unless ``SHOPDESK_MIGRATION_DATABASE_URL`` names another, see ``database_roles``)."""
    app = context.config.attributes["app"]
    with app.app_context(), database_roles.migration_engine(app) as engine, engine.begin() as connection:
        context.configure(connection=connection, **_context_options())
        with context.begin_transaction():
            context.run_migrations()


NOT_MIGRATED = "the database is not migrated: run `shopdesk db upgrade`"


def is_migrated() -> bool:
    """Whether ``shopdesk db upgrade`` ever ran here (the host's bookkeeping table exists)."""
    return sa.inspect(db.engine).has_table(InstalledPlugin.__tablename__)


def require_migrated() -> None:
    """Raise :class:`MigrationError` (one line for the CLI) on a database without the schema."""
    if not is_migrated():
        raise MigrationError(NOT_MIGRATED)


def migrated_versions() -> dict[str, str]:
    try:
        return dict(db.session.execute(sa.select(InstalledPlugin.name, InstalledPlugin.version)).all())
    except sa.exc.DBAPIError as exc:
        db.session.rollback()
        if is_migrated():
            raise
        raise MigrationError(NOT_MIGRATED) from exc


def upgrade(app=None) -> str | None:
    """Apply every head (host and plugins), grant the app's role when the owner migrated, then
    record each working plugin's version. Returns the role granted, if any."""
    app = app or current_app._get_current_object()
    db.session.commit()  # DDL on another connection must not wait for our own open transaction
    try:
        command.upgrade(alembic_config(app), "heads")
    except CommandError as exc:
        if "Can't locate revision" not in str(exc):
            raise
        raise MigrationError(
            f"{exc}: the database has a revision of a plugin that is no longer installed; "
            "reinstall it, run `shopdesk db downgrade PLUGIN`, then uninstall it"
        ) from exc
    role = database_roles.grant_app_role(app)  # before the app's role writes to the new tables
    record_revisions(app)
    record_versions(app.extensions["shopdesk"])
    return role


def record_revisions(app):
    """Make ``schema_revisions`` list every revision the database has: those this code knows
    (walked back from the heads), plus any a newer release recorded."""
    script = ScriptDirectory.from_config(alembic_config(app))
    known = {rev.revision for rev in script.walk_revisions()}
    with db.engine.connect() as conn:
        applied = _walk_back(script, _database_heads(conn), known)
    recorded = set(db.session.scalars(sa.select(SchemaRevision.revision)))
    for revision in sorted(applied - recorded):
        db.session.add(SchemaRevision(revision=revision))
    gone = (recorded & known) - applied  # taken back by a downgrade
    if gone:
        db.session.execute(sa.delete(SchemaRevision).where(SchemaRevision.revision.in_(gone)))
    db.session.commit()


def record_versions(registry):
    """Remember which package version each working plugin's schema was migrated for."""
    recorded = migrated_versions()
    for name in sorted(registry.working):
        version = registry.plugins[name].version
        if recorded.get(name) != version:
            row = db.session.get(InstalledPlugin, name) or InstalledPlugin(name=name)
            row.version = version
            db.session.add(row)
            audit.record("plugin.migrated", object_type="plugin", object_id=name,
                         before={"version": recorded.get(name)}, after={"version": version})
    db.session.commit()


def downgrade_plugin(name: str, app=None):
    """Uninstall a plugin's tables; refused while any store has it enabled."""
    from .stores import GlobalPluginSettings, Store, StorePlugin

    app = app or current_app._get_current_object()
    registry = app.extensions["shopdesk"]
    if name == HOST_BRANCH:
        raise MigrationError("the host cannot be downgraded this way")
    info = registry.plugins.get(name)
    if info is None and db.session.get(InstalledPlugin, name) is None:
        raise MigrationError(f"no plugin named '{name}' is installed or migrated")
    if info is None or info.obj is None:
        why = info.error if info else "it is not installed"
        raise MigrationError(f"plugin '{name}' cannot be loaded ({why}): reinstall it so its migrations are known")
    enabled_in = db.session.scalars(
        sa.select(Store.slug).join(StorePlugin, StorePlugin.store_id == Store.id)
        .where(StorePlugin.plugin == name, StorePlugin.enabled.is_(True)).order_by(Store.slug)
    ).all()
    if enabled_in:
        raise MigrationError(
            f"plugin '{name}' is enabled in store(s) {', '.join(enabled_in)}: disable it there first"
        )
    cfg = alembic_config(app)
    db.session.commit()  # release our locks before DROP TABLE runs on another connection
    if _has_branch(cfg, name):
        command.downgrade(cfg, f"{name}@base")
        record_revisions(app)
    db.session.execute(sa.delete(StorePlugin).where(StorePlugin.plugin == name))
    db.session.execute(sa.delete(GlobalPluginSettings).where(GlobalPluginSettings.plugin == name))
    db.session.execute(sa.delete(InstalledPlugin).where(InstalledPlugin.name == name))
    audit.record("plugin.uninstalled", object_type="plugin", object_id=name)
    db.session.commit()


def new_revision(name: str, message: str, app=None) -> str:
    """Autogenerate the next revision of plugin ``name`` from its models, in its own branch."""
    from .checks import plugin_tables

    app = app or current_app._get_current_object()
    registry = app.extensions["shopdesk"]
    info = registry.require_working(name)
    dirs = version_dirs(registry).get(name)
    if not dirs:
        raise MigrationError(f"plugin '{name}' has no `migration_dirs` hook: add one first")
    dirs[0].mkdir(parents=True, exist_ok=True)
    cfg = alembic_config(app)
    script = ScriptDirectory.from_config(cfg)
    existing = [r for r in script.walk_revisions() if name in r.branch_labels]
    options = dict(message=message, autogenerate=True, version_path=str(dirs[0]),
                   rev_id=f"{name}_{len(existing) + 1:04d}")
    if existing:
        options.update(head=f"{name}@head")
    else:
        options.update(head="base", branch_label=name, depends_on="host_0001")
    token = _only_tables.set(plugin_tables(info))
    try:
        script_obj = command.revision(cfg, **options)
    finally:
        _only_tables.reset(token)
    return script_obj.path


def _has_branch(cfg, name) -> bool:
    script = ScriptDirectory.from_config(cfg)
    return any(name in (rev.branch_labels or ()) for rev in script.walk_revisions())


def _database_heads(conn) -> tuple[str, ...]:
    return MigrationContext.configure(conn).get_current_heads()


def _walk_back(script, heads, known) -> set[str]:
    """The revisions ``heads`` imply (``depends_on`` counted), from those of them we know."""
    ours = [h for h in heads if h in known]
    return {rev.revision for rev in script.iterate_revisions(ours, "base")} if ours else set()


def _recorded(conn) -> set[str]:
    if not sa.inspect(conn).has_table(SchemaRevision.__tablename__):
        return set()
    return set(conn.scalars(sa.select(SchemaRevision.revision)))


def _applied(script, conn) -> set[str]:
    """Every revision the database has, counting those implied by ``depends_on`` and those
    ``schema_revisions`` records under heads a newer release added."""
    known = {rev.revision for rev in script.walk_revisions()}
    return _walk_back(script, _database_heads(conn), known) | _recorded(conn)


def branch_heads(app, name: str) -> tuple[str | None, str | None]:
    """(newest revision applied in the database, newest revision on disk) for one branch."""
    cfg = alembic_config(app)
    script = ScriptDirectory.from_config(cfg)
    if not _has_branch(cfg, name):
        return None, None
    head = script.get_revision(f"{name}@head").revision
    with db.engine.connect() as conn:
        applied = _applied(script, conn)
    newest = next((r.revision for r in script.iterate_revisions(head, "base")
                   if name in r.branch_labels and r.revision in applied), None)
    return newest, head


def pending_heads(app=None) -> list[str]:
    """Heads (host and plugins) the database has not applied; empty when it is at head.

    Cheap enough for a readiness probe: it reads the version table, no autogenerate."""
    app = app or current_app._get_current_object()
    script = ScriptDirectory.from_config(alembic_config(app))
    with db.engine.connect() as conn:
        return _pending(script, conn)


def _pending(script, conn) -> list[str]:
    return sorted(set(script.get_heads()) - _applied(script, conn))


def schema_state(app=None) -> tuple[list[str], list[str]]:
    """(heads this code needs that the database lacks, heads the database has that this code
    does not know). The second is a newer release migrating during a rolling upgrade (or a
    plugin not installed here): this process still works while the first is empty."""
    app = app or current_app._get_current_object()
    script = ScriptDirectory.from_config(alembic_config(app))
    known = {rev.revision for rev in script.walk_revisions()}
    with db.engine.connect() as conn:
        heads = _database_heads(conn)
        return _pending(script, conn), sorted(set(heads) - known)


def check(app=None, tables: set[str] | None = None) -> list[str]:
    """Problems between models and migrations: unapplied heads, then autogenerate diffs."""
    app = app or current_app._get_current_object()
    script = ScriptDirectory.from_config(alembic_config(app))
    problems = []
    with db.engine.connect() as conn:
        missing = _pending(script, conn)
        if missing:
            problems.append(f"not at head: {', '.join(missing)} not applied (run `shopdesk db upgrade`)")
        diffs = compare_metadata(MigrationContext.configure(conn, opts=_context_options()), db.metadata)
    for diff in diffs:
        table = _diff_table(diff)
        if tables is None or table in tables:
            problems.append(f"models differ from migrations: {_describe(diff)}")
    return problems


def _diff_table(diff):
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        name = getattr(part, "name", None) if isinstance(part, sa.Table) else getattr(getattr(part, "table", None), "name", None)
        if name:
            return name
        if isinstance(part, str):
            return part
    return None


def _describe(diff) -> str:
    item = diff[0] if isinstance(diff, list) else diff
    kind = item[0]
    rest = [getattr(p, "name", p) for p in item[1:] if p is not None]
    return f"{kind} {' '.join(str(r) for r in rest[:3])}"
