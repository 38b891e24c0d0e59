"""The audit log: append-only in the database, request ids, the plugins' one-line helper,
the API with filters and pagination, the CSV export, the UI page and the command line."""

import csv
import io
import json
import re
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs

import flask
import pytest
import sqlalchemy as sa
from alembic import command

from shopdesk import audit, migrate
from shopdesk.app import create_app
from shopdesk.audit import CSV_COLUMNS, AuditEntry
from shopdesk.auth.models import create_user
from shopdesk.auth.permissions import requires
from shopdesk.auth.roles import add_member
from shopdesk.auth.tokens import ApiToken
from shopdesk.db import db as _db
from shopdesk.stores import create_store, enable_plugin, use_store
from shopdesk.testing import make_plugin

CORE = Path(__file__).resolve().parent.parent / "core" / "shopdesk"


def entry(db, entry_id) -> AuditEntry:
    db.session.expire_all()
    return db.session.get(AuditEntry, entry_id)


def add_entries(db, store, *specs):
    """Entries written the way a plugin writes them, in ``store``; returns their ids."""
    ids = []
    with use_store(store):
        for action, object_id, when in specs:
            row = audit.record(action, object_type=action.split(".")[0], object_id=object_id,
                               before={"n": object_id}, after=None)
            if when is not None:
                row.at = when
            db.session.flush()
            ids.append(row.id)
    db.session.commit()
    return ids


@pytest.fixture
def other_store(db, user):
    """A second store the same user owns: its entries must never show in 'acme'."""
    the_store = create_store("other", "Other Store", owner=user)
    db.session.commit()
    return the_store


def read_csv(text):
    assert text.startswith("\ufeff"), "the export starts with a byte-order mark, so Excel reads it as UTF-8"
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


# --- append-only ---------------------------------------------------------------------------------


@pytest.mark.parametrize("statement", [
    "UPDATE audit_log SET action = 'tampered', actor = 'someone else' WHERE id = :id",
    "DELETE FROM audit_log WHERE id = :id",
])
def test_the_database_refuses_to_change_or_remove_an_entry(db, user, statement):
    written = audit.record("test.kept", store_id=None, object_type="thing", object_id=1, after={"a": 1})
    db.session.commit()
    with pytest.raises(sa.exc.DBAPIError, match="audit_log is append-only"):
        db.session.execute(sa.text(statement), {"id": written.id})
    db.session.rollback()
    kept = entry(db, written.id)
    assert (kept.action, kept.actor, kept.after) == ("test.kept", written.actor, {"a": 1})


def test_the_orm_cannot_change_an_entry_either(db, user):
    written = audit.record("test.kept", store_id=None)
    db.session.commit()
    written.action = "tampered"
    with pytest.raises(sa.exc.DBAPIError, match="audit_log is append-only"):
        db.session.commit()
    db.session.rollback()
    assert entry(db, written.id).action == "test.kept"


def test_the_code_has_no_update_or_delete_path():
    pattern = re.compile(r"\b(update|delete)\(\s*AuditEntry|\b(UPDATE|DELETE\s+FROM)\s+audit_log\b", re.I)
    roots = [CORE, CORE.parent.parent / "plugins", CORE.parent.parent / "contrib"]
    found = [f"{path}:{n}" for root in roots if root.exists() for path in root.rglob("*.py")
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert found == []
    assert not [name for name in dir(audit) if re.match(r"(update|delete|remove|purge|edit)", name)]


def test_the_migration_adds_the_triggers_and_its_downgrade_drops_them(empty_database_url, tmp_path):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "INSTANCE_PATH": str(tmp_path),
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})
    insert = sa.text("INSERT INTO audit_log (at, actor, action) VALUES (:at, 'x', 'test.row')")
    with app.app_context():
        try:
            migrate.upgrade(app)
            _db.session.execute(insert, {"at": datetime.now(timezone.utc)})
            _db.session.commit()
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                _db.session.execute(sa.text("DELETE FROM audit_log"))
            _db.session.rollback()
            command.downgrade(migrate.alembic_config(app), "host_0002")
            _db.session.execute(sa.text("UPDATE audit_log SET actor = 'y'"))
            _db.session.execute(sa.text("DELETE FROM audit_log"))
            _db.session.commit()
            migrate.upgrade(app)
            _db.session.execute(insert, {"at": datetime.now(timezone.utc)})
            _db.session.commit()
            with pytest.raises(sa.exc.DBAPIError, match="append-only"):
                _db.session.execute(sa.text("UPDATE audit_log SET actor = 'z'"))
            _db.session.rollback()
            assert migrate.check(app) == []
        finally:
            _db.session.remove()
            _db.engine.dispose()


