"""pytest plugin for Shopdesk and its plugins (installed as the ``pytest11`` entry point).

Fixtures: ``app``, ``db``, ``store``, ``bare_store``, ``user``, ``client``, ``cli``,
``token_for``, ``make_app``.

Every answer from ``/api/v1`` that a test client of an app made by these fixtures receives
(``client``, ``app.test_client()``, with a token from ``token_for`` or a session) is checked
against the app's OpenAPI document (the status is listed for the operation, a JSON body
matches its schema); a mismatch fails the test at the request. A test that answers outside
the document on purpose says so with ``@pytest.mark.shopdesk_unchecked_answers``. Every test using the database runs twice, on SQLite and on PostgreSQL
(``SHOPDESK_TEST_POSTGRES_URL``); without that variable the PostgreSQL half is skipped and
the run says so, and with ``SHOPDESK_REQUIRE_POSTGRES=1`` (CI) a skip is an error.

Register a plugin object for one test with a marker (``make_plugin`` builds one)::

    @pytest.mark.shopdesk_plugins(MyTestPlugin())
    def test_it(app, store): ...
"""

import os
import shutil
import uuid

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from flask_login import FlaskLoginClient

POSTGRES_ENV = "SHOPDESK_TEST_POSTGRES_URL"
REQUIRE_ENV = "SHOPDESK_REQUIRE_POSTGRES"
BACKENDS = ["sqlite", "postgresql"]
_SETTINGS_KEY = Fernet.generate_key()
_skipped_postgres = []


CHECK_ANSWERS = "shopdesk_check_answers"


class AnswerOutsideTheDocument(AssertionError):
    """An API answer the OpenAPI document does not describe."""


class ShopdeskTestClient(FlaskLoginClient):
    """Each request gets a fresh app context, as in production: nothing leaks through ``g``
    (the signed-in user, the store) from the test's own app context or an earlier request.
    On an app with answer checking on, each ``/api/v1`` answer is checked against the document."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        if self.application.extensions.get(CHECK_ANSWERS) and response.request.path.startswith("/api/v1/"):
            check_answer(self.application, response)
        return response


def check_answer(app, response):
    """Raise :class:`AnswerOutsideTheDocument` unless the document describes ``response``."""
    from .conformance import DocumentedAnswers

    request = response.request
    problem = DocumentedAnswers.of(app).problem(request.method, request.path, response.status_code,
                                                response.content_type, response.get_data())
    if problem is not None:
        raise AnswerOutsideTheDocument(f"The OpenAPI document {problem}\nThe answer: "
                                       f"{response.get_data(as_text=True)[:1000]}")


def check_answers(request, app):
    """Turn answer checking on for ``app`` unless the test is marked unchecked."""
    if request.node.get_closest_marker("shopdesk_unchecked_answers") is None:
        app.extensions[CHECK_ANSWERS] = True


def make_plugin(name, *, requires=(), host=">=0.1", version="1.0", **hooks):
    """A plugin object for one test: ``make_plugin("a", nav_items=lambda ctx, user: [...])``."""
    from . import Manifest, hookimpl

    manifest = Manifest(name=name, label=name.title(), description=f"The {name} test plugin.",
                        requires=tuple(requires), host=host, version=version)
    namespace = {hook: staticmethod(hookimpl(fn)) for hook, fn in hooks.items()}
    return type(f"{name.title()}TestPlugin", (), {"manifest": manifest, **namespace})()


def pytest_configure(config):
    config.addinivalue_line("markers", "shopdesk_plugins(*objs): register plugin objects for this test")
    config.addinivalue_line("markers", "shopdesk_unchecked_answers: do not check API answers against the "
                                       "OpenAPI document in this test")


def pytest_runtest_logreport(report):
    if report.skipped and "PostgreSQL not configured" in str(report.longrepr):
        _skipped_postgres.append(report.nodeid)


def pytest_terminal_summary(terminalreporter):
    if _skipped_postgres and not os.environ.get(POSTGRES_ENV):
        terminalreporter.write_line(
            f"PostgreSQL: {len(_skipped_postgres)} test(s) skipped; set {POSTGRES_ENV} to run them",
            yellow=True, bold=True,
        )


def postgres_url_or_skip() -> str:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        if os.environ.get(REQUIRE_ENV):
            pytest.fail(f"{REQUIRE_ENV} is set but {POSTGRES_ENV} is not: PostgreSQL tests must run here")
        pytest.skip(f"PostgreSQL not configured ({POSTGRES_ENV})")
    return url


def _base_config(instance) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SHOPDESK_SETTINGS_KEY": _SETTINGS_KEY,
        "INSTANCE_PATH": str(instance),
        "WTF_CSRF_ENABLED": False,
        # Tests deliver events by calling shopdesk.events.dispatch_due(): no stray threads.
        "SHOPDESK_EVENTS_DISPATCH": "manual",
    }


def _migrate(url, instance):
    from .app import create_app
    from .migrate import upgrade

    app = create_app({**_base_config(instance), "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(app)
        from .db import db

        db.engine.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory):
    """One migrated SQLite file per session; each test gets a copy (fast, isolated)."""
    folder = tmp_path_factory.mktemp("shopdesk-template")
    path = folder / "template.db"
    _migrate(f"sqlite:///{path}", folder)
    return path


@pytest.fixture(scope="session")
def _postgres_schema(tmp_path_factory):
    """A schema of this test session's own, migrated once and dropped at the end; tests
    truncate it afterwards. Several test runs can share one PostgreSQL database."""
    base = postgres_url_or_skip()
    schema = f"shopdesk_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = with_search_path(base, schema)
    try:
        _migrate(url, tmp_path_factory.mktemp("shopdesk-pg"))
        yield url
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def with_search_path(url: str, schema: str) -> str:
    """The URL of the same database with ``schema`` first on the search path."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


