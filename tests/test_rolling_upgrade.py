"""A running deployment meeting newer code: a plugin installed after a process started, a
database migrated by the next release while the old workers still serve."""

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from shopdesk import migrate
from shopdesk.app import create_app
from shopdesk.auth.models import create_user
from shopdesk.db import db
from shopdesk.stores import create_store, enable_plugin
from shopdesk.testing import make_plugin

LATECOMER = make_plugin("latecomer")


@pytest.fixture
def store_with_latecomer(make_app):
    """A store that enabled 'latecomer' in a process that has it; returns (slug, user)."""
    newer = make_app(plugins=[LATECOMER], entry_points=[])
    with newer.app_context():
        user = create_user("owner@example.com", "correct horse battery")
        store = create_store("acme", "Acme", owner=user)
        enable_plugin(newer.extensions["shopdesk"], store, "latecomer")
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)  # usable by the other process's test client
        return store.slug, user


def test_a_store_using_a_plugin_this_process_has_not_loaded_answers_503_saying_reload(make_app, store_with_latecomer):
    slug, user = store_with_latecomer
    older = make_app(entry_points=[])  # started before the plugin was installed
    client = older.test_client(user=user)
    api = client.get("/api/v1/store", headers={"Shopdesk-Store": slug})
    assert api.status_code == 503
    assert api.get_json() == {
        "status": 503, "code": "plugin_not_loaded", "errors": {"plugins": ["latecomer"]},
        "message": "This store uses the plugin(s) latecomer, which this server process has not loaded: "
                   "reload the server (e.g. `systemctl reload shopdesk-web`) and try again."}
    page = client.get(f"/s/{slug}/")
    assert page.status_code == 503
    assert "plugin latecomer, which this server has not loaded yet" in page.get_data(as_text=True)
    assert "reload the server" in page.get_data(as_text=True)
    zh = client.get(f"/s/{slug}/", headers={"Accept-Language": "zh-TW"})
    assert "latecomer" in zh.get_data(as_text=True) and "重新載入" in zh.get_data(as_text=True)


def test_the_process_that_loaded_the_plugin_serves_the_store(make_app, store_with_latecomer):
    slug, user = store_with_latecomer
    current = make_app(plugins=[LATECOMER], entry_points=[])
    assert current.test_client(user=user).get("/api/v1/store", headers={"Shopdesk-Store": slug}).status_code == 200
    assert current.test_client().get("/readyz").status_code == 200


def test_a_non_member_still_gets_404_from_a_store_with_an_unloaded_plugin(make_app, store_with_latecomer):
    slug, _ = store_with_latecomer
    older = make_app(entry_points=[])
    with older.app_context():
        stranger = create_user("stranger@example.com", "correct horse battery")
        db.session.commit()
        db.session.refresh(stranger)
        db.session.expunge(stranger)
    assert older.test_client(user=stranger).get(f"/s/{slug}/").status_code == 404


def test_readiness_names_an_enabled_plugin_this_process_has_not_loaded(make_app, store_with_latecomer):
    older = make_app(entry_points=[])
    answer = older.test_client().get("/readyz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["status"] == "not ready"
    assert body["plugins"] == ("not loaded by this process: latecomer (enabled in acme) "
                               "(reload it: the plugin was installed after it started)")


# --- migrations during a rolling upgrade -------------------------------------------------


def host_head(app) -> str:
    return ScriptDirectory.from_config(migrate.alembic_config(app)).get_revision("shopdesk@head").revision


def next_release(tmp_path, down_revision) -> object:
    """A plugin standing in for the next release: one more host revision, with a new table."""
    folder = tmp_path / "next_release"
    folder.mkdir()
    (folder / "host_9001_next.py").write_text(
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f"revision = 'host_9001'\ndown_revision = {down_revision!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade():\n    op.create_table('next_release_things', sa.Column('id', sa.Integer(), primary_key=True))\n\n\n"
        "def downgrade():\n    op.drop_table('next_release_things')\n")
    return make_plugin("nextrelease", migration_dirs=lambda: [folder])


@pytest.fixture
def app_on_empty(empty_database_url, tmp_path):
    apps = []

    def build(plugins=()):
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path / f"i{len(apps)}"),
                          "SQLALCHEMY_DATABASE_URI": empty_database_url}, plugins=plugins, entry_points=[])
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_an_old_process_stays_ready_when_the_next_release_has_migrated(app_on_empty, tmp_path):
    old = app_on_empty()
    with old.app_context():
        migrate.upgrade(old)
    assert old.test_client().get("/readyz").get_json()["migrations"] == "at head"
    new = app_on_empty(plugins=[next_release(tmp_path, host_head(old))])
    with new.app_context():
        migrate.upgrade(new)
    answer = old.test_client().get("/readyz")
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "ready"
    assert answer.get_json()["migrations"] == (
        "at head, and the database has newer revisions this process does not know: host_9001 "
        "(reload it onto the new release)")
    assert new.test_client().get("/readyz").get_json()["migrations"] == "at head"


def test_a_process_expecting_migrations_the_database_lacks_is_not_ready(app_on_empty, tmp_path):
    old = app_on_empty()
    with old.app_context():
        migrate.upgrade(old)
    new = app_on_empty(plugins=[next_release(tmp_path, host_head(old))])  # installed, not migrated
    answer = new.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["migrations"] == "pending: host_9001 (run `shopdesk db upgrade`)"


def test_every_applied_revision_is_recorded_and_a_downgrade_takes_its_own_back(app_on_empty):
    stock = make_plugin("stock", migration_dirs=lambda: [Path(__file__).parent / "fixtures" / "stock_migrations"])
    app = app_on_empty(plugins=[stock])
    with app.app_context():
        migrate.upgrade(app)
        recorded = set(db.session.scalars(sa.select(migrate.SchemaRevision.revision)))
        assert {"host_0001", host_head(app), "stock_0001"} <= recorded
        migrate.downgrade_plugin("stock", app)
        after = set(db.session.scalars(sa.select(migrate.SchemaRevision.revision)))
    assert after == recorded - {"stock_0001"}


# --- rate limits per process ---------------------------------------------------------------


def test_several_workers_without_redis_warn_at_start_and_readiness_says_so(make_app, caplog):
    with caplog.at_level(logging.WARNING, logger="shopdesk.limits"):
        app = make_app(entry_points=[], SHOPDESK_WORKERS=4)
    assert "rate limits are counted per process: 4 workers and no SHOPDESK_REDIS_URL" in caplog.text
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 200 and answer.get_json()["status"] == "ready"
    assert answer.get_json()["rate_limits"] == (
        "counted per process: 4 workers and no SHOPDESK_REDIS_URL, so a client gets up to 4 times each "
        "limit; set SHOPDESK_REDIS_URL to share the counters")


def test_web_concurrency_counts_as_the_worker_count(make_app, monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    monkeypatch.delenv("SHOPDESK_WORKERS", raising=False)
    app = make_app(entry_points=[])
    assert "3 workers" in app.test_client().get("/readyz").get_json()["rate_limits"]


def test_one_worker_or_shared_counters_need_no_warning(make_app, caplog):
    with caplog.at_level(logging.WARNING, logger="shopdesk.limits"):
        alone = make_app(entry_points=[], SHOPDESK_WORKERS=1)
        shared = make_app(entry_points=[], SHOPDESK_WORKERS=4, SHOPDESK_REDIS_URL="redis://127.0.0.1:6379/15")
    assert "rate limits" not in caplog.text
    for app in (alone, shared):
        assert "rate_limits" not in app.test_client().get("/readyz").get_json()
