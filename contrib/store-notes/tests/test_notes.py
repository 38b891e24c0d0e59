"""Store notes as staff use them: through the API, the pages, the dashboard and the CLI."""

import re

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from shopdesk import conformance
from shopdesk.audit import AuditEntry
from shopdesk.auth.models import create_user
from shopdesk.auth.roles import add_member, create_role
from shopdesk.events import OutboxEvent, dispatch_due
from shopdesk.migrate import alembic_config
from shopdesk.stores import configure_plugin, create_store, enable_plugin, get_store, use_store
from shopdesk.testing import make_plugin
from shopdesk_store_notes.models import Note


def add_notes(db, store, *notes):
    """Write notes straight into ``store``; returns their ids."""
    with use_store(store):
        rows = [Note(**fields) for fields in notes]
        db.session.add_all(rows)
        db.session.commit()
        return [row.id for row in rows]


# --- API -------------------------------------------------------------------------------


def test_a_note_is_created_listed_and_read_through_the_api(client):
    created = client.post("/api/v1/notes",
                          json={"title": "Supplier call", "body": "Ask for the Q3 list."})
    assert created.status_code == 201
    note = created.json
    assert note["title"] == "Supplier call"
    assert (note["body"], note["pinned"]) == ("Ask for the Q3 list.", False)
    assert note["author_email"] == "owner@example.com"

    assert [n["id"] for n in client.get("/api/v1/notes").json] == [note["id"]]
    assert client.get(f"/api/v1/notes/{note['id']}").json == note


def test_bad_input_is_refused_with_422_naming_each_field(client):
    response = client.post("/api/v1/notes",
                           json={"title": "  ", "pinned": "perhaps", "colour": "red"})
    assert response.status_code == 422
    assert response.json["errors"] == {
        "title": ["Must not be blank."],
        "pinned": ["Not a valid boolean."],
        "colour": ["Unknown field."],
    }
    assert client.post("/api/v1/notes", json={"body": "no title"}).json["errors"] == {
        "title": ["Missing data for required field."]}
    assert client.get("/api/v1/notes").json == []


def test_a_note_is_changed_and_deleted(client):
    note_id = client.post("/api/v1/notes", json={"title": "Courier at 15:00"}).json["id"]

    changed = client.patch(f"/api/v1/notes/{note_id}", json={"pinned": True})
    assert changed.status_code == 200
    assert (changed.json["title"], changed.json["pinned"]) == ("Courier at 15:00", True)
    assert client.patch(f"/api/v1/notes/{note_id}", json={"title": ""}).status_code == 422

    assert client.delete(f"/api/v1/notes/{note_id}").status_code == 204
    assert client.get(f"/api/v1/notes/{note_id}").status_code == 404


def test_the_list_puts_pinned_notes_first_filters_and_pages(client, db, store):
    add_notes(db, store, {"title": "old"}, {"title": "pinned", "pinned": True}, {"title": "new"})
    assert [n["title"] for n in client.get("/api/v1/notes").json] == ["pinned", "new", "old"]
    assert [n["title"] for n in client.get("/api/v1/notes?pinned=true").json] == ["pinned"]

    page = client.get("/api/v1/notes?page=2&page_size=2")
    assert [n["title"] for n in page.json] == ["old"]
    assert '"total": 3' in page.headers["X-Pagination"]


def test_another_stores_notes_cannot_be_seen_changed_or_deleted(app, db, client, user):
    other = create_store("other", "Other Store", owner=user)  # the same user owns both stores
    enable_plugin(app.extensions["shopdesk"], other, "notes")
    db.session.commit()
    [secret_id] = add_notes(db, other, {"title": "Other store's secret", "pinned": True})

    assert client.get("/api/v1/notes").json == []
    assert client.get(f"/api/v1/notes/{secret_id}").status_code == 404
    assert client.patch(f"/api/v1/notes/{secret_id}", json={"title": "mine now"}).status_code == 404
    assert client.delete(f"/api/v1/notes/{secret_id}").status_code == 404
    assert client.post(f"/s/acme/notes/{secret_id}/delete").status_code == 404
    assert b"secret" not in client.get("/s/acme/notes/").data
    assert b"secret" not in client.get("/s/acme/").data

    in_other = client.get(f"/api/v1/notes/{secret_id}", headers={"Shopdesk-Store": "other"})
    assert in_other.json["title"] == "Other store's secret"


