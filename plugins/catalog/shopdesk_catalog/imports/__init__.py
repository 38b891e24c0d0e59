"""Importing a product file: one :class:`ImportRun` from upload to report.

A run reads the file, checks every row (:mod:`.rows`), checks the rows against each other
and the store (:mod:`.plan`), then, unless it is a dry run, writes in bulk
(:mod:`.write`) in one transaction:

* ``all_or_nothing``: one bad row and nothing is written (the run is ``failed``);
* ``valid_rows``: the good rows are written, the bad ones are reported.

Every problem is kept in ``run.errors`` as ``{"line", "field", "message"}``. The same code runs
from the API, the Import page, the command line and the background job; only who commits
progress differs. Each real import adds one audit entry (``catalog.import``) with its counts.
"""

import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from shopdesk.plugin import audit, db, utcnow

from ..models import ImportRun
from .files import UnreadableFile, count_rows, read_rows
from .plan import Store, plan_import
from .rows import COLUMNS, header_positions, parse_row
from .write import write_plan

MODES = ("all_or_nothing", "valid_rows")
MAX_ERRORS = 100_000  # a report larger than this is cut, and says so
PROGRESS_EVERY = 2000  # rows between progress commits of a background run
STALE = timedelta(minutes=15)  # a "running" run untouched this long was cut off: queue it again


def upload_folder(store_id: int) -> Path:
    folder = Path(current_app.instance_path) / "catalog-imports" / str(store_id)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def keep_upload(store_id: int, stream, file_format: str) -> Path:
    """Save an uploaded file in the instance folder under a name of our own."""
    path = upload_folder(store_id) / f"{uuid.uuid4().hex}.{file_format}"
    with path.open("wb") as out:
        while chunk := stream.read(1 << 20):
            out.write(chunk)
    return path


def new_run(*, filename, path, file_format, mode="all_or_nothing", dry_run=True, create_categories=True,
            user_id=None, status="queued") -> ImportRun:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    try:
        total = count_rows(path, file_format)
    except UnreadableFile:
        total = 0  # the run itself reports the file as unreadable
    run = ImportRun(filename=filename[:255], stored_path=str(path), file_format=file_format, mode=mode,
                    dry_run=dry_run, create_categories=create_categories, status=status, total_rows=total,
                    processed_rows=0, written_rows=0, errors=[], message="", user_id=user_id, summary={})
    db.session.add(run)
    db.session.flush()
    return run


class Report:
    """Collects problems, at most MAX_ERRORS of them."""

    def __init__(self):
        self.errors: list[dict] = []
        self.count = 0

    def __call__(self, line, field, message):
        self.count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append({"line": line, "field": field, "message": message})


def _check(run: ImportRun, currency: str, report: Report, on_row=None):
    """Read and check every row; returns (rows, positions) or (None, None) when the header is bad."""
    source = read_rows(run.stored_path, run.file_format)
    header = next(source, None)
    if header is None:
        report(1, "file", "The file is empty: it needs a header row and one row per variant.")
        return None, None
    positions = header_positions(header, report)
    if positions is None:
        return None, None
    rows = []
    texts = run.file_format == "csv"
    for line, cells in enumerate(source, start=2):
        if all(cell is None or cell == "" for cell in cells):
            continue
        rows.append(parse_row(cells, line, positions, currency, report, texts))
        if on_row and line % PROGRESS_EVERY == 0:
            on_row(line - 1)
    return rows, positions


