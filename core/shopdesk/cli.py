"""The `shopdesk` command: Flask's CLI group plus database, store, plugin and demo commands.

Every expected failure (an unknown store, a refused enable, a bad setting) prints one
``Error: ...`` line and exits with status 2; tracebacks are for bugs only. A database that
``shopdesk db upgrade`` never ran on is one of them: every command that needs the schema,
plugins' included, refuses it before it starts (:data:`SCHEMA_NOT_NEEDED` lists the others).
"""

import logging
import sys

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup, FlaskGroup, ScriptInfo
from marshmallow import ValidationError

from . import database_roles, events, migrate, settings as plugin_settings
from .app import create_app
from .auth.models import User, UserError, create_user, set_password
from .checks import check_plugin
from .db import db
from .kit import Refusal
from .demo import ensure_admin, load_demo
from .reference import docs_group
from .registry import PluginError
from .scheduler import jobs_group, run_command, scheduler_command
from .stores import (GlobalPluginSettings, PluginStateError, Store, StorePlugin, configure_plugin,
                     create_store, disable_plugin, enable_plugin, get_store, resolved_settings)

EXPECTED_ERRORS = (PluginStateError, migrate.MigrationError, ValidationError, UserError, PluginError,
                   database_roles.RoleError, Refusal)


def _registry():
    return current_app.extensions["shopdesk"]


