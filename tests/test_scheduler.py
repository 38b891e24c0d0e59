"""Scheduled jobs: plugins contribute them, one scheduler at a time runs them, every run is recorded."""

import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from apscheduler.schedulers.base import STATE_PAUSED
from marshmallow import Schema, fields

from shopdesk import audit, scheduler
from shopdesk.audit import AuditEntry
from shopdesk.auth.models import create_user
from shopdesk.auth.roles import add_member
from shopdesk.db import current_store_id, db as _db
from shopdesk.registry import PluginError
from shopdesk.scheduler import Job, JobRun, SchedulerService, scheduler_state
from shopdesk.stores import configure_plugin, create_store, disable_plugin, enable_plugin
from shopdesk.testing import make_plugin

LEASE = 2.0  # seconds, for the tests that wait for a lease to run out


def wait_for(condition, timeout=15.0, step=0.05):
    """Poll ``condition`` until it is truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout}s: {condition.__doc__ or condition}")
        time.sleep(step)


# --- jobs of the test plugins ---------------------------------------------------------------

seen = []


def note_the_store(ctx):
    seen.append((ctx.store.slug, current_store_id.get(), ctx.plugin, dict(ctx.settings)))


def break_down(ctx):
    audit.record("failing.half_done")  # rolled back with the failure
    raise RuntimeError("the supplier feed is offline")


def tidy_up():
    seen.append(("global", current_store_id.get()))


class DigestSettings(Schema):
    hour = fields.Integer(load_default=8)


DIGEST = make_plugin("digest", settings_schema=lambda: DigestSettings, register_jobs=lambda: [
    Job("digest.mail", note_the_store, "cron", {"hour": 8}, per_store=True, description="Mail the digest."),
    Job("digest.tidy", tidy_up, "interval", {"hours": 1}, description="Tidy up, once for everyone."),
])
FAILING = make_plugin("failing", register_jobs=lambda: [
    Job("failing.sync", break_down, "interval", {"minutes": 5}, per_store=True)])


HOST_JOB_IDS = {"shopdesk.events_retry", "shopdesk.prune_job_runs", "shopdesk.prune_webhook_attempts"}


@pytest.fixture
def app(make_app):
    """The host and this module's test plugins only: installed plugins' jobs would blur the lists."""
    app = make_app(entry_points=[])
    with app.app_context():
        yield app


def stored_ids():
    return set(_db.session.scalars(sa.select(scheduler._aps_jobs.c.id)))


def runs(**where):
    _db.session.expire_all()
    return _db.session.scalars(sa.select(JobRun).filter_by(**where).order_by(JobRun.id)).all()


@pytest.fixture
def service(app, db):
    """A scheduler service on the test's app, driven by hand with ``tick()``; stopped at the end."""
    made = []

    def make(holder="one", **config):
        app.config.update({"SHOPDESK_SCHEDULER_LEASE_SECONDS": LEASE, **config})
        made.append(SchedulerService(app, holder))
        return made[-1]

    yield make
    for one in made:
        one.stop()


# --- which jobs exist -----------------------------------------------------------------------


@pytest.mark.shopdesk_plugins(DIGEST)
def test_hook_register_jobs(app, db, bare_store, service):
    """Per-store jobs exist for the stores enabling the plugin only, and vanish on disable."""
    registry = app.extensions["shopdesk"]
    other = create_store("other", "Other Store")
    db.session.commit()
    leader = service()
    assert leader.tick() == "leader"
    assert stored_ids() == {"digest.tidy", *HOST_JOB_IDS}  # global jobs: always there
    enable_plugin(registry, bare_store, "digest")
    enable_plugin(registry, other, "digest")
    db.session.commit()
    leader.tick()  # notices the stores' plugins_version moved
    assert stored_ids() == {"digest.tidy", *HOST_JOB_IDS, f"digest.mail@{bare_store.slug}", "digest.mail@other"}
    disable_plugin(registry, other, "digest")
    db.session.commit()
    leader.tick()
    assert stored_ids() == {"digest.tidy", *HOST_JOB_IDS, f"digest.mail@{bare_store.slug}"}


