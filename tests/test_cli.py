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
    assert lines["wiki"].split()[1:5] == ["1.0", "1.0", "-", "shop"]
    assert "broken: requires 'lockers', which is not installed" in lines["parcels"]
    assert lines["glossary"].split()[3] == "wiki"


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


def test_plugins_list_on_an_unmigrated_database_says_what_to_do(tmp_path):
    env = {**os.environ, "SHOPDESK_INSTANCE_PATH": str(tmp_path)}
    env.pop("SHOPDESK_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "shopdesk.cli", "plugins", "list"], env=env, capture_output=True, text=True)
    assert (result.returncode, result.stderr.strip()) == (2, "Error: the database is not migrated: run `shopdesk db upgrade`")