def execute(run: ImportRun, store, *, commit_progress=False, progress=None, commit=True) -> ImportRun:
    """Run an import to its end and commit. ``progress(phase, done, total)`` follows it
    (phase "checking" then "writing"); with ``commit_progress`` the run's counters are committed
    as it goes, for a progress page to read (background runs). ``commit=False`` leaves the
    transaction to the caller (demo data: a dry run inside the demo's own transaction)."""
    run_id = run.id
    run.status = "running"
    if commit:
        db.session.commit()
    report = Report()

    def _finish(*args, **kwargs):
        return _finish_run(*args, commit=commit, **kwargs)

    def checked(done):
        if progress:
            progress("checking", done, run.total_rows)
        if commit_progress:
            db.session.execute(sa.update(ImportRun).where(ImportRun.id == run_id).values(processed_rows=done))
            db.session.commit()

    try:
        rows, _positions = _check(run, store.currency, report, checked)
        if rows is None:
            return _finish(run_id, report, "failed", "The file cannot be imported: see the problems on line 1.")
        existing = Store()
        plan = plan_import(rows, existing, run.create_categories, report)
        run = db.session.get(ImportRun, run_id)
        run.total_rows = run.processed_rows = len(rows)
        if commit_progress:
            db.session.commit()  # the progress page shows every row checked while the writing runs
        summary = plan.summary
        if progress:
            progress("checking", len(rows), len(rows))
        if run.dry_run:
            message = "Dry run: nothing was written."
            return _finish(run_id, report, "done", message, summary)
        if report.count and run.mode == "all_or_nothing":
            return _finish(run_id, report, "failed",
                           f"Nothing was written: {summary['rows_refused']} row(s) have problems "
                           f"(all or nothing).", summary, audit_it=True)
        write_plan(plan, existing, store.id,
                   progress=(lambda done, total: progress("writing", done, total)) if progress else None)
        written = summary["variants_created"] + summary["variants_updated"]
        message = f"{written} row(s) written" + (f", {summary['rows_refused']} refused." if report.count else ".")
        return _finish(run_id, report, "done", message, summary, written=written, audit_it=True)
    except UnreadableFile as exc:
        db.session.rollback()
        report(1, "file", str(exc))
        return _finish(run_id, report, "failed", str(exc))
    except sa.exc.IntegrityError:
        db.session.rollback()
        return _finish(run_id, report, "failed",
                       "Nothing was written: the store changed while importing (a SKU, category or brand was "
                       "added meanwhile). Run the import again.", audit_it=True)


def _finish_run(run_id, report: Report, status, message, summary=None, written=0, audit_it=False,
                commit=True) -> ImportRun:
    run = db.session.get(ImportRun, run_id)
    run.status, run.message, run.written_rows = status, message, written
    order = {name: index for index, name in enumerate(COLUMNS)}
    # by line, then in column order; line 1 (the header) in the order found
    run.errors = sorted(report.errors, key=lambda e: (e["line"], order.get(e["field"], 0) if e["line"] > 1 else 0))
    run.summary = {**(summary or {}), "problems": report.count}
    if report.count > len(report.errors):
        run.message += f" Only the first {len(report.errors)} of {report.count} problems are listed."
    run.finished_at = utcnow()
    if audit_it:
        audit.record("catalog.import", object_type="import", object_id=run.id,
                     after={"filename": run.filename, "mode": run.mode, "status": status,
                            "written_rows": written, **run.summary})
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return run


def run_due(store, limit: int = 3) -> list[int]:
    """Process the store's queued imports, oldest first (the background job's work).

    A run is claimed with a conditional UPDATE, so two schedulers never process one run.
    A run left ``running`` by a process that died is queued again after STALE minutes: an
    import writes in one transaction, so the dead process wrote nothing.
    """
    stale = utcnow() - STALE
    db.session.execute(sa.update(ImportRun).where(ImportRun.status == "running", ImportRun.updated_at < stale)
                       .values(status="queued", processed_rows=0))
    db.session.commit()
    done = []
    for run_id in db.session.scalars(sa.select(ImportRun.id).filter_by(status="queued")
                                     .order_by(ImportRun.id).limit(limit)).all():
        claimed = db.session.execute(sa.update(ImportRun).where(ImportRun.id == run_id,
                                                                ImportRun.status == "queued")
                                     .values(status="running", updated_at=utcnow()))
        db.session.commit()
        if claimed.rowcount != 1:
            continue
        execute(db.session.get(ImportRun, run_id), store, commit_progress=True)
        done.append(run_id)
    return done