@pytest.mark.shopdesk_plugins(DIGEST)
def test_restarting_never_duplicates_jobs_nor_delays_them(app, db, store, service):
    first = service("first")
    first.tick()
    before = dict(db.session.execute(sa.select(scheduler._aps_jobs.c.id, scheduler._aps_jobs.c.next_run_time)).all())
    assert scheduler.reconcile(first.aps, app) == {"added": [], "changed": [], "removed": []}
    first.stop()
    again = service("second")  # a restart: a new process takes the released lease
    assert again.tick() == "leader"
    after = dict(db.session.execute(sa.select(scheduler._aps_jobs.c.id, scheduler._aps_jobs.c.next_run_time)).all())
    assert after == before and "digest.mail@acme" in after


EARLIER = make_plugin("digest", settings_schema=lambda: DigestSettings, register_jobs=lambda: [
    Job("digest.mail", note_the_store, "cron", {"hour": 6}, per_store=True)])


def test_a_changed_definition_is_rewritten_and_a_gone_one_removed(make_app):
    """A new release of the plugin moves the mail to 6 o'clock and drops the tidy-up job."""
    first = make_app(entry_points=[], plugins=[DIGEST])
    with first.app_context():
        enable_plugin(first.extensions["shopdesk"], create_store("acme", "Acme"), "digest")
        _db.session.commit()
        old = SchedulerService(first, "old")
        old.tick()
        old.stop()
    upgraded = make_app(entry_points=[], plugins=[EARLIER])
    with upgraded.app_context():
        new = SchedulerService(upgraded, "new")
        try:
            new.tick()
            stored = {job.id: job for job in new.aps.get_jobs()}
            assert set(stored) == {"digest.mail@acme", *HOST_JOB_IDS}
            assert str(stored["digest.mail@acme"].trigger) == "cron[hour='6']"
            assert scheduler.reconcile(new.aps, upgraded) == {"added": [], "changed": [], "removed": []}
        finally:
            new.stop()


@pytest.mark.shopdesk_plugins(DIGEST)
def test_per_store_cron_jobs_follow_the_stores_time_zone(app, db, store):
    store.timezone = "Asia/Taipei"
    db.session.commit()
    planned = scheduler.plan(app)
    next_run = planned["digest.mail@acme"].trigger.get_next_fire_time(None, datetime.now(timezone.utc))
    assert next_run.utcoffset().total_seconds() == 8 * 3600 and next_run.hour == 8
    assert str(planned["digest.tidy"].trigger.timezone) == "UTC"


def test_date_jobs_run_once_and_are_not_added_back(make_app, db):
    past = Job("dated.past", tidy_up, "date", {"run_date": "2020-01-01T00:00:00+00:00"})
    future = Job("dated.future", tidy_up, "date", {"run_date": "2999-01-01T00:00:00+00:00"})
    app = make_app(entry_points=[], plugins=[make_plugin("dated", register_jobs=lambda: [past, future])])
    with app.app_context():
        planned = scheduler.plan(app)
    assert (planned["dated.past"].addable, planned["dated.future"].addable) == (False, True)


@pytest.mark.parametrize("job, message", [
    (Job("notes.digest", tidy_up), "must have an id starting with 'careless.'"),
    (Job("careless.Bad Id", tidy_up), "needs an id of lowercase letters"),
    (Job("careless.x", tidy_up, "hourly"), "has trigger 'hourly': use one of interval, cron, date"),
    (Job("careless.x", tidy_up, "cron", {"hour": 25}), "has bad trigger arguments"),
    (Job("careless.x", "shopdesk_nowhere.jobs:run"), "has a function that cannot be imported by its path"),
    (Job("careless.x", lambda: None), "has a function that cannot be imported by its path"),
])
def test_a_bad_job_definition_stops_start_up_naming_plugin_and_job(make_app, job, message):
    with pytest.raises(PluginError, match=f"plugin 'careless': job .* {message}"):
        make_app(entry_points=[], plugins=[make_plugin("careless", register_jobs=lambda: [job])])