def test_pages_and_api_answer_404_where_notes_are_disabled(client, bare_store):
    assert client.get(f"/s/{bare_store.slug}/notes/").status_code == 404
    elsewhere = {"Shopdesk-Store": bare_store.slug}
    assert client.get("/api/v1/notes", headers=elsewhere).status_code == 404


# --- events and the audit log ----------------------------------------------------------


def emitted(db, store):
    """The events written to ``store``'s outbox so far: (name, key, payload), oldest first."""
    with use_store(store):
        rows = db.session.scalars(sa.select(OutboxEvent).order_by(OutboxEvent.id)).all()
        return [(row.name, row.key, row.payload) for row in rows]


def deletions(db, store):
    return db.session.scalars(
        sa.select(AuditEntry).filter_by(store_id=store.id, action="notes.deleted")).all()


def test_a_note_written_through_the_api_or_the_page_emits_note_created(client, db, store):
    made = client.post("/api/v1/notes",
                       json={"title": "Supplier call", "body": "Q3 list", "pinned": True}).json
    assert client.post("/s/acme/notes/new", data={"title": " Window display "}).status_code == 302
    [from_page] = [n["id"] for n in client.get("/api/v1/notes").json if n["id"] != made["id"]]

    assert emitted(db, store) == [
        ("note.created", f"note:{made['id']}",
         {"id": made["id"], "title": "Supplier call", "body": "Q3 list", "pinned": True,
          "author_email": "owner@example.com"}),
        ("note.created", f"note:{from_page}",
         {"id": from_page, "title": "Window display", "body": "", "pinned": False,
          "author_email": "owner@example.com"}),
    ]


def test_a_deleted_note_emits_note_deleted_and_leaves_an_audit_entry(app, db, store, user,
                                                                       token_for):
    api_id, page_id = add_notes(db, store, {"title": "Price list", "body": "2025", "pinned": True},
                                {"title": "Stale"})
    writer = {"Authorization": f"Bearer {token_for(user, store, ['notes.write'])}"}
    assert app.test_client().delete(f"/api/v1/notes/{api_id}", headers=writer).status_code == 204
    signed_in = app.test_client(user=user)
    assert signed_in.post(f"/s/acme/notes/{page_id}/delete").status_code == 302

    by = "owner@example.com"
    assert emitted(db, store) == [
        ("note.deleted", f"note:{api_id}", {"id": api_id, "title": "Price list", "deleted_by": by}),
        ("note.deleted", f"note:{page_id}", {"id": page_id, "title": "Stale", "deleted_by": by}),
    ]
    first, second = deletions(db, store)
    assert (first.object_type, first.object_id) == ("note", str(api_id))
    assert first.actor.startswith(f"{by} via token #")  # deleted through the API, with a token
    assert second.actor == by  # deleted from the page, signed in
    assert first.before == {"title": "Price list", "body": "2025", "pinned": True,
                            "author_email": ""}
    assert (second.object_id, second.before["title"]) == (str(page_id), "Stale")


def audited(db, store, action):
    return db.session.scalars(sa.select(AuditEntry).filter_by(store_id=store.id, action=action)
                              .order_by(AuditEntry.id)).all()


def test_writing_and_changing_a_note_leaves_audit_entries(client, db, store):
    made = client.post("/api/v1/notes", json={"title": "Supplier call", "body": "Q3"}).json
    assert client.post("/s/acme/notes/new", data={"title": "Window display"}).status_code == 302
    assert client.patch(f"/api/v1/notes/{made['id']}", json={"pinned": True}).status_code == 200
    assert client.patch(f"/api/v1/notes/{made['id']}", json={"pinned": True}).status_code == 200  # no change

    api_entry, page_entry = audited(db, store, "notes.created")
    assert (api_entry.object_id, api_entry.actor) == (str(made["id"]), "owner@example.com")
    assert api_entry.after == {"title": "Supplier call", "body": "Q3", "pinned": False,
                               "author_email": "owner@example.com"}
    assert page_entry.after["title"] == "Window display"
    [change] = audited(db, store, "notes.changed")
    assert (change.before["pinned"], change.after["pinned"]) == (False, True)


