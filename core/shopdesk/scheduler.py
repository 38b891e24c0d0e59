"""Scheduled jobs: APScheduler 3, jobs contributed by plugins and the host, one active scheduler.

**Defining jobs.** A plugin returns :class:`Job` definitions from ``register_jobs``; the host
appends its own to :data:`HOST_JOBS` when the module that owns the job is imported (before
``create_app`` collects them)::

    from shopdesk.scheduler import HOST_JOBS, Job

    HOST_JOBS.append(Job("events.retry", "shopdesk.events:dispatch_due", "interval", {"minutes": 1},
                         description=N_("Deliver the events whose delivery failed or was cut off.")))

Host jobs belong to the pseudo-plugin ``shopdesk``: a per-store host job runs in every store.
Definitions are checked once, in ``create_app``: a bad id, trigger or import path stops
start-up with a :class:`~shopdesk.registry.PluginError` naming the plugin and the job.

**What runs.** The job store (APScheduler's ``SQLAlchemyJobStore``, table ``apscheduler_jobs``,
created by migration ``host_0005``) holds text references only: every stored job calls
:func:`run_job` with ``(job id, plugin, store id)``. :func:`run_job` looks the definition up
in the running code, makes the store current, builds the plugin's ``ctx`` (its settings
for that store), calls the target and records a :class:`JobRun` (start, end, outcome,
error). A failing job is recorded and logged; it never stops the scheduler.

**Which jobs exist.** The leader *reconciles* the job store with the definitions when it
takes the lease and whenever a store changes (any store's ``plugins_version``, polled every
few seconds): a global job is stored as ``<id>``, a per-store job as ``<id>@<store slug>``
for each store that enables the plugin. Jobs of a plugin that is disabled there, broken,
not migrated or uninstalled are removed. A job is rewritten only when its definition
changed (a fingerprint in the APScheduler job's ``name``), so restarts and reconciles never
duplicate a job nor push back its next run.

**One active scheduler.** Any number of processes may run :class:`SchedulerService`; one
row of ``scheduler_lease`` decides which one runs jobs. A process takes or renews the lease
with one conditional UPDATE (``holder = me OR expires_at < now``) every third of the lease
(``SHOPDESK_SCHEDULER_LEASE_SECONDS``, 30 by default); the others stay on standby with their
APScheduler paused and take over once the lease has expired. A process that cannot renew
pauses at once. PostgreSQL's clock decides expiry, so app nodes' clocks need not agree;
on SQLite (one machine) the local clock does. ``make run`` runs a scheduler inside
``shopdesk run`` (``SHOPDESK_SCHEDULER=inprocess``); production runs ``shopdesk scheduler``.
"""

import getpass
import hashlib
import json
import logging
import os
import re
import signal
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor as _ThreadPool
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
import sqlalchemy as sa
from apscheduler.executors.pool import BasePoolExecutor
from apscheduler.jobstores.base import BaseJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from apscheduler.util import obj_to_ref, ref_to_obj
from flask import current_app, g, has_request_context
from flask.cli import AppGroup, with_appcontext
from flask.cli import run_command as _flask_run
from sqlalchemy.orm import Mapped, mapped_column

from . import audit
from .db import UTCDateTime, db, utcnow
from .i18n import N_
from .registry import PluginError
from .security import setting

log = logging.getLogger(__name__)

HOST = "shopdesk"  # the plugin name host jobs run under
RUN_JOB = "shopdesk.scheduler:run_job"  # the only callable the job store ever references
JOBS_TABLE = "apscheduler_jobs"
LEASE_NAME = "scheduler"
TRIGGERS = {"interval": IntervalTrigger, "cron": CronTrigger, "date": DateTrigger}
_JOB_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,99}")

# outcomes of a run
RUNNING, OK, ERROR, INTERRUPTED = "running", "ok", "error", "interrupted"


