"""Account lockout: five failed sign-ins within 15 minutes refuse that account for a while."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from shopdesk.audit import AuditEntry
from shopdesk.auth.models import create_user
from shopdesk.db import utcnow

EMAIL = "owner@example.com"
PASSWORD = "correct horse battery"
LOCKED = "Too many failed sign-ins for this account. Try again in 15 minutes."


@pytest.fixture
def app(make_app):
    # The per-address limit on sign-in attempts is tested elsewhere; keep it out of the way.
    app = make_app(SHOPDESK_LOGIN_RATE_LIMIT="1000 per minute")
    with app.app_context():
        yield app


def sign_in(client, email=EMAIL, password=PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def fail(client, times, email=EMAIL):
    return [sign_in(client, email, "wrong password").status_code for _ in range(times)]


def failed_earlier(db, minutes_ago, times=1, email=EMAIL):
    """Failed sign-ins as the audit log would have recorded them ``minutes_ago``."""
    for _ in range(times):
        db.session.add(AuditEntry(actor=email, action="auth.login_failed", object_type="user",
                                  after={"email": email}, at=utcnow() - timedelta(minutes=minutes_ago)))
    db.session.commit()


def test_five_failures_lock_the_account_even_for_the_right_password(app, db, user):
    client = app.test_client()
    assert fail(client, 5) == [401] * 5
    locked = sign_in(client)
    assert locked.status_code == 429 and locked.mimetype == "text/html"
    assert LOCKED in locked.get_data(as_text=True)
    assert 14 * 60 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert client.get("/").status_code == 302  # still not signed in
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.actor == EMAIL)
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["auth.login_failed"] * 5 + ["auth.login_locked"]


def test_four_failures_do_not_lock(app, user):
    client = app.test_client()
    fail(client, 4)
    assert sign_in(client).status_code == 302


def test_the_wait_counts_down_from_the_oldest_failure_in_the_window(app, db, user):
    failed_earlier(db, minutes_ago=10, times=5)
    locked = sign_in(app.test_client())
    assert locked.status_code == 429
    assert "Try again in 5 minutes." in locked.get_data(as_text=True)


def test_the_account_opens_again_once_the_failures_are_older_than_the_window(app, db, user):
    failed_earlier(db, minutes_ago=16, times=5)
    failed_earlier(db, minutes_ago=1, times=4)
    assert sign_in(app.test_client()).status_code == 302


def test_a_successful_sign_in_starts_the_count_again(app, user):
    client = app.test_client()
    fail(client, 4)
    assert sign_in(client).status_code == 302
    assert fail(app.test_client(), 4) == [401] * 4
    assert sign_in(app.test_client()).status_code == 302
    fail(client, 5)
    assert sign_in(client).status_code == 429


def test_another_account_is_not_affected(app, db, user):
    create_user("clerk@example.com", PASSWORD)
    db.session.commit()
    client = app.test_client()
    fail(client, 5)
    assert sign_in(client).status_code == 429
    assert sign_in(client, email="clerk@example.com").status_code == 302


def test_unknown_emails_lock_like_real_ones(app):
    client = app.test_client()
    assert fail(client, 5, email="nobody@example.com") == [401] * 5
    assert sign_in(client, email="nobody@example.com").status_code == 429


def test_the_limits_are_configurable(make_app):
    app = make_app(SHOPDESK_LOGIN_MAX_FAILURES=2, SHOPDESK_LOGIN_LOCKOUT_MINUTES=60)
    client = app.test_client()
    assert fail(client, 2, email="nobody@example.com") == [401, 401]
    locked = sign_in(client, email="nobody@example.com")
    assert locked.status_code == 429 and "Try again in 60 minutes." in locked.get_data(as_text=True)
