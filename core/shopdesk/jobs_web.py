"""Scheduled jobs on the web: the store's jobs page, their run history, and "run now".

``/s/<store>/jobs`` and ``GET /api/v1/jobs`` list the store's per-store jobs (of the plugins
it enables) and the instance's global jobs, with their next run time. History and "run now"
(``GET /api/v1/jobs/<id>/runs``, ``POST /api/v1/jobs/<id>/run``) are for the store's own jobs
only, addressed as ``<job>@<store slug>``: a store never sees another store's runs, and
global jobs, whose runs may concern every store, are run and inspected on the command line
(``shopdesk jobs runs ID``, ``shopdesk jobs run ID``). Run now runs the job in the request,
records it as a manual run and audits it.
"""

from datetime import timezone

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask.views import MethodView
from flask_babel import gettext as _
from flask_smorest import Blueprint as ApiBlueprint
from flask_smorest import abort as api_abort
from marshmallow import Schema, fields, validate

from . import scheduler
from .api import page_of, page_of_items, paginate, sort_argument
from .auth.permissions import requires
from .db import db
from .i18n import N_, select_timezone
from .scheduler import JobRun
from .ui import page_of_rows

PAGE_SIZE = 50
# The catalogue entries of the labels of jobs.read and jobs.run (auth/permissions.py).
PERMISSION_LABELS = [N_("See scheduled jobs and their runs"), N_("Run a scheduled job now")]
OUTCOMES = [scheduler.RUNNING, scheduler.OK, scheduler.ERROR, scheduler.INTERRUPTED]


def store_jobs() -> list[dict]:
    """The current store's jobs and the global ones, per-store first, each with its next run
    and (per-store jobs) its last run."""
    planned = scheduler.plan(store=g.store)
    times = scheduler.next_run_times(planned)
    last = {}
    mine = [p for p in planned.values() if p.store is not None]
    if mine:
        newest = (sa.select(JobRun.job_id, sa.func.max(JobRun.id).label("id"))
                  .where(JobRun.store_id == g.store.id, JobRun.job_id.in_([p.defined.job.id for p in mine]))
                  .group_by(JobRun.job_id).subquery())
        for run in db.session.scalars(sa.select(JobRun).join(newest, JobRun.id == newest.c.id)):
            last[run.job_id] = run
    items = []
    for item in sorted(planned.values(), key=lambda p: (p.store is None, p.id)):
        job = item.defined.job
        items.append({
            "id": item.id, "job": job.id, "plugin": item.defined.plugin,
            "scope": "store" if item.store is not None else "global",
            "description": str(job.description or ""), "trigger": str(item.trigger),
            "next_run_at": times.get(item.id), "scheduled": item.id in times,
            "last_run": last.get(job.id) if item.store is not None else None,
        })
    return items


def store_job(job_id: str, not_found=abort):
    """One of the current store's own jobs by its id (``<job>@<slug>``), else 404."""
    item = scheduler.plan(store=g.store).get(job_id)
    if item is None:
        not_found(404, f"This store has no job '{job_id}'.")
    if item.store is None:
        not_found(404, "This is an instance-wide job: its runs are not part of a store "
                       "(see `shopdesk jobs runs ID` on the command line).")
    return item


def _api_not_found(status, message):
    api_abort(status, message=message)


# --- API ---------------------------------------------------------------------------------------

blp = ApiBlueprint("jobs-api", __name__, url_prefix="/jobs",
                   description="Scheduled jobs of the store: next runs, history and run now.")