# --- who, when, where, what, request id ------------------------------------------------------------


def test_a_role_change_through_the_api_is_recorded_in_full(client, db, store, user):
    made = client.post("/api/v1/roles", json={"name": "packer", "permissions": ["store.view"]})
    answer = client.patch(f"/api/v1/roles/{made.json['id']}", json={"permissions": ["store.view", "audit.read"]},
                          headers={"X-Request-Id": "support-ticket-42"})
    assert answer.status_code == 200 and answer.headers["X-Request-Id"] == "support-ticket-42"
    row = db.session.scalars(sa.select(AuditEntry).filter_by(action="role.updated")).one()
    assert (row.actor, row.user_id, row.store_id) == ("owner@example.com", user.id, store.id)
    assert (row.object_type, row.object_id) == ("role", str(made.json["id"]))
    assert row.before == {"permissions": ["store.view"], "description": ""}
    assert row.after == {"permissions": ["audit.read", "store.view"], "description": ""}
    assert (row.ip, row.request_id) == ("127.0.0.1", "support-ticket-42")
    assert abs((datetime.now(timezone.utc) - row.at).total_seconds()) < 60
    created = db.session.scalars(sa.select(AuditEntry).filter_by(action="role.created")).one()
    assert re.fullmatch(r"[0-9a-f]{32}", created.request_id) and created.request_id == made.headers["X-Request-Id"]


@pytest.mark.parametrize("sent", ["has space", "x" * 65, "semi;colon", ""])
def test_an_invalid_request_id_is_replaced_by_a_new_one(client, sent):
    answer = client.get("/api/v1/roles", headers={"X-Request-Id": sent})
    assert re.fullmatch(r"[0-9a-f]{32}", answer.headers["X-Request-Id"])


def test_every_response_has_a_request_id_even_a_refusal(app, store):
    anonymous = app.test_client()
    refused = anonymous.get("/api/v1/roles", headers={"Shopdesk-Store": "acme"})
    assert refused.status_code == 401 and refused.headers["X-Request-Id"]
    bad_token = anonymous.get("/api/v1/roles", headers={"Authorization": "Bearer sdk_nope", "X-Request-Id": "a.b_c-1"})
    assert bad_token.status_code == 401 and bad_token.headers["X-Request-Id"] == "a.b_c-1"
    first, second = anonymous.get("/login"), anonymous.get("/login")
    assert first.headers["X-Request-Id"] != second.headers["X-Request-Id"]


def test_sign_ins_are_recorded_with_no_store(app, db, user):
    anonymous = app.test_client()
    anonymous.post("/login", data={"email": "owner@example.com", "password": "nope"}, headers={"X-Request-Id": "r1"})
    anonymous.post("/login", data={"email": "owner@example.com", "password": "correct horse battery"})
    failed, ok = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action.like("auth.%"))
                                    .order_by(AuditEntry.id)).all()
    assert (failed.action, failed.store_id, failed.actor, failed.request_id, failed.ip) == \
        ("auth.login_failed", None, "owner@example.com", "r1", "127.0.0.1")
    assert (ok.action, ok.store_id, ok.user_id) == ("auth.login", None, user.id)


# --- the plugins' one-line helper ----------------------------------------------------------------------


