"""Domain events: a transactional outbox, then delivery to plugins and webhooks.

``emit(name, payload)`` validates the payload against the event type's schema (a bad one
fails at the call) and writes the event with one delivery row per target (each plugin
enabled in the store that implements ``handle_event``, each subscribed webhook) in the
caller's transaction: a rolled-back change emits nothing, a committed one cannot be lost.

After the commit a dispatcher thread delivers what is due; the retry job does the same for
failures (exponential backoff) and for anything a killed process left behind. A delivery is
claimed with one conditional UPDATE, so two dispatchers never run it twice. A plugin's
handler runs in the same transaction that marks its delivery done: its database effects
happen exactly once. Deliveries of one ``key`` (say ``order:42``) reach a target in the
order they were emitted.
"""

import logging
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import with_appcontext
from marshmallow import Schema
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, Session, mapped_column

from .db import StoreScoped, UTCDateTime, current_store_id, db, utcnow
from .scheduler import HOST_JOBS, Job

log = logging.getLogger(__name__)

PENDING, RUNNING, DELIVERED, FAILED, DEAD, SKIPPED = "pending", "running", "delivered", "failed", "dead", "skipped"
OPEN = (PENDING, RUNNING, FAILED)  # still to be delivered: later events of the same key wait


@dataclass(frozen=True)
class EventType:
    """An event a plugin declares in ``register_event_types``; past-tense name, versioned."""

    name: str
    version: int
    schema: type[Schema]
    description: str
    plugin: str | None = None


@dataclass(frozen=True)
class Event:
    """What a handler receives. ``id`` is stable across retries: use it to be idempotent."""

    id: str
    name: str
    version: int
    payload: dict
    store_id: int
    key: str | None
    occurred_at: datetime


class UnknownEvent(ValueError):
    pass


class OutboxEvent(StoreScoped, db.Model):
    __tablename__ = "outbox_events"

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(36), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100), index=True)
    version: Mapped[int]
    payload: Mapped[dict] = mapped_column(sa.JSON)
    key: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def as_event(self) -> Event:
        return Event(self.event_id, self.name, self.version, self.payload, self.store_id, self.key, self.created_at)


