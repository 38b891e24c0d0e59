"""Webhooks: a store's subscriptions of HTTP(S) URLs to events, signed, retried, logged.

A subscription is one more kind of event target (``webhook:<id>``), so it gets what every
target gets from :mod:`shopdesk.events`: a delivery row written with the event, retries with
exponential backoff, per-key ordering and a claim that keeps two dispatchers from sending
one delivery twice. This module adds what is particular to HTTP:

* the request: JSON ``{"id", "type", "version", "occurred_at", "store", "data"}`` POSTed
  with ``Shopdesk-Timestamp`` and ``Shopdesk-Signature: v1=<hex HMAC-SHA256 of
  "<timestamp>.<body>">`` under the subscription's secret (docs/webhooks.md shows how a
  receiver checks it). Each attempt is signed when it is sent, so a retry carries a fresh
  timestamp and the same ``Shopdesk-Event-Id``;
* the delivery log (:class:`WebhookAttempt`): request, response status and body, latency,
  error. It is written in a short transaction of its own (a nested app context has its own
  session and connection), because the delivery's transaction rolls back when it fails;
* automatic disabling after ``SHOPDESK_WEBHOOK_MAX_FAILURES`` consecutive failures, audited,
  with a notice in the UI; the subscription's waiting deliveries are then skipped;
* manual re-send of a logged event, as a new delivery (target ``webhook:<id>#resend-<n>``).

Secrets are generated here, shown once (on creation and on rotation) and kept encrypted
with the instance's settings key, like plugins' secret settings.

A store admin chooses the URLs and can read the responses in the log, so by default a URL
must not lead to a loopback, private, link-local or otherwise non-public address (checked
on every attempt, on the address actually connected to); ``SHOPDESK_WEBHOOK_ALLOW_PRIVATE_ADDRESSES``
lifts that for development and for receivers on a private network.
"""

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import secrets
import socket
import ssl
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import sqlalchemy as sa
from cryptography.fernet import InvalidToken
from flask import current_app
from marshmallow import ValidationError
from sqlalchemy.orm import Mapped, mapped_column

from . import __version__, audit, events
from . import settings as plugin_settings
from .db import StoreScoped, Timestamps, UTCDateTime, db, lock_row, utcnow
from .i18n import N_
from .scheduler import HOST_JOBS, Job
from .security import setting

log = logging.getLogger(__name__)

KIND = "webhook"
ALL_EVENTS = "*"
SECRET_PREFIX = "whsec_"
SYSTEM_ACTOR = "shopdesk:webhooks"  # who disables a failing subscription, in the audit log
MAX_URL_LENGTH = 2000
RESPONSE_BODY_KEPT = 2000  # characters of the receiver's answer kept in the log
RESPONSE_BODY_READ = 64 * 1024  # bytes read at most, so a chatty receiver cannot hold us
USER_AGENT = f"Shopdesk-Webhooks/{__version__}"


class WebhookSubscription(StoreScoped, Timestamps, db.Model):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(sa.String(MAX_URL_LENGTH))
    description: Mapped[str] = mapped_column(sa.String(200), default="")
    events: Mapped[list] = mapped_column(sa.JSON, default=list)  # names, or ["*"]
    secret_encrypted: Mapped[str] = mapped_column(sa.Text)
    active: Mapped[bool] = mapped_column(default=True)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(500))  # set when disabled automatically
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def target(self) -> str:
        return f"{KIND}:{self.id}"

    @property
    def state(self) -> str:
        """active, paused (by a person) or disabled (after too many failures)."""
        if self.active:
            return "active"
        return "disabled" if self.disabled_at is not None else "paused"

    @property
    def secret(self) -> str:
        try:
            return plugin_settings._fernet().decrypt(self.secret_encrypted.encode()).decode()
        except InvalidToken:
            raise ValueError(f"webhook {self.id}: its secret cannot be decrypted: the instance key changed") from None

    @secret.setter
    def secret(self, value: str):
        self.secret_encrypted = plugin_settings._fernet().encrypt(value.encode()).decode()