KEEP_TABLES = {"alembic_version", "installed_plugins", "schema_revisions"}


def _truncate_postgres(url):
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = [t for t in sa.inspect(conn).get_table_names() if t not in KEEP_TABLES]
        if tables:
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """The URL of a migrated, empty database: SQLite and PostgreSQL in turn."""
    if request.param == "sqlite":
        path = tmp_path / "shopdesk.db"
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        yield f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("_postgres_schema")
        yield url
        _truncate_postgres(url)


@pytest.fixture(params=BACKENDS)
def empty_database_url(request, tmp_path):
    """A database with no tables at all, on SQLite and PostgreSQL (a fresh schema of its
    own): for tests of migrations and of what happens before `shopdesk db upgrade`."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    base = postgres_url_or_skip()
    schema = f"shopdesk_empty_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    yield with_search_path(base, schema)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


@pytest.fixture
def make_app(request, database_url, tmp_path):
    """Build an app on this test's database; call it twice for two processes' worth of apps."""
    from .app import create_app
    from .db import db
    from .migrate import record_versions

    marker = request.node.get_closest_marker("shopdesk_plugins")
    marked = marker.args if marker else ()
    apps = []

    def factory(plugins=(), entry_points=None, migrate=True, **config):
        """``plugins`` are added to the marker's; ``entry_points=[]`` hides installed plugins.

        Plugins given here count as migrated (their versions are recorded) unless
        ``migrate=False``; a test plugin with tables of its own needs a fresh database.
        """
        extra = tuple(marked) + tuple(plugins)
        app = create_app(
            {**_base_config(tmp_path / f"instance-{len(apps)}"), "SQLALCHEMY_DATABASE_URI": database_url, **config},
            plugins=extra, entry_points=entry_points,
        )
        app.test_client_class = ShopdeskTestClient
        check_answers(request, app)
        apps.append(app)
        if extra and migrate:
            with app.app_context():
                record_versions(app.extensions["shopdesk"])
        return app

    yield factory
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def db(app):
    from .db import db as _db

    yield _db
    _db.session.rollback()


@pytest.fixture
def bare_store(db, user):
    """A store with no plugin enabled; ``user`` is its owner."""
    from .stores import create_store

    store = create_store(f"store-{uuid.uuid4().hex[:8]}", "Bare Store", owner=user)
    db.session.commit()
    return store


@pytest.fixture
def store(app, db, user):
    """A store named 'acme' with every working plugin enabled (in dependency order);
    ``user`` is its owner."""
    from .demo import dependency_order
    from .stores import create_store, enable_plugin

    the_store = create_store("acme", "Acme Store", currency="USD", owner=user)
    registry = app.extensions["shopdesk"]
    for name in dependency_order(registry):
        enable_plugin(registry, the_store, name)
    db.session.commit()
    return the_store


@pytest.fixture
def user(db):
    from .auth.models import create_user

    the_user = create_user("owner@example.com", "correct horse battery", name="Owner")
    db.session.commit()
    return the_user


@pytest.fixture
def client(app, user, store):
    """A test client signed in as ``user``; API calls name ``store`` in the store header."""
    from .api import STORE_HEADER
    test_client = app.test_client(user=user)
    test_client.environ_base["HTTP_" + STORE_HEADER.upper().replace("-", "_")] = store.slug
    return test_client


@pytest.fixture
def token_for(app, db):
    """Make an API token: ``token_for(user, store, ["notes.read"])`` (default: all of theirs)."""
    from .auth.permissions import permissions_in_store
    from .auth.tokens import create_token
    def make(user, store, permissions=None):
        if permissions is None:
            permissions = permissions_in_store(user, store)
        _, plain = create_token(user, store, "test token", permissions, None)
        db.session.commit()
        return plain

    return make


@pytest.fixture
def cli(app):
    """Invoke ``shopdesk`` commands against this test's app: ``cli("plugins", "list")``."""
    from flask.cli import ScriptInfo

    from .cli import cli as shopdesk_cli

    runner = app.test_cli_runner()

    def invoke(*args, input=None):
        return runner.invoke(shopdesk_cli, list(args), obj=ScriptInfo(create_app=lambda: app), input=input)

    return invoke