def _one_line(exc) -> str:
    if isinstance(exc, ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {"_": exc.messages}
        return "; ".join(f"{field}: {' '.join(map(str, msgs if isinstance(msgs, list) else [msgs]))}"
                         for field, msgs in messages.items())
    return str(exc)


def _store(slug) -> Store:
    try:
        return get_store(slug)
    except PluginStateError as exc:
        raise OneLineError(str(exc)) from None


def _pairs(items) -> dict:
    values = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise OneLineError(f"setting '{item}': write it as key=value")
        values[key] = value
    return values


class OneLineError(click.UsageError):
    """A bad argument or refused request: shown as one ``Error:`` line, exit status 2."""

    def show(self, file=None):
        click.echo(f"Error: {self.format_message()}", err=True)


# Commands (and groups: every command under them) that run on a database without the schema.
SCHEMA_NOT_NEEDED = frozenset({"db", "docs", "plugins list", "plugins check", "events docs", "openapi", "routes", "shell",
                               "limiter", "run"})  # run: the server starts, /readyz says what is pending


def _needs_schema(path: tuple[str, ...]) -> bool:
    return not any(" ".join(path[:n]) in SCHEMA_NOT_NEEDED for n in range(1, len(path) + 1))


def _command_needs_schema(ctx, name, command, args) -> bool:
    """Whether the command ``args`` lead to needs the tables. Asking for help, or naming a
    group without one of its commands (which shows its usage), never does."""
    path = [name]
    while isinstance(command, click.Group) and args and (sub := command.get_command(ctx, args[0])):
        path.append(args[0])
        command, args = sub, args[1:]
    if isinstance(command, click.Group) and not args:
        return False
    if set(args) & set(command.get_help_option_names(ctx)):
        return False
    return _needs_schema(tuple(path))


class ShopdeskGroup(FlaskGroup):
    def resolve_command(self, ctx, args):
        """Host, Flask and plugin commands alike come through here, so all get the check; it
        runs before the command's arguments are read, so nobody types a password for a command
        that cannot run."""
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None and _command_needs_schema(ctx, name, command, rest):
            with ctx.ensure_object(ScriptInfo).load_app().app_context():
                migrate.require_migrated()
        return name, command, rest

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except EXPECTED_ERRORS as exc:
            raise OneLineError(_one_line(exc)) from exc


cli = ShopdeskGroup(create_app=create_app, name="shopdesk", add_version_option=False,
                    help="Shopdesk back-office: database, stores, plugins, demo, users and the server.")
for _command in (run_command, scheduler_command, jobs_group, docs_group):
    cli.add_command(_command)  # `run` replaced by one that can start the scheduler in-process

# --- db ----------------------------------------------------------------------------------

db_group = AppGroup("db", help="Schema migrations of the host and every plugin.")
cli.add_command(db_group)


def _show_alembic_progress():
    logger = logging.getLogger("alembic.runtime.migration")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("  %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


@db_group.command("upgrade")
def db_upgrade():
    """Apply every migration head (host and plugins)."""
    _show_alembic_progress()
    role = migrate.upgrade()
    click.echo("Database is at head.")
    if role:
        click.echo(_granted(role))


def _granted(role) -> str:
    return f"Role '{role}' may read and write the tables; audit_log it may only read and append to."


@db_group.command("grant")
@click.argument("role")
def db_grant(role):
    """Let ROLE (the web and scheduler processes' database role) read and write every table but
    only append to audit_log. Run as the tables' owner (SHOPDESK_MIGRATION_DATABASE_URL when set)."""
    with database_roles.migration_engine(current_app) as engine:
        database_roles.grant(engine, role)
    click.echo(_granted(role))


@db_group.command("downgrade")
@click.argument("plugin")
def db_downgrade(plugin):
    """Uninstall PLUGIN's tables (refused while it is enabled in any store)."""
    _show_alembic_progress()
    migrate.downgrade_plugin(plugin)
    click.echo(f"Plugin '{plugin}' uninstalled from the database.")


@db_group.command("revision")
@click.argument("plugin")
@click.option("-m", "--message", required=True, help="What the revision changes.")
def db_revision(plugin, message):
    """Autogenerate PLUGIN's next migration from its models (for plugin authors)."""
    path = migrate.new_revision(plugin, message)
    click.echo(f"Wrote {path}: review it, then run `shopdesk db upgrade`.")


@db_group.command("check")
def db_check():
    """Exit 1 unless the database is at head and the models match the migrations."""
    problems = migrate.check()
    for problem in problems:
        click.echo(problem)
    if problems:
        sys.exit(1)
    click.echo("Models and migrations agree; database at head.")


cli.add_command(events.cli_group)

# --- stores ------------------------------------------------------------------------------

stores_group = AppGroup("stores", help="Stores (each has its own plugins, settings and data).")
cli.add_command(stores_group)


@stores_group.command("list")
def stores_list():
    for store in db.session.scalars(sa.select(Store).order_by(Store.slug)):
        click.echo(f"{store.slug:20} {store.name:30} {store.currency}  plugins_version={store.plugins_version}")


@stores_group.command("create")
@click.argument("slug")
@click.argument("name")
@click.option("--currency", default="USD", show_default=True)
@click.option("--locale", default="en", show_default=True)
@click.option("--owner", "owner_email", help="Email of the user who becomes the store's first owner.")
def stores_create(slug, name, currency, locale, owner_email):
    owner = _user(owner_email) if owner_email else None
    create_store(slug, name, currency=currency, locale=locale, owner=owner)
    db.session.commit()
    click.echo(f"Store '{slug}' created.")


# --- plugins -----------------------------------------------------------------------------

plugins_group = AppGroup("plugins", help="Installed plugins, per-store enabling and settings.")
cli.add_command(plugins_group)


def plugin_rows(registry) -> list[dict]:
    """One row per installed plugin; on an unmigrated database, what the code alone says."""
    migrated = migrate.migrated_versions() if migrate.is_migrated() else None
    enabled_in: dict[str, list[str]] = {}
    for slug, name in () if migrated is None else db.session.execute(
        sa.select(Store.slug, StorePlugin.plugin).join(StorePlugin, StorePlugin.store_id == Store.id)
        .where(StorePlugin.enabled.is_(True)).order_by(Store.slug)
    ):
        enabled_in.setdefault(name, []).append(slug)
    rows = []
    for info in registry.plugins.values():
        if info.error:
            status = f"broken: {info.error}"
        elif migrated is None:
            status = "not migrated"
        elif migrated.get(info.name) != info.version:
            status = "needs upgrade"
        else:
            status = "ok"
        rows.append({"name": info.name, "version": info.version, "distribution": info.dist or "-",
                     "migrated": (migrated or {}).get(info.name, "-"), "requires": ", ".join(info.requires) or "-",
                     "enabled": "?" if migrated is None else ", ".join(enabled_in.get(info.name, [])) or "-",
                     "status": status, "description": info.description})
    return rows


@plugins_group.command("list")
def plugins_list():
    """Every installed plugin: version, distribution, migrated version, requires, stores, status.

    Works before ``shopdesk db upgrade`` too, to see what is installed: the stores each
    plugin is enabled in are then unknown (``?``)."""
    rows = plugin_rows(_registry())
    if not rows:
        click.echo("No plugins installed.")
    else:
        cols = ["name", "version", "distribution", "migrated", "requires", "enabled", "status"]
        widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols[:-1]}
        click.echo("  ".join(c.upper().ljust(widths.get(c, 0)) for c in cols))
        for r in rows:
            click.echo("  ".join(str(r[c]).ljust(widths.get(c, 0)) for c in cols))
            if r["description"]:
                click.echo(f"    {r['description']}")
    if not migrate.is_migrated():
        click.echo("The database is not migrated: which stores use each plugin is unknown until "
                   "`shopdesk db upgrade`.")


@plugins_group.command("enable")
@click.argument("store")
@click.argument("plugin")
def plugins_enable(store, plugin):
    changed = enable_plugin(_registry(), _store(store), plugin)
    db.session.commit()
    click.echo(f"Plugin '{plugin}' {'enabled' if changed else 'was already enabled'} in store '{store}'.")


@plugins_group.command("disable")
@click.argument("store")
@click.argument("plugin")
def plugins_disable(store, plugin):
    changed = disable_plugin(_registry(), _store(store), plugin)
    db.session.commit()
    click.echo(f"Plugin '{plugin}' {'disabled' if changed else 'was not enabled'} in store '{store}'.")


@plugins_group.command("configure")
@click.option("--global", "is_global", is_flag=True, help="Set the default for every store.")
@click.argument("args", nargs=-1, required=True)
def plugins_configure(is_global, args):
    """STORE PLUGIN key=value...  (or: --global PLUGIN key=value...)"""
    needed = 1 if is_global else 2
    if len(args) < needed + 1:
        raise OneLineError("usage: plugins configure STORE PLUGIN key=value... "
                               "or plugins configure --global PLUGIN key=value...")
    store = None if is_global else _store(args[0])
    plugin, values = args[needed - 1], _pairs(args[needed:])
    shown = configure_plugin(_registry(), store, plugin, values)
    db.session.commit()
    for key in values:
        click.echo(f"{key} = {shown.get(key)}")


@plugins_group.command("show")
@click.argument("store")
@click.argument("plugin")
def plugins_show(store, plugin):
    """Resolved settings of PLUGIN in STORE (secrets masked) and where each value comes from."""
    registry = _registry()
    info = registry.require_working(plugin)
    the_store = _store(store)
    schema_cls = registry.settings_schemas.get(plugin)
    click.echo(f"{info.label} ({info.name} {info.version}) in store '{store}'")
    if schema_cls is None:
        click.echo("  no settings")
        return
    values = plugin_settings.masked(schema_cls, resolved_settings(registry, the_store, plugin))
    store_row = db.session.get(StorePlugin, (the_store.id, plugin))
    global_row = db.session.get(GlobalPluginSettings, plugin)
    for key, value in values.items():
        source = ("store" if store_row and key in (store_row.settings or {}) else
                  "global" if global_row and key in (global_row.settings or {}) else "default")
        click.echo(f"  {key} = {value!r}  ({source})")


@plugins_group.command("check")
@click.argument("target", metavar="PATH_OR_NAME")
def plugins_check(target):
    """Validate a plugin: hooks, manifest, migrations present and at head."""
    problems = check_plugin(current_app, target)
    for problem in problems:
        click.echo(f"✗ {problem}")
    if problems:
        sys.exit(1)
    click.echo(f"✓ {target}: hooks, manifest and migrations are in order.")


# --- demo and users ----------------------------------------------------------------------


@cli.command("demo")
def demo():
    """Create the demo store and admin once; later runs change nothing."""
    login = ensure_admin()
    if not load_demo():
        click.echo("Demo store already present: nothing changed.")
    click.echo(f"Login: {login}")


users_group = AppGroup("users", help="User accounts.")
cli.add_command(users_group)


@users_group.command("create")
@click.argument("email")
@click.option("--name", default="")
@click.password_option()
def users_create(email, name, password):
    create_user(email, password, name=name)
    db.session.commit()
    click.echo(f"User {email} created.")


def _user(email) -> User:
    user = db.session.scalar(sa.select(User).filter_by(email=email.strip().lower()))
    if user is None:
        raise OneLineError(f"no user with email '{email}'")
    return user


@users_group.command("set-password")
@click.argument("email")
@click.password_option()
def users_set_password(email, password):
    set_password(_user(email), password)
    db.session.commit()
    click.echo(f"Password of {email} changed.")


@users_group.command("deactivate")
@click.argument("email")
def users_deactivate(email):
    from . import audit

    user = _user(email)
    user.active = False
    audit.record("user.deactivated", object_type="user", object_id=user.id)
    db.session.commit()
    click.echo(f"User {email} deactivated.")


from .auth.tokens_cli import tokens_group  # noqa: E402  (shopdesk tokens create | list | revoke)

cli.add_command(tokens_group)

# --- audit -------------------------------------------------------------------------------

audit_group = AppGroup("audit", help="The append-only audit log of every store, and sign-ins.")
cli.add_command(audit_group)


def _audit_query(store, action):
    from . import audit

    return audit.entries(store_id=_store(store).id if store else None, action=action or None)


@audit_group.command("list")
@click.option("--store", "store", metavar="SLUG", help="Only this store's entries (default: every entry).")
@click.option("--action", metavar="ACTION", help="An action (role.updated) or a prefix ending in .* (auth.*).")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1), help="How many, newest first.")
def audit_list(store, action, limit):
    """Recent audit entries, newest first, including instance-wide ones (sign-ins, CLI)."""
    from datetime import timezone

    from .audit import AuditEntry

    rows = db.session.scalars(_audit_query(store, action).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
                              .limit(limit)).all()
    if not rows:
        click.echo("No audit entries.")
        return
    slugs = dict(db.session.execute(sa.select(Store.id, Store.slug)).all())
    table = [(e.at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%SZ"),
              "-" if e.store_id is None else slugs.get(e.store_id, f"#{e.store_id}"),
              e.actor, e.action, ":".join(x for x in (e.object_type, e.object_id) if x) or "-") for e in rows]
    header = ("AT (UTC)", "STORE", "ACTOR", "ACTION", "OBJECT")
    widths = [max(len(header[i]), *(len(r[i]) for r in table)) for i in range(len(header) - 1)] + [0]
    for line in (header, *table):
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())


@audit_group.command("export")
@click.option("--store", "store", metavar="SLUG", help="Only this store's entries (default: every entry).")
@click.option("--action", metavar="ACTION", help="An action (role.updated) or a prefix ending in .* (auth.*).")
def audit_export(store, action):
    """Write audit entries as CSV to standard output, oldest first: shopdesk audit export > audit.csv"""
    from .audit import csv_lines

    slugs = dict(db.session.execute(sa.select(Store.id, Store.slug)).all())
    for chunk in csv_lines(_audit_query(store, action), slugs):
        click.echo(chunk, nl=False)


def main(argv=None):
    """Entry point: one clear line and exit 2 for bad arguments and refused requests."""
    try:
        result = cli.main(args=argv, prog_name="shopdesk", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    except click.ClickException as exc:
        click.echo(f"Error: {exc.format_message()}", err=True)
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    sys.exit(result if isinstance(result, int) else 0)


if __name__ == "__main__":
    main()