class WebhookAttempt(StoreScoped, db.Model):
    """One HTTP request to a subscription, as sent, and what came back."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (sa.Index("ix_webhook_attempts_subscription", "subscription_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)  # routed (re-send), so in the INTEGER range of route ids
    subscription_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    delivery_id: Mapped[int | None] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"))
    event_id: Mapped[str] = mapped_column(sa.String(36))
    event_name: Mapped[str] = mapped_column(sa.String(100))
    resend: Mapped[bool] = mapped_column(default=False)
    url: Mapped[str] = mapped_column(sa.String(MAX_URL_LENGTH))
    request_headers: Mapped[dict] = mapped_column(sa.JSON)
    request_body: Mapped[str] = mapped_column(sa.Text)
    response_status: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    latency_ms: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(sa.Text)
    success: Mapped[bool] = mapped_column(default=False)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class WebhookError(ValueError):
    """A request the rules refuse; ``field`` names the input at fault, ``status`` the HTTP answer."""

    def __init__(self, message, field=None, status=422):
        super().__init__(message)
        self.field, self.status = field, status


# --- configuration ----------------------------------------------------------------------------


def _config(key, default, convert):
    value = setting(current_app, key, default)
    try:
        return convert(value)
    except (TypeError, ValueError):
        log.warning("%s=%r is not valid; using %r", key, value, default)
        return default


def _flag(value) -> bool:
    return value if isinstance(value, bool) else str(value).strip().lower() in ("1", "true", "yes", "on")


def timeout_seconds() -> float:
    return _config("SHOPDESK_WEBHOOK_TIMEOUT_SECONDS", 10, float)


def max_failures() -> int:
    return max(1, _config("SHOPDESK_WEBHOOK_MAX_FAILURES", 10, int))


def private_addresses_allowed() -> bool:
    return _config("SHOPDESK_WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False, _flag)


def attempts_keep_days() -> int:
    return max(1, _config("SHOPDESK_WEBHOOK_ATTEMPTS_KEEP_DAYS", 30, int))


# --- validation (marshmallow validators: the message lands under the field's name) -------------


# Names every resolver maps to the machine itself, whatever DNS says (RFC 6761 for *.localhost;
# the others are in the /etc/hosts of common distributions).
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "localhost6", "localhost6.localdomain6",
                         "ip6-localhost", "ip6-loopback"})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries to (mapped, 6to4, NAT64, IPv4-compatible), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _effective(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """The address a connection to ``address`` reaches: an IPv6 one's embedded IPv4, if any."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        return _embedded_ipv4(ip) or ip
    return ip


def _public(address: str) -> bool:
    ip = _effective(address)
    return ip.is_global and not ip.is_multicast


def _literal_address(host: str) -> str | None:
    """The address ``host`` is written as, read the way the C resolver reads it, or None for a name.

    ``inet_aton`` takes what ``getaddrinfo`` takes and ``ipaddress`` does not: a decimal
    (2130706433), hex (0x7f000001), octal (0177.0.0.1) or short (127.1) IPv4 address.
    """
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return host
    except ValueError:
        pass
    try:
        return socket.inet_ntoa(socket.inet_aton(host))
    except (OSError, UnicodeError, ValueError):
        return None


def local_host(host: str) -> str | None:
    """Why ``host`` (a URL's host name) is not a public receiver, or None if it may be one.

    A name is only refused here when it always means this machine; any other name is
    checked when it is resolved, on every attempt (:func:`_address_for`)."""
    host = host.lower().rstrip(".")
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return f"{host} is a local or private address (this machine)"
    address = _literal_address(host)
    if address is None or _public(address):
        return None
    reached = str(_effective(address))
    return f"{host} is a local or private address" + (f" ({reached})" if reached != host else "")