class UTCDateTimeField(fields.DateTime):
    """ISO 8601 in UTC."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(value and value.astimezone(timezone.utc), attr, obj, **kwargs)


class JobRunSchema(Schema):
    id = fields.Integer()
    job = fields.String(attribute="job_id", metadata={"description": "The job's definition id (notes.digest)."})
    plugin = fields.String()
    trigger = fields.String(metadata={"description": "schedule or manual."})
    runner = fields.String(metadata={"description": "The scheduler process, or who ran it by hand."})
    started_at = UTCDateTimeField()
    finished_at = UTCDateTimeField(allow_none=True)
    outcome = fields.String(metadata={"description": "running, ok, error or interrupted."})
    error = fields.String(allow_none=True)


class JobSchema(Schema):
    id = fields.String(metadata={"description": "<job>@<store> for the store's jobs, <job> for global ones."})
    job = fields.String(metadata={"description": "The job's definition id."})
    plugin = fields.String(metadata={"description": "The plugin that contributes it (shopdesk: the host)."})
    scope = fields.String(metadata={"description": "store (runs for this store) or global (once for the instance)."})
    description = fields.String()
    trigger = fields.String(metadata={"description": "When it runs, as APScheduler describes the trigger."})
    next_run_at = UTCDateTimeField(allow_none=True)
    scheduled = fields.Boolean(metadata={"description": "False until a running scheduler has stored it."})
    last_run = fields.Nested(JobRunSchema, allow_none=True)


class RunQuery(Schema):
    outcome = fields.String(validate=validate.OneOf(OUTCOMES))
    trigger = fields.String(validate=validate.OneOf(["schedule", "manual"]))
    sort = sort_argument(["started_at", "finished_at", "id"], "-started_at")


@blp.route("")
class Jobs(MethodView):
    @requires("jobs.read")
    @blp.response(200, JobSchema(many=True))
    @paginate(blp)
    def get(self, pagination_parameters):
        """The store's jobs and the instance's global jobs, with their next run time."""
        return page_of_items(store_jobs(), pagination_parameters)


@blp.route("/<job_id>/runs")
class JobRuns(MethodView):
    @requires("jobs.read")
    @blp.arguments(RunQuery, location="query")
    @blp.response(200, JobRunSchema(many=True))
    @paginate(blp)
    def get(self, query, pagination_parameters, job_id):
        """Recorded runs of one of the store's jobs, newest first by default."""
        select = scheduler.runs_of(store_job(job_id, _api_not_found))
        if "outcome" in query:
            select = select.where(JobRun.outcome == query["outcome"])
        if "trigger" in query:
            select = select.where(JobRun.trigger == query["trigger"])
        return page_of(select, pagination_parameters, query["sort"],
                       {"started_at": JobRun.started_at, "finished_at": JobRun.finished_at, "id": JobRun.id})


@blp.route("/<job_id>/run")
class RunNow(MethodView):
    @requires("jobs.run")
    @blp.response(201, JobRunSchema)
    def post(self, job_id):
        """Run one of the store's jobs now, in this request; the run is recorded and audited.

        A job that fails still answers 201: the run happened, its outcome and error say how.
        """
        item = store_job(job_id, _api_not_found)
        run = scheduler.run_job(item.defined.job.id, item.defined.plugin, g.store.id, trigger="manual")
        if run is None:
            api_abort(409, message=f"Job '{job_id}' cannot run now.")
        return run


# --- UI ----------------------------------------------------------------------------------------

bp = Blueprint("jobs", __name__)


def _zone() -> str:
    """The time zone the |datetime filter shows times in (shopdesk.i18n.select_timezone)."""
    return select_timezone()


@bp.route("/s/<store>/jobs")
@requires("jobs.read")
def page():
    return render_template("shell/jobs.html", jobs=store_jobs(), zone=_zone())


@bp.route("/s/<store>/jobs/<job_id>")
@requires("jobs.read")
def runs(job_id):
    item = store_job(job_id)
    outcome = request.args.get("outcome") or None
    if outcome is not None and outcome not in OUTCOMES:
        abort(400, description=_("outcome: must be one of %(choices)s", choices=", ".join(OUTCOMES)))
    number = request.args.get("page", "1")
    number = int(number) if number.isdigit() and int(number) > 0 else 1
    select = scheduler.runs_of(item)
    if outcome:
        select = select.where(JobRun.outcome == outcome)
    rows, number, pages, total = page_of_rows(select, number, PAGE_SIZE, JobRun.started_at.desc(), JobRun.id.desc())
    return render_template("shell/job_runs.html", item=item, runs=rows, total=total, page=number, pages=pages,
                           outcome=outcome, outcomes=OUTCOMES, zone=_zone(),
                           next_run=scheduler.next_run_times([item.id]).get(item.id))


@bp.route("/s/<store>/jobs/<job_id>/run", methods=["POST"])
@requires("jobs.run")
def run_now(job_id):
    item = store_job(job_id)
    run = scheduler.run_job(item.defined.job.id, item.defined.plugin, g.store.id, trigger="manual")
    if run is None:
        flash(_("This job cannot run now."), "danger")
    elif run.outcome == scheduler.OK:
        flash(_("The job ran."), "success")
    else:
        flash(_("The job failed: %(error)s", error=run.error), "danger")
    return redirect(url_for("jobs.runs", job_id=item.id))
