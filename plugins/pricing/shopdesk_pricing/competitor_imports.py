"""Competitor price files too big for one request: queued, then checked and written by a
background job whose progress the import's page and API show.

A file of up to the store's ``import_background_rows`` rows is imported in the request; a
larger one (up to MAX_ROWS) is queued. The job checks every row first, committing its
progress as it goes, then writes all rows in one transaction, or none when a row is bad.
"""

from datetime import timedelta

import sqlalchemy as sa

from shopdesk.db import db, utcnow

from . import competitors
from .models import CompetitorImport

MAX_ROWS = 200_000
MAX_BYTES = 5_000_000  # as the API's ``csv`` field
STALE = timedelta(minutes=15)  # a "running" import untouched this long was cut off: queue it again


class TooManyRows(ValueError):
    def __init__(self, rows: int):
        self.rows = rows
        super().__init__(f"At most {MAX_ROWS} rows a file; this one has {rows}: split it.")


def row_count(text: str) -> int:
    """Data rows of a file (quoted newlines counted right), checked against MAX_ROWS."""
    rows = competitors.read_csv(text)
    if len(rows) > MAX_ROWS:
        raise TooManyRows(len(rows))
    return len(rows)


def queue(text: str, filename: str, requested_by: str, total_rows: int) -> CompetitorImport:
    run = CompetitorImport(csv=text, filename=filename[:255], requested_by=requested_by, total_rows=total_rows)
    db.session.add(run)
    db.session.flush()
    from shopdesk import audit

    audit.record("pricing.competitor_import_queued", object_type="competitor_import", object_id=run.id,
                 after={"filename": run.filename, "rows": total_rows})
    return run


def run_due(ctx, limit: int = 3) -> list[int]:
    """The background job: import the store's queued files, oldest first. A file is claimed
    with a conditional UPDATE, so two schedulers never import one twice; one left running by
    a dead process is queued again (it wrote nothing: writing is one transaction)."""
    db.session.execute(sa.update(CompetitorImport)
                       .where(CompetitorImport.status == "running", CompetitorImport.updated_at < utcnow() - STALE)
                       .values(status="queued", processed_rows=0))
    db.session.commit()
    done = []
    for run_id in db.session.scalars(sa.select(CompetitorImport.id).filter_by(status="queued")
                                     .order_by(CompetitorImport.id).limit(limit)).all():
        claimed = db.session.execute(sa.update(CompetitorImport)
                                     .where(CompetitorImport.id == run_id, CompetitorImport.status == "queued")
                                     .values(status="running", updated_at=utcnow()))
        db.session.commit()
        if claimed.rowcount == 1:
            execute(db.session.get(CompetitorImport, run_id), ctx.store)
            done.append(run_id)
    return done


def execute(run: CompetitorImport, store, *, commit: bool = True) -> CompetitorImport:
    """Check, then write, one queued import; ``commit=False`` leaves every commit to the caller
    (the demo data, written in one transaction)."""
    def progress(checked):
        run.processed_rows = checked
        if commit:
            db.session.commit()

    try:
        good = competitors.check_rows(competitors.read_csv(run.csv), store.currency, run.created_at, progress)
    except competitors.CsvRejected as exc:
        if commit:
            db.session.rollback()
        run.status, run.errors = "failed", exc.errors
    else:
        run.written_rows = len(competitors.write_rows(good, store.currency, store.id, import_id=run.id))
        run.status, run.csv = "done", ""  # written: the file's text is no longer needed
    run.finished_at = utcnow()
    if commit:
        db.session.commit()
    return run