def test_the_helper_stamps_the_current_store(db, store):
    with use_store(store):
        row = audit.record("notes.deleted", object_type="note", object_id=7,
                           before={"title": "Call back", "due": date(2030, 1, 2), "tags": {"b", "a"}})
        global_row = audit.record("notes.purged", store_id=None)
    db.session.commit()
    assert entry(db, row.id).store_id == store.id
    assert entry(db, row.id).before == {"title": "Call back", "due": "2030-01-02", "tags": ["a", "b"]}
    assert entry(db, row.id).object_id == "7"
    assert entry(db, global_row.id).store_id is None
    outside = audit.record("notes.outside")
    db.session.commit()
    assert entry(db, outside.id).store_id is None and entry(db, outside.id).actor.startswith("cli")


def test_a_plugin_route_writes_one_line_and_gets_its_store_and_request(make_app, db, user, store):
    pages = flask.Blueprint("jotter", __name__, url_prefix="/jotter")

    @pages.route("/delete/<int:note_id>", methods=["POST"])
    @requires("store.view")
    def delete(note_id):
        audit.record("jotter.deleted", object_type="note", object_id=note_id, before={"title": "Old"})
        _db.session.commit()
        return "", 204

    app = make_app(plugins=[make_plugin("jotter", register_blueprints=lambda: [pages])])
    enable_plugin(app.extensions["shopdesk"], store, "jotter")
    db.session.commit()
    answer = app.test_client(user=user).post(f"/s/{store.slug}/jotter/delete/5", headers={"X-Request-Id": "jot-1"})
    assert answer.status_code == 204
    row = db.session.scalars(sa.select(AuditEntry).filter_by(action="jotter.deleted")).one()
    assert (row.store_id, row.actor, row.object_id, row.before, row.request_id) == \
        (store.id, "owner@example.com", "5", {"title": "Old"}, "jot-1")


# --- API: filters, pagination, store isolation -------------------------------------------------------


def test_the_api_filters_sorts_and_paginates_the_stores_entries_only(client, db, store, other_store):
    mine = add_entries(db, store, ("notes.created", 1, None), ("notes.deleted", 1, None),
                       ("orders.refunded", 9, None), ("notes.created", 2, None))
    theirs = add_entries(db, other_store, ("notes.created", 1, None), ("orders.refunded", 9, None))

    everything = client.get("/api/v1/audit?page_size=100").json
    assert set(mine) <= {e["id"] for e in everything}
    assert not {e["id"] for e in everything} & set(theirs)
    assert {e["store_id"] for e in everything} == {store.id}
    assert everything == sorted(everything, key=lambda e: e["at"], reverse=True)  # newest first

    notes = client.get("/api/v1/audit?action=notes.*&sort=id").json
    assert [e["id"] for e in notes] == [mine[0], mine[1], mine[3]]
    assert notes[0]["before"] == {"n": 1} and notes[0]["after"] is None and notes[0]["object_type"] == "notes"
    assert [e["id"] for e in client.get("/api/v1/audit?action=notes.created&sort=-id").json] == [mine[3], mine[0]]
    assert [e["id"] for e in client.get("/api/v1/audit?object_type=orders&object_id=9").json] == [mine[2]]
    assert client.get("/api/v1/audit?action=notes").json == []  # not a prefix without .*
    assert client.get("/api/v1/audit?action=note_.*").json == []  # LIKE wildcards are literal

    page = client.get("/api/v1/audit?action=notes.*&sort=id&page=2&page_size=2")
    assert [e["id"] for e in page.json] == [mine[3]]
    assert json.loads(page.headers["X-Pagination"])["total"] == 3

    as_other = client.get("/api/v1/audit?action=notes.*", headers={"Shopdesk-Store": "other"}).json
    assert [e["id"] for e in as_other] == [theirs[0]]


