"""Webhooks: signed deliveries to a real HTTP receiver, retried, logged, disabled, re-sent."""

import json
import re
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa
from marshmallow import Schema, fields

from shopdesk.audit import AuditEntry
from shopdesk.auth.models import create_user
from shopdesk.auth.roles import add_member
from shopdesk.db import utcnow
from shopdesk.events import DELIVERED, FAILED, SKIPPED, Delivery, EventType, dispatch_due, emit
from shopdesk.scheduler import run_job
from shopdesk.stores import create_store, enable_plugin, use_store
from shopdesk.testing import make_plugin
from shopdesk.webhooks import WebhookAttempt, WebhookSubscription

DOCS = Path(__file__).resolve().parent.parent / "docs" / "webhooks.md"


class OrderPlaced(Schema):
    number = fields.Integer(required=True)
    total = fields.Integer(required=True)


class OrderCancelled(Schema):
    number = fields.Integer(required=True)


ORDERS = make_plugin("sales", register_event_types=lambda: [
    EventType("sale.placed", 1, OrderPlaced, "An order was placed."),
    EventType("sale.cancelled", 1, OrderCancelled, "An order was cancelled."),
])
pytestmark = pytest.mark.shopdesk_plugins(ORDERS)


# --- a real receiver ---------------------------------------------------------------------------


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a client that gave up (the timeout test) is not the test's failure


class Receiver:
    """An HTTP server on 127.0.0.1 that records what it is sent and answers ``answers`` in
    turn (then ``status``); ``stop()`` closes its port, ``Receiver(port)`` opens it again."""

    def __init__(self, port=0, status=200):
        self.requests, self.answers, self.status, self.delay = [], [], status, 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
                status = receiver.answers.pop(0) if receiver.answers else receiver.status
                time.sleep(receiver.delay)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                answer = json.dumps({"received": status < 300}).encode()
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = QuietServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path="/hook"):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def bodies(self):
        return [json.loads(r["body"]) for r in self.requests]


@pytest.fixture
def receiver():
    servers = []

    def start(port=0, status=200):
        servers.append(Receiver(port, status))
        return servers[-1]

    first = start()
    first.start = start
    yield first
    for server in servers:
        server.stop()


@pytest.fixture
def app(make_app):
    app = make_app(SHOPDESK_EVENTS_DISPATCH="manual", SHOPDESK_EVENTS_RETRY_SECONDS=0,
                   SHOPDESK_WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True, SHOPDESK_WEBHOOK_TIMEOUT_SECONDS=5)
    with app.app_context():
        yield app