def check_url(url: str) -> None:
    """http or https, a host, no credentials; not a private address unless allowed."""
    if len(url) > MAX_URL_LENGTH:
        raise ValidationError(f"Longer than {MAX_URL_LENGTH} characters.")
    if url != url.strip() or any(c.isspace() for c in url):
        raise ValidationError("Must not contain spaces.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises on a port that is not a number in range
    except ValueError as exc:
        raise ValidationError(f"Not a valid URL: {exc}.") from None
    if parts.scheme not in ("http", "https"):
        raise ValidationError("Must start with https:// or http://.")
    if not parts.hostname or not parts.hostname.strip("."):
        raise ValidationError("Must name a host.")
    if parts.username is not None or parts.password is not None:
        raise ValidationError("Must not contain a user name or password: the receiver checks the signature.")
    if not private_addresses_allowed():
        reason = local_host(parts.hostname)
        if reason:
            raise ValidationError(f"{reason}: webhooks go to public addresses only "
                                  "(SHOPDESK_WEBHOOK_ALLOW_PRIVATE_ADDRESSES allows others).")


def check_events(names: list[str]) -> None:
    """``["*"]`` for every event, else declared event types, each once."""
    if not names:
        raise ValidationError("Name at least one event, or * for all.")
    if ALL_EVENTS in names:
        if len(names) > 1:
            raise ValidationError("* already means every event: name it alone.")
        return
    declared = events.event_types(current_app.extensions["shopdesk"])
    unknown = sorted({n for n in names if n not in declared})
    if unknown:
        raise ValidationError(f"Unknown event type(s): {', '.join(unknown)}. "
                              f"Declared: {', '.join(sorted(declared)) or 'none'}.")
    if len(set(names)) != len(names):
        raise ValidationError("An event is named twice.")


# --- managing subscriptions (callers validated the input with the checks above) ---------------


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _public_fields(sub) -> dict:
    """What the audit log may keep about a subscription: never its secret."""
    return {"url": sub.url, "events": list(sub.events), "description": sub.description, "active": sub.active}


def create_subscription(url: str, event_names: list[str], description: str = "", active: bool = True):
    """A new subscription of the current store; returns it and its secret (shown once)."""
    secret = new_secret()
    sub = WebhookSubscription(url=url, events=list(event_names), description=description or "", active=active)
    sub.secret = secret
    db.session.add(sub)
    db.session.flush()
    audit.record("webhook.created", object_type="webhook", object_id=sub.id, after=_public_fields(sub))
    return sub, secret


def update_subscription(sub, changes: dict):
    """Change url, events or description (audited); ``active`` goes to enable/disable."""
    changes = {k: v for k, v in changes.items() if k in ("url", "events", "description") and getattr(sub, k) != v}
    if changes:
        before = {k: getattr(sub, k) for k in changes}
        for key, value in changes.items():
            setattr(sub, key, list(value) if key == "events" else value)
        audit.record("webhook.updated", object_type="webhook", object_id=sub.id, before=before, after=changes)
    return sub


def enable_subscription(sub):
    """Active again, failure count cleared; new events reach it from now on."""
    if sub.active:
        return sub
    before = {"active": False, "disabled_reason": sub.disabled_reason, "consecutive_failures": sub.consecutive_failures}
    sub.active, sub.consecutive_failures, sub.disabled_reason, sub.disabled_at = True, 0, None, None
    audit.record("webhook.enabled", object_type="webhook", object_id=sub.id, before=before, after={"active": True})
    return sub


def disable_subscription(sub, reason: str | None = None, *, actor=None):
    """Stop sending (a person pausing it, or ``reason`` when disabled automatically)."""
    if not sub.active:
        return sub
    sub.active = False
    if reason is not None:
        sub.disabled_reason, sub.disabled_at = reason[:500], utcnow()
    audit.record("webhook.disabled", object_type="webhook", object_id=sub.id, actor=actor,
                 before={"active": True},
                 after={"active": False, "automatic": reason is not None, "reason": reason,
                        "consecutive_failures": sub.consecutive_failures})
    return sub


def rotate_secret(sub) -> str:
    """A new secret at once (the old one stops working); returns it, shown once."""
    secret = new_secret()
    sub.secret = secret
    sub.updated_at = utcnow()
    audit.record("webhook.secret_rotated", object_type="webhook", object_id=sub.id)
    return secret


def delete_subscription(sub):
    """Gone with its log; deliveries still waiting for it are skipped."""
    audit.record("webhook.deleted", object_type="webhook", object_id=sub.id, before=_public_fields(sub))
    db.session.delete(sub)


def resend(attempt: WebhookAttempt) -> events.Delivery:
    """Deliver the event of ``attempt`` to its subscription again, now, as a new delivery.

    The original delivery keeps its own history; the new one has its own target
    (``webhook:<id>#resend-<n>``, so the (event, target) pair stays unique) and no key, so it
    neither waits behind nor holds up the subscription's other deliveries. It is retried
    like any delivery if it fails.
    """
    sub = db.session.get(WebhookSubscription, attempt.subscription_id)
    if sub is None:
        raise WebhookError("the subscription no longer exists", status=404)
    if not sub.active:
        raise WebhookError(f"webhook {sub.id} is {sub.state}: enable it first", field="webhook", status=409)
    outbox = db.session.scalar(sa.select(events.OutboxEvent).filter_by(event_id=attempt.event_id))
    if outbox is None:
        raise WebhookError("this event is no longer kept", status=409)
    lock_row(WebhookSubscription, sub.id)  # one re-send number per request, across processes
    prefix = f"{sub.target}#resend-"
    taken = db.session.scalar(sa.select(sa.func.count()).select_from(events.Delivery).where(
        events.Delivery.event_pk == outbox.id, events.Delivery.target.startswith(prefix)))
    delivery = events.Delivery(event_pk=outbox.id, target=f"{prefix}{taken + 1}", key=None, store_id=sub.store_id,
                               next_attempt_at=utcnow())
    db.session.add(delivery)
    db.session.flush()
    audit.record("webhook.resent", object_type="webhook", object_id=sub.id,
                 after={"event_id": outbox.event_id, "event": outbox.name, "delivery_id": delivery.id})
    return delivery


def wake_dispatcher():
    """After the commit of a re-send: deliver it now rather than at the retry job's next run."""
    events.dispatcher_for(current_app._get_current_object()).wake()


def demo_subscription(store):
    """The demo store's example: an inactive subscription to every event (never sent)."""
    from .stores import use_store

    with use_store(store):
        sub = WebhookSubscription(url="https://receiver.example.com/shopdesk/webhooks", events=[ALL_EVENTS],
                                  description="Example receiver: edit the URL, then enable it", active=False)
        sub.secret = new_secret()
        db.session.add(sub)
        db.session.flush()
    return sub


# --- signing and sending ----------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=`` + hex HMAC-SHA256 of ``"<timestamp>.<body>"`` under the secret (its UTF-8 bytes)."""
    return "v1=" + hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def payload_of(event: events.Event, store_slug: str) -> bytes:
    return json.dumps({
        "id": event.id, "type": event.name, "version": event.version,
        "occurred_at": event.occurred_at.astimezone(timezone.utc).isoformat(), "store": store_slug,
        "data": event.payload,
    }, separators=(",", ":"), ensure_ascii=False).encode()


def signed_headers(secret: str, event: events.Event, body: bytes, timestamp: int | None = None) -> dict:
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Shopdesk-Event-Id": event.id,
        "Shopdesk-Event": event.name,
        "Shopdesk-Timestamp": str(timestamp),
        "Shopdesk-Signature": sign(secret, timestamp, body),
    }


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, not to whatever the name resolves to next."""

    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class DeliveryFailed(RuntimeError):
    pass


def _address_for(host: str, port: int) -> str:
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [info[4][0] for info in found]
    if not addresses:
        raise DeliveryFailed(f"{host} has no address")
    if not private_addresses_allowed():
        private = [a for a in addresses if not _public(a)]
        if private:
            raise DeliveryFailed(f"refused: {host} resolves to the non-public address {private[0]} "
                                 "(SHOPDESK_WEBHOOK_ALLOW_PRIVATE_ADDRESSES allows it)")
    return addresses[0]


def post(url: str, body: bytes, headers: dict, timeout: float) -> tuple[int, bytes]:
    """POST ``body``; returns (status, the first bytes of the answer). Redirects are not followed."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    address = _address_for(parts.hostname, port)
    connection = (_PinnedHTTPSConnection if https else _PinnedHTTPConnection)(parts.hostname, port, address, timeout)
    try:
        connection.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body=body,
                           headers=headers)
        response = connection.getresponse()
        return response.status, response.read(RESPONSE_BODY_READ)
    finally:
        connection.close()


