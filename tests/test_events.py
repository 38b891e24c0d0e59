"""Domain events: validated at emit, written with the change, delivered once, in order."""

import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from marshmallow import ValidationError

from shopdesk.events import (DELIVERED, FAILED, Delivery, OutboxEvent, UnknownEvent, dispatch_due, dispatcher_for, emit,
                             emit_many)
from shopdesk.db import utcnow
from shopdesk.stores import create_store, disable_plugin, enable_plugin, use_store

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
import event_plugins  # noqa: E402
from event_plugins import PLUGINS, failures, receipts  # noqa: E402

pytestmark = pytest.mark.shopdesk_plugins(*PLUGINS)


@pytest.fixture
def app(make_app):
    app = make_app(SHOPDESK_EVENTS_DISPATCH="manual", SHOPDESK_EVENTS_RETRY_SECONDS=0)
    with app.app_context():
        yield app


@pytest.fixture
def shop(app, db, user):
    event_plugins.metadata.create_all(db.engine)
    failures.clear()
    store = create_store("shop", "Shop", owner=user)
    for name in ("shop", "books", "quiet"):
        enable_plugin(app.extensions["shopdesk"], store, name)
    db.session.commit()
    yield store
    db.session.rollback()
    event_plugins.metadata.drop_all(db.engine)


def place(db, store, number, total=100, key=None):
    with use_store(store):
        event = emit("sale.placed", {"number": number, "total": total}, key=key)
        db.session.commit()
    return event


def received(db):
    return db.session.execute(sa.select(receipts.c.plugin, receipts.c.number).order_by(receipts.c.id)).all()


def deliveries(db):
    return db.session.scalars(sa.select(Delivery).order_by(Delivery.id).execution_options(all_stores=True)).all()


def test_an_unknown_event_or_a_bad_payload_fails_at_the_call(db, shop):
    with use_store(shop):
        with pytest.raises(UnknownEvent, match="unknown event type 'order.teleported'"):
            emit("order.teleported", {})
        with pytest.raises(ValidationError) as err:
            emit("sale.placed", {"number": "seven"})
    assert err.value.messages == {"number": ["Not a valid integer."], "total": ["Missing data for required field."]}
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxEvent).execution_options(all_stores=True)) == 0


def test_many_events_are_emitted_at_once_each_checked_and_delivered_in_order(db, shop):
    """What an import does: one call for thousands of events, each still checked."""
    with use_store(shop):
        with pytest.raises(ValidationError) as err:
            emit_many([("sale.placed", {"number": 1, "total": 5}, None),
                       ("sale.placed", {"number": "two", "total": 5}, None)])
        assert err.value.messages == {"number": ["Not a valid integer."]}
        db.session.rollback()
        events = emit_many([("sale.placed", {"number": n, "total": n}, "batch") for n in range(1, 301)])
        db.session.commit()
    assert [e.payload["number"] for e in events] == list(range(1, 301))
    assert len({e.id for e in events}) == 300
    assert dispatch_due(limit=1000) == 600  # two plugins handle sale.placed
    assert [n for plugin, n in received(db) if plugin == "shop"] == list(range(1, 301))


def test_a_rolled_back_change_emits_nothing(db, shop):
    with use_store(shop):
        emit("sale.placed", {"number": 1, "total": 5})
        db.session.rollback()
    assert dispatch_due() == 0
    assert received(db) == []


def test_after_commit_each_enabled_handler_gets_the_event_once(db, shop):
    event = place(db, shop, 1)
    assert dispatch_due() == 2  # shop and books; quiet has no handler
    assert sorted(received(db)) == [("books", 1), ("shop", 1)]
    assert {d.target: (d.status, d.attempts) for d in deliveries(db)} == \
        {"plugin:shop": (DELIVERED, 1), "plugin:books": (DELIVERED, 1)}
    assert dispatch_due() == 0
    assert len(received(db)) == 2
    assert event.id == db.session.scalar(sa.select(OutboxEvent.event_id).execution_options(all_stores=True))


def test_only_plugins_enabled_in_the_store_are_called(app, db, shop, user):
    other = create_store("other", "Other", owner=user)
    enable_plugin(app.extensions["shopdesk"], other, "shop")
    db.session.commit()
    place(db, other, 9)
    dispatch_due()
    assert received(db) == [("shop", 9)]


def test_a_failing_handler_is_retried_with_backoff_and_does_not_stop_the_others(app, db, shop):
    failures["books"] = 2
    app.config["SHOPDESK_EVENTS_RETRY_SECONDS"] = 60
    place(db, shop, 1)
    dispatch_due()
    books = next(d for d in deliveries(db) if d.target == "plugin:books")
    assert (books.status, books.attempts) == (FAILED, 1)
    assert "books is down" in books.last_error
    assert books.next_attempt_at > utcnow() + timedelta(seconds=50)
    assert received(db) == [("shop", 1)]  # books' write rolled back with its failure
    assert dispatch_due() == 0  # not due for a minute
    app.config["SHOPDESK_EVENTS_RETRY_SECONDS"] = 0
    db.session.execute(sa.update(Delivery.__table__).values(next_attempt_at=sa.func.now()))
    db.session.commit()
    dispatch_due()
    dispatch_due()
    assert sorted(received(db)) == [("books", 1), ("shop", 1)]
    books = next(d for d in deliveries(db) if d.target == "plugin:books")
    assert (books.status, books.attempts, books.last_error) == (DELIVERED, 3, None)


def test_the_event_id_is_stable_across_retries(db, shop):
    failures["books"] = 1
    event = place(db, shop, 1)
    dispatch_due()
    dispatch_due()
    by_plugin = dict(db.session.execute(sa.select(receipts.c.plugin, receipts.c.event_id)).all())
    assert by_plugin == {"shop": event.id, "books": event.id}
    assert {d.target: d.attempts for d in deliveries(db)}["plugin:books"] == 2