@dataclass
class Job:
    """A job a plugin returns from ``register_jobs`` (or the host appends to HOST_JOBS).

    * ``id``: stable and unique, ``<plugin>.<name>`` (``notes.digest``); renaming it makes a new job.
    * ``func``: ``"package.module:function"`` (or the function itself). A per-store job's
      function is called as ``func(ctx)`` with that store current, a global one as ``func()``.
    * ``trigger``: ``"interval"``, ``"cron"`` or ``"date"``, with ``trigger_args`` as APScheduler
      takes them (``{"minutes": 5}``, ``{"hour": 8}``). Per-store cron and date triggers follow
      the store's time zone unless ``trigger_args`` name a ``timezone``; global ones use UTC.
      A ``date`` job runs once: it is scheduled while its date is in the future.
    * ``misfire_grace_time``: seconds a run may start late (scheduler down, busy); None (the
      default) runs a missed job once, as soon as possible. Missed runs are coalesced into one.
    """

    id: str
    func: str | Callable
    trigger: str = "interval"
    trigger_args: dict = field(default_factory=dict)
    per_store: bool = False
    description: str = ""
    misfire_grace_time: int | None = None


HOST_JOBS: list[Job] = []


@dataclass
class Defined:
    """A checked definition: the Job, who contributed it, and its resolved function."""

    job: Job
    plugin: str
    func_ref: str
    target: Callable


# --- storage ---------------------------------------------------------------------------------