def test_a_plugin_claiming_a_host_job_id_stops_start_up(make_app):
    """Plugins' ids start with their own name, so only the host's can collide with theirs."""
    scheduler.HOST_JOBS.append(Job("one.y", tidy_up))
    try:
        with pytest.raises(PluginError, match="plugin 'one': job id 'one.y' is already used by 'shopdesk'"):
            make_app(entry_points=[], plugins=[make_plugin("one", register_jobs=lambda: [Job("one.y", tidy_up)])])
    finally:
        scheduler.HOST_JOBS.pop()


# --- running a job --------------------------------------------------------------------------------


@pytest.mark.shopdesk_plugins(DIGEST)
def test_a_job_runs_with_its_store_current_and_its_plugins_settings(app, db, store):
    configure_plugin(app.extensions["shopdesk"], store, "digest", {"hour": 7})
    db.session.commit()
    seen.clear()
    run = scheduler.run_job("digest.mail", "digest", store.id)
    assert seen == [("acme", store.id, "digest", {"hour": 7})]
    assert (run.outcome, run.trigger, run.store_id, run.error) == ("ok", "schedule", store.id, None)
    assert run.finished_at >= run.started_at
    seen.clear()
    scheduler.run_job("digest.tidy", "digest", None)
    assert seen == [("global", None)]  # a global job runs with no store current


@pytest.mark.shopdesk_plugins(FAILING)
def test_a_failing_job_is_recorded_with_its_error_and_its_writes_undone(app, db, store):
    run = scheduler.run_job("failing.sync", "failing", store.id)
    assert (run.outcome, run.error) == ("error", "RuntimeError: the supplier feed is offline")
    assert db.session.scalar(sa.select(AuditEntry).filter_by(action="failing.half_done")) is None


@pytest.mark.shopdesk_plugins(DIGEST)
def test_a_job_disabled_since_the_last_reconcile_does_not_run(app, db, store):
    disable_plugin(app.extensions["shopdesk"], store, "digest")
    db.session.commit()
    seen.clear()
    assert scheduler.run_job("digest.mail", "digest", store.id) is None
    assert seen == [] and runs() == []


def flaky():
    raise RuntimeError("flaky")


def steady():
    pass


@pytest.mark.shopdesk_plugins(make_plugin("busy", register_jobs=lambda: [
    Job("busy.flaky", flaky, "interval", {"seconds": 0.2}), Job("busy.steady", steady, "interval", {"seconds": 0.2})]))
def test_a_failing_job_never_stops_the_scheduler(app, db, service):
    running = service("runner").start()
    wait_for(lambda: len(runs(job_id="busy.flaky", outcome="error")) >= 3 and len(runs(job_id="busy.steady")) >= 3)
    assert {r.runner for r in runs()} == {"runner"}
    assert scheduler_state(app) == {"scheduler": "not running in this process"}  # not the app's own
    running.stop()


# --- one scheduler at a time --------------------------------------------------------------------


def lease_row():
    with _db.engine.connect() as conn:
        return conn.execute(sa.select(scheduler.SchedulerLease.__table__)).first()


def test_only_the_lease_holder_leads_and_a_released_lease_passes_at_once(app, db, service):
    first, second = service("first"), service("second")
    assert (first.tick(), second.tick()) == ("leader", "standby")
    assert first.tick() == "leader"  # renewing
    assert second.aps.state == STATE_PAUSED  # the standby's APScheduler never runs a job
    first.stop()
    assert second.tick() == "leader"
    assert lease_row().holder == "second"


def test_a_dead_leaders_lease_runs_out_and_the_standby_takes_over(app, db, service):
    first = service("first", SHOPDESK_SCHEDULER_LEASE_SECONDS=1)
    second = service("second", SHOPDESK_SCHEDULER_LEASE_SECONDS=30)
    first.tick()
    assert second.tick() == "standby"
    # `first` stops renewing, as if killed; the standby sleeps until just after its lease
    # expires, not a third of its own (30 s) lease
    assert 0.5 < second._wait_seconds() <= 1.1
    wait_for(lambda: second.tick() == "leader", timeout=2)
    assert first.tick() == "standby"  # it came back: it lost the lease and stops running jobs
    assert first.aps.state == STATE_PAUSED