def test_the_api_filters_by_actor_and_time(client, db, store):
    early, late = datetime(2030, 1, 1, 12, tzinfo=timezone.utc), datetime(2030, 1, 3, 12, tzinfo=timezone.utc)
    ids = add_entries(db, store, ("clock.early", 1, early), ("clock.late", 2, late))
    with use_store(store):
        audit.record("clock.someone", actor="clerk@example.com")
    db.session.commit()
    window = {"action": "clock.*", "sort": "at"}
    assert [e["id"] for e in client.get("/api/v1/audit", query_string={**window, "since": "2030-01-02T00:00:00+00:00"}).json] == [ids[1]]
    assert [e["id"] for e in client.get("/api/v1/audit", query_string={**window, "until": "2030-01-02T00:00:00Z",
                                                                        "since": "2029-01-01T00:00:00+08:00"}).json] == [ids[0]]
    assert client.get("/api/v1/audit", query_string={**window, "since": "2030-01-02T00:00:00+00:00"}).json[0]["at"] == \
        "2030-01-03T12:00:00+00:00"
    assert [e["action"] for e in client.get("/api/v1/audit", query_string={"actor": "Clerk@example.com"}).json] == \
        ["clock.someone"]
    naive = client.get("/api/v1/audit", query_string={"since": "2030-01-02T00:00:00"})
    assert naive.status_code == 422 and "since" in naive.json["errors"]
    assert client.get("/api/v1/audit?sort=actor").status_code == 422


def test_reading_the_log_needs_audit_read(app, db, store, client, user, token_for):
    viewer = create_user("viewer@example.com", "viewer password 1")
    manager = create_user("manager@example.com", "manager password 1")
    add_member(store, viewer, "viewer")
    add_member(store, manager, "manager")
    db.session.commit()
    as_viewer = app.test_client(user=viewer)
    for url in ("/s/acme/audit", "/s/acme/audit/export.csv"):
        assert as_viewer.get(url).status_code == 403
        assert app.test_client(user=manager).get(url).status_code == 200
    for url in ("/api/v1/audit", "/api/v1/audit/export.csv"):
        assert as_viewer.get(url, headers={"Shopdesk-Store": "acme"}).status_code == 403
    assert "Audit log" not in as_viewer.get("/s/acme/").get_data(as_text=True)
    assert "Audit log" in client.get("/s/acme/").get_data(as_text=True)
    narrow = token_for(user, store, ["store.view"])
    assert app.test_client().get("/api/v1/audit", headers={"Authorization": f"Bearer {narrow}"}).status_code == 403
    wide = token_for(user, store, ["audit.read"])
    assert app.test_client().get("/api/v1/audit", headers={"Authorization": f"Bearer {wide}"}).status_code == 200


def test_a_change_made_with_an_api_token_names_the_token(app, db, store, user, token_for):
    plain = token_for(user, store, ["notes.read", "notes.write"])
    with use_store(store):
        token = db.session.scalar(sa.select(ApiToken).order_by(ApiToken.id.desc()))
    api = app.test_client()
    headers = {"Authorization": f"Bearer {plain}", "Shopdesk-Store": "acme"}
    note = api.post("/api/v1/notes", json={"title": "Courier moved"}, headers=headers).json
    assert api.delete(f"/api/v1/notes/{note['id']}", headers=headers).status_code == 204
    with use_store(store):
        entry = db.session.scalar(sa.select(AuditEntry).filter_by(action="notes.deleted"))
    assert entry.actor == f"owner@example.com via token #{token.id} (test token)"
    assert entry.user_id == user.id


# --- CSV -----------------------------------------------------------------------------------------------