# --- the "webhook" target kind ----------------------------------------------------------------


def _subscription_id(target: str) -> int:
    return int(target.split(":", 1)[1].split("#", 1)[0])


def _targets(store, name):
    rows = db.session.execute(sa.select(WebhookSubscription.id, WebhookSubscription.events).where(
        WebhookSubscription.store_id == store.id, WebhookSubscription.active.is_(True))
        .order_by(WebhookSubscription.id)).all()
    return [f"{KIND}:{sub_id}" for sub_id, names in rows if ALL_EVENTS in names or name in names]


def _deliver(delivery, event):
    """Send one delivery; log the attempt (committed whatever happens); raise on failure."""
    from .stores import Store

    sub = db.session.get(WebhookSubscription, _subscription_id(delivery.target))
    if sub is None or not sub.active:
        return events.SKIPPED  # deleted, paused or disabled since the event was emitted
    body = payload_of(event, db.session.get(Store, delivery.store_id).slug)
    headers = signed_headers(sub.secret, event, body)
    status, answer, error = None, None, None
    started = time.monotonic()
    try:
        status, raw = post(sub.url, body, headers, timeout_seconds())
        answer = raw.decode("utf-8", errors="replace")[:RESPONSE_BODY_KEPT]
        if not 200 <= status < 300:
            error = f"HTTP {status}" + (" (redirects are not followed)" if 300 <= status < 400 else "")
    except Exception as exc:  # refused, timed out, TLS, DNS...: all a failed attempt
        error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    latency = round((time.monotonic() - started) * 1000)
    _log_attempt(sub.id, delivery, event, headers, body, status, answer, latency, error)
    if error is not None:
        raise DeliveryFailed(f"{sub.url}: {error}")
    return None