class JobRun(db.Model):
    """One run of a job: scheduled or manual, per store (``store_id``) or global (None).

    Not ``StoreScoped``: global runs have no store. Store pages and the API filter on
    ``store_id`` themselves and never show global runs.
    """

    __tablename__ = "job_runs"
    __table_args__ = (sa.Index("ix_job_runs_job_store_started", "job_id", "store_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(sa.String(100))
    plugin: Mapped[str] = mapped_column(sa.String(63))
    store_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    trigger: Mapped[str] = mapped_column(sa.String(16))  # "schedule" or "manual"
    runner: Mapped[str] = mapped_column(sa.String(255))  # the scheduler's holder id, or who ran it
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[str] = mapped_column(sa.String(16))  # running, ok, error, interrupted
    error: Mapped[str | None] = mapped_column(sa.Text)


class SchedulerLease(db.Model):
    """The one row saying which scheduler process runs jobs, and until when."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(sa.String(63), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(255))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


# APScheduler's table, read directly for next run times (never through our metadata: the
# migration creates it, APScheduler owns its layout, ``db check`` leaves it alone).
_aps_jobs = sa.Table(JOBS_TABLE, sa.MetaData(), sa.Column("id", sa.Unicode(191), primary_key=True),
                     sa.Column("next_run_time", sa.Float(25)), sa.Column("job_state", sa.LargeBinary))


# --- definitions -----------------------------------------------------------------------------


def _resolve(func) -> tuple[str, Callable]:
    ref = func if isinstance(func, str) else obj_to_ref(func)
    return ref, ref_to_obj(ref)


def build_trigger(job: Job, tz_name: str | None = None):
    args = dict(job.trigger_args)
    tz = args.pop("timezone", None) or tz_name or "UTC"
    return TRIGGERS[job.trigger](**args, timezone=tz)


def _check(job, plugin: str) -> Defined:
    def bad(why):
        return PluginError(f"plugin '{plugin}': job '{getattr(job, 'id', job)}' {why}")

    if not isinstance(job, Job):
        raise bad("is not a shopdesk.scheduler.Job")
    if not isinstance(job.id, str) or not _JOB_ID.fullmatch(job.id):
        raise bad("needs an id of lowercase letters, digits, '.', '_' or '-' (at most 100)")
    if plugin != HOST and not job.id.startswith(f"{plugin}."):
        raise bad(f"must have an id starting with '{plugin}.'")
    if job.trigger not in TRIGGERS:
        raise bad(f"has trigger '{job.trigger}': use one of {', '.join(TRIGGERS)}")
    try:
        build_trigger(job)
    except Exception as exc:
        raise bad(f"has bad trigger arguments {job.trigger_args!r}: {exc}") from exc
    try:
        ref, target = _resolve(job.func)
    except Exception as exc:
        raise bad(f"has a function that cannot be imported by its path ({job.func!r}): {exc}") from exc
    return Defined(job=job, plugin=plugin, func_ref=ref, target=target)


def collect_jobs(registry) -> dict[str, Defined]:
    """Every job of the host and of each working plugin, checked; duplicates name both owners."""
    found: dict[str, Defined] = {}
    contributed = [(HOST, list(HOST_JOBS))]
    contributed += [(r.plugin, list(r.value or [])) for r in registry.each("register_jobs")]
    for plugin, jobs in contributed:
        for job in jobs:
            defined = _check(job, plugin)
            other = found.get(job.id)
            if other is not None:
                raise PluginError(f"plugin '{plugin}': job id '{job.id}' is already used by '{other.plugin}'")
            found[job.id] = defined
    return found


def init_app(app):
    """Collect the job definitions (``create_app`` calls this once plugins are registered)."""
    app.extensions["shopdesk_jobs"] = collect_jobs(app.extensions["shopdesk"])


def definitions(app=None) -> dict[str, Defined]:
    app = app or current_app
    return app.extensions["shopdesk_jobs"]


# --- the plan: which scheduler jobs should exist ----------------------------------------------


@dataclass
class Planned:
    id: str  # the scheduler's id: "<job id>" or "<job id>@<store slug>"
    defined: Defined
    store: Any = None  # a Store row for per-store jobs
    trigger: Any = None
    fingerprint: str = ""
    addable: bool = True  # False for a date job whose date has passed: kept if stored, never re-added

    @property
    def store_id(self):
        return self.store.id if self.store is not None else None


def _zone(name) -> str:
    try:
        ZoneInfo(name or "UTC")
        return name or "UTC"
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"


def _planned(defined: Defined, store=None) -> Planned:
    job = defined.job
    tz = _zone(store.timezone) if store is not None and job.trigger != "interval" else None
    trigger = build_trigger(job, tz)
    fingerprint = hashlib.sha256(json.dumps(
        [defined.plugin, defined.func_ref, job.trigger, job.trigger_args, tz, job.misfire_grace_time,
         store.id if store is not None else None], sort_keys=True, default=str,
    ).encode()).hexdigest()[:16]
    addable = True
    if job.trigger == "date":
        addable = trigger.get_next_fire_time(None, datetime.now(timezone.utc)) > datetime.now(timezone.utc)
    sid = job.id if store is None else f"{job.id}@{store.slug}"
    return Planned(id=sid, defined=defined, store=store, trigger=trigger, fingerprint=fingerprint, addable=addable)


def _runnable_plugins(registry) -> set[str]:
    """Working plugins whose schema is migrated for the installed code (no "needs upgrade")."""
    from .migrate import migrated_versions

    migrated = migrated_versions()
    return {n for n in registry.working if migrated.get(n) == registry.plugins[n].version}


def plan(app=None, store=None) -> dict[str, Planned]:
    """The scheduler jobs that should exist: every store's (or only ``store``'s) and the global ones."""
    from .stores import Store, StorePlugin

    app = app or current_app
    defs = definitions(app)
    runnable = _runnable_plugins(app.extensions["shopdesk"]) | {HOST}
    stores = [store] if store is not None else db.session.scalars(sa.select(Store).order_by(Store.id)).all()
    enabled: dict[int, set[str]] = {}
    select = sa.select(StorePlugin.store_id, StorePlugin.plugin).where(StorePlugin.enabled.is_(True))
    if store is not None:
        select = select.where(StorePlugin.store_id == store.id)
    for store_id, plugin in db.session.execute(select):
        enabled.setdefault(store_id, set()).add(plugin)
    planned: dict[str, Planned] = {}
    for defined in defs.values():
        if defined.plugin not in runnable:
            continue
        targets = [s for s in stores if defined.plugin == HOST or defined.plugin in enabled.get(s.id, ())] \
            if defined.job.per_store else [None]
        for target in targets:
            item = _planned(defined, target)
            planned[item.id] = item
    return planned


def reconcile(aps, app=None) -> dict[str, list[str]]:
    """Make the job store match the plan: add what is missing, rewrite what changed, remove
    what should not exist. Unchanged jobs keep their next run time."""
    planned = plan(app)
    existing = {job.id: job for job in aps.get_jobs()}
    done = {"added": [], "changed": [], "removed": []}
    for sid, item in planned.items():
        current = existing.get(sid)
        if current is not None and current.name == item.fingerprint:
            continue
        if current is None and not item.addable:
            continue
        aps.add_job(RUN_JOB, trigger=item.trigger, args=(item.defined.job.id, item.defined.plugin, item.store_id),
                    id=sid, name=item.fingerprint, replace_existing=True, coalesce=True, max_instances=1,
                    misfire_grace_time=item.defined.job.misfire_grace_time)
        done["changed" if current is not None else "added"].append(sid)
    for sid in sorted(existing.keys() - planned.keys()):
        aps.remove_job(sid)
        done["removed"].append(sid)
    if any(done.values()):
        log.info("scheduler jobs reconciled: %s", {k: v for k, v in done.items() if v})
    return done


def next_run_times(ids) -> dict[str, datetime | None]:
    """Next run time of each stored job (absent: not scheduled yet, e.g. no scheduler ran)."""
    ids = list(ids)
    if not ids:
        return {}
    rows = db.session.execute(sa.select(_aps_jobs.c.id, _aps_jobs.c.next_run_time).where(_aps_jobs.c.id.in_(ids)))
    return {sid: None if ts is None else datetime.fromtimestamp(ts, timezone.utc) for sid, ts in rows}


# --- running one job -------------------------------------------------------------------------


def _who() -> str:
    """Who started a manual run: the signed-in user, else ``cli:<login>``."""
    if has_request_context():
        from flask_login import current_user

        if current_user and current_user.is_authenticated:
            return current_user.email
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name in some containers
        return "cli"


def run_job(job_id: str, plugin: str, store_id: int | None = None, *, trigger: str = "schedule",
            runner: str | None = None) -> JobRun | None:
    """Run one job now, in the current app context, and record the run.

    What the job store calls (``trigger="schedule"``), and what "run now" calls
    (``trigger="manual"``, audited). Returns the recorded run, or None when the job no longer
    applies (its definition is gone or its plugin was disabled in the store since the last
    reconcile). The job's own writes are committed when it returns and rolled back if it raises.
    """
    from .stores import Store, use_store

    app = current_app._get_current_object()
    defined = definitions(app).get(job_id)
    registry = app.extensions["shopdesk"]
    if defined is None or defined.plugin != plugin:
        log.warning("job %s of %s is no longer defined: not run", job_id, plugin)
        return None
    store = None
    if store_id is not None:
        store = db.session.get(Store, store_id)
        if store is None or (plugin != HOST and plugin not in registry.for_store(store).enabled):
            log.info("job %s: plugin %s is not enabled in store %s: not run", job_id, plugin, store_id)
            return None
    runner = runner or g.get("shopdesk_scheduler_holder") or _who()
    run = JobRun(job_id=job_id, plugin=plugin, store_id=store_id, trigger=trigger, runner=runner[:255],
                 started_at=utcnow(), outcome=RUNNING)
    db.session.add(run)
    if trigger == "manual":
        audit.record("job.run", store_id=store_id, object_type="job",
                     object_id=job_id if store is None else f"{job_id}@{store.slug}")
    db.session.commit()
    run_pk = run.id
    try:
        with use_store(store) if store is not None else nullcontext():
            if defined.job.per_store:
                defined.target(registry.for_store(store).context(plugin) if plugin != HOST
                               else _host_context(store))
            else:
                defined.target()
            db.session.commit()
        outcome, error = OK, None
    except Exception as exc:
        db.session.rollback()
        log.exception("job %s failed (store %s)", job_id, store_id)
        outcome, error = ERROR, f"{type(exc).__name__}: {exc}"[:4000]
    db.session.execute(sa.update(JobRun).where(JobRun.id == run_pk)
                       .values(finished_at=utcnow(), outcome=outcome, error=error))
    db.session.commit()
    return db.session.get(JobRun, run_pk)


def _host_context(store):
    from .registry import PluginContext

    return PluginContext(store=store, plugin=HOST, settings={})


def prune_job_runs():
    """Host job: forget finished runs older than ``SHOPDESK_JOB_RUNS_KEEP_DAYS`` (30)."""
    days = int(setting(current_app, "SHOPDESK_JOB_RUNS_KEEP_DAYS", 30))
    horizon = utcnow() - timedelta(days=days)
    db.session.execute(sa.delete(JobRun).where(JobRun.started_at < horizon, JobRun.outcome != RUNNING))


HOST_JOBS.append(Job("shopdesk.prune_job_runs", prune_job_runs, "cron", {"hour": 3, "minute": 17},
                     description=N_("Forget finished job runs older than SHOPDESK_JOB_RUNS_KEEP_DAYS (30) days.")))


# --- the lease -------------------------------------------------------------------------------


def _now(conn) -> datetime:
    """The clock leases are measured by: PostgreSQL's when there is one, else this machine's."""
    if conn.dialect.name == "postgresql":
        return conn.scalar(sa.select(sa.func.clock_timestamp())).astimezone(timezone.utc)
    return utcnow()


def try_lease(engine, holder: str, seconds: float) -> tuple[bool, str | None, datetime | None]:
    """Take or renew the lease: (held by ``holder`` now?, current holder, its expiry)."""
    table = SchedulerLease.__table__
    for _attempt in range(2):
        with engine.begin() as conn:
            now = _now(conn)
            taken = conn.execute(
                sa.update(table).where(table.c.name == LEASE_NAME,
                                       sa.or_(table.c.holder == holder, table.c.expires_at < now))
                .values(holder=holder, expires_at=now + timedelta(seconds=seconds),
                        acquired_at=sa.case((table.c.holder == holder, table.c.acquired_at),
                                            else_=sa.literal(now, UTCDateTime()))))
            if taken.rowcount == 1:
                return True, holder, now + timedelta(seconds=seconds)
            row = conn.execute(sa.select(table.c.holder, table.c.expires_at).where(table.c.name == LEASE_NAME)).first()
        if row is not None:
            return False, row.holder, row.expires_at
        try:  # first scheduler ever (or a truncated table): create the row, expired
            with engine.begin() as conn:
                past = _now(conn) - timedelta(seconds=1)
                conn.execute(sa.insert(table).values(name=LEASE_NAME, holder="", acquired_at=past, expires_at=past))
        except sa.exc.IntegrityError:
            pass  # another process created it first
    return False, None, None


def release_lease(engine, holder: str):
    table = SchedulerLease.__table__
    with engine.begin() as conn:
        conn.execute(sa.update(table).where(table.c.name == LEASE_NAME, table.c.holder == holder)
                     .values(expires_at=_now(conn) - timedelta(seconds=1)))


def lease() -> dict | None:
    """Who holds the lease and until when (None before any scheduler ran)."""
    row = db.session.get(SchedulerLease, LEASE_NAME)
    if row is None:
        return None
    return {"holder": row.holder, "expires_at": row.expires_at, "alive": row.expires_at > utcnow()}


# --- the scheduler process ---------------------------------------------------------------------


class _JobStore(SQLAlchemyJobStore):
    """APScheduler's store on the app's engine: never creates its table (the migration does)
    and never disposes the engine it borrowed."""

    def start(self, scheduler, alias):
        BaseJobStore.start(self, scheduler, alias)
        if not sa.inspect(self.engine).has_table(self.jobs_t.name):
            raise RuntimeError(f"table {self.jobs_t.name} is missing: run `shopdesk db upgrade`")

    def shutdown(self):
        pass


class _AppPool(_ThreadPool):
    """Threads that run each job inside an app context of the service's app, and only while
    the service's lease is surely still valid (a stuck control loop must not let two
    processes run jobs)."""

    def __init__(self, service, max_workers):
        super().__init__(max_workers, thread_name_prefix="shopdesk-job")
        self.service = service

    def submit(self, fn, /, *args, **kwargs):
        service = self.service

        def in_app_context(job, *a, **kw):
            if time.monotonic() > service.valid_until:
                log.warning("scheduler %s: lease not renewed in time, job %s not run", service.holder, job.id)
                return []
            with service.app.app_context():
                g.shopdesk_scheduler_holder = service.holder
                return fn(job, *a, **kw)

        return super().submit(in_app_context, *args, **kwargs)


class _AppExecutor(BasePoolExecutor):
    def __init__(self, service, max_workers=10):
        super().__init__(_AppPool(service, max_workers))


LEADER, STANDBY, STOPPED = "leader", "standby", "stopped"


class SchedulerService:
    """One scheduler process (or thread, in-process): takes the lease, runs jobs while it holds it.

    ``tick()`` is one round of the control loop (renew or take the lease, start or stop running
    jobs, reconcile on changes); ``start()`` runs it in a thread until ``stop()``.
    """

    def __init__(self, app, holder: str | None = None):
        self.app = app
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.lease_seconds = float(setting(app, "SHOPDESK_SCHEDULER_LEASE_SECONDS", 30))
        self.poll_seconds = min(float(setting(app, "SHOPDESK_SCHEDULER_POLL_SECONDS", 5)), self.lease_seconds / 3)
        self.state = STOPPED
        self.lease_expires: datetime | None = None
        self.valid_until = 0.0  # time.monotonic() until which the lease surely holds
        self._signature = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        with app.app_context():
            engine = db.engine
        self.engine = engine
        self.aps = BackgroundScheduler(
            jobstores={"default": _JobStore(engine=engine, tablename=JOBS_TABLE)},
            executors={"default": _AppExecutor(self, int(setting(app, "SHOPDESK_SCHEDULER_THREADS", 10)))},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=timezone.utc,
        )

    # -- the control loop --

    def tick(self) -> str:
        """One round: take or renew the lease, act on a change of leadership or of stores."""
        if not self.aps.running:
            self.aps.start(paused=True)
            self.state = STANDBY
        asked = time.monotonic()
        try:
            held, holder, expires = try_lease(self.engine, self.holder, self.lease_seconds)
        except Exception:
            log.exception("scheduler %s cannot reach the lease: standing by", self.holder)
            held, holder, expires = False, None, None
        self.lease_expires = expires
        self.valid_until = asked + self.lease_seconds - min(1.0, self.lease_seconds / 10) if held else 0.0
        if not held:
            if self.state == LEADER:
                self.aps.pause()
                log.warning("scheduler %s lost the lease to %s: standing by", self.holder, holder or "?")
            self.state = STANDBY
            return self.state
        with self.app.app_context():
            signature = self._stores_signature()
            if self.state != LEADER:
                self._interrupt_orphans()
                reconcile(self.aps, self.app)
                self._signature = signature
                self.aps.resume()
                self.state = LEADER
                log.info("scheduler %s is the leader: running jobs", self.holder)
            elif signature != self._signature:
                reconcile(self.aps, self.app)
                self._signature = signature
        return self.state

    def _stores_signature(self):
        """Cheap to read, changes whenever a store's plugins (or the set of stores) change."""
        from .stores import Store

        return tuple(db.session.execute(sa.select(
            sa.func.count(Store.id), sa.func.coalesce(sa.func.sum(Store.plugins_version), 0),
            sa.func.max(Store.updated_at))).one())

    def _interrupt_orphans(self):
        """Runs a dead leader left "running" are marked interrupted by the new leader."""
        db.session.execute(sa.update(JobRun).where(JobRun.outcome == RUNNING, JobRun.trigger == "schedule",
                                                   JobRun.runner != self.holder)
                           .values(outcome=INTERRUPTED, finished_at=utcnow(),
                                   error="the scheduler running it stopped before it finished"))
        db.session.commit()

    def _wait_seconds(self) -> float:
        if self.state == LEADER:
            return self.poll_seconds
        step = self.lease_seconds / 3
        if self.lease_expires is not None:  # wake just after the holder's lease would expire
            until = (self.lease_expires - datetime.now(timezone.utc)).total_seconds() + 0.05
            step = min(step, max(until, 0.05))
        return step

    def _loop(self):
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                log.exception("scheduler %s control loop failed: standing by", self.holder)
                if self.state == LEADER:
                    self.aps.pause()
                    self.state = STANDBY
            self._stop.wait(self._wait_seconds())

    def start(self):
        self._stop.clear()
        self.state = STANDBY
        self._thread = threading.Thread(target=self._loop, name="shopdesk-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self, wait: bool = True):
        """Stop running jobs (waiting for running ones), then hand the lease over at once."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.aps.running:
            self.aps.shutdown(wait=wait)
        if self.state == LEADER:
            try:
                release_lease(self.engine, self.holder)
            except Exception:
                log.exception("scheduler %s could not release the lease; it expires by itself", self.holder)
            log.info("scheduler %s stopped and released the lease", self.holder)
        self.state = STOPPED


def start_in_process(app) -> SchedulerService:
    """The scheduler as a thread of this process (``make run``); stopped at interpreter exit."""
    import atexit

    service = app.extensions.get("shopdesk_scheduler")
    if service is None:
        service = app.extensions["shopdesk_scheduler"] = SchedulerService(app).start()
        atexit.register(service.stop)
    return service


def scheduler_state(app) -> dict:
    """For readiness probes: this process's part in scheduling."""
    service = app.extensions.get("shopdesk_scheduler")
    if service is None or service.state == STOPPED:
        return {"scheduler": "not running in this process"}
    return {"scheduler": service.state}


def serve(app, holder: str | None = None):
    """Run a scheduler until SIGTERM or SIGINT: what ``shopdesk scheduler`` does."""
    from .migrate import MigrationError

    with app.app_context():
        tables = set(sa.inspect(db.engine).get_table_names())
    if not {JOBS_TABLE, SchedulerLease.__tablename__, JobRun.__tablename__} <= tables:
        raise MigrationError("the scheduler's tables are missing: run `shopdesk db upgrade`")
    service = SchedulerService(app, holder)
    app.extensions["shopdesk_scheduler"] = service
    stopping = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_: stopping.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    log.info("scheduler %s started (lease %gs): standing by until it holds the lease",
                service.holder, service.lease_seconds)
    service.start()
    try:
        while not stopping.wait(0.5):
            pass
    finally:
        service.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


# --- command line ------------------------------------------------------------------------------


def _log_to_stderr():
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        log.addHandler(handler)
    log.setLevel(logging.INFO)


def _run_with_scheduler(**kwargs):
    """Flask's ``run``; with ``SHOPDESK_SCHEDULER=inprocess`` also the scheduler, in the process
    that serves (not in the reloader's watcher)."""
    from flask.cli import ScriptInfo
    from flask.helpers import get_debug_flag
    from werkzeug.serving import is_running_from_reloader

    app = click.get_current_context().ensure_object(ScriptInfo).load_app()
    reload = kwargs.get("reload")
    if reload is None:
        reload = get_debug_flag()
    if setting(app, "SHOPDESK_SCHEDULER", "") == "inprocess" and (not reload or is_running_from_reloader()):
        _log_to_stderr()
        start_in_process(app)
    return _flask_run.callback(**kwargs)


def _make_run_command():
    import copy

    command = copy.copy(_flask_run)
    command.callback = _run_with_scheduler
    command.help = (_flask_run.help or "") + "\n\nWith SHOPDESK_SCHEDULER=inprocess the job scheduler runs in this process."
    return command


run_command = _make_run_command()


@click.command("scheduler")
@click.option("--name", help="This scheduler's name in the lease and in job runs (default host:pid:random).")
@with_appcontext
def scheduler_command(name):
    """Run the job scheduler until stopped (SIGTERM or Ctrl-C); one process leads at a time."""
    _log_to_stderr()
    serve(current_app._get_current_object(), name)


jobs_group = AppGroup("jobs", help="Scheduled jobs of every store: list, history, run now.")


def _find(sid: str) -> Planned:
    found = plan().get(sid)
    if found is None:
        raise click.UsageError(f"no job '{sid}' (see `shopdesk jobs list`; per-store jobs are JOB@STORE)")
    return found


@jobs_group.command("list")
def jobs_list():
    """Every job that should be scheduled, with its next run time."""
    planned = plan()
    if not planned:
        click.echo("No jobs.")
        return
    times = next_run_times(planned)
    for sid in sorted(planned):
        when = times.get(sid)
        shown = when.strftime("%Y-%m-%d %H:%M:%SZ") if when else "not scheduled yet"
        click.echo(f"{sid:40} {shown:22} {planned[sid].trigger}")
    holder = lease()
    click.echo(f"Scheduler: {holder['holder'] if holder and holder['alive'] else 'none running'}")


@jobs_group.command("runs")
@click.argument("job")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
def jobs_runs(job, limit):
    """Recent runs of JOB (an id from `shopdesk jobs list`), newest first."""
    item = _find(job)
    rows = db.session.scalars(runs_of(item).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)).all()
    if not rows:
        click.echo("No runs.")
    for run in rows:
        took = f"{(run.finished_at - run.started_at).total_seconds():.1f}s" if run.finished_at else "-"
        click.echo(f"{run.started_at:%Y-%m-%d %H:%M:%SZ}  {run.outcome:11} {took:>8}  {run.trigger:8} "
                   f"{run.runner}{'  ' + run.error if run.error else ''}")


@jobs_group.command("run")
@click.argument("job")
def jobs_run(job):
    """Run JOB now, in this process (recorded and audited as a manual run)."""
    item = _find(job)
    run = run_job(item.defined.job.id, item.defined.plugin, item.store_id, trigger="manual")
    if run is None:
        raise click.UsageError(f"job '{job}' cannot run now")
    click.echo(f"{job}: {run.outcome}{': ' + run.error if run.error else ''}")
    if run.outcome != OK:
        raise SystemExit(1)


def runs_of(item: Planned):
    """A select of the recorded runs of one planned job."""
    store_cond = JobRun.store_id.is_(None) if item.store is None else JobRun.store_id == item.store.id
    return sa.select(JobRun).where(JobRun.job_id == item.defined.job.id, store_cond)