def test_scheduler_state_for_readiness(app, db, service):
    assert scheduler_state(app) == {"scheduler": "not running in this process"}
    leader = app.extensions["shopdesk_scheduler"] = service("me")
    leader.tick()
    assert scheduler_state(app) == {"scheduler": "leader"}
    other = service("other")
    other.tick()
    app.extensions["shopdesk_scheduler"] = other
    assert scheduler_state(app) == {"scheduler": "standby"}
    del app.extensions["shopdesk_scheduler"]


@pytest.mark.shopdesk_plugins(DIGEST)
def test_a_new_leader_marks_runs_a_dead_one_left_running_as_interrupted(app, db, store, service):
    db.session.add(JobRun(job_id="digest.mail", plugin="digest", store_id=store.id, trigger="schedule",
                          runner="dead", started_at=datetime.now(timezone.utc), outcome="running"))
    db.session.commit()
    service("alive").tick()
    assert [r.outcome for r in runs()] == ["interrupted"]


HELPER = '''
import sys

from shopdesk import app as app_module, cli
from shopdesk.scheduler import Job
from shopdesk.testing import make_plugin


def tick():
    pass


TICKER = make_plugin("ticker", register_jobs=lambda: [Job("ticker.tick", "scheduler_helper:tick", "interval",
                                                          {"seconds": 0.25})])

if __name__ == "__main__":
    cli.cli.create_app = lambda: app_module.create_app(plugins=[TICKER])
    cli.main(["scheduler", "--name", sys.argv[1]])
'''
TICKER = make_plugin("ticker")  # the same name and version, so the test records it as migrated


def test_one_of_two_scheduler_processes_runs_jobs_and_the_other_takes_over_when_it_is_killed(
        make_app, database_url, tmp_path):
    app = make_app(entry_points=[], plugins=[TICKER])
    (tmp_path / "scheduler_helper.py").write_text(HELPER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
           "SHOPDESK_DATABASE_URL": database_url, "SHOPDESK_SCHEDULER_LEASE_SECONDS": str(LEASE)}
    processes = {}

    def start(name):
        log = open(tmp_path / f"{name}.log", "w")
        processes[name] = subprocess.Popen(
            [sys.executable, str(tmp_path / "scheduler_helper.py"), name], stdout=log, stderr=subprocess.STDOUT,
            env={**env, "SHOPDESK_INSTANCE_PATH": str(tmp_path / f"instance-{name}")}, cwd=tmp_path)

    def said(name, text):
        return text in (tmp_path / f"{name}.log").read_text()

    with app.app_context():
        def ran_by(name):
            with _db.engine.connect() as conn:
                return conn.scalar(sa.select(sa.func.count()).select_from(JobRun).where(JobRun.runner == name))

        def holder():
            row = lease_row()
            return row.holder if row is not None and row.expires_at > datetime.now(timezone.utc) else None

        try:
            start("alpha")
            wait_for(lambda: ran_by("alpha") >= 2, timeout=30)
            start("beta")
            wait_for(lambda: said("beta", "scheduler beta started"), timeout=30)
            time.sleep(LEASE / 2)  # both alive, beta polling
            assert holder() == "alpha" and ran_by("beta") == 0, (tmp_path / "beta.log").read_text()

            processes["alpha"].send_signal(signal.SIGKILL)
            processes["alpha"].wait(timeout=10)
            killed, alpha_runs = time.monotonic(), ran_by("alpha")
            wait_for(lambda: holder() == "beta", timeout=LEASE + 3, step=0.02)
            took_over = time.monotonic() - killed
            wait_for(lambda: ran_by("beta") >= 2, timeout=10)
            assert took_over <= LEASE + 0.5, f"beta took over {took_over:.2f}s after alpha died"
            assert ran_by("alpha") == alpha_runs
            assert said("beta", "scheduler beta is the leader")

            processes["beta"].send_signal(signal.SIGTERM)  # a clean stop hands the lease back
            assert processes["beta"].wait(timeout=15) == 0
            assert holder() is None and said("beta", "scheduler beta stopped and released the lease")
        finally:
            for process in processes.values():
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=10)