def test_events_of_one_key_arrive_in_order_even_after_a_failure(app, db, shop):
    failures["books"] = 1
    app.config["SHOPDESK_EVENTS_RETRY_SECONDS"] = 60
    for number in (1, 2, 3):
        place(db, shop, number, key="order:1")
    place(db, shop, 50, key="order:2")  # another order is not held up
    dispatch_due()
    books = [n for plugin, n in received(db) if plugin == "books"]
    assert books == [50]  # 1 failed, so 2 and 3 wait behind it
    db.session.execute(sa.update(Delivery.__table__).values(next_attempt_at=sa.func.now()))
    db.session.commit()
    dispatch_due()
    books = [n for plugin, n in received(db) if plugin == "books"]
    assert books == [50, 1, 2, 3]
    assert [n for plugin, n in received(db) if plugin == "shop" and n < 50] == [1, 2, 3]


def test_a_plugin_disabled_after_the_event_is_skipped(app, db, shop):
    place(db, shop, 1)
    disable_plugin(app.extensions["shopdesk"], shop, "books")
    db.session.commit()
    dispatch_due()
    assert received(db) == [("shop", 1)]
    assert {d.target: d.status for d in deliveries(db)}["plugin:books"] == "skipped"


def test_two_dispatchers_never_deliver_one_event_twice(app, db, shop):
    for number in range(20):
        place(db, shop, number)
    start = threading.Barrier(2)

    def run():
        with app.app_context():
            start.wait()
            dispatch_due()
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = received(db)
    assert len(rows) == 40 and len(set(rows)) == 40


def test_the_dispatcher_thread_delivers_after_commit(make_app, db, user):
    app = make_app(SHOPDESK_EVENTS_DISPATCH="thread")  # production's way: a thread woken by the commit
    with app.app_context():
        event_plugins.metadata.create_all(db.engine)
        store = create_store("live", "Live", owner=user)
        enable_plugin(app.extensions["shopdesk"], store, "books")
        db.session.commit()
        place(db, store, 7)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not received(db):
            db.session.rollback()
            time.sleep(0.05)
        assert received(db) == [("books", 7)]
        assert dispatcher_for(app).thread is not None
        db.session.rollback()
        event_plugins.metadata.drop_all(db.engine)


CHILD = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {fixtures!r})
    import sqlalchemy as sa
    from sqlalchemy.orm import Session
    from shopdesk.app import create_app
    from shopdesk.db import db
    from shopdesk.events import emit
    from shopdesk.stores import get_store, use_store
    from event_plugins import PLUGINS

    app = create_app({{"SECRET_KEY": "x", "INSTANCE_PATH": {instance!r}, "SQLALCHEMY_DATABASE_URI": {url!r}}},
                     plugins=PLUGINS)
    sa.event.listen(Session, "after_commit", lambda s: os.kill(os.getpid(), signal.SIGKILL), insert=True)
    with app.app_context(), use_store(get_store("shop")):
        emit("sale.placed", {{"number": 42, "total": 1}})
        db.session.commit()  # the process dies right here: committed, not dispatched
""")


def test_an_event_committed_by_a_killed_process_is_delivered_once_after_restart(app, db, shop, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    script = CHILD.format(fixtures=str(Path(__file__).parent / "fixtures"), instance=str(tmp_path), url=url)
    child = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert received(db) == []
    assert {d.status for d in deliveries(db)} == {"pending"}
    dispatch_due()  # what the retry job does after a restart
    dispatch_due()
    assert sorted(received(db)) == [("books", 42), ("shop", 42)]


def test_hook_register_event_types(app):
    from shopdesk.events import event_types

    declared = event_types(app.extensions["shopdesk"])["sale.placed"]
    assert (declared.version, declared.plugin) == (1, "shop")


def test_hook_handle_event(db, shop):
    event = place(db, shop, 5)
    dispatch_due()
    row = db.session.execute(sa.select(receipts.c.event_id, receipts.c.plugin).where(receipts.c.plugin == "books")).one()
    assert row == (event.id, "books")


def test_emitting_outside_a_store_is_refused(db, shop):
    with pytest.raises(RuntimeError, match="needs a current store"):
        emit("sale.placed", {"number": 1, "total": 1})


def test_killed_dispatcher_claims_are_taken_over(app, db, shop):
    """A dispatcher that died mid-delivery leaves a 'running' claim; it is retried once it expires."""
    place(db, shop, 3)
    db.session.execute(sa.update(Delivery.__table__).values(status="running", claimed_until=sa.func.now()))
    db.session.commit()
    time.sleep(0.01)
    dispatch_due()
    assert sorted(received(db)) == [("books", 3), ("shop", 3)]


def test_the_events_catalogue_is_generated_and_current():
    """docs/events.md matches what the installed plugins declare (run `shopdesk events docs`)."""
    from shopdesk.events import catalogue_markdown
    from shopdesk.registry import Registry

    docs = Path(__file__).parent.parent / "docs" / "events.md"
    assert docs.read_text() == catalogue_markdown(Registry.load())


def test_the_catalogue_lists_fields(app):
    from shopdesk.events import catalogue_markdown

    text = catalogue_markdown(app.extensions["shopdesk"])
    assert "## `sale.placed` (version 1)" in text and "| `number` | Integer | yes |" in text


def test_the_retry_job_delivers_what_is_due(app, db, shop):
    from shopdesk.scheduler import definitions, run_job

    assert "shopdesk.events_retry" in definitions(app)
    place(db, shop, 11)
    run_job("shopdesk.events_retry", "shopdesk")
    assert sorted(received(db)) == [("books", 11), ("shop", 11)]
