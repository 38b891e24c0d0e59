"""Big competitor price files are imported by the background job, with progress, never in the request."""

import io
from datetime import timedelta
from types import SimpleNamespace

import sqlalchemy as sa

from shopdesk.audit import AuditEntry
from shopdesk.db import utcnow
from shopdesk.stores import use_store
from shopdesk_pricing import competitor_imports
from shopdesk_pricing.models import CompetitorImport, CompetitorPrice

URL = "/api/v1/pricing/competitor-prices/import"


def price_file(rows, bad_line=None):
    lines = ["sku,competitor,price"] + [f"{'TEE-M' if i % 2 else 'MUG-1'},Rival {i},{i % 50 + 1}.90"
                                        for i in range(rows)]
    if bad_line is not None:
        lines[bad_line - 1] = "GHOST,Rival,abc"
    return "\n".join(lines) + "\n"


def run_the_job(db, store):
    with use_store(store):
        return competitor_imports.run_due(SimpleNamespace(store=store))


def prices(db, store):
    with use_store(store):
        return db.session.scalar(sa.select(sa.func.count()).select_from(CompetitorPrice))


def test_a_file_over_the_threshold_is_queued_and_the_job_imports_it_with_progress(
        client, db, store, shop, configure):
    configure(import_background_rows=10)
    queued = client.post(URL, json={"csv": price_file(2500), "filename": "rivals.csv"})
    assert queued.status_code == 202, queued.json
    assert (queued.json["status"], queued.json["total_rows"], queued.json["processed_rows"]) == ("queued", 2500, 0)
    assert prices(db, store) == 0  # nothing in the request
    assert client.get(queued.headers["Location"]).json["id"] == queued.json["id"]

    checked = []
    real_check = competitor_imports.competitors.check_rows

    def watching(rows, currency, now, progress=None):
        return real_check(rows, currency, now, lambda done: (checked.append(done), progress(done)))

    competitor_imports.competitors.check_rows = watching
    try:
        assert run_the_job(db, store) == [queued.json["id"]]
    finally:
        competitor_imports.competitors.check_rows = real_check
    assert checked == [1000, 2000, 2500]  # committed as it went, for the page's progress bar
    run = client.get(queued.headers["Location"]).json
    assert (run["status"], run["processed_rows"], run["written_rows"]) == ("done", 2500, 2500)
    assert prices(db, store) == 2500
    with use_store(store):
        entries = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.action.like("pricing.competitor%"))
                                     .order_by(AuditEntry.id)).all()
    assert entries == ["pricing.competitor_import_queued", "pricing.competitor_prices_imported"]
    assert run_the_job(db, store) == []  # done once


def test_a_queued_file_with_one_bad_row_writes_nothing_and_names_the_line(client, db, store, shop, configure):
    configure(import_background_rows=10)
    queued = client.post(URL, json={"csv": price_file(50, bad_line=40)}).json
    run_the_job(db, store)
    run = client.get(f"/api/v1/pricing/competitor-prices/imports/{queued['id']}").json
    assert run["status"] == "failed" and run["written_rows"] == 0
    assert {(e["line"], e["field"]) for e in run["errors"]} == {(40, "sku"), (40, "price")}
    assert prices(db, store) == 0
    page = client.get(f"/s/acme/pricing/competitors/imports/{queued['id']}").get_data(as_text=True)
    assert "nothing was imported" in page and "Unknown SKU: &#39;GHOST&#39;." in page


def test_a_file_over_the_row_limit_is_refused_naming_csv(client, shop, monkeypatch):
    monkeypatch.setattr(competitor_imports, "MAX_ROWS", 100)
    refused = client.post(URL, json={"csv": price_file(101)})
    assert refused.status_code == 422
    assert refused.json["errors"] == {"csv": ["At most 100 rows a file; this one has 101: split it."]}


def test_an_import_cut_off_mid_run_is_imported_again(client, db, store, shop, configure):
    configure(import_background_rows=10)
    queued = client.post(URL, json={"csv": price_file(20)}).json
    with use_store(store):
        db.session.execute(sa.update(CompetitorImport).values(status="running",
                                                              updated_at=utcnow() - timedelta(hours=1)))
        db.session.commit()
    assert run_the_job(db, store) == [queued["id"]]
    assert prices(db, store) == 20


def test_the_page_sends_a_big_upload_to_its_progress_page(client, db, store, shop, configure):
    configure(import_background_rows=10)
    answer = client.post("/s/acme/pricing/competitors", content_type="multipart/form-data",
                         data={"file": (io.BytesIO(price_file(30).encode()), "rivals.csv")})
    assert answer.status_code == 302 and "/pricing/competitors/imports/" in answer.location
    waiting = client.get(answer.location).get_data(as_text=True)
    assert "Waiting for the background job" in waiting and 'http-equiv="refresh"' in waiting
    run_the_job(db, store)
    done = client.get(answer.location).get_data(as_text=True)
    assert "30 competitor prices imported." in done and 'http-equiv="refresh"' not in done
    assert "rivals.csv" in client.get("/s/acme/pricing/competitors").get_data(as_text=True)