# --- the web: list, history, run now ------------------------------------------------------------


@pytest.mark.shopdesk_plugins(DIGEST)
def test_the_api_lists_the_stores_jobs_with_their_next_run(app, db, client, store, service):
    listed = client.get("/api/v1/jobs").json
    assert [(j["id"], j["scope"], j["scheduled"]) for j in listed] == [
        ("digest.mail@acme", "store", False), ("digest.tidy", "global", False),
        ("shopdesk.events_retry", "global", False), ("shopdesk.prune_job_runs", "global", False),
        ("shopdesk.prune_webhook_attempts", "global", False)]
    service().tick()
    listed = {j["id"]: j for j in client.get("/api/v1/jobs").json}
    assert listed["digest.mail@acme"]["scheduled"] is True
    assert listed["digest.mail@acme"]["next_run_at"].endswith("08:00:00+00:00")
    assert listed["digest.mail@acme"]["description"] == "Mail the digest."


@pytest.mark.shopdesk_plugins(DIGEST, FAILING)
def test_run_now_through_the_api_is_recorded_and_audited(app, db, client, store):
    ran = client.post("/api/v1/jobs/digest.mail@acme/run", headers={"Idempotency-Key": "morning"})
    assert ran.status_code == 201
    again = client.post("/api/v1/jobs/digest.mail@acme/run", headers={"Idempotency-Key": "morning"})
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == ran.json  # ran once
    assert (ran.json["outcome"], ran.json["trigger"], ran.json["runner"]) == ("ok", "manual", "owner@example.com")
    failed = client.post("/api/v1/jobs/failing.sync@acme/run")
    assert failed.status_code == 201 and failed.json["error"] == "RuntimeError: the supplier feed is offline"
    history = client.get("/api/v1/jobs/digest.mail@acme/runs")
    assert [r["id"] for r in history.json] == [ran.json["id"]] and history.headers["X-Pagination"]
    assert client.get("/api/v1/jobs/failing.sync@acme/runs?outcome=ok").json == []
    assert client.get("/api/v1/jobs/failing.sync@acme/runs?sort=bogus").status_code == 422
    last = {j["id"]: j["last_run"] for j in client.get("/api/v1/jobs").json}
    assert last["failing.sync@acme"]["outcome"] == "error"
    entries = db.session.execute(sa.select(AuditEntry.action, AuditEntry.object_id, AuditEntry.actor)
                                 .where(AuditEntry.action == "job.run").order_by(AuditEntry.id)).all()
    assert entries == [("job.run", "digest.mail@acme", "owner@example.com"),
                       ("job.run", "failing.sync@acme", "owner@example.com")]


@pytest.mark.shopdesk_plugins(DIGEST)
def test_run_now_and_history_in_the_ui(app, db, client, store):
    page = client.get("/s/acme/jobs").get_data(as_text=True)
    assert "digest.mail" in page and "Run now" in page and "Mail the digest." in page
    assert 'href="/s/acme/jobs"' in client.get("/s/acme/").get_data(as_text=True)  # in the side navigation
    answer = client.post("/s/acme/jobs/digest.mail@acme/run")
    assert answer.status_code == 302 and answer.location.endswith("/s/acme/jobs/digest.mail@acme")
    history = client.get("/s/acme/jobs/digest.mail@acme", follow_redirects=True).get_data(as_text=True)
    assert "The job ran." in history and "owner@example.com" in history and "by hand" in history
    assert client.get("/s/acme/jobs/digest.tidy").status_code == 404  # global: not the store's
    assert client.get("/s/acme/jobs/digest.mail@acme?outcome=nonsense").status_code == 400
    assert [r.trigger for r in runs()] == ["manual"]


@pytest.mark.shopdesk_plugins(DIGEST)
def test_the_jobs_pages_speak_the_readers_language(app, db, client, user):
    user.locale = "zh_Hant"
    db.session.commit()
    client.post("/s/acme/jobs/digest.mail@acme/run")
    page = client.get("/s/acme/jobs").get_data(as_text=True)
    assert "排程工作" in page and "立即執行" in page and "Run now" not in page
    history = client.get("/s/acme/jobs/digest.mail@acme").get_data(as_text=True)
    assert "已記錄 1 次執行" in history and "手動" in history and "成功" in history