class Delivery(StoreScoped, db.Model):
    """One event to one target (``plugin:<name>`` or ``webhook:<id>``), with its attempts."""

    __tablename__ = "event_deliveries"
    __table_args__ = (sa.UniqueConstraint("event_pk", "target"),
                      sa.Index("ix_event_deliveries_due", "status", "next_attempt_at"),
                      sa.Index("ix_event_deliveries_order", "target", "key", "event_pk"))

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    event_pk: Mapped[int] = mapped_column(sa.ForeignKey("outbox_events.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(sa.String(100))
    key: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


# --- declaring and emitting ---------------------------------------------------------------


def event_types(registry) -> dict[str, EventType]:
    """Every declared event type by name (computed once per registry)."""
    cached = getattr(registry, "_event_types", None)
    if cached is None:
        cached = {}
        for result in registry.each("register_event_types"):
            for etype in result.value or []:
                cached.setdefault(etype.name, EventType(etype.name, etype.version, etype.schema,
                                                        etype.description, result.plugin))
        registry._event_types = cached
    return cached


@dataclass
class TargetKind:
    """Where events can go: ``targets(store, event_name)`` lists them at emit time, and
    ``deliver(delivery, event)`` sends one: it raises on failure and may return SKIPPED.

    ``atomic`` kinds deliver inside the transaction that claims the delivery (fast, database
    work: the claim, the work and "delivered" commit together). Others (network calls) claim
    with a lease and commit first, so no lock is held while they wait on the outside world.
    """

    targets: callable
    deliver: callable
    atomic: bool = False


TARGET_KINDS: dict[str, TargetKind] = {}


def emit(name: str, payload: dict, key: str | None = None) -> Event:
    """Record event ``name`` in the current store, in the current transaction."""
    return emit_many([(name, payload, key)])[0]


def emit_many(events, *, batch: int = 5000) -> list[Event]:
    """Record ``(name, payload, key)`` events in the current store and transaction, in order.

    What ``emit`` does for one event, for thousands (an import emitting one event a product):
    the targets are looked up once per event name and the rows written in batches. Every
    payload is still checked against its schema, and a bad one fails the call naming fields.
    """
    registry = current_app.extensions["shopdesk"]
    known = event_types(registry)
    store_id = current_store_id.get()
    if store_id is None:
        raise RuntimeError("emitting events needs a current store")
    from .stores import Store

    store = db.session.get(Store, store_id)
    types, targets = {}, {}
    now = utcnow()
    rows = []
    for name, payload, key in events:
        if name not in types:
            etype = known.get(name)
            if etype is None:
                raise UnknownEvent(f"unknown event type '{name}': declare it with register_event_types")
            types[name] = (_schema_instance(etype.schema), etype.version)
            targets[name] = [t for kind in TARGET_KINDS.values() for t in kind.targets(store, name)]
        schema, version = types[name]
        data = schema.dump(schema.load(payload))  # marshmallow's ValidationError names the fields
        rows.append({"event_id": str(uuid.uuid4()), "name": name, "version": version, "payload": data,
                     "key": key, "created_at": now, "store_id": store_id})
    conn = db.session.connection()
    outbox, deliveries = OutboxEvent.__table__, Delivery.__table__
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        ids = conn.execute(sa.insert(outbox).returning(outbox.c.id, sort_by_parameter_order=True),
                           chunk).scalars().all()
        wanted = [{"event_pk": pk, "target": target, "key": row["key"], "store_id": store_id,
                   "status": PENDING, "attempts": 0, "next_attempt_at": now}
                  for pk, row in zip(ids, chunk) for target in targets[row["name"]]]
        if wanted:
            conn.execute(sa.insert(deliveries), wanted)
            db.session.info["shopdesk_emitted"] = True  # wake the dispatcher only if it has work
    return [Event(r["event_id"], r["name"], r["version"], r["payload"], store_id, r["key"], now) for r in rows]


@lru_cache(maxsize=None)
def _schema_instance(schema_class):
    """One instance per payload schema: building one copies every field."""
    return schema_class()


@sa_event.listens_for(Session, "after_commit")
def _wake_dispatcher(session):
    if session.info.pop("shopdesk_emitted", None):
        try:
            app = current_app._get_current_object()
        except RuntimeError:
            return  # no app: the retry job will deliver
        dispatcher_for(app).wake()


@sa_event.listens_for(Session, "after_rollback")
def _forget_emitted(session):
    session.info.pop("shopdesk_emitted", None)


# --- delivering ---------------------------------------------------------------------------


def _backoff(attempts: int) -> timedelta:
    cfg = current_app.config
    base = cfg.get("SHOPDESK_EVENTS_RETRY_SECONDS", 10)
    return timedelta(seconds=min(base * 2 ** (attempts - 1), cfg.get("SHOPDESK_EVENTS_RETRY_MAX_SECONDS", 3600)))


def _due_candidates(now, limit):
    earlier = sa.orm.aliased(Delivery)
    blocked = (sa.select(earlier.id).where(earlier.target == Delivery.target, earlier.key == Delivery.key,
                                           earlier.event_pk < Delivery.event_pk, earlier.status.in_(OPEN))
               .exists())
    due = sa.or_(sa.and_(Delivery.status.in_((PENDING, FAILED)), Delivery.next_attempt_at <= now),
                 sa.and_(Delivery.status == RUNNING, Delivery.claimed_until < now))
    return db.session.execute(
        sa.select(Delivery.id, Delivery.target, Delivery.key).where(due, sa.or_(Delivery.key.is_(None), ~blocked))
        .order_by(Delivery.id).limit(limit).execution_options(all_stores=True)
    ).all()


def _claim(delivery_id, now, commit: bool) -> bool:
    """One conditional UPDATE: of two dispatchers only one gets the row."""
    lease = timedelta(seconds=current_app.config.get("SHOPDESK_EVENTS_CLAIM_SECONDS", 300))
    claimed = db.session.execute(
        sa.update(Delivery.__table__).where(
            Delivery.__table__.c.id == delivery_id,
            sa.or_(sa.and_(Delivery.__table__.c.status.in_((PENDING, FAILED)), Delivery.__table__.c.next_attempt_at <= now),
                   sa.and_(Delivery.__table__.c.status == RUNNING, Delivery.__table__.c.claimed_until < now)),
        ).values(status=RUNNING, claimed_until=now + lease)
    ).rowcount
    if commit or claimed != 1:
        db.session.commit()
    return claimed == 1


def _finish(delivery_id, **values):
    db.session.execute(sa.update(Delivery.__table__).where(Delivery.__table__.c.id == delivery_id).values(**values))


def deliver_one(delivery_id) -> str:
    """Deliver one claimed delivery; returns its new status. A failure rolls back the
    delivery's own transaction (and an atomic claim with it), then records the attempt."""
    from .stores import use_store

    delivery, outbox = db.session.execute(
        sa.select(Delivery, OutboxEvent).join(OutboxEvent, OutboxEvent.id == Delivery.event_pk)
        .where(Delivery.id == delivery_id).execution_options(all_stores=True)
    ).one()
    event, target, attempts = outbox.as_event(), delivery.target, delivery.attempts + 1
    kind = TARGET_KINDS.get(target.split(":", 1)[0])
    try:
        with use_store(delivery.store_id):
            if kind is None:
                raise RuntimeError(f"no target kind for '{target}'")
            status = kind.deliver(delivery, event) or DELIVERED
            _finish(delivery_id, status=status, attempts=attempts, delivered_at=utcnow(), last_error=None,
                    claimed_until=None)
            db.session.commit()  # a plugin's own writes and "delivered" commit together
        return status
    except Exception as exc:
        db.session.rollback()
        log.warning("delivery of %s to %s failed (attempt %d): %s", event.name, target, attempts, exc)
        dead = attempts >= current_app.config.get("SHOPDESK_EVENTS_MAX_ATTEMPTS", 10)
        _finish(delivery_id, status=DEAD if dead else FAILED, attempts=attempts,
                last_error=f"{type(exc).__name__}: {exc}"[:2000], claimed_until=None,
                next_attempt_at=utcnow() + _backoff(attempts))
        db.session.commit()
        return DEAD if dead else FAILED


def dispatch_due(limit: int = 500) -> int:
    """Deliver everything that is due now; returns how many deliveries were attempted."""
    done = 0
    while done < limit:
        now = utcnow()
        size = min(100, limit - done)
        batch = _due_candidates(now, size)
        db.session.rollback()
        progressed = False
        for delivery_id, target, key in batch:
            kind = TARGET_KINDS.get(target.split(":", 1)[0])
            if _claim(delivery_id, now, commit=not (kind and kind.atomic)):
                deliver_one(delivery_id)
                done += 1
                progressed = True
        # Look again only if the batch was full, or a keyed delivery may have unblocked the next one.
        if not progressed or (len(batch) < size and not any(key for _, _, key in batch)):
            break
    return done


class Dispatcher:
    """One background thread per app that delivers after commits; it exits when idle."""

    IDLE_SECONDS = 5

    def __init__(self, app):
        self.app = app
        self.wanted = threading.Event()
        self.lock = threading.Lock()
        self.thread = None
        self.busy = False

    def wake(self):
        if self.app.config.get("SHOPDESK_EVENTS_DISPATCH", "thread") != "thread":
            return
        self.wanted.set()
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="shopdesk-events", daemon=True)
                self.thread.start()

    def _run(self):
        while self.wanted.wait(self.IDLE_SECONDS):
            self.wanted.clear()
            self.busy = True
            try:
                with self.app.app_context():
                    dispatch_due()
                    db.session.remove()
            except Exception:
                log.exception("event dispatcher failed; the retry job will deliver")
            finally:
                self.busy = False

    def idle(self) -> bool:
        return not self.wanted.is_set() and not self.busy


def dispatcher_for(app) -> Dispatcher:
    return app.extensions.setdefault("shopdesk_dispatcher", Dispatcher(app))


# --- plugins as targets -------------------------------------------------------------------


def _plugin_targets(store, name):
    hooks = current_app.extensions["shopdesk"].for_store(store)
    return [f"plugin:{impl.plugin_name}" for impl in hooks.handle_event.get_hookimpls()]


def _deliver_to_plugin(delivery, event):
    from .stores import Store

    plugin = delivery.target.split(":", 1)[1]
    hooks = current_app.extensions["shopdesk"].for_store(db.session.get(Store, delivery.store_id))
    if plugin not in hooks.enabled:
        return SKIPPED  # disabled since the event was emitted
    hooks.call(plugin, "handle_event", event=event)
    return None


TARGET_KINDS["plugin"] = TargetKind(targets=_plugin_targets, deliver=_deliver_to_plugin, atomic=True)


# --- the catalogue and the command line -----------------------------------------------------


def catalogue_markdown(registry) -> str:
    """docs/events.md: every declared event type with its payload fields."""
    lines = ["# Events", "",
             "Generated by `shopdesk events docs` from the installed plugins' `register_event_types`;",
             "a test checks it is current. Receivers get these payloads in `handle_event` and in webhooks.", ""]
    for name, etype in sorted(event_types(registry).items()):
        lines += [f"## `{name}` (version {etype.version})", "", f"From the `{etype.plugin}` plugin. {etype.description}", "",
                  "| field | type | required | description |", "|---|---|---|---|"]
        for field_name, f in etype.schema().fields.items():
            lines.append(f"| `{field_name}` | {type(f).__name__} | {'yes' if f.required else 'no'} | "
                         f"{f.metadata.get('description', '')} |")
        lines.append("")
    if not event_types(registry):
        lines += ["No installed plugin declares events yet.", ""]
    return "\n".join(lines)


cli_group = click.Group("events", help="Domain events: delivery and the catalogue.")


@cli_group.command("dispatch")
@with_appcontext
def dispatch_command():
    """Deliver every due event now (what the retry job does)."""
    click.echo(f"{dispatch_due()} delivery attempt(s).")


@cli_group.command("docs")
@click.option("--output", type=click.Path(dir_okay=False), default="docs/events.md", show_default=True)
@with_appcontext
def docs_command(output):
    """Write the events catalogue from the installed plugins."""
    with open(output, "w") as f:
        f.write(catalogue_markdown(current_app.extensions["shopdesk"]))
    click.echo(f"Wrote {output}.")


def retry_due():
    """The host job behind the dispatcher: delivers failed deliveries once their backoff
    has passed, and whatever a stopped or killed process left pending."""
    dispatch_due(limit=5000)


HOST_JOBS.append(Job("shopdesk.events_retry", retry_due, "interval", {"seconds": 30},
                     description="Deliver events whose delivery failed or was cut off."))
