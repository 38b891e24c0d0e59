"""The `shopdesk` command: stores, plugins, settings, checks, demo; one clear line on error."""

import os
import subprocess
import sys
import textwrap
import uuid

import pytest
from marshmallow import Schema, fields, validate

from shopdesk.testing import make_plugin


class MailSettings(Schema):
    sender = fields.Email(load_default="shop@example.com")
    batch = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    password = fields.String(load_default="", metadata={"secret": True})


PLUGINS = (
    make_plugin("wiki"),
    make_plugin("glossary", requires=["wiki"]),
    make_plugin("mail", settings_schema=lambda: MailSettings),
    make_plugin("parcels", requires=["lockers"]),
)
pytestmark = pytest.mark.shopdesk_plugins(*PLUGINS)


@pytest.fixture
def shop(cli):
    assert cli("stores", "create", "shop", "My Shop", "--currency", "twd").exit_code == 0


def test_stores_create_and_list(cli, shop):
    out = cli("stores", "list").output
    assert "shop" in out and "My Shop" in out and "TWD" in out
    again = cli("stores", "create", "shop", "Again")
    assert again.exit_code == 2
    assert again.output.strip() == "Error: a store with slug 'shop' already exists"


def test_plugins_list_shows_versions_stores_and_broken_reasons(cli, shop):
    cli("plugins", "enable", "shop", "wiki")
    lines = {line.split()[0]: line for line in cli("plugins", "list").output.splitlines() if line and not line.startswith(" ")}
    assert lines["wiki"].split()[1:6] == ["1.0", "-", "1.0", "-", "shop"]  # version, distribution, migrated...
    assert "broken: requires 'lockers', which is not installed" in lines["parcels"]
    assert lines["glossary"].split()[4] == "wiki"


def test_enable_and_disable_explain_refusals(cli, shop):
    refused = cli("plugins", "enable", "shop", "glossary")
    assert refused.exit_code == 2
    assert refused.output.strip() == "Error: plugin 'glossary' requires 'wiki', not enabled in store 'shop'"
    assert cli("plugins", "enable", "shop", "wiki").output.strip() == "Plugin 'wiki' enabled in store 'shop'."
    cli("plugins", "enable", "shop", "glossary")
    refused = cli("plugins", "disable", "shop", "wiki")
    assert refused.output.strip() == "Error: cannot disable 'wiki' in store 'shop': 'glossary' requires it"
    assert cli("plugins", "enable", "nowhere", "wiki").output.strip() == "Error: no store with slug 'nowhere'"


def test_configure_validates_masks_and_resolves(cli, shop, db):
    out = cli("plugins", "configure", "shop", "mail", "batch=100", "password=hunter2hunter2")
    assert out.exit_code == 0
    assert out.output.splitlines() == ["batch = 100", "password = ********"]
    bad = cli("plugins", "configure", "shop", "mail", "batch=0", "sender=x@example.com")
    assert bad.exit_code == 2
    assert bad.output.strip() == "Error: batch: Must be greater than or equal to 1 and less than or equal to 500."
    assert cli("plugins", "configure", "--global", "mail", "sender=orders@example.com").exit_code == 0
    shown = cli("plugins", "show", "shop", "mail").output
    assert "sender = 'orders@example.com'  (global)" in shown
    assert "batch = 100  (store)" in shown
    assert "password = '********'  (store)" in shown
    assert "hunter2" not in shown
    malformed = cli("plugins", "configure", "shop", "mail", "batch")
    assert malformed.output.strip() == "Error: setting 'batch': write it as key=value"


def test_db_check_passes_on_a_migrated_database(cli):
    result = cli("db", "check")
    assert result.exit_code == 0, result.output
    assert "Models and migrations agree" in result.output


def test_demo_is_idempotent_and_prints_the_same_login(cli):
    first = cli("demo")
    second = cli("demo")
    assert first.exit_code == second.exit_code == 0
    login = [line for line in first.output.splitlines() if line.startswith("Login: admin@example.com / ")]
    assert login and login[0] in second.output.splitlines()
    assert "Demo store already present: nothing changed." in second.output
    assert cli("stores", "list").output.count("demo") == 1


def write_plugin(tmp_path, body):
    """A plugin project on disk, as a third party would have it before publishing."""
    module = f"shopdesk_probe_{uuid.uuid4().hex[:8]}"
    project = tmp_path / "probe"
    (project / module).mkdir(parents=True)
    (project / "setup.cfg").write_text(textwrap.dedent(f"""\
        [metadata]
        name = shopdesk-probe
        version = 1.0

        [options.entry_points]
        shopdesk.plugins =
            probe = {module}
    """))
    (project / module / "__init__.py").write_text(textwrap.dedent(body))
    return project


def test_plugins_check_accepts_a_sound_plugin(cli, tmp_path):
    project = write_plugin(tmp_path, """
        from shopdesk import Manifest, hookimpl
        manifest = Manifest(name="probe", label="Probe", description="Checks things.")

        @hookimpl
        def nav_items(ctx, user):
            return []
    """)
    result = cli("plugins", "check", str(project))
    assert result.exit_code == 0, result.output
    assert "hooks, manifest and migrations are in order" in result.output


def test_plugins_check_names_each_problem(cli, tmp_path):
    project = write_plugin(tmp_path, """
        from shopdesk import Manifest, hookimpl
        manifest = Manifest(name="probe", label="", description="Checks things.",
                            requires=("warehouse",), host=">=5")

        @hookimpl
        def nav_itemz(ctx, user):
            return []
    """)
    result = cli("plugins", "check", str(project))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "✗ manifest: 'label' is empty",
        "✗ manifest: supports host >=5, this host is 0.1.0",
        "✗ requires 'warehouse', which is not installed",
        "✗ hooks: plugin 'probe' implements unknown hook 'nav_itemz' (did you mean 'nav_items'?)",
    ]