def test_a_refused_write_emits_nothing_and_audits_nothing(app, client, db, store, user, token_for):
    [note_id] = add_notes(db, store, {"title": "Keep me"})
    assert client.post("/api/v1/notes", json={"title": " "}).status_code == 422
    assert client.post("/s/acme/notes/new", data={"title": ""}).status_code == 200  # form again
    assert client.delete("/api/v1/notes/999999").status_code == 404
    reader = {"Authorization": f"Bearer {token_for(user, store, ['notes.read'])}"}
    assert app.test_client().delete(f"/api/v1/notes/{note_id}", headers=reader).status_code == 403

    assert emitted(db, store) == []
    assert deletions(db, store) == []
    assert audited(db, store, "notes.created") == []


def test_a_post_repeated_with_its_idempotency_key_writes_and_emits_once(client, db, store):
    key = {"Idempotency-Key": "note-7f3a"}
    first = client.post("/api/v1/notes", json={"title": "Courier at 15:00"}, headers=key)
    again = client.post("/api/v1/notes", json={"title": "Courier at 15:00"}, headers=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert [name for name, _, _ in emitted(db, store)] == ["note.created"]


received = []
listener = make_plugin("listener",
                       handle_event=lambda event, ctx: received.append((event.name, event.key)))


@pytest.mark.shopdesk_plugins(listener)
def test_other_plugins_receive_the_events_after_the_commit_in_order(client, db, store):
    received.clear()
    note_id = client.post("/api/v1/notes", json={"title": "Short-lived"}).json["id"]
    client.delete(f"/api/v1/notes/{note_id}")
    assert received == []  # delivered after the commit, by the dispatcher (tests call it)
    dispatch_due()
    assert received == [("note.created", f"note:{note_id}"), ("note.deleted", f"note:{note_id}")]


# --- settings ----------------------------------------------------------------------------


def test_settings_are_validated_and_the_webhook_is_kept_secret(cli, store):
    def configure(*pairs):
        return cli("plugins", "configure", "acme", "notes", *pairs)

    refused = configure("pinned_limit=0")
    assert refused.exit_code == 2
    assert ("pinned_limit: Must be greater than or equal to 1 and less than or equal to 50."
            in refused.output)
    assert "Not a valid integer." in configure("pinned_limit=many").output
    assert "Must be an https:// URL, or empty." in configure(
        "slack_webhook_url=http://hooks.example/x").output
    assert "pinned_limit = 5  (default)" in cli("plugins", "show", "acme", "notes").output

    url = "https://hooks.slack.com/services/T000/B000/XXXX"
    assert configure("pinned_limit=12", f"slack_webhook_url={url}").exit_code == 0
    shown = cli("plugins", "show", "acme", "notes").output
    assert "pinned_limit = 12  (store)" in shown
    assert "slack_webhook_url = '********'  (store)" in shown
    assert url not in shown


def test_a_global_limit_applies_until_the_store_sets_its_own(cli, store):
    assert cli("plugins", "configure", "--global", "notes", "pinned_limit=3").exit_code == 0
    assert "pinned_limit = 3  (global)" in cli("plugins", "show", "acme", "notes").output
    cli("plugins", "configure", "acme", "notes", "pinned_limit=7")
    assert "pinned_limit = 7  (store)" in cli("plugins", "show", "acme", "notes").output


# --- dashboard, pages, navigation --------------------------------------------------------


def pinned_card(html: str) -> str:
    match = re.search(r'card-header">Pinned notes</div>(.*?)All notes', html, re.DOTALL)
    assert match, "no Pinned notes card on the dashboard"
    return match.group(1)


def test_the_dashboard_shows_at_most_pinned_limit_pinned_notes(app, db, client, store):
    add_notes(db, store, *[{"title": f"pinned {i}", "pinned": True} for i in range(4)],
              {"title": "not pinned"})
    card = pinned_card(client.get("/s/acme/").get_data(as_text=True))
    assert card.count("<li") == 4 and "not pinned" not in card

    configure_plugin(app.extensions["shopdesk"], store, "notes", {"pinned_limit": "2"})
    db.session.commit()
    card = pinned_card(client.get("/s/acme/").get_data(as_text=True))
    assert card.count("<li") == 2


def test_the_pages_list_notes_and_the_form_creates_one(client, db, store):
    page = client.get("/s/acme/notes/")
    assert page.status_code == 200
    assert b"No notes yet." in page.data

    assert client.get("/s/acme/notes/new").status_code == 200
    saved = client.post("/s/acme/notes/new",
                        data={"title": "Window display", "body": "<b>Autumn</b>", "pinned": "y"})
    assert saved.status_code == 302 and saved.headers["Location"] == "/s/acme/notes/"

    listing = client.get("/s/acme/notes/").get_data(as_text=True)
    assert "Window display" in listing and "owner@example.com" in listing
    assert "&lt;b&gt;Autumn&lt;/b&gt;" in listing  # what staff type is shown, never run


def test_the_form_refuses_a_note_without_title(client, db, store):
    response = client.post("/s/acme/notes/new", data={"title": "", "body": "lost?"})
    assert response.status_code == 200
    assert b"This field is required." in response.data
    with use_store(store):
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Note)) == 0


