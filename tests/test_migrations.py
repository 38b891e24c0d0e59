"""Migrations: the host's branch plus one per plugin; upgrade from empty, check, uninstall."""

from pathlib import Path

import pytest
import sqlalchemy as sa

from shopdesk import migrate
from shopdesk.app import create_app
from shopdesk.db import db
from shopdesk.stores import create_store, disable_plugin, enable_plugin
from shopdesk.testing import make_plugin

STOCK = make_plugin("stock", migration_dirs=lambda: [Path(__file__).parent / "fixtures" / "stock_migrations"])


@pytest.fixture
def fresh_app(empty_database_url, tmp_path):
    def build(plugins=()):
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
                          "SQLALCHEMY_DATABASE_URI": empty_database_url}, plugins=plugins)
        return app

    apps = []
    yield lambda plugins=(): apps.append(build(plugins)) or apps[-1]
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def tables(app):
    with app.app_context():
        return set(sa.inspect(db.engine).get_table_names())


def test_upgrade_from_empty_then_models_and_migrations_agree(fresh_app):
    """Host and every installed plugin: autogenerate finds no difference."""
    app = fresh_app()
    with app.app_context():
        assert migrate.check(app)[0].startswith("not at head")
        migrate.upgrade(app)
        assert migrate.check(app) == []
        recorded = migrate.migrated_versions()
    registry = app.extensions["shopdesk"]
    assert recorded == {name: registry.plugins[name].version for name in registry.working}
    assert {"stores", "store_plugins", "users", "audit_log"} <= tables(app)


def test_check_reports_a_model_the_migrations_lack(fresh_app):
    app = fresh_app()
    with app.app_context():
        migrate.upgrade(app)
        with db.engine.begin() as conn:
            conn.execute(sa.text("CREATE INDEX ix_extra ON stores (name)"))
        problems = migrate.check(app)
    assert problems and problems[0].startswith("models differ from migrations: remove_index")


def test_a_plugin_branch_is_applied_and_can_be_uninstalled_once_disabled(fresh_app):
    app = fresh_app(plugins=[STOCK])
    registry = app.extensions["shopdesk"]
    with app.app_context():
        migrate.upgrade(app)
        assert "stock_levels" in tables(app)
        assert migrate.branch_heads(app, "stock") == ("stock_0001", "stock_0001")
        store = create_store("a", "A")
        enable_plugin(registry, store, "stock")
        db.session.commit()
        with pytest.raises(migrate.MigrationError, match="plugin 'stock' is enabled in store\\(s\\) a: disable it there first"):
            migrate.downgrade_plugin("stock", app)
        db.session.rollback()
        disable_plugin(registry, store, "stock")
        db.session.commit()
        migrate.downgrade_plugin("stock", app)
        assert "stock" not in migrate.migrated_versions()
    assert "stock_levels" not in tables(app)
    assert {"stores", "store_plugins"} <= tables(app)


def test_downgrading_an_unknown_plugin_is_refused(fresh_app):
    app = fresh_app()
    with app.app_context():
        migrate.upgrade(app)
        with pytest.raises(migrate.MigrationError, match="no plugin named 'nothing'"):
            migrate.downgrade_plugin("nothing", app)


def test_the_job_store_table_comes_from_the_migration_and_db_check_ignores_it(app, db, cli):
    """APScheduler's table has no model: it comes from host_0005, and the check knows it."""
    assert "apscheduler_jobs" in sa.inspect(db.engine).get_table_names()
    assert cli("db", "check").output == "Models and migrations agree; database at head.\n"