def documented_verify():
    """The receiver's ``verify`` exactly as docs/webhooks.md prints it."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), re.S)
    snippet = next(b for b in blocks if "def verify(" in b)
    namespace = {}
    exec(snippet, namespace)
    return namespace["verify"]


def subscribe(client, url, events=("*",), **extra):
    answer = client.post("/api/v1/webhooks", json={"url": url, "events": list(events), **extra})
    assert answer.status_code == 201, answer.json
    return answer.json


def place(db, store, number, total=100, name="sale.placed", key=None):
    payload = {"number": number, "total": total} if name == "sale.placed" else {"number": number}
    with use_store(store):
        event = emit(name, payload, key=key)
        db.session.commit()
    return event


def deliveries(db, prefix="webhook:"):
    return db.session.scalars(sa.select(Delivery).where(Delivery.target.startswith(prefix))
                              .order_by(Delivery.id).execution_options(all_stores=True)).all()


def attempts(db):
    return db.session.scalars(sa.select(WebhookAttempt).order_by(WebhookAttempt.id)
                              .execution_options(all_stores=True)).all()


def subscription(db, sub_id):
    db.session.rollback()  # a fresh read: the dispatcher writes on other connections
    return db.session.scalar(sa.select(WebhookSubscription).filter_by(id=sub_id)
                             .execution_options(all_stores=True, populate_existing=True))


def make_due(db):
    """What waiting for the backoff would do, without waiting."""
    db.session.execute(sa.update(Delivery.__table__).where(Delivery.__table__.c.status == FAILED)
                       .values(next_attempt_at=utcnow()))
    db.session.commit()


def audit_actions(db, prefix="webhook."):
    return db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.startswith(prefix))
                              .order_by(AuditEntry.id)).all()


# --- subscribing -------------------------------------------------------------------------------


def test_a_subscription_shows_its_secret_once_and_keeps_it_encrypted(client, db, store, receiver):
    made = subscribe(client, receiver.url(), ["sale.placed"], description="ERP")
    assert made["secret"].startswith("whsec_") and len(made["secret"]) > 40
    assert (made["state"], made["events"], made["description"], made["consecutive_failures"]) == \
        ("active", ["sale.placed"], "ERP", 0)
    assert "secret" not in client.get(f"/api/v1/webhooks/{made['id']}").json
    assert all("secret" not in item for item in client.get("/api/v1/webhooks").json)
    stored = subscription(db, made["id"])
    assert made["secret"] not in stored.secret_encrypted and stored.secret == made["secret"]
    entry = db.session.scalars(sa.select(AuditEntry).filter_by(action="webhook.created")).one()
    assert entry.after["url"] == receiver.url() and made["secret"] not in json.dumps(entry.after)


@pytest.mark.parametrize("body, field, message", [
    ({"url": "ftp://example.com/x", "events": ["*"]}, "url", "Must start with https:// or http://."),
    ({"url": "https://", "events": ["*"]}, "url", "Must name a host."),
    ({"url": "https://me:pw@example.com/", "events": ["*"]}, "url", "Must not contain a user name or password"),
    ({"url": "https://example.com/a b", "events": ["*"]}, "url", "Must not contain spaces."),
    ({"url": "https://example.com:99999/", "events": ["*"]}, "url", "Not a valid URL"),
    ({"events": ["*"]}, "url", "Missing data for required field."),
    ({"url": "https://example.com/", "events": []}, "events", "Name at least one event"),
    ({"url": "https://example.com/", "events": ["sale.placed", "order.teleported"]}, "events",
     "Unknown event type(s): order.teleported. Declared: "),
    ({"url": "https://example.com/", "events": ["*", "sale.placed"]}, "events", "* already means every event"),
    ({"url": "https://example.com/", "events": ["*"], "description": "x" * 201}, "description", "Longer than"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(client, db, store, body, field, message):
    answer = client.post("/api/v1/webhooks", json=body)
    assert answer.status_code == 422
    assert list(answer.json["errors"]) == [field] and message in answer.json["errors"][field][0]
    assert field in answer.json["message"]
    assert client.get("/api/v1/webhooks").json == []
    made = subscribe(client, "https://example.com/hook")
    changed = client.patch(f"/api/v1/webhooks/{made['id']}", json={"url": "gopher://x", "events": ["nope"]})
    assert changed.status_code == 422 and set(changed.json["errors"]) == {"url", "events"}


def test_private_addresses_are_refused_unless_allowed(app, client, db, store, receiver):
    app.config["SHOPDESK_WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = False
    for url in (receiver.url(), "http://localhost:8000/", "http://10.1.2.3/", "http://[::1]/",
                "http://169.254.169.254/"):
        answer = client.post("/api/v1/webhooks", json={"url": url, "events": ["*"]})
        assert answer.status_code == 422 and "local or private address" in answer.json["errors"]["url"][0], url
    # A name is checked when it is resolved, on each attempt: here one made while allowed.
    app.config["SHOPDESK_WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = True
    made = subscribe(client, f"http://localhost:{receiver.port}/hook")
    app.config["SHOPDESK_WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = False
    app.config["SHOPDESK_EVENTS_RETRY_SECONDS"] = 60
    place(db, store, 1)
    dispatch_due()
    assert receiver.requests == []
    [attempt] = attempts(db)
    assert "resolves to the non-public address" in attempt.error and attempt.response_status is None
    assert subscription(db, made["id"]).consecutive_failures == 1


LOCAL_SPELLINGS = [
    "http://2130706433/", "http://0x7f000001/", "http://0177.0.0.1/", "http://127.1/", "http://10.1/",
    "http://0/", "http://0.0.0.0/", "http://localhost./", "http://127.0.0.1./", "http://ip6-localhost/",
    "http://ip6-loopback/", "http://localhost.localdomain/", "http://shop.localhost/", "https://LOCALHOST:8443/",
    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[::]/",
    "http://[::ffff:10.0.0.1]/", "http://[::ffff:192.168.1.1]/", "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/", "http://[64:ff9b::a9fe:a9fe]/", "http://192.168.0.10:8080/hook", "http://172.16.5.4/",
]


@pytest.mark.parametrize("url", LOCAL_SPELLINGS)
def test_every_spelling_of_a_local_address_is_refused_on_subscribing_and_changing(app, client, db, store, url):
    app.config["SHOPDESK_WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = False
    answer = client.post("/api/v1/webhooks", json={"url": url, "events": ["*"]})
    assert answer.status_code == 422, url
    assert list(answer.json["errors"]) == ["url"] and "url" in answer.json["message"]
    assert "is a local or private address" in answer.json["errors"]["url"][0]
    assert client.get("/api/v1/webhooks").json == []
    made = subscribe(client, "https://example.com/hook")
    changed = client.patch(f"/api/v1/webhooks/{made['id']}", json={"url": url})
    assert changed.status_code == 422 and list(changed.json["errors"]) == ["url"]
    assert client.get(f"/api/v1/webhooks/{made['id']}").json["url"] == "https://example.com/hook"


def test_the_message_says_which_address_a_spelling_means(app, client, db, store):
    app.config["SHOPDESK_WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = False
    answer = client.post("/api/v1/webhooks", json={"url": "http://0x7f000001/", "events": ["*"]})
    assert answer.json["errors"]["url"] == [
        "0x7f000001 is a local or private address (127.0.0.1): webhooks go to public addresses only "
        "(SHOPDESK_WEBHOOK_ALLOW_PRIVATE_ADDRESSES allows others)."]


@pytest.mark.parametrize("url", ["https://example.com/hook", "http://93.184.216.34/", "https://erp.example.com./x",
                                 "http://[2606:2800:220:1:248:1893:25c8:1946]/", "http://localhost.example.com/"])
def test_public_urls_are_still_accepted(app, client, db, store, url):
    app.config["SHOPDESK_WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = False
    assert subscribe(client, url)["url"] == url


def test_the_page_refuses_a_local_spelling_and_keeps_what_was_typed(app, client, db, store):
    app.config["SHOPDESK_WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = False
    answer = client.post("/s/acme/webhooks", data={"action": "create", "url": "http://0177.0.0.1:8080/hook",
                                                   "events": ["sale.placed"]})
    assert answer.status_code == 400
    html = answer.get_data(as_text=True)
    assert "0177.0.0.1 is a local or private address (127.0.0.1)" in html
    assert 'value="http://0177.0.0.1:8080/hook"' in html
    assert db.session.scalars(sa.select(WebhookSubscription).execution_options(all_stores=True)).all() == []


# --- what is sent ------------------------------------------------------------------------------


def test_a_delivery_is_json_signed_so_the_documented_snippet_verifies_it(client, db, store, receiver):
    made = subscribe(client, receiver.url("/in?source=shopdesk"), ["sale.placed"])
    event = place(db, store, 1042, total=12900)
    assert dispatch_due() == 1
    [request] = receiver.requests
    assert request["path"] == "/in?source=shopdesk"
    headers, body = request["headers"], request["body"]
    assert json.loads(body) == {"id": event.id, "type": "sale.placed", "version": 1,
                                "occurred_at": event.occurred_at.isoformat(), "store": "acme",
                                "data": {"number": 1042, "total": 12900}}
    assert headers["Content-Type"] == "application/json"
    assert (headers["Shopdesk-Event-Id"], headers["Shopdesk-Event"]) == (event.id, "sale.placed")
    assert abs(int(headers["Shopdesk-Timestamp"]) - time.time()) < 60
    assert re.fullmatch(r"v1=[0-9a-f]{64}", headers["Shopdesk-Signature"])

    verify = documented_verify()
    secret = made["secret"]
    assert verify(secret, headers, body)
    assert not verify(secret.replace("whsec_", "whsec_x"), headers, body)  # another secret
    assert not verify(secret, headers, body.replace(b"12900", b"1"))  # a changed body
    stamp = int(headers["Shopdesk-Timestamp"])
    assert not verify(secret, headers, body, now=stamp + 301)  # a replay after five minutes
    assert verify(secret, headers, body, now=stamp + 299)
    assert not verify(secret, {**headers, "Shopdesk-Timestamp": str(stamp + 1)}, body)
    assert not verify(secret, {}, body)
    assert {d.status for d in deliveries(db)} == {DELIVERED}


def test_each_subscription_gets_only_the_events_it_chose(client, db, store, receiver):
    placed = subscribe(client, receiver.url("/placed"), ["sale.placed"])
    cancelled = subscribe(client, receiver.url("/cancelled"), ["sale.cancelled"])
    subscribe(client, receiver.url("/all"), ["*"])
    both = subscribe(client, receiver.url("/both"), ["sale.cancelled", "sale.placed"])
    paused = subscribe(client, receiver.url("/paused"), ["*"], active=False)
    assert paused["state"] == "paused"
    place(db, store, 1)
    place(db, store, 2, name="sale.cancelled")
    dispatch_due()
    got = sorted((r["path"], json.loads(r["body"])["type"]) for r in receiver.requests)
    assert got == [("/all", "sale.cancelled"), ("/all", "sale.placed"), ("/both", "sale.cancelled"),
                   ("/both", "sale.placed"), ("/cancelled", "sale.cancelled"), ("/placed", "sale.placed")]
    client.patch(f"/api/v1/webhooks/{placed['id']}", json={"events": ["sale.cancelled"]})
    client.delete(f"/api/v1/webhooks/{cancelled['id']}")
    client.patch(f"/api/v1/webhooks/{both['id']}", json={"active": False})
    receiver.requests.clear()
    place(db, store, 3, name="sale.cancelled")
    dispatch_due()
    assert sorted(r["path"] for r in receiver.requests) == ["/all", "/placed"]


def test_another_stores_events_never_reach_this_stores_webhooks(app, client, db, store, user, receiver):
    subscribe(client, receiver.url())
    other = create_store("other", "Other", owner=user)
    enable_plugin(app.extensions["shopdesk"], other, "sales")
    db.session.commit()
    place(db, other, 7)
    dispatch_due()
    assert receiver.requests == []


# --- failures: retries, backoff, disabling ------------------------------------------------------


def test_a_failing_receiver_is_retried_with_backoff_until_it_answers(app, client, db, store, receiver):
    made = subscribe(client, receiver.url())
    receiver.answers = [500, 503]
    app.config["SHOPDESK_EVENTS_RETRY_SECONDS"] = 60
    event = place(db, store, 1)
    dispatch_due()
    [delivery] = deliveries(db)
    assert (delivery.status, delivery.attempts) == (FAILED, 1) and "HTTP 500" in delivery.last_error
    assert utcnow() + timedelta(seconds=50) < delivery.next_attempt_at < utcnow() + timedelta(seconds=61)
    assert dispatch_due() == 0  # not due for a minute
    make_due(db)
    dispatch_due()
    [delivery] = deliveries(db)
    assert (delivery.status, delivery.attempts) == (FAILED, 2)  # the delay doubles
    assert utcnow() + timedelta(seconds=110) < delivery.next_attempt_at < utcnow() + timedelta(seconds=121)
    assert subscription(db, made["id"]).consecutive_failures == 2
    make_due(db)
    dispatch_due()
    [delivery] = deliveries(db)
    assert (delivery.status, delivery.attempts) == (DELIVERED, 3)
    assert [b["id"] for b in receiver.bodies()] == [event.id] * 3  # the same event each time
    assert [a.response_status for a in attempts(db)] == [500, 503, 200]
    assert subscription(db, made["id"]).consecutive_failures == 0  # a success clears the count


def test_a_receiver_that_is_down_then_comes_back_gets_the_event(app, client, db, store, receiver):
    port = receiver.port
    made = subscribe(client, receiver.url())
    receiver.stop()  # nothing listens on the port now
    app.config["SHOPDESK_EVENTS_RETRY_SECONDS"] = 0.05
    event = place(db, store, 1)
    deadline = time.monotonic() + 20
    while len(attempts(db)) < 3 and time.monotonic() < deadline:
        dispatch_due()
        time.sleep(0.02)
    failed = attempts(db)
    assert len(failed) >= 3 and not any(a.success for a in failed)
    assert all(a.response_status is None and "Connection refused" in a.error for a in failed)
    assert all(a.latency_ms is not None and a.latency_ms >= 0 for a in failed)
    assert subscription(db, made["id"]).consecutive_failures == len(failed)

    back = receiver.start(port)  # the receiver is up again, on the same address
    while not back.requests and time.monotonic() < deadline:
        dispatch_due()
        time.sleep(0.02)
    assert [b["id"] for b in back.bodies()] == [event.id]
    [delivery] = deliveries(db)
    assert delivery.status == DELIVERED and delivery.attempts == len(failed) + 1
    assert attempts(db)[-1].success and subscription(db, made["id"]).consecutive_failures == 0


def test_timeouts_and_redirects_are_failures(app, client, db, store, receiver):
    subscribe(client, receiver.url())
    app.config["SHOPDESK_EVENTS_RETRY_SECONDS"] = 60
    app.config["SHOPDESK_WEBHOOK_TIMEOUT_SECONDS"] = 0.2
    receiver.delay = 1
    place(db, store, 1)
    dispatch_due()
    receiver.delay = 0
    receiver.answers = [302]
    make_due(db)
    dispatch_due()
    slow, moved = attempts(db)
    assert "timed out" in slow.error and slow.response_status is None
    assert moved.response_status == 302 and moved.error == "HTTP 302 (redirects are not followed)"
    assert not moved.success and deliveries(db)[0].status == FAILED


def test_after_n_failures_in_a_row_the_subscription_is_disabled_with_a_notice(app, client, db, store, receiver):
    app.config["SHOPDESK_WEBHOOK_MAX_FAILURES"] = 3
    receiver.status = 500
    made = subscribe(client, receiver.url())
    healthy = Receiver()
    try:
        other = subscribe(client, healthy.url())
        for number in range(1, 5):
            place(db, store, number)
        for _ in range(10):
            dispatch_due()
        sub = subscription(db, made["id"])
        assert (sub.active, sub.state, sub.consecutive_failures) == (False, "disabled", 3)
        reason = sub.disabled_reason
        assert "3 consecutive failed deliveries; the last: HTTP 500" in reason
        assert len(receiver.requests) == 3  # nothing more was sent once disabled
        mine = [d for d in deliveries(db) if d.target == f"webhook:{made['id']}"]
        assert {d.status for d in mine} == {SKIPPED}  # the waiting ones are skipped
        assert len(healthy.requests) == 4 and subscription(db, other["id"]).active  # the other one is unaffected
        entry = db.session.scalars(sa.select(AuditEntry).filter_by(action="webhook.disabled")).one()
        assert entry.actor == "shopdesk:webhooks" and entry.object_id == str(made["id"])
        assert entry.after["automatic"] is True and "HTTP 500" in entry.after["reason"]

        place(db, store, 5)  # a new event is not even queued for it
        assert [d.target for d in deliveries(db)][-1] == f"webhook:{other['id']}"

        listed = client.get(f"/api/v1/webhooks/{made['id']}").json
        assert listed["state"] == "disabled" and listed["disabled_reason"] == reason
        assert [w["id"] for w in client.get("/api/v1/webhooks?state=disabled").json] == [made["id"]]
        page = client.get("/s/acme/webhooks").get_data(as_text=True)
        notice = re.search(rf'<div class="alert[^"]*webhook-disabled-notice" id="notice-{made["id"]}">(.*?)</div>',
                           page, re.S).group(1)
        assert "Webhook disabled" in notice and receiver.url() in notice and "HTTP 500" in notice
        dashboard = client.get("/s/acme/").get_data(as_text=True)
        assert re.search(r'>Webhooks <span class="badge bg-danger" id="webhooks-disabled-badge"[^>]*>1</span>',
                         dashboard)

        receiver.status = 200  # fixed: enable it again from the notice
        client.post("/s/acme/webhooks", data={"action": "enable", "webhook_id": made["id"]})
        sub = subscription(db, made["id"])
        assert (sub.active, sub.consecutive_failures, sub.disabled_reason, sub.disabled_at) == (True, 0, None, None)
        assert "webhooks-disabled-badge" not in client.get("/s/acme/").get_data(as_text=True)
        assert "webhook-disabled-notice" not in client.get("/s/acme/webhooks").get_data(as_text=True)
        place(db, store, 6)
        dispatch_due()
        assert receiver.bodies()[-1]["data"]["number"] == 6
        assert audit_actions(db) == ["webhook.created", "webhook.created", "webhook.disabled", "webhook.enabled"]
    finally:
        healthy.stop()


# --- the delivery log and re-sending -----------------------------------------------------------


def test_the_delivery_log_shows_request_answer_and_latency(app, client, db, store, receiver):
    made = subscribe(client, receiver.url())
    receiver.answers = [500]
    event = place(db, store, 1)
    dispatch_due()
    make_due(db)
    dispatch_due()
    log = client.get(f"/api/v1/webhooks/{made['id']}/attempts")
    assert log.status_code == 200 and json.loads(log.headers["X-Pagination"])["total"] == 2
    ok, failed = log.json  # newest first
    assert (ok["response_status"], ok["success"], ok["error"]) == (200, True, None)
    assert (failed["response_status"], failed["success"], failed["error"]) == (500, False, "HTTP 500")
    assert failed["response_body"] == '{"received": false}'
    for attempt, sent in zip((failed, ok), receiver.requests):
        assert attempt["request_body"] == sent["body"].decode()
        assert attempt["request_headers"]["Shopdesk-Signature"] == sent["headers"]["Shopdesk-Signature"]
        assert attempt["event_id"] == event.id and attempt["event_name"] == "sale.placed"
        assert isinstance(attempt["latency_ms"], int) and 0 <= attempt["latency_ms"] < 5000
        assert attempt["url"] == receiver.url() and attempt["resend"] is False
    assert [a["id"] for a in client.get(f"/api/v1/webhooks/{made['id']}/attempts?success=false").json] == [failed["id"]]
    assert [a["id"] for a in client.get(f"/api/v1/webhooks/{made['id']}/attempts?status=200").json] == [ok["id"]]
    assert client.get(f"/api/v1/webhooks/{made['id']}/attempts?event=sale.cancelled").json == []
    assert len(client.get(f"/api/v1/webhooks/{made['id']}/attempts?page_size=1&page=2").json) == 1
    assert client.get(f"/api/v1/webhooks/{made['id']}/attempts?status=abc").status_code == 422

    page = client.get(f"/s/acme/webhooks/{made['id']}").get_data(as_text=True)
    assert "2 attempts, newest first." in page and ok["request_headers"]["Shopdesk-Signature"] in page
    assert re.search(r'<span class="badge bg-danger">500</span>', page) and " ms" in page
    recent = client.get("/s/acme/webhooks").get_data(as_text=True)
    assert f'id="attempt-{ok["id"]}"' in recent and f'id="attempt-{failed["id"]}"' in recent


def test_attempts_older_than_the_keep_days_are_pruned_every_night(app, client, db, store, receiver):
    made = subscribe(client, receiver.url())
    place(db, store, 1)
    place(db, store, 2)
    dispatch_due()
    old, recent = attempts(db)
    old.attempted_at = utcnow() - timedelta(days=31)
    db.session.commit()
    run_job("shopdesk.prune_webhook_attempts", "shopdesk")
    assert [a.id for a in attempts(db)] == [recent.id]
    assert client.get(f"/api/v1/webhooks/{made['id']}").json["active"] is True


def test_an_event_can_be_sent_again(app, client, db, store, receiver):
    made = subscribe(client, receiver.url())
    event = place(db, store, 1)
    dispatch_due()
    [first] = client.get(f"/api/v1/webhooks/{made['id']}/attempts").json
    resent = client.post(f"/api/v1/webhooks/{made['id']}/attempts/{first['id']}/resend")
    assert resent.status_code == 202
    assert resent.json == {"delivery_id": resent.json["delivery_id"], "target": f"webhook:{made['id']}#resend-1",
                           "event_id": event.id, "status": "pending"}
    again = client.post(f"/api/v1/webhooks/{made['id']}/attempts/{first['id']}/resend",
                        headers={"Idempotency-Key": "resend-once"})
    replay = client.post(f"/api/v1/webhooks/{made['id']}/attempts/{first['id']}/resend",
                         headers={"Idempotency-Key": "resend-once"})
    assert again.json["target"].endswith("#resend-2") and replay.json == again.json
    dispatch_due()
    assert [b["id"] for b in receiver.bodies()] == [event.id] * 3
    verify = documented_verify()
    assert all(verify(made["secret"], r["headers"], r["body"]) for r in receiver.requests)
    log = client.get(f"/api/v1/webhooks/{made['id']}/attempts?sort=id").json
    assert [a["resend"] for a in log] == [False, True, True]
    assert audit_actions(db) == ["webhook.created", "webhook.resent", "webhook.resent"]

    page = client.post("/s/acme/webhooks", data={"action": "resend", "attempt_id": first["id"]}, follow_redirects=True)
    assert "Re-send of sale.placed queued" in page.get_data(as_text=True)
    dispatch_due()
    assert len(receiver.requests) == 4

    client.patch(f"/api/v1/webhooks/{made['id']}", json={"active": False})
    refused = client.post(f"/api/v1/webhooks/{made['id']}/attempts/{first['id']}/resend")
    assert refused.status_code == 409 and "enable it first" in refused.json["message"]
    assert client.patch(f"/api/v1/webhooks/{made['id']}", json={"active": True}).json["state"] == "active"
    assert client.post(f"/api/v1/webhooks/{made['id']}/attempts/{first['id']}/resend").status_code == 202
    assert client.post(f"/api/v1/webhooks/{made['id']}/attempts/999999/resend").status_code == 404


# --- managing ----------------------------------------------------------------------------------


def test_rotating_the_secret_shows_the_new_one_once_and_signs_with_it(client, db, store, receiver):
    made = subscribe(client, receiver.url())
    rotated = client.post(f"/api/v1/webhooks/{made['id']}/rotate-secret")
    assert rotated.status_code == 200 and rotated.json["secret"] != made["secret"]
    place(db, store, 1)
    dispatch_due()
    [request] = receiver.requests
    verify = documented_verify()
    assert verify(rotated.json["secret"], request["headers"], request["body"])
    assert not verify(made["secret"], request["headers"], request["body"])
    assert audit_actions(db) == ["webhook.created", "webhook.secret_rotated"]


def test_changes_and_deletion_are_audited_and_stop_deliveries(client, db, store, receiver):
    made = subscribe(client, receiver.url())
    changed = client.patch(f"/api/v1/webhooks/{made['id']}", json={"url": receiver.url("/v2"), "description": "v2"})
    assert changed.status_code == 200 and changed.json["url"] == receiver.url("/v2")
    entry = db.session.scalars(sa.select(AuditEntry).filter_by(action="webhook.updated")).one()
    assert entry.before == {"url": receiver.url(), "description": ""}
    assert entry.after == {"url": receiver.url("/v2"), "description": "v2"}
    place(db, store, 1)
    dispatch_due()
    assert [r["path"] for r in receiver.requests] == ["/v2"] and len(attempts(db)) == 1
    place(db, store, 2)  # queued for it, then it is deleted
    assert client.delete(f"/api/v1/webhooks/{made['id']}").status_code == 204
    assert client.get(f"/api/v1/webhooks/{made['id']}").status_code == 404
    dispatch_due()
    assert len(receiver.requests) == 1 and deliveries(db)[-1].status == SKIPPED
    assert attempts(db) == []  # its log went with it
    assert audit_actions(db) == ["webhook.created", "webhook.updated", "webhook.deleted"]
    assert client.patch(f"/api/v1/webhooks/{made['id']}", json={}).status_code == 404


def test_the_page_creates_a_webhook_and_shows_its_secret_once(client, db, store, receiver):
    bad = client.post("/s/acme/webhooks", data={"action": "create", "url": "ftp://x", "events": ["sale.placed"]})
    assert bad.status_code == 400
    html = bad.get_data(as_text=True)
    assert "Must start with https:// or http://." in html and 'value="ftp://x"' in html
    none = client.post("/s/acme/webhooks", data={"action": "create", "url": receiver.url()})
    assert none.status_code == 400 and "Name at least one event" in none.get_data(as_text=True)

    made = client.post("/s/acme/webhooks", data={"action": "create", "url": receiver.url(), "events": ["sale.placed"],
                                                 "description": "ERP"})
    assert made.status_code == 200
    secret = re.search(r'id="new-secret">(whsec_[^<]+)</code>', made.get_data(as_text=True))
    sub = db.session.scalars(sa.select(WebhookSubscription).execution_options(all_stores=True)).one()
    sub_id, shown = sub.id, sub.secret
    assert secret and secret.group(1) == shown
    later = client.get("/s/acme/webhooks").get_data(as_text=True)
    assert shown not in later and receiver.url() in later and "ERP" in later

    rotated = client.post("/s/acme/webhooks", data={"action": "rotate", "webhook_id": sub_id}).get_data(as_text=True)
    assert "the old one no longer signs anything" in rotated and shown not in rotated
    assert re.search(r'id="new-secret">whsec_', rotated)
    client.post("/s/acme/webhooks", data={"action": "pause", "webhook_id": sub_id})
    assert subscription(db, sub_id).state == "paused"
    client.post("/s/acme/webhooks", data={"action": "delete", "webhook_id": sub_id})
    assert subscription(db, sub_id) is None
    assert client.post("/s/acme/webhooks", data={"action": "pause", "webhook_id": "abc"}).status_code == 400
    for too_big in ("2147483648", "99999999999999999999"):  # past what the id columns hold: not found
        assert client.post("/s/acme/webhooks", data={"action": "pause", "webhook_id": too_big}).status_code == 404
        assert client.post("/s/acme/webhooks", data={"action": "resend", "attempt_id": too_big}).status_code == 404


def test_only_holders_of_webhooks_manage_see_them(app, db, store, user, token_for):
    clerk = create_user("clerk@example.com", "clerk password 1")
    boss = create_user("boss@example.com", "boss password 1")
    add_member(store, clerk, "operator")
    add_member(store, boss, "manager")
    db.session.commit()
    as_clerk, as_boss = app.test_client(user=clerk), app.test_client(user=boss)
    assert as_clerk.get("/s/acme/webhooks").status_code == 403
    assert as_clerk.get("/api/v1/webhooks", headers={"Shopdesk-Store": "acme"}).status_code == 403
    assert ">Webhooks<" not in as_clerk.get("/s/acme/").get_data(as_text=True)
    assert as_boss.get("/s/acme/webhooks").status_code == 200
    assert ">Webhooks</a>" in as_boss.get("/s/acme/").get_data(as_text=True)
    narrow = token_for(user, store, ["store.view"])
    assert app.test_client().get("/api/v1/webhooks", headers={"Authorization": f"Bearer {narrow}"}).status_code == 403


def test_store_a_cannot_see_or_touch_store_b_webhooks(app, db, store, user, token_for, receiver):
    other_owner = create_user("b@example.com", "password of b!")
    other = create_store("b", "Store B", owner=other_owner)
    enable_plugin(app.extensions["shopdesk"], other, "sales")
    db.session.commit()
    as_a = {"Authorization": f"Bearer {token_for(user, store)}"}
    as_b = {"Authorization": f"Bearer {token_for(other_owner, other)}"}
    web = app.test_client()
    theirs = web.post("/api/v1/webhooks", headers=as_b, json={"url": receiver.url(), "events": ["*"]}).json
    place(db, other, 1)
    dispatch_due()
    [attempt] = web.get(f"/api/v1/webhooks/{theirs['id']}/attempts", headers=as_b).json
    base = f"/api/v1/webhooks/{theirs['id']}"
    for method, url in [("GET", base), ("PATCH", base), ("DELETE", base), ("POST", f"{base}/rotate-secret"),
                        ("GET", f"{base}/attempts"), ("POST", f"{base}/attempts/{attempt['id']}/resend")]:
        answer = web.open(url, method=method, headers=as_a, json={} if method == "PATCH" else None)
        assert answer.status_code == 404, url
    assert web.get("/api/v1/webhooks", headers=as_a).json == []
    mine = web.post("/api/v1/webhooks", headers=as_a, json={"url": receiver.url("/a"), "events": ["*"]}).json
    # B's attempt under A's own subscription is not found either
    assert web.post(f"/api/v1/webhooks/{mine['id']}/attempts/{attempt['id']}/resend", headers=as_a).status_code == 404
    as_user = app.test_client(user=user)
    assert as_user.get(f"/s/acme/webhooks/{theirs['id']}").status_code == 404
    assert as_user.post("/s/acme/webhooks", data={"action": "delete", "webhook_id": theirs["id"]}).status_code == 404
    assert as_user.post("/s/acme/webhooks", data={"action": "resend", "attempt_id": attempt["id"]}).status_code == 404
    assert receiver.url() not in as_user.get("/s/acme/webhooks").get_data(as_text=True)
    assert web.get(base, headers=as_b).json["state"] == "active"


def test_the_dispatcher_thread_sends_webhooks_after_commit(make_app, db, user, receiver):
    """The default set-up: no manual dispatch, the commit wakes the background dispatcher."""
    from shopdesk.events import dispatcher_for
    from shopdesk.webhooks import create_subscription

    live = make_app(SHOPDESK_EVENTS_DISPATCH="thread", SHOPDESK_WEBHOOK_ALLOW_PRIVATE_ADDRESSES=True)
    with live.app_context():
        store = create_store("live", "Live", owner=user)
        enable_plugin(live.extensions["shopdesk"], store, "sales")
        with use_store(store):
            create_subscription(receiver.url(), ["*"])
        db.session.commit()
        place(db, store, 7)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not (deliveries(db) and deliveries(db)[0].status == DELIVERED):
            db.session.rollback()
            time.sleep(0.05)
        assert [b["data"]["number"] for b in receiver.bodies()] == [7]
        assert [(a.success, a.response_status) for a in attempts(db)] == [(True, 200)]
        while time.monotonic() < deadline and not dispatcher_for(live).idle():
            time.sleep(0.05)
        db.session.rollback()