def test_a_note_is_deleted_from_its_page(client, db, store):
    [note_id] = add_notes(db, store, {"title": "Stale"})
    deleted = client.post(f"/s/acme/notes/{note_id}/delete", follow_redirects=True)
    assert "Note “Stale” deleted." in deleted.get_data(as_text=True)
    with use_store(store):
        assert db.session.scalars(sa.select(Note)).all() == []


def test_the_navigation_links_to_the_notes(client):
    page = client.get("/s/acme/").get_data(as_text=True)
    assert re.search(r'<a class="nav-link" href="/s/acme/notes/"[^>]*>Notes</a>', page)


def test_members_without_notes_read_see_no_notes_anywhere(app, db, store):
    add_notes(db, store, {"title": "Supplier margin 40%", "pinned": True})
    create_role(store, "packer", ["store.view"])
    packer = create_user("packer@example.com", "packer password 1")
    viewer = create_user("viewer@example.com", "viewer password 1")
    add_member(store, packer, "packer")
    add_member(store, viewer, "viewer")
    db.session.commit()

    as_packer = app.test_client(user=packer)
    dashboard = as_packer.get("/s/acme/").get_data(as_text=True)
    assert "Supplier margin" not in dashboard and "/s/acme/notes/" not in dashboard
    assert as_packer.get("/s/acme/notes/").status_code == 403
    assert as_packer.get("/api/v1/notes", headers={"Shopdesk-Store": "acme"}).status_code == 403

    as_viewer = app.test_client(user=viewer)  # viewers read notes, but cannot write them
    assert "Supplier margin" in as_viewer.get("/s/acme/").get_data(as_text=True)
    assert as_viewer.get("/s/acme/notes/").status_code == 200
    assert as_viewer.post("/s/acme/notes/new", data={"title": "Mine"}).status_code == 403


# --- demo data and migrations ------------------------------------------------------------


def test_the_demo_store_gets_a_few_notes(cli, db):
    result = cli("demo")
    assert result.exit_code == 0, result.output
    with use_store(get_store("demo")):
        titles = db.session.scalars(sa.select(Note.title).where(Note.pinned)).all()
    assert "Returns window is 30 days" in titles


def test_the_migrations_are_a_notes_branch_on_top_of_the_host(app, cli):
    script = ScriptDirectory.from_config(alembic_config(app))
    branch = [rev for rev in script.walk_revisions() if "notes" in rev.branch_labels]
    base = branch[-1]
    assert (base.revision, base.down_revision) == ("notes_0001", None)
    assert base.dependencies == "host_0001"
    result = cli("plugins", "check", "notes")
    assert result.exit_code == 0, result.output


# --- conformance: the host's checks, over this plugin's routes only ------------------------------


def test_every_notes_route_declares_a_permission(app):
    assert conformance.undeclared_routes(app, prefix="/s/<store>/notes") == []
    assert conformance.undeclared_routes(app, prefix="/api/v1/notes") == []


def test_another_stores_notes_are_out_of_reach(app, db, token_for):
    assert conformance.isolation_failures(app, db, token_for, prefix="/api/v1/notes") == []


def test_no_bad_input_to_the_notes_api_gives_a_500(make_app, db, token_for):
    app = make_app(RATELIMIT_ENABLED=False)
    assert conformance.bad_input_failures(app, db, token_for, prefix="/api/v1/notes") == []
