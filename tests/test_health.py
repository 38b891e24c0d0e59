"""Probes: /healthz says the process is up, /readyz whether it can serve (database, schema)."""

import socket

import pytest
from alembic.script import ScriptDirectory

from shopdesk.app import create_app
from shopdesk.migrate import alembic_config

READY = {"status": "ready", "database": "ok", "migrations": "at head",
         "scheduler": "not running in this process"}


@pytest.fixture
def app_on(tmp_path):
    """An app on any database URL, migrated or not, with no plugin installed."""
    apps = []

    def build(url):
        app = create_app({"TESTING": True, "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path / "instance"),
                          "SQLALCHEMY_DATABASE_URI": url}, entry_points=[])
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            from shopdesk.db import db

            db.engine.dispose()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_migrated_database_is_ready_without_signing_in(app):
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 200 and answer.get_json() == READY


def test_the_process_is_alive_even_when_the_database_is_down(app_on):
    app = app_on(f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test")
    answer = app.test_client().get("/healthz")
    assert answer.status_code == 200 and answer.get_json() == {"status": "ok"}


def test_an_unreachable_database_is_not_ready(app_on):
    app = app_on(f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/test")
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 503
    assert answer.get_json()["status"] == "not ready"
    assert answer.get_json()["database"] == "unreachable"


def test_a_database_that_was_never_migrated_is_not_ready_and_says_what_is_pending(app_on, empty_database_url):
    app = app_on(empty_database_url)
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 503
    body = answer.get_json()
    assert body["status"] == "not ready" and body["database"] == "ok"
    host_head = ScriptDirectory.from_config(alembic_config(app)).get_revision("shopdesk@head").revision
    assert body["migrations"] == f"pending: {host_head} (run `shopdesk db upgrade`)"