def test_the_csv_export_has_the_header_and_the_filtered_rows(client, db, store, other_store):
    mine = add_entries(db, store, ("notes.created", 1, None), ("orders.refunded", 9, None), ("notes.deleted", 1, None))
    add_entries(db, other_store, ("notes.created", 1, None))
    with use_store(store):
        audit.record("notes.odd", actor="=HYPERLINK(\"http://evil\")", object_id=3, after={"title": "雨傘"})
    db.session.commit()
    answer = client.get("/api/v1/audit/export.csv?action=notes.*", headers={"X-Request-Id": "export-1"})
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert re.fullmatch(r'attachment; filename="audit-acme-\d{8}T\d{6}Z\.csv"', answer.headers["Content-Disposition"])
    rows = read_csv(answer.get_data(as_text=True))
    assert rows[0] == CSV_COLUMNS
    records = [dict(zip(rows[0], r)) for r in rows[1:]]
    assert [int(r["id"]) for r in records][:2] == [mine[0], mine[2]]  # oldest first
    assert [r["action"] for r in records] == ["notes.created", "notes.deleted", "notes.odd"]
    first = records[0]
    assert first["store"] == "acme" and first["actor"].startswith("cli")
    assert first["at"].endswith("+00:00") and datetime.fromisoformat(first["at"]).tzinfo is not None
    assert json.loads(first["before"]) == {"n": 1} and first["after"] == ""
    assert (first["object_type"], first["object_id"]) == ("notes", "1")
    odd = records[2]
    assert odd["actor"].startswith("'=") and json.loads(odd["after"]) == {"title": "雨傘"}

    since = client.get("/api/v1/audit/export.csv", query_string={"action": "orders.refunded", "since": "2000-01-01T00:00:00Z"})
    assert [r[4] for r in read_csv(since.get_data(as_text=True))] == ["action", "orders.refunded"]
    empty = client.get("/api/v1/audit/export.csv?action=nothing.here")
    assert read_csv(empty.get_data(as_text=True)) == [CSV_COLUMNS]


def test_audit_text_starting_with_a_formula_is_exported_as_text_and_numbers_as_numbers(client, db, store):
    with use_store(store):
        audit.record("=HYPERLINK(\"http://evil\")", actor="@SUM(1+1)", object_type="-cmd", object_id=-5)
        audit.record("stock.adjusted", object_type="adjustment", object_id="-12.50")
    db.session.commit()
    rows = read_csv(client.get("/api/v1/audit/export.csv").get_data(as_text=True))
    records = {r[4]: dict(zip(rows[0], r)) for r in rows[1:]}
    evil = records["'=HYPERLINK(\"http://evil\")"]
    assert (evil["actor"], evil["object_type"], evil["object_id"]) == ("'@SUM(1+1)", "'-cmd", "-5")
    assert records["stock.adjusted"]["object_id"] == "-12.50"


def test_the_csv_export_streams_in_batches(client, db, store):
    with use_store(store):
        for n in range(1203):
            audit.record("bulk.row", object_id=n)
    db.session.commit()
    rows = read_csv(client.get("/api/v1/audit/export.csv?action=bulk.row").get_data(as_text=True))
    assert len(rows) == 1204 and [r[6] for r in rows[1:]] == [str(n) for n in range(1203)]


# --- UI ------------------------------------------------------------------------------------------------