def _log_attempt(sub_id, delivery, event, headers, body, status, answer, latency, error):
    """Write the attempt and the failure count in a transaction of their own: a nested app
    context has its own session, so this commits even though the delivery rolls back."""
    with current_app.app_context():
        try:
            lock_row(WebhookSubscription, sub_id)  # concurrent deliveries count one after another
            sub = db.session.get(WebhookSubscription, sub_id)
            db.session.add(WebhookAttempt(
                subscription_id=sub_id, delivery_id=delivery.id, event_id=event.id, event_name=event.name,
                resend="#" in delivery.target, url=sub.url, request_headers=headers,
                request_body=body.decode(), response_status=status, response_body=answer, latency_ms=latency,
                error=error, success=error is None, store_id=delivery.store_id))
            if error is None:
                sub.consecutive_failures = 0
            else:
                sub.consecutive_failures += 1
                limit = max_failures()
                if sub.active and sub.consecutive_failures >= limit:
                    disable_subscription(sub, f"{limit} consecutive failed deliveries; the last: {error}",
                                         actor=SYSTEM_ACTOR)
                    log.warning("webhook %s of store %s disabled after %d failures", sub_id, sub.store_id, limit)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("could not log the webhook attempt to subscription %s", sub_id)


events.TARGET_KINDS[KIND] = events.TargetKind(targets=_targets, deliver=_deliver)


def prune_attempts():
    """Host job: forget delivery attempts older than SHOPDESK_WEBHOOK_ATTEMPTS_KEEP_DAYS (30).

    Every attempt keeps its request and response bodies, so an active subscription would
    otherwise grow the table without end. Subscriptions and their state are untouched.
    """
    horizon = utcnow() - timedelta(days=attempts_keep_days())
    db.session.execute(sa.delete(WebhookAttempt).where(WebhookAttempt.attempted_at < horizon)
                       .execution_options(all_stores=True))


HOST_JOBS.append(Job("shopdesk.prune_webhook_attempts", prune_attempts, "cron", {"hour": 3, "minute": 27},
                     description=N_("Forget webhook delivery attempts older than "
                                    "SHOPDESK_WEBHOOK_ATTEMPTS_KEEP_DAYS (30) days.")))