@pytest.mark.parametrize("args, message", [
    (["plugins", "enable", "demo"], "Error: Missing argument 'PLUGIN'."),
    (["plugins", "frobnicate"], "Error: No such command 'frobnicate'."),
    (["stores", "create", "x", "X", "--currency"], "Error: Option '--currency' requires an argument."),
    (["plugins", "enable", "nowhere", "wiki"], "Error: no store with slug 'nowhere'"),
])
def test_bad_arguments_print_one_line_and_exit_2(tmp_path, args, message):
    env = {**os.environ, "SHOPDESK_INSTANCE_PATH": str(tmp_path)}
    env.pop("SHOPDESK_DATABASE_URL", None)
    subprocess.run([sys.executable, "-m", "shopdesk.cli", "db", "upgrade"], env=env, capture_output=True, check=True)
    result = subprocess.run([sys.executable, "-m", "shopdesk.cli", *args], env=env, capture_output=True, text=True)
    assert (result.returncode, result.stderr.strip(), result.stdout) == (2, message, "")


# --- before `shopdesk db upgrade` --------------------------------------------------------------

NOT_MIGRATED = "Error: the database is not migrated: run `shopdesk db upgrade`"


@pytest.fixture
def empty_cli(empty_database_url, tmp_path):
    """``shopdesk`` on a database with no tables, with the installed plugins (their commands too)."""
    from flask.cli import ScriptInfo

    from shopdesk.app import create_app
    from shopdesk.cli import cli as shopdesk_cli
    from shopdesk.db import db

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path / "instance"),
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})
    runner = app.test_cli_runner()

    def invoke(*args, input=None):
        return runner.invoke(shopdesk_cli, list(args), obj=ScriptInfo(create_app=lambda: app), input=input)

    invoke.app, invoke.group = app, shopdesk_cli
    yield invoke
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def leaf_commands(group, ctx, path=()):
    """(path, command) of every command under ``group``, plugins' included, recursively."""
    import click

    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if isinstance(command, click.Group):
            yield from leaf_commands(command, click.Context(command, parent=ctx, info_name=name), (*path, name))
        else:
            yield (*path, name), command


def made_up_arguments(command, tmp_path) -> list[str]:
    """The least a command's parser takes: a value for each required argument and option."""
    import click

    existing = tmp_path / "made-up.csv"
    existing.write_text("sku,name\n")

    def value(param):
        if isinstance(param.type, (click.Path, click.File)):
            return str(existing)
        if isinstance(param.type, click.Choice):
            return str(param.type.choices[0])
        if isinstance(param.type, (click.types.IntParamType, click.types.FloatParamType)):
            return "1"
        return "x"

    args = []
    for param in command.params:
        if not param.required or getattr(param, "prompt", None):
            continue
        if isinstance(param, click.Option):
            args += [param.opts[0], value(param)]
        else:
            args += [value(param)] * max(param.nargs, 1)
    return args


def every_command(empty_cli):
    import click
    from flask.cli import ScriptInfo

    ctx = click.Context(empty_cli.group, info_name="shopdesk", obj=ScriptInfo(create_app=lambda: empty_cli.app))
    with ctx:
        return list(leaf_commands(empty_cli.group, ctx))


def test_every_command_refuses_an_unmigrated_database_in_one_line(empty_cli, tmp_path):
    from shopdesk.cli import SCHEMA_NOT_NEEDED, _needs_schema

    commands = every_command(empty_cli)
    checked = [(path, command) for path, command in commands if _needs_schema(path)]
    names = {" ".join(path) for path, _ in checked}
    assert {"stores list", "users create", "tokens list", "audit export", "jobs list", "demo",
            "catalog import", "inventory verify", "orders list"} <= names  # plugins' commands are walked too
    assert not names & SCHEMA_NOT_NEEDED and "db upgrade" not in names and "plugins list" not in names
    for path, command in checked:
        result = empty_cli(*path, *made_up_arguments(command, tmp_path), input="a password 1\na password 1\n")
        assert "Traceback" not in result.output and isinstance(result.exception, SystemExit), (path, result.output)
        # refused before its arguments are read: `users create` asks for no password first
        assert result.exit_code == 2 and result.output.strip() == NOT_MIGRATED, (path, result.output)
    assert empty_cli("stores", "--help").exit_code == 0 and "Usage:" in empty_cli("stores").output


def test_plugins_list_on_an_unmigrated_database_lists_what_is_installed(empty_cli):
    result = empty_cli("plugins", "list")
    assert result.exit_code == 0, result.output
    header, *rest = result.output.splitlines()
    assert header.split() == ["NAME", "VERSION", "DISTRIBUTION", "MIGRATED", "REQUIRES", "ENABLED", "STATUS"]
    rows = {line.split()[0]: line.split() for line in rest if line and not line.startswith(" ")}
    assert rows["catalog"][1:3] == ["0.1.0", "shopdesk-catalog"]
    assert rows["inventory"][1:] == ["0.1.0", "shopdesk-inventory", "-", "catalog", "?", "not", "migrated"]
    assert rest[-1] == ("The database is not migrated: which stores use each plugin is unknown until "
                        "`shopdesk db upgrade`.")


def test_migrating_then_lists_stores_again(empty_cli):
    assert empty_cli("db", "upgrade").exit_code == 0
    assert empty_cli("stores", "create", "shop", "My Shop").exit_code == 0
    assert empty_cli("stores", "list").output.split()[:2] == ["shop", "My"]
    assert "not migrated" not in empty_cli("plugins", "list").output