def test_the_page_lists_filters_and_links_the_csv(client, db, store, other_store):
    add_entries(db, store, ("notes.created", 1, datetime(2030, 5, 1, 10, tzinfo=timezone.utc)),
                ("notes.deleted", 2, datetime(2030, 5, 3, 10, tzinfo=timezone.utc)),
                ("orders.refunded", 3, datetime(2030, 5, 3, 11, tzinfo=timezone.utc)))
    add_entries(db, other_store, ("notes.secret", 4, datetime(2030, 5, 3, 10, tzinfo=timezone.utc)))
    page = client.get("/s/acme/audit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "notes.created" in html and "orders.refunded" in html and "notes.secret" not in html
    assert html.index("orders.refunded") < html.index("notes.deleted") < html.index("notes.created")  # newest first
    assert "<details>" in html and "&#34;n&#34;: 1" in html
    assert 'class="table-responsive"' in html

    filtered = client.get("/s/acme/audit?action=notes.*&from=2030-05-02&to=2030-05-03&actor=")
    text = filtered.get_data(as_text=True)
    assert filtered.status_code == 200
    assert "notes.deleted" in text and "notes.created" not in text and "orders.refunded" not in text
    assert 'value="notes.*"' in text and 'value="2030-05-02"' in text
    link = re.search(r'id="audit-csv" href="([^"]+)"', text).group(1).replace("&amp;", "&")
    path, _, query = link.partition("?")
    assert path == "/s/acme/audit/export.csv"
    assert parse_qs(query) == {"action": ["notes.*"], "from": ["2030-05-02"], "to": ["2030-05-03"]}
    exported = read_csv(client.get(link).get_data(as_text=True))
    assert [r[4] for r in exported[1:]] == ["notes.deleted"]

    bad = client.get("/s/acme/audit?from=yesterday")
    assert bad.status_code == 400 and "Not a valid date." in bad.get_data(as_text=True)
    backwards = client.get("/s/acme/audit?from=2030-05-03&to=2030-05-01")
    assert backwards.status_code == 400


def test_the_page_reads_dates_in_the_stores_time_zone(client, db, store):
    store.timezone = "Asia/Taipei"  # UTC+8
    db.session.commit()
    add_entries(db, store, ("tz.late_evening_utc", 1, datetime(2030, 5, 1, 20, tzinfo=timezone.utc)))
    assert "tz.late_evening_utc" in client.get("/s/acme/audit?from=2030-05-02&to=2030-05-02").get_data(as_text=True)
    html = client.get("/s/acme/audit?from=2030-05-01&to=2030-05-01").get_data(as_text=True)
    assert "tz.late_evening_utc" not in html and "Asia/Taipei" in html


def test_the_page_is_paginated(client, db, store):
    with use_store(store):
        for n in range(120):
            audit.record("page.row", object_id=n)
    db.session.commit()
    first = client.get("/s/acme/audit?action=page.row").get_data(as_text=True)
    assert first.count("<code>page.row</code>") == 50 and "Page 1 of 3" in first
    older = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert parse_qs(older.partition("?")[2]) == {"action": ["page.row"], "page": ["2"]}
    last = client.get("/s/acme/audit?action=page.row&page=3").get_data(as_text=True)
    assert last.count("<code>page.row</code>") == 20 and 'rel="next"' not in last


# --- command line ----------------------------------------------------------------------------------------


def test_the_cli_lists_recent_entries_including_sign_ins(app, db, cli, store, other_store):
    app.test_client().post("/login", data={"email": "owner@example.com", "password": "nope"})
    add_entries(db, store, ("notes.created", 1, None))
    add_entries(db, other_store, ("notes.created", 2, None))
    out = cli("audit", "list").output
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["AT", "(UTC)", "STORE", "ACTOR"]
    assert any(line.split()[2] == "-" and line.split()[4] == "auth.login_failed" for line in lines[1:])
    assert any(line.split()[2] == "other" and line.split()[4] == "notes.created" for line in lines[1:])
    only = cli("audit", "list", "--store", "acme", "--action", "notes.*").output.splitlines()
    assert len(only) == 2 and only[1].split()[2] == "acme" and only[1].split()[-1] == "notes:1"
    assert len(cli("audit", "list", "--limit", "1").output.splitlines()) == 2
    assert cli("audit", "list", "--action", "nothing.at.all").output.strip() == "No audit entries."
    unknown = cli("audit", "list", "--store", "nowhere")
    assert unknown.exit_code == 2 and unknown.output.strip() == "Error: no store with slug 'nowhere'"
    assert cli("audit", "list", "--limit", "0").exit_code == 2


def test_the_cli_exports_csv(db, cli, store, other_store):
    mine = add_entries(db, store, ("notes.created", 1, None))
    add_entries(db, other_store, ("notes.created", 2, None))
    everything = read_csv(cli("audit", "export").output)
    assert everything[0] == CSV_COLUMNS
    assert {"acme", "other"} <= {r[3] for r in everything[1:]}
    acme = read_csv(cli("audit", "export", "--store", "acme", "--action", "notes.*").output)
    assert [(int(r[0]), r[3], r[4]) for r in acme[1:]] == [(mine[0], "acme", "notes.created")]
    assert cli("audit", "export", "--store", "nowhere").exit_code == 2