@pytest.mark.shopdesk_plugins(DIGEST)
def test_reading_and_running_jobs_need_their_permissions(app, db, store):
    viewer, operator = create_user("v@example.com", "viewer password"), create_user("o@example.com", "operator pass")
    add_member(store, viewer, "viewer")
    add_member(store, operator, "operator")
    db.session.commit()
    as_viewer, as_operator = app.test_client(user=viewer), app.test_client(user=operator)
    assert as_viewer.get("/s/acme/jobs").status_code == 403
    assert as_operator.get("/s/acme/jobs").status_code == 200
    assert "Run now" not in as_operator.get("/s/acme/jobs").get_data(as_text=True)
    assert as_operator.post("/s/acme/jobs/digest.mail@acme/run").status_code == 403
    assert as_operator.post("/api/v1/jobs/digest.mail@acme/run", headers={"Shopdesk-Store": "acme"}).status_code == 403
    assert runs() == []


@pytest.mark.shopdesk_plugins(DIGEST)
def test_a_store_sees_neither_another_stores_runs_nor_global_runs(app, db, client, store, user):
    registry = app.extensions["shopdesk"]
    other = create_store("other", "Other", owner=user)
    enable_plugin(registry, other, "digest")
    db.session.commit()
    scheduler.run_job("digest.mail", "digest", other.id)
    scheduler.run_job("digest.tidy", "digest", None)
    scheduler.run_job("digest.mail", "digest", store.id)
    assert len(client.get("/api/v1/jobs/digest.mail@acme/runs").json) == 1
    assert client.get("/api/v1/jobs/digest.mail@other/runs").status_code == 404
    assert client.post("/api/v1/jobs/digest.mail@other/run").status_code == 404
    assert client.get("/api/v1/jobs/digest.tidy/runs").status_code == 404
    assert client.post("/api/v1/jobs/digest.tidy/run").status_code == 404
    assert "other" not in {j["id"].partition("@")[2] for j in client.get("/api/v1/jobs").json}


# --- command line -------------------------------------------------------------------------------


@pytest.mark.shopdesk_plugins(DIGEST)
def test_the_jobs_commands_list_run_and_show_history(app, db, cli, store):
    listed = cli("jobs", "list")
    assert "digest.mail@acme" in listed.output and "not scheduled yet" in listed.output
    assert "Scheduler: none running" in listed.output
    ran = cli("jobs", "run", "digest.tidy")  # global jobs are run from here
    assert ran.exit_code == 0 and ran.output == "digest.tidy: ok\n"
    history = cli("jobs", "runs", "digest.tidy")
    assert " ok " in history.output and "manual" in history.output and "cli:" in history.output
    assert cli("jobs", "run", "nothing@acme").exit_code == 2


def test_make_run_runs_the_scheduler_in_process(app, cli, monkeypatch):
    import flask.cli

    states = []
    monkeypatch.setattr(flask.cli, "run_simple", lambda *a, **kw: states.append(scheduler_state(app)))
    cli("run")
    assert states == [{"scheduler": "not running in this process"}]
    app.config["SHOPDESK_SCHEDULER"] = "inprocess"  # what the Makefile's `make run` sets
    cli("run")
    try:
        assert states[-1]["scheduler"] in ("standby", "leader")
        wait_for(lambda: scheduler_state(app) == {"scheduler": "leader"}, timeout=10)
    finally:
        app.extensions["shopdesk_scheduler"].stop()
    assert scheduler_state(app) == {"scheduler": "not running in this process"}


def test_the_scheduler_command_refuses_an_unmigrated_database(make_app, tmp_path):
    from flask.cli import ScriptInfo

    from shopdesk.cli import cli as shopdesk_cli

    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'empty.db'}")
    answer = app.test_cli_runner().invoke(shopdesk_cli, ["scheduler"], obj=ScriptInfo(create_app=lambda: app))
    assert answer.exit_code == 2
    assert answer.output == "Error: the database is not migrated: run `shopdesk db upgrade`\n"
